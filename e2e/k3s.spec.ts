import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { createFakeTools, type FakeTools } from '../electron/main/k3s/testing/fake-tools';
import { K3S_SCRIPT_FILES } from '../electron/main/k3s/testing/fixtures';
import { createK3sFixtureRepo, type K3sFixtureRepo } from '../electron/main/k3s/testing/repo';
import { detectK3s } from '../electron/main/recipe/detect-k3s';
import { startDnsServer, type DnsServer } from '../electron/main/testing/dns-server';
import { startGitHubFake, type GitHubFake } from '../electron/main/testing/github-fake';
import { startK8sFake, type K8sFake } from '../electron/main/testing/k8s-fake';
import { startOvhFake, type OvhFake } from '../electron/main/testing/ovh-fake';
import { newDataDir, startWebApp, type WebApp } from './web-app';

// Phase 3 end to end in web mode: choose the phase, connect OVHcloud (the fake, validated on its "page"), run on
// this computer, read the repository (the roadmap's deploy.sh shape), give its variable, see the plan and the
// pre-flight, deploy: the terminal shows the run, Terraform's question becomes a dialog with the plan summary and
// the monthly cost, answered there; then the dashboard shows the nodes and pods of the (fake) Kubernetes API.
// The tools are the fakes on PATH; `git clone https://github.com/acme/koprogo-k3s` is pointed at a local fixture
// repository by git's own url.<base>.insteadOf (environment only).

const SHOTS = join('test-results', 'screenshots');
const REPO = 'https://github.com/acme/koprogo-k3s';
let github: GitHubFake;
let ovh: OvhFake;
let k8s: K8sFake;
let tools: FakeTools;
let repo: K3sFixtureRepo;
let app: WebApp;
let dns: DnsServer;
/** The browser session: the one-time link signs it in once; the second test goes on with it. */
let session: BrowserContext | null = null;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  github = await startGitHubFake({
    repos: [{ owner: 'acme', name: 'koprogo-k3s', description: 'KoproGo on K3s', branches: { main: K3S_SCRIPT_FILES }, tags: { 'v1.0.0': K3S_SCRIPT_FILES }, releases: [{ tag: 'v1.0.0', name: 'KoproGo 1.0', publishedAt: '2025-01-10T10:00:00Z' }] }],
  });
  ovh = await startOvhFake();
  dns = await startDnsServer({ 'api.koprogo.example': { a: ['203.0.113.20'] } });
  k8s = await startK8sFake({
    state: {
      nodes: [{ name: 'koprogo-dev-cp-0' }, { name: 'koprogo-dev-worker-0', roles: [] }],
      pods: [
        { namespace: 'koprogo', name: 'koprogo-backend-7d9f8b6c5-x2x4z', node: 'koprogo-dev-worker-0' },
        { namespace: 'koprogo', name: 'koprogo-frontend-5c7b9d8f4-q8w2e', node: 'koprogo-dev-worker-0' },
        { namespace: 'kube-system', name: 'coredns-6799fbcd5-9kq2m' },
      ],
    },
  });
  const scratch = mkdtempSync(join(tmpdir(), 'kgt-k3s-e2e-'));
  const kubeconfig = join(scratch, 'cluster.yaml');
  writeFileSync(kubeconfig, k8s.kubeconfig());
  chmodSync(kubeconfig, 0o644);
  tools = await createFakeTools({ kubeconfig, extraLines: 3 });
  repo = await createK3sFixtureRepo(K3S_SCRIPT_FILES);
  const caFile = join(scratch, 'ovh-ca.pem');
  writeFileSync(caFile, ovh.ca);
  const home = mkdtempSync(join(tmpdir(), 'kgt-k3s-home-'));
  app = await startWebApp(newDataDir(), {
    KOPROGO_GITHUB_API_URL: github.url,
    KOPROGO_GITHUB_WEB_URL: github.url,
    KOPROGO_OVH_API_URL: ovh.url,
    KOPROGO_OVH_CA_FILE: caFile,
    KOPROGO_DNS_SERVERS: dns.address,
    PATH: `${tools.bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${repo.url}.insteadOf`,
    GIT_CONFIG_VALUE_0: REPO,
  });
});

test.afterAll(async () => {
  await session?.close();
  await app?.stop();
  await Promise.allSettled([github?.close(), ovh?.stop(), k8s?.close(), tools?.stop(), repo?.stop(), dns?.close()]);
});

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The same screen in the three languages, back to `back` afterwards. */
async function shootAll(page: Page, name: string, back: 'fr' | 'nl' | 'en' = 'fr'): Promise<void> {
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await shoot(page, `${name}-${lang}`);
  }
  await page.getByTestId('language-select').selectOption(back);
}

test('phase 3 with OVHcloud: plan, run in the terminal, answer Terraform’s question in the dialog, see the cluster', async ({ browser }) => {
  test.setTimeout(300_000);
  session = await browser.newContext({ locale: 'fr-BE' });
  const page = await session.newPage();
  await page.goto(app.loginUrl);
  await page.getByTestId('language-select').selectOption('fr');

  // Phase: 3.
  await page.getByTestId('choose-phase-3').click();
  await page.getByTestId('nav-next').click();

  // Where: OVHcloud (validated on OVH's page: the fake), then this computer.
  await expect(page.getByTestId('k3s-where')).toBeVisible();
  await page.getByTestId('ovh-endpoint-ovh-eu').check();
  await page.getByTestId('ovhAppKey-input').fill(ovh.applicationKey);
  await page.getByTestId('ovhAppSecret-input').fill(ovh.applicationSecret);
  await page.getByTestId('ovh-connect').click();
  await expect(page.getByTestId('ovh-waiting')).toBeVisible();
  ovh.validate(ovh.state.credentials.at(-1)!.consumerKey);
  await expect(page.getByTestId('ovh-validated')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('k3s-runner-local').click();
  await expect(page.getByTestId('k3s-this-computer')).toHaveAttribute('data-usable', 'true');
  await expect(page.getByTestId('k3s-local-bash')).toContainText('bash');
  await shootAll(page, 'k3s-where');
  await page.getByTestId('k3s-where-continue').click();

  // Code: the repository through the API; its deploy script serves phases 3–4; what will run, in order.
  await expect(page.getByTestId('step-code')).toBeVisible();
  await page.getByTestId('repoUrl-input').fill(REPO);
  await page.getByTestId('code-inspect').click();
  await expect(page.getByTestId('ref-select')).toHaveValue('v1.0.0');
  await expect(page.getByTestId('k3s-entry').first()).toHaveAttribute('data-serves', 'true');
  await expect(page.getByTestId('k3s-environment')).toHaveValue('dev');
  await expect(page.getByTestId('k3s-step-deploy-script')).toContainText('bash ./scripts/deploy.sh dev');
  await expect(page.getByTestId('k3s-steps').locator('li')).toHaveCount(5);
  await shootAll(page, 'k3s-code');
  await page.getByTestId('code-save').click();

  // Configuration: the script's own variable (the OVH ones come from the credentials).
  await expect(page.getByTestId('k3s-config')).toBeVisible();
  await expect(page.getByTestId('k3s-config-ovh')).toContainText('OVH_APPLICATION_SECRET');
  await page.getByTestId('k3s-config-save').click();
  await expect(page.getByTestId('k3s-var-KOPROGO_DOMAIN-error')).toBeVisible();
  await page.getByTestId('k3s-var-KOPROGO_DOMAIN-input').fill('api.koprogo.example');
  await page.getByTestId('k3s-config-save').click();

  // Plan: the topology's cost, the pre-flight (each tool found with its version), every step.
  await expect(page.getByTestId('step-plan')).toHaveAttribute('data-k3s', 'true');
  await expect(page.getByTestId('k3s-preflight')).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await expect(page.getByTestId('k3s-tool-terraform')).toContainText('1.9.8');
  await expect(page.getByTestId('k3s-var-OVH_APPLICATION_SECRET')).toHaveAttribute('data-present', 'true');
  await expect(page.getByTestId('plan-cost')).toContainText('30');
  await shootAll(page, 'k3s-plan');
  await page.getByTestId('plan-deploy').click();

  // Deploy: the terminal follows the run; the script's (yes/no) question becomes a dialog.
  await expect(page.getByTestId('step-deploy')).toHaveAttribute('data-k3s', 'true');
  const dialog = page.getByTestId('k3s-prompt');
  await expect(dialog).toBeVisible({ timeout: 60_000 });
  await expect(dialog).toHaveAttribute('data-kind', 'yes-no');
  await expect(page.getByTestId('k3s-prompt-question')).toHaveText('Apply Terraform plan? (yes/no):');
  await expect(page.getByTestId('k3s-prompt-summary')).toContainText('3 à ajouter');
  await expect(page.getByTestId('k3s-prompt-cost')).toContainText('30');
  await expect(page.getByTestId('k3s-terminal')).toContainText('Plan: 3 to add, 0 to change, 0 to destroy.');
  // The colours reach the terminal view (xterm's classes, styled under the app's CSP).
  const green = page.locator('[data-testid="k3s-terminal"] .xterm-fg-2').first();
  await expect(green).toBeVisible();
  expect(await green.evaluate((el) => getComputedStyle(el).color)).not.toBe(await page.locator('[data-testid="k3s-terminal"] .xterm-rows').evaluate((el) => getComputedStyle(el).color));
  await shootAll(page, 'k3s-prompt');
  await page.getByTestId('k3s-prompt-yes').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('deploy-succeeded')).toBeVisible({ timeout: 120_000 });
  // The terminal shows its last screen (xterm keeps the rest in its scrollback): the run's last lines.
  await expect(page.getByTestId('k3s-terminal')).toContainText('nodes: 2/2 ready, pods: 3');
  await expect(page.getByTestId('k3s-terminal')).toContainText('KoproGo is deployed on dev.');
  await expect(page.getByTestId('run-step-cluster')).toHaveAttribute('data-state', 'done');
  await shootAll(page, 'k3s-deploy-done');
  // No OVH secret reached the page.
  expect(await page.content()).not.toContain(ovh.applicationSecret);

  // Result, then the dashboard: nodes and pods from the Kubernetes API.
  await page.getByTestId('deploy-to-result').click();
  await expect(page.getByTestId('k3s-result-kubeconfig')).toContainText('export KUBECONFIG=');
  await shootAll(page, 'k3s-result');
  await page.getByTestId('result-open-dashboard').click();
  const cluster = page.getByTestId('cluster');
  await expect(cluster).toContainText('koprogo-dev-cp-0', { timeout: 30_000 });
  await expect(cluster).toContainText('koprogo-dev-worker-0');
  await expect(cluster).toContainText('koprogo/koprogo-backend-7d9f8b6c5-x2x4z');
  await expect(page.getByTestId('metric-tiles')).toHaveCount(0);
  await shootAll(page, 'k3s-dashboard');
  await page.close();
});

test('phase 4: the production topology and its cost, and the checklist of what must exist first (OVH quotas, DNS zone, project)', async () => {
  test.setTimeout(180_000);
  expect(session, 'the first test signed the browser in').not.toBeNull();
  // A production deployment prepared earlier (same app, whose OVHcloud access the first test validated).
  const entry = (await detectK3s(Object.keys(K3S_SCRIPT_FILES), async (p) => K3S_SCRIPT_FILES[p] ?? null)).k3s!.entryPoints[0]!;
  const now = new Date().toISOString();
  mkdirSync(join(app.dataDir, 'profiles'), { recursive: true });
  writeFileSync(
    join(app.dataDir, 'profiles', 'koprogo-prod.json'),
    JSON.stringify({
      version: 1,
      id: 'koprogo-prod',
      name: 'KoproGo production',
      phase: 4,
      provider: { kind: 'ovh', endpoint: 'ovh-eu' },
      server: null,
      repo: { url: REPO, ref: 'v1.0.0' },
      settings: { 'k3s.entry': JSON.stringify(entry), 'k3s.environment': 'prod', 'k3s.runner': 'local', 'k3s.ovh': 'ovh-eu', 'k3s.configured': '1' },
      secrets: {},
      createdAt: now,
      updatedAt: now,
    }),
  );
  writeFileSync(join(app.dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'plan', phase: 4, copros: 2500, lotsPerCopro: 10, profileId: 'koprogo-prod' }));
  // The project's quotas are too small for 6 nodes at first.
  for (const p of ovh.state.projects) for (const q of p.quotas) q.instance = { ...q.instance, maxCores: 24 };
  const page = await session!.newPage();
  await page.goto(app.baseUrl);
  await page.getByTestId('language-select').selectOption('en');
  await expect(page.getByTestId('step-plan')).toHaveAttribute('data-k3s', 'true');
  await expect(page.getByTestId('k3s-topology')).toContainText('3 control planes + 3 workers');
  await expect(page.getByTestId('k3s-topology')).toContainText('270');
  await expect(page.getByTestId('k3s-checklist')).toBeVisible();
  await page.getByTestId('k3s-domain-input').fill('api.koprogo.example');
  await page.getByTestId('k3s-checklist-check').click();
  await expect(page.getByTestId('k3s-check-quota')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(page.getByTestId('k3s-check-domain')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('k3s-check-dns')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('k3s-check-project')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('k3s-check-quota')).toContainText('24 vCPU');
  await expect(page.getByTestId('plan-deploy')).toBeDisabled();
  await shootAll(page, 'k3s-checklist-quota', 'en');
  // OVH raised the quotas: checked again, everything there.
  for (const p of ovh.state.projects) for (const q of p.quotas) q.instance = { ...q.instance, maxCores: 64 };
  await page.getByTestId('k3s-checklist-check').click();
  await expect(page.getByTestId('k3s-check-quota')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
  await expect(page.getByTestId('k3s-checklist')).toHaveAttribute('data-ready', 'true');
  // The pre-flight still misses the script's variable for this deployment: the footer says so, and the
  // Configuration step takes it.
  await expect(page.getByTestId('k3s-var-KOPROGO_DOMAIN')).toHaveAttribute('data-present', 'false');
  await expect(page.getByTestId('plan-deploy')).toBeDisabled();
  await expect(page.getByTestId('nav-status')).toHaveText('The pre-flight check found something missing: see the table');
  await page.getByTestId('nav-back').click();
  await page.getByTestId('k3s-var-KOPROGO_DOMAIN-input').fill('api.koprogo.example');
  await page.getByTestId('k3s-config-save').click();
  await expect(page.getByTestId('k3s-preflight')).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await page.getByTestId('k3s-checklist-check').click();
  await expect(page.getByTestId('k3s-checklist')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.getByTestId('plan-deploy')).toBeEnabled();
  await shoot(page, 'k3s-checklist-ready-en');

  // The zone moves to another DNS provider: the app cannot check the records there, the user confirms it; the
  // confirmation is kept with the deployment (a reload, or another day, does not ask again).
  ovh.state.dnsZones.splice(0, ovh.state.dnsZones.length);
  await page.getByTestId('k3s-checklist-check').click();
  await expect(page.getByTestId('k3s-check-dns')).toHaveAttribute('data-state', 'warning', { timeout: 30_000 });
  await expect(page.getByTestId('plan-deploy')).toBeDisabled();
  await expect(page.getByTestId('nav-status')).toHaveText('Complete the checklist first.');
  await page.getByTestId('k3s-confirm-dns').check();
  await expect(page.getByTestId('plan-deploy')).toBeEnabled();
  await shoot(page, 'k3s-checklist-confirmed-en');
  await page.reload();
  await page.getByTestId('k3s-checklist-check').click();
  await expect(page.getByTestId('k3s-check-dns')).toHaveAttribute('data-state', 'warning', { timeout: 30_000 });
  await expect(page.getByTestId('k3s-confirm-dns')).toBeChecked();
  await expect(page.getByTestId('plan-deploy')).toBeEnabled();
  await page.close();
});
