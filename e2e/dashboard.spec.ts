import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { HealthHistory, historyDirFor } from '../electron/main/health/history';
import { startDeployHost, startTcpProxy, type DeployHost, type TcpProxy } from '../electron/main/testing';
import { createTestCertificates, startHttpsServer, type HttpsTestServer, type TestCertificates } from '../electron/main/testing/https-server';
import { apiCall as call, newDataDir, startWebApp, type WebApp } from './web-app';

// The live dashboard in web mode against a real test server: a deployment (real sshd + sudo, Docker
// engine, Compose, fixture repository), its dashboard reached from the Result step with live charts,
// container logs, the HTTPS check from this computer against a local HTTPS server whose certificate
// expires soon; then a second deployment whose history holds 35 minutes of RAM above 85 % (the
// high-RAM fixture): the phase 2 recommendation card, and its button opens the phase step with phase 2.

const SHOTS = join('test-results', 'screenshots');
const CANARY = 'CANARY-dash-5c1a';
let host: DeployHost;
let app: WebApp;
let dataDir: string;
let certs: TestCertificates;
let https: HttpsTestServer;
let proxy: TcpProxy;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  host = await startDeployHost();
  // The SSH connection goes through a proxy that can cut it.
  proxy = await startTcpProxy(host.sshd.port);
  certs = await createTestCertificates({ expiringDays: 10 });
  https = await startHttpsServer({ tls: certs.expiring });
  dataDir = newDataDir();
  const caFile = join(dataDir, 'test-ca.pem');
  writeFileSync(caFile, certs.ca);
  const base = host.profile();
  const now = new Date().toISOString();
  const profile = (id: string, name: string) => ({
    ...base,
    version: 1,
    id,
    name,
    server: { ...base.server!, port: proxy.port },
    settings: { ...base.settings, publicHealthUrl: https.url('/health').replace('127.0.0.1', 'localhost') },
    createdAt: now,
    updatedAt: now,
  });
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  writeFileSync(join(dataDir, 'profiles', 'koprogo.json'), JSON.stringify(profile('koprogo', 'KoproGo')));
  writeFileSync(join(dataDir, 'profiles', 'busy.json'), JSON.stringify(profile('busy', 'KoproGo (busy)')));
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'health', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' }));
  // This computer trusts the test CA the way it trusts a public one.
  app = await startWebApp(dataDir, { NODE_EXTRA_CA_CERTS: caFile });
});

test.afterAll(async () => {
  await app?.stop();
  await https?.close();
  await proxy?.stop();
  await certs?.cleanup();
  await host?.stop();
});

/** A contract call from the page, over the page's own authenticated WebSocket session. */

/** 35 minutes of samples at `ramPercent`, ending now: as if the app had been watching for that long. */
async function seedHistory(profileId: string, ramPercent: number): Promise<void> {
  const history = await HealthHistory.open({ dir: historyDirFor(dataDir, profileId) });
  const now = Date.now();
  for (let at = now - 35 * 60_000; at < now - 5_000; at += 5_000) {
    await history.append({ at, values: { ram: ramPercent + ((at / 5_000) % 3), cpu: 35 + ((at / 5_000) % 7), load1: 0.6, cpus: 2, disk: 41, p99Ms: 12 } });
  }
  await history.flush();
}

async function points(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-points'));
}

test('the dashboard shows a deployment live, and a sustained high-RAM fixture recommends phase 2', async ({ browser }) => {
  test.setTimeout(420_000);
  const context = await browser.newContext({ locale: 'fr-BE', acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  await expect(page.getByTestId('step-health')).toBeVisible();

  // Deploy through the contract (the wizard's own path is e2e/deploy.spec.ts): key, .env, start.
  for (const id of ['koprogo', 'busy']) expect((await call(page, 'server.importKey', { profileId: id, path: host.sshd.userKeyPath })).ok).toBe(true);
  expect((await call(page, 'deploy.setEnv', { profileId: 'koprogo', content: `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n` })).ok).toBe(true);
  expect((await call(page, 'deploy.start', { profileId: 'koprogo' })).ok).toBe(true);
  await expect
    .poll(async () => ((await call(page, 'deploy.status', { profileId: 'koprogo' })).value as { outcome: string | null }).outcome, { timeout: 240_000, intervals: [2_000] })
    .toBe('succeeded');

  // Result → live dashboard.
  await page.reload();
  await expect(page.getByTestId('result-running')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('result-open-dashboard').click();
  await expect(page.getByTestId('dashboard')).toBeVisible();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect(page.getByTestId('dashboard-status')).toContainText('En direct');
  // Live charts: new points arrive every 5 s.
  await expect.poll(() => points(page, 'chart-ram'), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  const before = await points(page, 'chart-ram');
  await expect.poll(() => points(page, 'chart-ram'), { timeout: 30_000 }).toBeGreaterThan(before);
  await expect(page.getByTestId('tile-ram')).toHaveAttribute('data-level', /^(ok|warn|critical)$/);
  await expect(page.getByTestId('tile-cpu')).toHaveAttribute('data-level', /^(ok|warn|critical)$/);
  // The deployment's containers, and their last log lines on demand.
  const backend = page.locator('[data-testid^="container-"][data-status]').first();
  await expect(backend).toBeVisible();
  await backend.getByRole('button').click();
  await expect(page.getByTestId('container-logs')).toBeVisible();
  await expect(page.getByTestId('container-logs')).not.toContainText(CANARY);
  // HTTPS from this computer: answered, with the certificate expiring in 10 days flagged.
  await expect(page.getByTestId('https-status')).toHaveAttribute('data-ok', 'true', { timeout: 20_000 });
  await expect(page.getByTestId('cert-expiring')).toBeVisible();
  await expect(page.getByTestId('upgrade-recommendation')).toHaveCount(0);
  // Deployed: its version can be updated.
  await expect(page.getByTestId('dashboard-update-version')).toBeVisible();
  await page.screenshot({ path: join(SHOTS, 'dashboard-live-fr.png'), fullPage: true });
  // CSV export of the period.
  const download = page.waitForEvent('download');
  await page.getByTestId('dashboard-export').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^koprogo-health-koprogo-.*\.csv$/);
  const csv = readFileSync((await file.path())!, 'utf8').split('\r\n');
  expect(csv[0]).toMatch(/^time,resolution,cpu_percent,/);
  expect(csv.filter((l) => l.includes(',sample,')).length).toBeGreaterThanOrEqual(2);

  // The high-RAM fixture: 35 minutes above 85 % in the second deployment's history.
  await seedHistory('busy', 91);
  await page.getByTestId('dashboard-close').click();
  await page.getByTestId('rail-phase').click();
  await page.getByTestId('open-dashboard-busy').click();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  const card = page.getByTestId('upgrade-recommendation');
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(card).toHaveAttribute('data-phase', '2');
  await expect(page.getByTestId('upgrade-cost')).toContainText(/15\s€/);
  await expect(page.getByTestId('upgrade-reasons')).toContainText('Mémoire au-dessus de 85 %');
  await expect(page.getByTestId('signal-toast')).toBeVisible();
  // Never deployed by the app: no version to update (its checkout is not on the server).
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-app', 'never');
  await expect(page.getByTestId('dashboard-update-version')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'dashboard-upgrade-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('upgrade-recommendation')).toContainText(lang === 'nl' ? 'Tijd voor fase 2' : 'Time for phase 2');
    await page.screenshot({ path: join(SHOTS, `dashboard-upgrade-${lang}.png`), fullPage: true });
  }

  // The phases compared again from the card: the phase step with phase 2 chosen (the guided upgrade itself is e2e/upgrade.spec.ts).
  await page.getByTestId('upgrade-compare').click();
  await expect(page.getByTestId('step-phase')).toBeVisible();
  await expect(page.getByTestId('choose-phase-2')).toHaveAttribute('aria-pressed', 'true');
  await page.screenshot({ path: join(SHOTS, 'dashboard-upgrade-phase-en.png'), fullPage: true });

  // The first deployment's dashboard in Dutch and English too.
  await page.getByTestId('open-dashboard-koprogo').click();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('dashboard-status')).toContainText(lang === 'nl' ? 'Live' : 'Live');
    await page.screenshot({ path: join(SHOTS, `dashboard-live-${lang}.png`), fullPage: true });
  }

  // The connection is cut: "stale since …" rather than old numbers shown as live; then it recovers by itself.
  proxy.refuse(true);
  proxy.cutAll();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'stale', { timeout: 30_000 });
  await expect(page.getByTestId('dashboard-status')).toContainText('Stale since');
  await page.screenshot({ path: join(SHOTS, 'dashboard-stale-en.png'), fullPage: true });
  proxy.refuse(false);
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  await context.close();
});
