import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startSshd, type SshdHandle } from '../electron/main/testing';
import { startDnsServer, type DnsServer } from '../electron/main/testing/dns-server';
import { startGitHubFake, type GitHubFake } from '../electron/main/testing/github-fake';
import { FIXTURE_REPOS } from '../electron/main/recipe/fixtures/repos';
import { newDataDir, startWebApp, type WebApp } from './web-app';

// The Code and Configuration steps in web mode against the local GitHub fake (fixture repositories, device
// flow), a local DNS server and a real sshd for the server: read a repository, pick a release, see the recipe,
// sign in for a private one, fill the generated form (bad e-mail, placeholder secret, unknown domain refused),
// and find the .env in the plan.

const SHOTS = join('test-results', 'screenshots');
const CLIENT_ID = 'Iv1.e2e-code-config';
let sshd: SshdHandle;
let github: GitHubFake;
let dns: DnsServer;
let app: WebApp;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  sshd = await startSshd();
  github = await startGitHubFake({ repos: FIXTURE_REPOS, clientId: CLIENT_ID, deviceInterval: 1 });
  // The domain that points at the server (127.0.0.1), one that exists elsewhere; anything else does not exist.
  dns = await startDnsServer({ 'api.koprogo.test': { a: ['127.0.0.1'] }, 'www.koprogo.test': { a: ['198.51.100.7'] } });
  const dataDir = newDataDir();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(
    join(dataDir, 'profiles', 'koprogo.json'),
    JSON.stringify({ version: 1, id: 'koprogo', name: 'KoproGo', phase: 1, provider: null, server: null, repo: null, settings: {}, secrets: {}, createdAt: now, updatedAt: now }),
  );
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'where', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' }));
  app = await startWebApp(dataDir, {
    KOPROGO_GITHUB_API_URL: github.url,
    KOPROGO_GITHUB_WEB_URL: github.url,
    KOPROGO_GITHUB_CLIENT_ID: CLIENT_ID,
    KOPROGO_DNS_SERVERS: dns.address,
  });
});

test.afterAll(async () => {
  await app?.stop();
  await github?.close();
  await dns?.close();
  await sshd?.stop();
});

async function connectServer(page: Page): Promise<void> {
  await expect(page.getByTestId('step-where')).toBeVisible();
  await page.getByTestId('provider-existing').click();
  await page.getByTestId('host-input').fill(sshd.host);
  await page.getByTestId('port-input').fill(String(sshd.port));
  await page.getByTestId('user-input').fill(sshd.user);
  await page.getByTestId('key-mode-import').check();
  await page.getByTestId('keyPath-input').fill(sshd.userKeyPath);
  await page.getByTestId('key-import').click();
  await expect(page.getByTestId('public-key')).toHaveValue(/^ssh-ed25519 /);
  await page.getByTestId('where-connect').first().click();
  await page.getByTestId('where-trust-accept').click();
  await expect(page.getByTestId('check-privilege')).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await page.getByTestId('nav-next').click();
}

test('read a repository, pick a release, see the recipe, fill the generated form, get the .env in the plan', async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  await connectServer(page);

  // Code: a public repository, read through the API; the latest release is proposed.
  await expect(page.getByTestId('step-code')).toBeVisible();
  await page.getByTestId('repoUrl-input').fill('gilmry/koprogo');
  await page.getByTestId('code-inspect').click();
  await expect(page.getByTestId('repo-overview')).toContainText('gilmry/koprogo');
  await expect(page.getByTestId('ref-select')).toHaveValue('v1.0.0');
  // `owner/name` became the address the server clones.
  await expect(page.getByTestId('repoUrl-input')).toHaveValue(/^https:\/\/github\.com\/gilmry\/koprogo/);
  await expect(page.getByTestId('recipe-compose')).toContainText('docker-compose.yml + docker-compose.prod.yml');
  await expect(page.getByTestId('recipe-db')).toContainText('koprogo_db');
  for (const p of [1, 2, 3, 4]) await expect(page.locator(`[data-testid="recipe-phases"] [data-phase="${p}"]`)).toHaveAttribute('data-enabled', 'true');
  await page.screenshot({ path: join(SHOTS, 'code-recipe-fr.png'), fullPage: true });

  // An older release without compose files: explained, blocking, with the files to point at.
  await page.getByTestId('ref-select').selectOption('v0.9.0');
  await expect(page.getByTestId('recipe')).toHaveAttribute('data-blocking', 'true');
  await expect(page.locator('[data-testid="recipe-missing"] [data-code="recipe.unknown_layout"]')).toBeVisible();
  await expect(page.getByTestId('recipe-point')).toHaveAttribute('open', '');
  await page.screenshot({ path: join(SHOTS, 'code-recipe-unknown-fr.png'), fullPage: true });

  // A private repository: GitHub hides it (404) until the device flow signs in.
  await page.getByTestId('repoUrl-input').fill('https://github.com/acme/koprogo-private');
  await page.getByTestId('code-inspect').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'github.not_found');
  await expect(page.getByTestId('github-sign-in')).toBeVisible();
  github.scriptDevicePolls(['authorization_pending', 'success']);
  await page.getByTestId('github-device-start').click();
  await expect(page.getByTestId('github-user-code')).toHaveText(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await expect(page.getByTestId('github-waiting')).toBeVisible();
  await page.screenshot({ path: join(SHOTS, 'code-github-device-fr.png'), fullPage: true });
  await expect(page.getByTestId('github-sign-in')).toHaveCount(0, { timeout: 20_000 });
  await page.getByTestId('code-inspect').click();
  await expect(page.getByTestId('repo-overview')).toHaveAttribute('data-private', 'true');
  await expect(page.getByTestId('ref-select')).toHaveValue('main');
  await expect(page.getByTestId('recipe-env')).toContainText('.env.vps.example');
  // The server clones it over SSH with a read-only deploy key the app adds through the API.
  await page.getByTestId('use-deploy-key').click();
  await expect(page.getByTestId('repoUrl-input')).toHaveValue('git@github.com:acme/koprogo-private.git');
  await page.getByTestId('repo-key-install').click();
  await expect(page.getByTestId('repo-key-installed')).toBeVisible();
  await expect(page.getByTestId('knownHosts-input')).toHaveValue(/^github\.com ssh-ed25519 /);
  expect(github.deployKeys('acme', 'koprogo-private').map((k) => k.read_only)).toEqual([true]);
  await page.screenshot({ path: join(SHOTS, 'code-private-key-fr.png'), fullPage: true });
  await page.getByTestId('code-save').click();

  // Configuration: the form generated from .env.vps.example.
  await expect(page.getByTestId('step-configuration')).toBeVisible();
  await expect(page.getByTestId('env-form')).toBeVisible();
  await expect(page.getByTestId('env-field-JWT_SECRET')).toHaveAttribute('data-source', 'generated');
  await expect(page.getByTestId('envf-JWT_SECRET')).toHaveAttribute('type', 'password');
  await page.getByTestId('reveal-JWT_SECRET').click();
  await expect(page.getByTestId('envf-JWT_SECRET')).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  const generated = await page.getByTestId('envf-POSTGRES_PASSWORD').inputValue();
  await page.getByTestId('reveal-JWT_SECRET').click();

  // Bad values, each refused with its own message.
  await page.getByTestId('envf-API_DOMAIN').fill('typo.koprogo.test');
  await expect(page.locator('[data-testid="env-field-API_DOMAIN"] [data-testid="dns-state"]')).toHaveAttribute('data-state', 'not_found');
  await page.getByTestId('envf-ACME_EMAIL').fill('ops@');
  await page.getByTestId('envf-JWT_SECRET').fill('CHANGE_THIS_SECRET');
  await page.getByTestId('envf-TRAEFIK_DASHBOARD_AUTH-user').fill('admin');
  await page.getByTestId('configuration-save').click();
  await expect(page.getByTestId('env-form-invalid')).toBeVisible();
  await expect(page.getByTestId('envf-ACME_EMAIL-error')).toHaveAttribute('data-problem', 'bad_email');
  await expect(page.getByTestId('envf-JWT_SECRET-error')).toHaveAttribute('data-problem', 'placeholder');
  await expect(page.getByTestId('envf-API_DOMAIN-error')).toHaveAttribute('data-problem', 'domain_not_found');
  await expect(page.getByTestId('envf-TRAEFIK_DASHBOARD_AUTH-error')).toHaveAttribute('data-problem', 'empty');
  await expect(page.getByTestId('envf-JWT_SECRET-error')).toContainText('remplacez-la');
  await page.screenshot({ path: join(SHOTS, 'configuration-errors-fr.png'), fullPage: true });

  // Fixed: the domain points at the server, a new secret, an htpasswd password.
  await page.getByTestId('envf-API_DOMAIN').fill('api.koprogo.test');
  await expect(page.locator('[data-testid="env-field-API_DOMAIN"] [data-testid="dns-state"]')).toHaveAttribute('data-state', 'points_here');
  await page.getByTestId('envf-ACME_EMAIL').fill('ops@koprogo.be');
  await page.getByTestId('regenerate-JWT_SECRET').click();
  await page.getByTestId('envf-TRAEFIK_DASHBOARD_AUTH-password').fill('a dashboard password');
  await expect(page.getByTestId('env-session-only')).toBeVisible();
  await page.screenshot({ path: join(SHOTS, 'configuration-form-fr.png'), fullPage: true });
  await page.getByTestId('configuration-save').click();

  // The plan has the .env with its keys, values masked.
  await expect(page.getByTestId('step-plan')).toBeVisible();
  await expect(page.getByTestId('env-form-invalid')).toHaveCount(0);
  const plan = page.getByTestId('plan-list');
  await expect(page.getByTestId('plan-step-env-file')).toBeVisible({ timeout: 30_000 });
  await expect(plan).toContainText('API_DOMAIN=');
  await expect(plan).toContainText('TRAEFIK_DASHBOARD_AUTH=');
  await expect(plan).not.toContainText(generated);
  await expect(plan).not.toContainText('a dashboard password');

  // The roadmap's dev compose publishes the database, the backend and the frontend on every interface (the prod
  // overlay's `ports: []` cannot take them away): a risk, and the user chooses before anything is deployed.
  await expect(page.getByTestId('plan-exposure')).toHaveAttribute('data-choice', 'none');
  await expect(page.getByTestId('plan-exposure-port')).toHaveCount(3);
  await expect(page.locator('[data-testid="plan-exposure-port"][data-service="postgres"]')).toContainText('base de données');
  await expect(page.getByTestId('plan-deploy')).toBeDisabled();
  await expect(page.getByTestId('plan-choose-first')).toBeVisible();
  await page.screenshot({ path: join(SHOTS, 'plan-exposure-fr.png'), fullPage: true });
  await page.getByTestId('plan-bind-local').check();
  await expect(page.getByTestId('plan-exposure')).toHaveAttribute('data-choice', 'yes');
  // The app's copy of the dev file, with those ports on 127.0.0.1, is in the plan.
  await expect(page.getByTestId('plan-step-bind-local')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('plan-deploy')).toBeEnabled();

  // A repository whose production path is its Makefile: the Code step says which source decided.
  await page.getByTestId('rail-code').click();
  await page.getByTestId('repoUrl-input').fill('acme/koprogo-gitops');
  await page.getByTestId('code-inspect').click();
  await expect(page.getByTestId('recipe-source')).toHaveAttribute('data-kind', 'tooling');
  await expect(page.getByTestId('recipe-source')).toContainText('cible Makefile deploy-prod');
  await expect(page.getByTestId('recipe-source')).toContainText('deploy/production/gitops-deploy.sh');
  await expect(page.getByTestId('recipe-compose')).toContainText('deploy/production/docker-compose.yml');
  await expect(page.getByTestId('recipe-compose')).not.toContainText('docker-compose.yml +');
  await expect(page.getByTestId('recipe-env-file')).toContainText('deploy/production/.env');
  await expect(page.getByTestId('recipe-health')).toHaveAttribute('data-via', 'proxy');
  await expect(page.getByTestId('recipe-backup')).toContainText('minio_data');
  await expect(page.getByTestId('recipe-default-credentials')).toContainText('admin@koprogo.com');
  await page.screenshot({ path: join(SHOTS, 'code-recipe-tooling-fr.png'), fullPage: true });
  await page.getByTestId('code-save').click();
  // The image owner placeholder is filled from the repository, not a random secret.
  await expect(page.getByTestId('env-field-GITHUB_REPOSITORY')).toHaveAttribute('data-source', 'repository');
  await expect(page.getByTestId('envf-GITHUB_REPOSITORY')).toHaveValue('acme/koprogo-gitops');
  await expect(page.getByTestId('env-field-S3_ACCESS_KEY')).toHaveAttribute('data-kind', 'text');
  await page.getByTestId('rail-plan').click();
  // MinIO's console port is the one risk here; the choice made before still holds.
  await expect(page.locator('[data-testid="plan-exposure-port"][data-service="minio"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('plan-health')).toHaveAttribute('data-via', 'proxy');
  await page.screenshot({ path: join(SHOTS, 'plan-review-fr.png'), fullPage: true });

  // The same screens in Dutch and English.
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await page.getByTestId('rail-configuration').click();
    await expect(page.getByTestId('env-form')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, `configuration-form-${lang}.png`), fullPage: true });
    await page.getByTestId('rail-code').click();
    await page.getByTestId('code-inspect').click();
    await expect(page.getByTestId('recipe')).toBeVisible();
    await expect(page.getByTestId('recipe-source')).toContainText('deploy-prod');
    await page.screenshot({ path: join(SHOTS, `code-recipe-${lang}.png`), fullPage: true });
    await page.getByTestId('rail-plan').click();
    await expect(page.getByTestId('plan-review')).toBeVisible({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, `plan-review-${lang}.png`), fullPage: true });
  }
  await context.close();
});
