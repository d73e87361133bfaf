import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { HealthHistory, historyDirFor } from '../electron/main/health/history';
import { startDeployHost, startHetznerFake, type DeployHost } from '../electron/main/testing';
import { seedFixtureData, tableCounts } from '../electron/main/testing/fixture-data';
import type { HetznerFake } from '../electron/main/testing/hetzner-fake';
import { apiCall as call, newDataDir, startWebApp, type WebApp } from './web-app';

// The upgrade in web mode, as the user follows it: a phase 1 deployment on Hetzner (the fake API; the
// test host — real sshd, Docker, Compose, PostgreSQL with fixture data — is the server), whose history
// holds 35 minutes of RAM above 85 %. The dashboard shows the signal; its card opens the upgrade plan;
// the Backups panel makes a proven backup; the upgrade runs live to phase 2 and the dashboard shows it
// healthy, with the upgrade marked on its charts. Screenshots in FR, NL and EN.

const SHOTS = join('test-results', 'screenshots');
const CANARY = 'CANARY-e2e-upg-71c9';
let host: DeployHost;
let hetzner: HetznerFake;
let app: WebApp;
let dataDir: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  host = await startDeployHost({ postgres: true });
  hetzner = await startHetznerFake({ shutdownLagPolls: 2, notStoppedAfterShutdown: 1, actionPolls: 3 });
  const server = hetzner.addServer({ name: 'koprogo-koprogo', serverType: 'cx22', location: 'fsn1', ipv4: '127.0.0.1', labels: { 'managed-by': 'koprogo-deploy', 'koprogo-profile': 'koprogo' } });
  dataDir = newDataDir();
  const base = host.profile();
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  writeFileSync(
    join(dataDir, 'profiles', 'koprogo.json'),
    JSON.stringify({
      ...base,
      version: 1,
      id: 'koprogo',
      name: 'KoproGo',
      provider: { kind: 'hetzner', location: 'fsn1', serverType: 'cx22' },
      settings: { ...base.settings, providerServerId: String(server.id), providerServerHost: '127.0.0.1' },
      createdAt: now,
      updatedAt: now,
    }),
  );
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'health', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' }));
  app = await startWebApp(dataDir, { KOPROGO_HETZNER_API_URL: hetzner.url });
});

test.afterAll(async () => {
  await app?.stop();
  await hetzner?.stop();
  await host?.stop();
});


async function seedHighRam(profileId: string): Promise<void> {
  const history = await HealthHistory.open({ dir: historyDirFor(dataDir, profileId) });
  const end = Date.now();
  for (let at = end - 35 * 60_000; at < end - 5_000; at += 5_000) {
    await history.append({ at, values: { ram: 91 + ((at / 5_000) % 3), cpu: 40 + ((at / 5_000) % 7), load1: 1.2, cpus: 2, disk: 41, p99Ms: 14 } });
  }
  await history.flush();
}

test('the dashboard signals phase 2, the user follows the upgrade and sees phase 2 healthy', async ({ browser }) => {
  test.setTimeout(600_000);
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  await expect(page.getByTestId('step-health')).toBeVisible();

  // Deployed phase 1 (the deploy itself is e2e/deploy.spec.ts): key, .env, Hetzner token, run.
  expect((await call(page, 'server.importKey', { profileId: 'koprogo', path: host.sshd.userKeyPath })).ok).toBe(true);
  expect((await call(page, 'deploy.setEnv', { profileId: 'koprogo', content: `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n` })).ok).toBe(true);
  expect((await call(page, 'provider.saveCredentials', { kind: 'hetzner', token: hetzner.token })).ok).toBe(true);
  expect((await call(page, 'deploy.start', { profileId: 'koprogo' })).ok).toBe(true);
  await expect
    .poll(async () => ((await call(page, 'deploy.status', { profileId: 'koprogo' })).value as { outcome: string | null }).outcome, { timeout: 240_000, intervals: [2_000] })
    .toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject);
  const counts = await tableCounts(host.docker, host.composeProject);
  await seedHighRam('koprogo');

  // The dashboard: live, and the phase 2 signal.
  await page.reload();
  await page.getByTestId('result-open-dashboard').click();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  const card = page.getByTestId('upgrade-recommendation');
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(card).toHaveAttribute('data-phase', '2');
  await expect(page.getByTestId('upgrade-phase')).toHaveText('Préparer le passage en phase 2');

  // Backups: a proven backup made from the panel.
  await page.getByTestId('dashboard-backups').click();
  await expect(page.getByTestId('backups')).toBeVisible();
  await expect(page.getByTestId('backup-daily')).toContainText('7 jours', { timeout: 30_000 });
  await page.getByTestId('backup-create').click();
  await expect(page.getByTestId('backup-progress')).toBeVisible();
  await expect(page.getByTestId('backup-done')).toBeVisible({ timeout: 180_000 });
  await expect(page.locator('[data-testid^="backup-"][data-proof="proven"]').first()).toBeVisible();
  await expect(page.getByTestId('backups')).toContainText('identiques à la source');
  await expect(page.getByTestId('backups')).not.toContainText(CANARY);
  await page.screenshot({ path: join(SHOTS, 'backups-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('backups')).toContainText(lang === 'nl' ? 'gelijk aan de bron' : 'equal to the source');
    await page.screenshot({ path: join(SHOTS, `backups-${lang}.png`), fullPage: true });
  }
  await page.getByTestId('language-select').selectOption('fr');
  await page.getByTestId('dashboard-backups').click();

  // The card leads to the plan: offers, cost change, downtime, the disk kept small, every step.
  await page.getByTestId('upgrade-phase').click();
  const plan = page.getByTestId('upgrade-plan');
  await expect(plan).toBeVisible({ timeout: 30_000 });
  await expect(plan).toHaveAttribute('data-route', 'hetzner-resize');
  await expect(page.getByTestId('upgrade-offer-now')).toContainText('cx22');
  await expect(page.getByTestId('upgrade-offer-after')).toContainText('cx32');
  await expect(page.getByTestId('upgrade-cost-change')).toContainText(/3,01\s€ de plus par mois/);
  await expect(page.getByTestId('upgrade-downtime')).toContainText('environ 2 à 6 min');
  await expect(page.getByTestId('upgrade-disk-keep')).toBeChecked();
  await expect(page.getByTestId('upgrade-plan-step-change-type')).toContainText('cx22 → cx32');
  await page.getByTestId('upgrade-plan-step-change-type').locator('summary').click();
  await expect(page.getByTestId('upgrade-plan-step-change-type')).toContainText('"upgrade_disk":false');
  await expect(page.getByTestId('upgrade-screen')).not.toContainText(CANARY);
  await page.screenshot({ path: join(SHOTS, 'upgrade-plan-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('upgrade-downtime')).toContainText(lang === 'nl' ? 'ongeveer 2 tot 6 min' : 'about 2 to 6 min');
    await page.screenshot({ path: join(SHOTS, `upgrade-plan-${lang}.png`), fullPage: true });
  }
  await page.getByTestId('language-select').selectOption('fr');

  // Confirmed: the run, live.
  await page.getByTestId('upgrade-start').click();
  await expect(page.getByTestId('upgrade-run')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('upgrade-step-backup')).toHaveAttribute('data-state', /running|done/, { timeout: 60_000 });
  await expect(page.getByTestId('upgrade-step-change-type')).toHaveAttribute('data-state', /running|done/, { timeout: 240_000 });
  await page.screenshot({ path: join(SHOTS, 'upgrade-run-fr.png'), fullPage: true });
  const result = page.getByTestId('upgrade-result');
  await expect(result).toBeVisible({ timeout: 300_000 });
  await expect(result).toContainText('La phase 2 tourne et est en bonne santé');
  await expect(page.getByTestId('upgrade-downtime-measured')).toContainText("L'application a été interrompue pendant");
  await expect(page.getByTestId('upgrade-before-after')).toBeVisible();
  // Done: the footer leads back to the dashboard instead of offering the move again.
  await expect(page.getByTestId('upgrade-done')).toHaveText('Retour au tableau de bord');
  await expect(page.getByTestId('upgrade-start')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'upgrade-done-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(result).toContainText(lang === 'nl' ? 'Fase 2 draait en is gezond' : 'Phase 2 is running and healthy');
    await page.screenshot({ path: join(SHOTS, `upgrade-done-${lang}.png`), fullPage: true });
  }

  // Back on the dashboard: phase 2, healthy, the upgrade marked on the charts.
  await page.getByTestId('upgrade-back').click();
  await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  await expect(page.getByTestId('upgrade-banner')).toHaveAttribute('data-outcome', 'succeeded');
  await expect(page.getByTestId('upgrade-banner')).toContainText('phase 2');
  // The dashboard now watches a phase 2 deployment: the phase 2 card is gone.
  await expect(page.locator('[data-testid="upgrade-recommendation"][data-phase="2"]')).toHaveCount(0, { timeout: 60_000 });
  await expect.poll(async () => Number(await page.getByTestId('chart-ram').getAttribute('data-marks')), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.locator('[data-testid^="container-"][data-status="healthy"]').first()).toBeVisible({ timeout: 60_000 });
  // The old server's high memory does not recommend phase 3 right after the move, nor announce it.
  await expect(page.getByTestId('upgrade-recommendation')).toHaveCount(0);
  await expect(page.getByTestId('signal-toast')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'dashboard-after-upgrade-en.png'), fullPage: true });
  expect(hetzner.state.servers[0]!.server_type.name).toBe('cx32');
  expect(hetzner.state.actions.filter((a) => a.command === 'change_server_type')).toHaveLength(1);
  expect(await tableCounts(host.docker, host.composeProject)).toEqual(counts);
  const saved = (await call(page, 'profiles.get', { id: 'koprogo' })).value as { phase: number };
  expect(saved.phase).toBe(2);
  await context.close();
});

test('another computer recognises the deployment from its server and sees its backups', async ({ browser }) => {
  test.setTimeout(300_000);
  const other = await startWebApp(newDataDir());
  try {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(other.loginUrl);
    await expect(page.getByTestId('step-phase')).toBeVisible();
    await page.getByTestId('recognize-open').click();
    await page.getByTestId('recognize-host-input').fill(host.sshd.host);
    await page.getByTestId('recognize-port-input').fill(String(host.sshd.port));
    await page.getByTestId('recognize-user-input').fill(host.sshd.user);
    await page.getByTestId('recognize-key-input').fill(host.sshd.userKeyPath);
    // The test host keeps the app's state in its own folder (real servers use the default one).
    await page.getByTestId('recognize').locator('summary').click();
    await page.getByTestId('recognize-state-input').fill(join(host.root, 'state'));
    await page.getByTestId('recognize-probe').click();
    await expect(page.getByTestId('recognize-fingerprint')).toContainText(host.sshd.hostKeySha256);
    await page.screenshot({ path: join(SHOTS, 'recognize-en.png'), fullPage: true });
    await page.getByTestId('recognize-accept').click();
    await expect(page.getByTestId('recognize-found')).toContainText('koprogo, phase 2');
    await expect(page.getByTestId('saved-koprogo')).toBeVisible();
    await page.reload();
    await page.getByTestId('open-dashboard-koprogo').click();
    await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
    await page.getByTestId('dashboard-backups').click();
    await expect(page.locator('[data-testid^="backup-"][data-kind="proven"]').first()).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('backups')).toContainText('Before an upgrade');
    await context.close();
  } finally {
    await other.stop();
  }
});
