import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startDeployHost, type DeployHost } from '../electron/main/testing';
import { newDataDir, startWebApp, type WebApp } from './web-app';

// The whole wizard in web mode against a real test server (sshd + sudo, Docker engine, Compose,
// fixture repository): server access with trust on first use → code → configuration → plan →
// live deployment → result, and the app answers healthy.

const SHOTS = join('test-results', 'screenshots');
let host: DeployHost;
let app: WebApp;
let dataDir: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  host = await startDeployHost();
  dataDir = newDataDir();
  // Where things go on the test server (temp folders instead of /etc, /opt, /var), and a unique
  // deploy user and Compose project: settings the wizard keeps, as a profile made earlier would.
  const base = host.profile();
  // The public domain, seen from this computer: `localhost`, which points at the test server.
  const seed = { ...base, settings: { ...base.settings, publicHealthUrl: host.repo.healthUrl.replace('127.0.0.1', 'localhost') } };
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(
    join(dataDir, 'profiles', 'koprogo.json'),
    JSON.stringify({ ...seed, version: 1, id: 'koprogo', name: 'KoproGo', server: null, repo: null, createdAt: now, updatedAt: now }),
  );
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'where', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' }));
  app = await startWebApp(dataDir);
});

test.afterAll(async () => {
  await app?.stop();
  await host?.stop();
});

test('the wizard deploys to the test server and shows it healthy', async ({ browser }) => {
  test.setTimeout(300_000);
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  await expect(page.getByTestId('step-where')).toBeVisible();

  // Where: a server I already have, my own key file, trust on first use.
  await page.getByTestId('provider-existing').click();
  await page.getByTestId('host-input').fill(host.sshd.host);
  await page.getByTestId('port-input').fill(String(host.sshd.port));
  await page.getByTestId('user-input').fill(host.sshd.user);
  await page.getByTestId('key-mode-import').check();
  await page.getByTestId('keyPath-input').fill(host.sshd.userKeyPath);
  await page.getByTestId('key-import').click();
  await expect(page.getByTestId('public-key')).toHaveValue(/^ssh-ed25519 /);
  await page.getByTestId('where-connect').first().click();
  await expect(page.getByTestId('where-fingerprint')).toContainText(host.sshd.hostKeySha256);
  await page.screenshot({ path: join(SHOTS, 'deploy-where-trust-fr.png'), fullPage: true });
  await page.getByTestId('where-trust-accept').click();
  await expect(page.getByTestId('check-privilege')).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await page.screenshot({ path: join(SHOTS, 'deploy-where-checked-fr.png'), fullPage: true });
  await page.getByTestId('nav-next').click();

  // Code: the fixture repository at its release tag.
  await expect(page.getByTestId('step-code')).toBeVisible();
  // An SSH URL is a private repository: the deploy-key card appears, and known_hosts is required.
  await page.getByTestId('repoUrl-input').fill('git@github.com:acme/koprogo.git');
  await expect(page.getByTestId('private-repo')).toBeVisible();
  await page.getByTestId('repo-key-generate').click();
  await expect(page.getByTestId('repo-public-key')).toHaveValue(/^ssh-ed25519 /);
  await page.getByTestId('knownHosts-input').fill('not a key line');
  // Checked as it is typed: the field says what is wrong, and Save waits until it is right.
  await expect(page.getByTestId('knownHosts-error')).toContainText('hôte type-de-clé clé-base64');
  await expect(page.getByTestId('code-save')).toBeDisabled();
  await page.screenshot({ path: join(SHOTS, 'deploy-code-private-fr.png'), fullPage: true });
  await page.getByTestId('repo-key-forget').click();
  await page.getByTestId('repoUrl-input').fill(host.repo.url);
  await expect(page.getByTestId('private-repo')).toHaveCount(0);
  await page.getByTestId('repoRef-input').fill('v1.0.0');
  await page.getByTestId('code-advanced').evaluate((el) => ((el as HTMLDetailsElement).open = true));
  await page.getByTestId('composeProject-input').fill(host.composeProject);
  await page.getByTestId('healthUrl-input').fill(host.repo.healthUrl);
  await page.getByTestId('code-save').click(); // saves and goes on

  // Configuration: the .env stays secret (kept in memory for the session in web mode).
  await expect(page.getByTestId('step-configuration')).toBeVisible();
  // In web mode there is no OS keychain: the step says up front that the .env lives for this session only.
  await expect(page.getByTestId('env-session-only')).toBeVisible();
  await page.getByTestId('hostname-input').fill('kgtest');
  // Before the .env is typed: no secret in a screenshot.
  await page.screenshot({ path: join(SHOTS, 'deploy-configuration-fr.png'), fullPage: true });
  await page.getByTestId('env-input').fill('DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=CANARY-e2e-41ff\n');
  // Save and continue goes on to the plan, session-only or not.
  await page.getByTestId('configuration-save').click();

  // Plan: every step, secrets masked, nothing changed yet.
  await expect(page.getByTestId('step-plan')).toBeVisible();
  await expect(page.getByTestId('plan-step-compose-up')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('plan-list')).not.toContainText('CANARY-e2e-41ff');
  await page.screenshot({ path: join(SHOTS, 'deploy-plan-fr.png'), fullPage: true });
  await page.getByTestId('plan-deploy').click();

  // Deploy: live steps and log, until it succeeds.
  await expect(page.getByTestId('step-deploy')).toBeVisible();
  await expect(page.getByTestId('deploy-log')).not.toBeEmpty({ timeout: 60_000 });
  await expect(page.getByTestId('deploy-succeeded')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('run-step-compose-up')).toHaveAttribute('data-state', 'done');
  // Healthy already when checked (skipped) or after waiting (done).
  await expect(page.getByTestId('run-step-health')).toHaveAttribute('data-state', /^(done|skipped)$/);
  await expect(page.getByTestId('deploy-log')).not.toContainText('CANARY-e2e-41ff');
  await page.screenshot({ path: join(SHOTS, 'deploy-run-fr.png'), fullPage: true });
  await page.getByTestId('deploy-to-result').click();

  // Result: running, and the health endpoint really answers.
  await expect(page.getByTestId('result-running')).toBeVisible();
  await expect(page.getByTestId('result-public-health')).toHaveAttribute('data-status', 'ok');
  // Each monitoring script ran once during the deployment; its result is shown.
  await expect(page.getByTestId('result-monitor-metrics')).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('result-monitor-metrics')).toContainText('vps_metrics cpu=1');
  await page.screenshot({ path: join(SHOTS, 'deploy-result-fr.png'), fullPage: true });
  expect(await (await fetch(host.repo.healthUrl)).text()).toBe('ok\n');

  // The same screens in Dutch and English.
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    for (const step of ['where', 'code', 'configuration', 'plan', 'deploy', 'health'] as const) {
      await page.getByTestId(`rail-${step}`).click();
      await expect(page.getByTestId(`step-${step}`)).toBeVisible();
      await page.screenshot({ path: join(SHOTS, `deploy-${step}-${lang}.png`), fullPage: true });
    }
  }
  await context.close();
});
