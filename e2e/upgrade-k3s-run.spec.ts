import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { findLocalPostgres, startScratchCluster, type ScratchCluster } from '../electron/main/backup/scratch-cluster';
import { startDeployHost, type DeployHost } from '../electron/main/testing';
import { startDnsServer, type DnsServer } from '../electron/main/testing/dns-server';
import { clusterTableCounts, hostPsql, seedFixtureData, serverWritable as serverWritableOf, tableCounts } from '../electron/main/testing/fixture-data';
import { startK8sFake, type K8sFake } from '../electron/main/testing/k8s-fake';
import { POSTGRES_MAJOR } from '../electron/main/testing/postgres-image';
import { apiCall, newDataDir, startWebApp, type WebApp } from './web-app';

// The move from phase 2 onto the K3s cluster run through the screens in web mode, as a founder follows it (the
// contract-level run is electron/main/upgrade/to-k3s.integration.test.ts, whose script this follows). The test host
// (real sshd, Docker, Compose, PostgreSQL) is the phase 2 server, deployed and seeded here; the cluster is a profile
// whose K3s run succeeded (its kubeconfig points at the fake Kubernetes API); a local PostgreSQL stands in for the
// cluster's database; three local DNS servers play the resolvers (the first also the system's), with a one-hour TTL.
// From the dashboard: the plan, the cluster's database typed in the form, the public address, start. The run stops
// for the TTL (the screen says what to do), goes on once the user has lowered it, makes the server read-only,
// restores the dump into the cluster's database (the counts equal), and stops because the DNS did not move (each
// resolver's answer shown); back to the server (writable again). Again: the DNS switched while it waits, seen on
// every resolver; the cutover asked on screen, the server read-only until then; then phase 3 with its downtime.
// No secret (the .env's, the cluster database's password) ever reaches the page. Screenshots in FR, NL and EN.

const SHOTS = join('test-results', 'screenshots');
const DOCS = join('docs', 'screenshots');
const CANARY = 'CANARY-e2e-k3s-5c2a';
const DB_PASSWORD = 'Cluster-db-e2e-77b1';
const PROFILE = 'testhost';
const CLUSTER = 'cluster';
const DOMAIN = 'app.koprogo.test';
const INGRESS = '127.0.0.2';
let host: DeployHost;
let k8s: K8sFake;
let db: ScratchCluster;
let dns: DnsServer[] = [];
let app: WebApp;

const setDns = (a: string, ttl: number) => dns.forEach((d) => d.set(DOMAIN, { a: [a], ttl }));

const clusterCounts = () => clusterTableCounts(db, 'koprogo_db');
const serverWritable = () => serverWritableOf(host.docker, host.composeProject);

/** Neither the .env's secret nor the cluster database's password anywhere in the page (attributes and values included). */
async function expectNoSecret(page: Page): Promise<void> {
  const html = await page.content();
  expect(html).not.toContain(CANARY);
  expect(html).not.toContain(DB_PASSWORD);
  const values = await page.locator('input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect(values.join('\n')).not.toContain(DB_PASSWORD);
}

async function language(page: Page, lang: 'fr' | 'nl' | 'en'): Promise<void> {
  await page.getByTestId('language-select').selectOption(lang);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}

/** The page in FR, NL and EN (each checked by a text of its own), back in FR; `docs` also keeps one language for the docs. */
async function shots(page: Page, name: string, check: Record<'fr' | 'nl' | 'en', () => Promise<void>>, docs?: 'fr' | 'nl' | 'en'): Promise<void> {
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await language(page, lang);
    await check[lang]();
    const path = join(SHOTS, `upgrade-k3s-run-${name}-${lang}.png`);
    await page.screenshot({ path, fullPage: true });
    if (docs === lang) copyFileSync(path, join(DOCS, `upgrade-k3s-run-${name}-${lang}.png`));
  }
  await language(page, 'fr');
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  const binDir = await findLocalPostgres(POSTGRES_MAJOR);
  if (!binDir) throw new Error(`PostgreSQL ${POSTGRES_MAJOR} client programs are needed on this computer`);
  host = await startDeployHost({ postgres: true });
  k8s = await startK8sFake({ state: { nodes: [{ name: 'koprogo-dev-cp-0' }, { name: 'koprogo-dev-worker-0' }], pods: [{ namespace: 'koprogo', name: 'koprogo-backend-0' }, { namespace: 'kube-system', name: 'traefik-0' }] } });
  db = await startScratchCluster({ binDir, user: 'koprogo', database: 'koprogo_db' });
  // The application's role in the cluster's database: what the founder types in the form.
  const role = await db.client('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'], { stdin: `CREATE ROLE app LOGIN PASSWORD '${DB_PASSWORD}';\nALTER DATABASE koprogo_db OWNER TO app;\n` });
  if (role.code !== 0) throw new Error(role.stderr);
  dns = await Promise.all([startDnsServer(), startDnsServer(), startDnsServer()]);
  setDns('127.0.0.1', 3600);

  const dataDir = newDataDir();
  const base = host.profile({ phase: 2 });
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const write = (p: { id: string } & Record<string, unknown>) => writeFileSync(join(dataDir, 'profiles', `${p.id}.json`), JSON.stringify({ version: 1, createdAt: now, updatedAt: now, ...p }));
  // The phase 2 deployment knows its cluster (the K3s screens' profile); its database is given on screen.
  write({ ...base, id: PROFILE, settings: { ...base.settings, 'upgrade.clusterProfile': CLUSTER } });
  const kubeconfig = join(dataDir, 'k3s', CLUSTER, 'kubeconfig');
  write({ id: CLUSTER, name: 'Cluster (dev)', phase: 3, provider: { kind: 'existing' }, server: base.server, repo: base.repo, secrets: {}, settings: { 'k3s.environment': 'dev', 'k3s.domain': DOMAIN, 'k3s.deployedAt': '2026-12-01T10:00:00.000Z', 'k3s.deployedRef': 'v1.0.0', 'k3s.deployedEnvironment': 'dev', 'k3s.kubeconfig': kubeconfig } });
  mkdirSync(join(dataDir, 'k3s', CLUSTER), { recursive: true, mode: 0o700 });
  writeFileSync(kubeconfig, k8s.kubeconfig(), { mode: 0o600 });
  chmodSync(kubeconfig, 0o600);
  // 600 copros told to the wizard: the dashboard recommends phase 3.
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'phase', phase: 2, copros: 600, lotsPerCopro: 10, profileId: PROFILE }));
  app = await startWebApp(dataDir, {
    KOPROGO_DNS_SERVERS: dns[0]!.address,
    KOPROGO_DNS_RESOLVERS: dns.map((d) => d.address).join(','),
    // Long enough for the test to switch the records while the run waits, short enough for the stop without it.
    KOPROGO_DNS_PROPAGATION_MS: '8000,250',
  });
});

test.afterAll(async () => {
  await app?.stop();
  await Promise.all(dns.map((d) => d.close()));
  await db?.stop();
  await k8s?.close();
  await host?.stop();
});

test('the founder moves the server onto the cluster: TTL, read-only server, restore, DNS, rollback, cutover, phase 3', async ({ browser }) => {
  test.setTimeout(300_000);
  mkdirSync(DOCS, { recursive: true });
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);

  // The phase 2 deployment, deployed (the deploy itself is e2e/deploy.spec.ts) and holding data.
  expect((await apiCall(page, 'server.importKey', { profileId: PROFILE, path: host.sshd.userKeyPath })).ok).toBe(true);
  expect((await apiCall(page, 'deploy.setEnv', { profileId: PROFILE, content: `DOMAIN=${DOMAIN}\nPOSTGRES_PASSWORD=${CANARY}\n` })).ok).toBe(true);
  expect((await apiCall(page, 'deploy.start', { profileId: PROFILE })).ok).toBe(true);
  await expect
    .poll(async () => ((await apiCall(page, 'deploy.status', { profileId: PROFILE })).value as { outcome: string | null }).outcome, { timeout: 180_000, intervals: [1_000] })
    .toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject);
  let counts = await tableCounts(host.docker, host.composeProject);
  expect(counts['public.owners']).toBe(2000);

  // Dashboard → recommendation card → plan.
  await page.reload();
  await page.getByRole('button', { name: /Phase/ }).first().click();
  await page.getByTestId(`open-dashboard-${PROFILE}`).click();
  const card = page.getByTestId('upgrade-recommendation');
  await expect(card).toBeVisible({ timeout: 60_000 });
  await expect(card).toHaveAttribute('data-phase', '3');
  await page.getByTestId('upgrade-phase').click();
  const screen = page.getByTestId('upgrade-screen');
  const plan = page.getByTestId('upgrade-plan');
  await expect(plan).toHaveAttribute('data-route', 'k3s-migrate', { timeout: 30_000 });
  const start = page.getByTestId('upgrade-start');

  // No database yet: the footer's action says why it waits; the form is open.
  await expect(page.getByTestId('upgrade-warning-noClusterDatabase')).toBeVisible();
  await expect(start).toBeDisabled();
  await expect(page.getByTestId('upgrade-db-form')).toHaveAttribute('open', '');
  await page.getByTestId('upgrade-db-host').fill('127.0.0.1');
  await page.getByTestId('upgrade-db-port').fill(String(db.port));
  await page.getByTestId('upgrade-db-user').fill('app');
  await page.getByTestId('upgrade-db-database').fill('koprogo_db');
  await expect(page.getByTestId('upgrade-db-password')).toHaveAttribute('type', 'password');
  await page.getByTestId('upgrade-db-password').fill(DB_PASSWORD);
  await page.getByTestId('upgrade-db-save').click();
  await expect(page.getByTestId('upgrade-cluster-db')).toHaveText(`app@127.0.0.1:${db.port}/koprogo_db`);
  await expect(page.getByTestId('upgrade-warning-noClusterDatabase')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-db-password')).toHaveValue('');
  // The cluster's public address: the record moves there.
  await page.getByTestId('upgrade-ingress').fill(INGRESS);
  await page.getByTestId('upgrade-ingress').blur();
  await expect(page.getByTestId('upgrade-dns-A')).toContainText(INGRESS);
  await expect(page.getByTestId('upgrade-dns-A')).toContainText('3600 s');
  await expect(page.getByTestId('upgrade-warning-lowerTtl')).toBeVisible();
  await expectNoSecret(page);

  // Start: the run stops for the TTL; the screen says what to do, the server is untouched.
  await expect(start).toBeEnabled();
  await start.click();
  const waiting = page.getByTestId('upgrade-waiting');
  await expect(waiting).toHaveAttribute('data-what', 'ttl', { timeout: 120_000 });
  // A question, not a failure: the step and the title say the move waits for the founder's answer.
  await expect(screen).toHaveAttribute('data-state', 'waiting');
  await expect(page.getByTestId('upgrade-run').locator('h2')).toHaveText('Le passage en phase 3 attend votre réponse');
  await expect(waiting).toContainText(/de 3\s600 s/);
  await expect(waiting).toContainText('Baissez-le à 300 s');
  await expect(page.getByTestId('upgrade-step-dns-ttl')).toHaveAttribute('data-state', 'waiting');
  await expect(page.getByTestId('upgrade-step-dns-ttl')).toContainText('Attend votre réponse');
  await expect(page.getByTestId('upgrade-step-freeze')).toHaveAttribute('data-state', 'pending');
  await expect(start).toHaveText('Continuer avec ce TTL');
  // A wait is not an error: no error notice (whose remedy is the CLI's --confirm) beside the waiting card.
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  expect(await serverWritable()).toBe(true);
  await expectNoSecret(page);
  await shots(page, 'ttl', {
    fr: () => expect(waiting).toContainText('fournisseur DNS'),
    nl: () => expect(waiting).toContainText('DNS-provider'),
    en: () => expect(waiting).toContainText('DNS provider'),
  }, 'fr');

  // The founder lowers the TTL at the DNS provider, then confirms on screen: the run goes on, freezes the
  // server, restores into the cluster's database, and stops since the DNS did not move.
  setDns('127.0.0.1', 300);
  await start.click();
  await expect(screen).toHaveAttribute('data-state', 'running');
  await expect(screen).toHaveAttribute('data-state', 'failed', { timeout: 180_000 });
  const propagation = page.getByTestId('upgrade-propagation');
  await expect(page.getByTestId('upgrade-waiting')).toHaveCount(0);
  for (const id of ['preflight', 'cluster', 'dns-ttl', 'freeze', 'backup', 'cluster-restore', 'cluster-health']) await expect(page.getByTestId(`upgrade-step-${id}`)).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('upgrade-step-dns-switch')).toHaveAttribute('data-state', 'failed');
  await expect(page.getByTestId('error-notice')).toContainText(`${DOMAIN} ne pointe pas encore vers ${INGRESS}`);
  await expect(propagation.locator('tbody tr')).toHaveCount(3);
  for (const d of dns) await expect(propagation.locator('tbody tr', { hasText: d.address })).toContainText('127.0.0.1');
  await expect(propagation.locator('tbody tr', { hasText: '✓' })).toHaveCount(0);
  await expect(propagation.locator('tbody tr', { hasText: '✗ pas encore' })).toHaveCount(3);
  await expect(page.getByTestId('upgrade-rollback')).toBeVisible();
  // The cluster's database holds the server's data, table by table; the server stays up, read-only.
  expect(await clusterCounts()).toEqual(counts);
  expect(await serverWritable()).toBe(false);
  await expectNoSecret(page);
  await shots(page, 'dns-not-moved', {
    fr: () => expect(page.getByTestId('upgrade-rollback')).toHaveText('Revenir au serveur'),
    nl: () => expect(page.getByTestId('upgrade-rollback')).toHaveText('Terug naar de server'),
    en: () => expect(page.getByTestId('upgrade-rollback')).toHaveText('Back to the server'),
  }, 'en');

  // Meanwhile on the dashboard: the move stopped at the DNS step, and the application is read-only on the
  // server until the founder resumes or goes back; the banner leads back to the move.
  await page.getByTestId('upgrade-back').click();
  const banner = page.getByTestId('upgrade-banner');
  await expect(banner).toHaveAttribute('data-read-only', 'true', { timeout: 30_000 });
  await expect(banner).toContainText(`s'est arrêté à « Faire pointer ${DOMAIN} vers ${INGRESS} et le vérifier sur 3 résolveurs »`);
  await expect(page.getByTestId('upgrade-banner-read-only')).toContainText('lecture seule');
  // The move is under way: the card that proposes it is not shown beside its banner.
  await expect(page.getByTestId('upgrade-recommendation')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'upgrade-k3s-run-banner-fr.png') });
  copyFileSync(join(SHOTS, 'upgrade-k3s-run-banner-fr.png'), join(DOCS, 'upgrade-k3s-run-banner-fr.png'));
  await page.getByTestId('upgrade-banner-open').click();
  await expect(page.getByTestId('upgrade-step-dns-switch')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(page.getByTestId('upgrade-rollback')).toBeVisible();

  // Back to the server: writable again, the record to put back listed (the DNS never moved: already there).
  await page.getByTestId('upgrade-rollback').click();
  const back = page.getByTestId('upgrade-rolled-back');
  await expect(back).toContainText('Tous les résolveurs pointent vers le serveur.');
  await expect(back).toContainText(`${DOMAIN} A ${INGRESS} → 127.0.0.1`);
  await expect(screen).toHaveAttribute('data-state', 'cancelled');
  await expect(page.getByTestId('upgrade-rollback')).toHaveCount(0);
  expect(await serverWritable()).toBe(true);
  expect(((await apiCall(page, 'upgrade.status', { profileId: PROFILE })).value as { run: { outcome: string } }).run.outcome).toBe('cancelled');
  expect(((await apiCall(page, 'profiles.get', { id: PROFILE })).value as { phase: number }).phase).toBe(2);

  // Again, with data written since: the founder switches the record once the cluster answers (one resolver a
  // little later); the run sees it on every resolver and asks for the cutover, the server read-only meanwhile.
  await hostPsql(host.docker, host.composeProject, "INSERT INTO owners (name) VALUES ('After rollback')");
  counts = await tableCounts(host.docker, host.composeProject);
  await expect(start).toBeEnabled();
  await start.click();
  await expect(page.getByTestId('upgrade-step-cluster-health')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  // What the rollback said belonged to that run: gone from this one.
  await expect(page.getByTestId('upgrade-rolled-back')).toHaveCount(0);
  dns[0]!.set(DOMAIN, { a: [INGRESS], ttl: 300 });
  dns[1]!.set(DOMAIN, { a: [INGRESS], ttl: 300 });
  setTimeout(() => dns[2]!.set(DOMAIN, { a: [INGRESS], ttl: 300 }), 400);
  await expect(waiting).toHaveAttribute('data-what', 'cutover', { timeout: 60_000 });
  await expect(page.getByTestId('upgrade-step-dns-switch')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('upgrade-step-cutover')).toHaveAttribute('data-state', 'waiting');
  await expect(screen).toHaveAttribute('data-state', 'waiting');
  await expect(waiting).toContainText('lecture seule');
  await expect(propagation.locator('tbody tr', { hasText: '✓ basculé' })).toHaveCount(3);
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  for (const d of dns) await expect(propagation.locator('tbody tr', { hasText: d.address })).toContainText(INGRESS);
  await expect(start).toHaveText('L’application fonctionne sur le cluster : terminer');
  expect(await clusterCounts()).toEqual(counts);
  expect(await serverWritable()).toBe(false);
  expect(((await apiCall(page, 'profiles.get', { id: PROFILE })).value as { phase: number }).phase).toBe(2);
  await expectNoSecret(page);
  await shots(page, 'cutover', {
    fr: () => expect(start).toHaveText('L’application fonctionne sur le cluster : terminer'),
    nl: () => expect(start).toHaveText('De applicatie werkt op de cluster: afronden'),
    en: () => expect(start).toHaveText('The application works on the cluster: finish'),
  }, 'nl');

  // The founder checked the application on the cluster and confirms: phase 3, the downtime measured.
  await start.click();
  const result = page.getByTestId('upgrade-result');
  await expect(result).toContainText('La phase 3 tourne', { timeout: 60_000 });
  await expect(screen).toHaveAttribute('data-state', 'succeeded');
  await expect(page.getByTestId('upgrade-downtime-measured')).toContainText('L\'application a été interrompue pendant');
  await expect(page.getByTestId('upgrade-step-record')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('upgrade-rollback')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-rolled-back')).toHaveCount(0);
  // Before: the server's figures; after: the cluster's nodes and pods (not the old server measured again).
  const compare = page.getByTestId('upgrade-before-after');
  await expect(compare.locator('thead')).toContainText('Avant : le serveur');
  await expect(compare.locator('thead')).toContainText('Après : le cluster');
  await expect(page.getByTestId('upgrade-before-after-nodes').locator('td').nth(0)).toHaveText('—');
  await expect(page.getByTestId('upgrade-before-after-nodes').locator('td').nth(1)).toHaveText(/^\d+ sur \d+ prêts$/);
  await expect(page.getByTestId('upgrade-before-after-cpus').locator('td').nth(0)).toHaveText(/^\d+$/);
  await expect(page.getByTestId('upgrade-before-after-cpus').locator('td').nth(1)).toHaveText('—');
  // Done: the footer leads back to the dashboard, it does not offer the move again.
  await expect(page.getByTestId('upgrade-start')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-done')).toHaveText('Retour au tableau de bord');
  const profile = (await apiCall(page, 'profiles.get', { id: PROFILE })).value as { phase: number; settings: Record<string, string> };
  expect(profile).toMatchObject({ phase: 3, settings: { 'k3s.domain': DOMAIN, 'upgrade.migratedFrom': host.sshd.host } });
  await expectNoSecret(page);
  await shots(page, 'result', {
    fr: () => expect(result).toContainText('La phase 3 tourne'),
    nl: () => expect(result).toContainText('Fase 3 draait'),
    en: () => expect(result).toContainText('Phase 3 is running'),
  }, 'fr');
  await page.getByTestId('upgrade-done').click();
  await expect(page.getByTestId('upgrade-screen')).toHaveCount(0);
  // The dashboard watches the cluster now: the move's banner, its nodes; the 600 copros fit phase 3, so the
  // signal that led here is no longer announced.
  await expect(page.getByTestId('upgrade-banner')).toHaveAttribute('data-outcome', 'succeeded', { timeout: 30_000 });
  await expect(page.getByTestId('upgrade-banner')).toContainText('phase 3');
  await expect(page.getByText('koprogo-dev-worker-0')).toBeVisible();
  await expect(page.getByTestId('signal-toast')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-recommendation')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, 'upgrade-k3s-run-dashboard-fr.png'), fullPage: true });
  await context.close();
});
