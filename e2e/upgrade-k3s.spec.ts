import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startDeployHost, type DeployHost } from '../electron/main/testing';
import { startDnsServer, type DnsServer } from '../electron/main/testing/dns-server';
import { startK8sFake, type K8sFake } from '../electron/main/testing/k8s-fake';
import { apiCall as call, newDataDir, startWebApp, type WebApp } from './web-app';

// The move from phase 2 to the K3s cluster as the user sees it in web mode: a phase 2 deployment on the test
// host (real sshd) with 600 copros told to the wizard, so the dashboard recommends phase 3; a cluster profile
// whose K3s run succeeded (its kubeconfig points at the fake Kubernetes API); a local DNS server answers for the
// domain with a one-hour TTL. The card opens the plan: the cluster, its database, the records with their TTL and
// the change, the steps with the downtime marked, the cost; the footer carries the primary action.
// Screenshots in FR, NL and EN. The run itself is electron/main/upgrade/to-k3s.integration.test.ts.

const SHOTS = join('test-results', 'screenshots');
const DOMAIN = 'app.koprogo.test';
let host: DeployHost;
let k8s: K8sFake;
let dns: DnsServer;
let app: WebApp;
let dataDir: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  host = await startDeployHost({ postgres: true });
  k8s = await startK8sFake({ state: { nodes: [{ name: 'koprogo-dev-cp-0' }], pods: [{ namespace: 'koprogo', name: 'koprogo-backend-0' }] } });
  dns = await startDnsServer({ [DOMAIN]: { a: ['127.0.0.1'], ttl: 3600 } });
  dataDir = newDataDir();
  const base = host.profile();
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const write = (p: { id: string } & Record<string, unknown>) => writeFileSync(join(dataDir, 'profiles', `${p.id}.json`), JSON.stringify({ version: 1, createdAt: now, updatedAt: now, ...p }));
  write({
    ...base,
    id: 'koprogo',
    name: 'KoproGo',
    phase: 2,
    settings: { ...base.settings, 'upgrade.clusterProfile': 'cluster', 'upgrade.clusterDb.host': '127.0.0.1', 'upgrade.clusterDb.port': '15432', 'upgrade.clusterDb.user': 'koprogo', 'upgrade.clusterDb.database': 'koprogo_db' },
  });
  write({ id: 'cluster', name: 'Cluster (dev)', phase: 3, provider: { kind: 'existing' }, server: base.server, repo: base.repo, secrets: {}, settings: { 'k3s.environment': 'dev', 'k3s.domain': DOMAIN, 'k3s.deployedAt': '2026-12-01T10:00:00.000Z', 'k3s.deployedRef': 'v1.0.0', 'k3s.deployedEnvironment': 'dev', 'k3s.kubeconfig': join(dataDir, 'k3s', 'cluster', 'kubeconfig') } });
  mkdirSync(join(dataDir, 'k3s', 'cluster'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'k3s', 'cluster', 'kubeconfig'), k8s.kubeconfig(), { mode: 0o600 });
  chmodSync(join(dataDir, 'k3s', 'cluster', 'kubeconfig'), 0o600);
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'phase', phase: 2, copros: 600, lotsPerCopro: 10, profileId: 'koprogo' }));
  app = await startWebApp(dataDir, { KOPROGO_DNS_SERVERS: dns.address });
});

test.afterAll(async () => {
  await app?.stop();
  await dns?.close();
  await k8s?.close();
  await host?.stop();
});


test('the dashboard recommends phase 3; the plan shows the cluster, the DNS switch, the downtime and the cost', async ({ browser }) => {
  test.setTimeout(360_000);
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  expect((await call(page, 'server.importKey', { profileId: 'koprogo', path: host.sshd.userKeyPath })).ok).toBe(true);
  // The saved deployments on the first step: its dashboard.
  await page.reload();
  await page.getByRole('button', { name: /Phase/ }).first().click();
  await page.getByTestId('open-dashboard-koprogo').click();
  const card = page.getByTestId('upgrade-recommendation');
  await expect(card).toBeVisible({ timeout: 60_000 });
  await expect(card).toHaveAttribute('data-phase', '3');
  await page.getByTestId('upgrade-phase').click();

  const plan = page.getByTestId('upgrade-plan');
  await expect(plan).toBeVisible({ timeout: 30_000 });
  await expect(plan).toHaveAttribute('data-route', 'k3s-migrate');
  await expect(page.getByTestId('upgrade-cluster-db')).toHaveText('koprogo@127.0.0.1:15432/koprogo_db');
  await expect(page.getByTestId('upgrade-dns-A')).toContainText('127.0.0.1');
  await expect(page.getByTestId('upgrade-dns-A')).toContainText('3600 s');
  // The cluster's public address: the records move there.
  await page.getByTestId('upgrade-ingress').fill('203.0.113.10');
  await page.getByTestId('upgrade-ingress').blur();
  await expect(page.getByTestId('upgrade-dns-A')).toContainText('203.0.113.10');
  await expect(page.getByTestId('upgrade-plan-step-freeze')).toContainText('lecture seule');
  await expect(page.getByTestId('upgrade-warning-noDatabase')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-warning-lowerTtl')).toBeVisible();
  await expect(page.getByTestId('upgrade-downtime')).toContainText('30');
  // The primary action is the footer's.
  await expect(page.getByTestId('upgrade-start')).toHaveCount(1);
  await expect(page.getByTestId('upgrade-start')).toBeEnabled();
  await page.screenshot({ path: join(SHOTS, 'upgrade-k3s-plan-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('upgrade-warning-serverKept')).toContainText(lang === 'nl' ? 'alleen-lezen' : 'read-only');
    await page.screenshot({ path: join(SHOTS, `upgrade-k3s-plan-${lang}.png`), fullPage: true });
  }

  // Phase 3 → 4: the cluster's dashboard opens the checklist; an item confirmed is saved in the profile.
  await page.getByTestId('language-select').selectOption('fr');
  await page.getByTestId('upgrade-back').click();
  await page.getByRole('button', { name: /Phase/ }).first().click();
  await page.getByTestId('open-dashboard-cluster').click();
  await page.getByTestId('phase4-open').click({ timeout: 60_000 });
  await expect(plan).toHaveAttribute('data-route', 'k3s-progressive', { timeout: 30_000 });
  await expect(page.getByTestId('upgrade-downtime')).toContainText('aucune');
  await expect(page.getByTestId('upgrade-item-p4-replicate')).toHaveAttribute('data-state', 'pending');
  // The box follows the saved state (a new plan), not the click.
  await page.getByTestId('upgrade-item-check-p4-replicate').click();
  await expect(page.getByTestId('upgrade-item-p4-replicate')).toHaveAttribute('data-state', 'ok');
  // Not every item done: the footer's action says why it waits.
  await expect(page.getByTestId('upgrade-start')).toBeDisabled();
  await expect(page.getByTestId('upgrade-warning-checklistPending')).toContainText('4 éléments de la liste');
  await page.screenshot({ path: join(SHOTS, 'upgrade-phase4-fr.png'), fullPage: true });
  for (const lang of ['nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.getByTestId('upgrade-item-p4-replicate')).toContainText(lang === 'nl' ? 'gedaan' : 'done');
    await page.screenshot({ path: join(SHOTS, `upgrade-phase4-${lang}.png`), fullPage: true });
  }
  await context.close();
});
