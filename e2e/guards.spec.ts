import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startDnsServer, type DnsServer } from '../electron/main/testing/dns-server';
import { startGitHubFake, type GitHubFake } from '../electron/main/testing/github-fake';
import { FIXTURE_REPOS, ROADMAP_FILES } from '../electron/main/recipe/fixtures/repos';
import { apiCall, newDataDir, startWebApp, type WebApp } from './web-app';

// Guards that need no deployment: offline told apart from an outage (Hetzner, OVH, GitHub), a blocked Code
// step no button passes, the plan one can review (offer price, DNS warnings, secrets masked), and the
// desktop lifecycle in web mode (update banner with a stand-in release, export/import, diagnostics).

const SHOTS = join('test-results', 'screenshots');

function seed(dataDir: string, profile: Record<string, unknown>, step: string): void {
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const full = { version: 1, id: 'koprogo', name: 'KoproGo', phase: 1, provider: { kind: 'existing' }, server: null, repo: null, settings: {}, secrets: {}, createdAt: now, updatedAt: now, ...profile };
  writeFileSync(join(dataDir, 'profiles', `${String(full.id)}.json`), JSON.stringify(full));
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step, phase: 1, copros: 40, lotsPerCopro: 10, profileId: full.id }));
}

async function open(browser: Browser, app: WebApp, locale = 'fr-BE'): Promise<Page> {
  const page = await (await browser.newContext({ locale, acceptDownloads: true })).newPage();
  await page.goto(app.loginUrl);
  return page;
}

const SERVER = { host: '127.0.0.1', port: 22, user: 'root', hostKeySha256: 'SHA256:e2eGuardsHostKey' };
const CHECKED = JSON.stringify({ privilege: 'root', os: 'Debian GNU/Linux 12 (bookworm)', memoryMb: 3900, diskFreeGb: 70, target: 'root@127.0.0.1:22', checkedAt: '2026-01-05T10:00:00.000Z' });

test.describe('offline is not a provider outage', () => {
  let silent: DnsServer;
  let unreachable: DnsServer;
  const apps: WebApp[] = [];
  const endpoints = { KOPROGO_HETZNER_API_URL: 'https://api.hetzner.test:9/v1', KOPROGO_OVH_API_URL: 'https://eu.api.ovh.test:9/1.0', KOPROGO_GITHUB_API_URL: 'https://api.github.test:9' };

  test.beforeAll(async () => {
    silent = await startDnsServer({}, { silent: true });
    // The names resolve, to an address of this computer where nothing listens (127.0.0.2: no traffic leaves
    // it, and it is not the 127.0.0.1 of a local fake): the API cannot be reached.
    unreachable = await startDnsServer({ 'api.hetzner.test': { a: ['127.0.0.2'] }, 'eu.api.ovh.test': { a: ['127.0.0.2'] }, 'api.github.test': { a: ['127.0.0.2'] }, 'api.github.com': { a: ['127.0.0.2'] } });
  });
  test.afterAll(async () => {
    for (const a of apps) await a.stop();
    await silent?.close();
    await unreachable?.close();
  });

  test('with a DNS that answers nothing: Hetzner, OVH and GitHub each say "this computer appears to be offline"; nothing is saved', async ({ browser }) => {
    test.setTimeout(180_000);
    const dataDir = newDataDir();
    seed(dataDir, {}, 'where');
    const app = await startWebApp(dataDir, { ...endpoints, KOPROGO_DNS_SERVERS: silent.address });
    apps.push(app);
    const page = await open(browser, app);

    await page.getByTestId('provider-hetzner').click();
    await page.getByTestId('hetznerToken-input').fill('a-token-that-cannot-be-checked-offline');
    await page.getByTestId('hetzner-save').click();
    const hetznerError = page.getByTestId('hetzner-credentials').getByTestId('error-notice');
    await expect(hetznerError).toHaveAttribute('data-code', 'network.offline', { timeout: 30_000 });
    await expect(hetznerError).toContainText('Cet ordinateur semble hors ligne : Hetzner Cloud (api.hetzner.test)');
    await expect(hetznerError).toContainText('Aucun serveur DNS n’a répondu');
    await expect(hetznerError).not.toContainText('statut');
    await expect(page.getByTestId('hetzner-saved')).toHaveCount(0);
    for (const lang of ['fr', 'nl', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `offline-hetzner-${lang}.png`), fullPage: true });
    }

    await page.getByTestId('provider-ovh').click();
    await page.getByTestId('ovhAppKey-input').fill('appkey0000000001');
    await page.getByTestId('ovhAppSecret-input').fill('appsecret0000000000000001');
    await page.getByTestId('ovh-connect').click();
    const ovhError = page.getByTestId('ovh-credentials').getByTestId('error-notice');
    await expect(ovhError).toHaveAttribute('data-code', 'network.offline', { timeout: 30_000 });
    await expect(ovhError).toContainText('This computer appears to be offline: OVHcloud (eu.api.ovh.test)');
    // The keys were not checked: they are not kept, and the form stays to try again.
    await expect(page.getByTestId('ovh-keys-saved')).toHaveCount(0);
    await expect(page.getByTestId('ovhAppKey-input')).toBeVisible();
    expect(((await apiCall(page, 'provider.status', {})).value as { ovh: { configured: boolean } }).ovh.configured).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'offline-ovh-en.png'), fullPage: true });

    // GitHub, from the Code step.
    expect((await apiCall(page, 'wizard.save', { step: 'code', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' })).ok).toBe(true);
    await page.reload();
    await page.getByTestId('language-select').selectOption('nl');
    await page.getByTestId('repoUrl-input').fill('https://github.com/gilmry/koprogo');
    await page.getByTestId('code-inspect').click();
    const ghError = page.getByTestId('step-code').getByTestId('error-notice');
    await expect(ghError).toHaveAttribute('data-code', 'network.offline', { timeout: 30_000 });
    // The API is GitHub's own here (the override is for local fakes only): offline all the same.
    await expect(ghError).toContainText(/Deze computer lijkt offline: GitHub \(api\.github\.(com|test)\)/);
    await page.screenshot({ path: join(SHOTS, 'offline-github-nl.png'), fullPage: true });
    await page.context().close();
  });

  test('with an API address no network reaches: offline too, for all three', async ({ browser }) => {
    test.setTimeout(120_000);
    const dataDir = newDataDir();
    seed(dataDir, {}, 'where');
    const app = await startWebApp(dataDir, { ...endpoints, KOPROGO_DNS_SERVERS: unreachable.address });
    apps.push(app);
    const page = await open(browser, app, 'en-GB');
    // The session cookie exists once the app is on screen: a socket opened before would be refused.
    await expect(page.getByTestId('step-where')).toBeVisible();
    const calls = [
      apiCall(page, 'provider.saveCredentials', { kind: 'hetzner', token: 'a-token-that-cannot-be-checked' }),
      apiCall(page, 'provider.saveCredentials', { kind: 'ovh', endpoint: 'ovh-eu', applicationKey: 'appkey0000000001', applicationSecret: 'appsecret0000000000000001' }),
      apiCall(page, 'repo.inspect', { url: 'https://github.com/gilmry/koprogo' }),
    ];
    for (const r of await Promise.all(calls)) {
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('network.offline');
      expect(['refused', 'no_route', 'timeout']).toContain(r.error?.params?.cause);
    }
    await page.context().close();
  });
});

test.describe('no way around a blocked step', () => {
  let github: GitHubFake;
  let app: WebApp;

  test.beforeAll(async () => {
    const withBranch = { owner: 'gilmry', name: 'koprogo-next', description: 'KoproGo, a feature branch', branches: { main: ROADMAP_FILES, 'feature/k3s-prod': ROADMAP_FILES } };
    github = await startGitHubFake({ repos: [...FIXTURE_REPOS, withBranch] });
    const dataDir = newDataDir();
    // A profile whose server is checked and whose repository was saved before: without the block, the
    // rail and the footer would let the user go on.
    seed(dataDir, { provider: { kind: 'existing' }, server: SERVER, repo: { url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' }, settings: { serverCheck: CHECKED } }, 'code');
    app = await startWebApp(dataDir, { KOPROGO_GITHUB_API_URL: github.url, KOPROGO_GITHUB_WEB_URL: github.url });
  });
  test.afterAll(async () => {
    await app?.stop();
    await github?.close();
  });

  test('a repository lacking what the phase needs: no button passes the Code step, the reason is beside the action', async ({ browser }) => {
    test.setTimeout(120_000);
    const page = await open(browser, app);
    expect((await apiCall(page, 'server.generateKey', { profileId: 'koprogo' })).ok).toBe(true);
    await page.reload();
    await expect(page.getByTestId('step-code')).toBeVisible();
    await expect(page.getByTestId('rail-configuration')).toBeEnabled();

    await page.getByTestId('repoUrl-input').fill('https://github.com/acme/koprogo-plain');
    // Typed but not saved: the rail does not leave the change behind.
    await expect(page.getByTestId('rail-configuration')).toBeDisabled();
    await page.getByTestId('code-inspect').click();
    await expect(page.getByTestId('code-blocked')).toBeVisible({ timeout: 30_000 });
    const action = page.getByTestId('code-save');
    await expect(action).toBeDisabled();
    await expect(action).toHaveAttribute('data-blocked', 'true');
    await expect(page.getByTestId('nav-status')).toContainText('La phase 1 ne peut pas être déployée depuis ce dépôt');
    await expect(page.getByTestId('rail-configuration')).toBeDisabled();
    await expect(page.getByTestId('rail-plan')).toBeDisabled();
    // Enter in the form does not pass it either; the only "next" there is, is the footer's, disabled.
    await page.getByTestId('repoUrl-input').press('Enter');
    await expect(page.getByTestId('step-code')).toBeVisible();
    await expect(page.getByTestId('nav-next')).toHaveCount(0);
    for (const lang of ['fr', 'nl', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `code-blocked-${lang}.png`), fullPage: true });
    }
    // Going back is always possible; the block stays until the step is fixed.
    await page.getByTestId('nav-back').click();
    await expect(page.getByTestId('step-where')).toBeVisible();
    await expect(page.getByTestId('rail-configuration')).toBeDisabled();
    await page.getByTestId('rail-code').click();

    // Another Git host: refused as it is typed, with the reason.
    await page.getByTestId('repoUrl-input').fill('https://gitlab.com/acme/koprogo');
    await expect(page.getByTestId('repoUrl-error')).toContainText('gitlab.com is not GitHub');
    await expect(page.getByTestId('code-save')).toBeDisabled();
    await expect(page.getByTestId('code-inspect')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, 'code-not-github-en.png'), fullPage: true });

    // A page address with /tree/<branch>: read, the branch proposed, the clone address the repository's.
    await page.getByTestId('repoUrl-input').fill('https://github.com/gilmry/koprogo-next/tree/feature/k3s-prod');
    await page.getByTestId('code-inspect').click();
    await expect(page.getByTestId('ref-select')).toHaveValue('feature/k3s-prod', { timeout: 30_000 });
    await expect(page.getByTestId('repoUrl-input')).not.toHaveValue(/\/tree\//);
    await expect(page.getByTestId('code-blocked')).toHaveCount(0);
    await expect(page.getByTestId('code-save')).toBeEnabled();
    // A compose file the repository does not have is refused as typed.
    await page.getByTestId('code-advanced').evaluate((el) => ((el as HTMLDetailsElement).open = true));
    await page.getByTestId('composeFiles-input').fill('docker-compose.yml,docker-compose.nope.yml');
    await expect(page.getByTestId('composeFiles-error')).toContainText('docker-compose.nope.yml');
    await expect(page.getByTestId('code-save')).toBeDisabled();
    await page.getByTestId('composeFiles-input').fill('docker-compose.yml,docker-compose.prod.yml');
    await page.getByTestId('code-save').click();
    await expect(page.getByTestId('step-configuration')).toBeVisible();
    // A time zone outside the IANA list turns its field red as it is typed.
    await page.getByTestId('timezone-input').fill('Europe/Bruxelles');
    await expect(page.getByTestId('timezone-error')).toContainText('Europe/Bruxelles');
    await expect(page.getByTestId('configuration-save')).toBeDisabled();
    await page.screenshot({ path: join(SHOTS, 'configuration-timezone-en.png'), fullPage: true });
    await page.context().close();
  });
});

test.describe('a plan one can review', () => {
  let dns: DnsServer;
  let app: WebApp;
  let page: Page;
  const CANARY = ['CANARY-plan-pg-8a1f3c', 'CANARY-plan-jwt-2c9d77'];
  const ENV = `DOMAIN=koprogo.example\nPOSTGRES_USER=koprogo\nPOSTGRES_PASSWORD=${CANARY[0]}\nJWT_SECRET=${CANARY[1]}\n`;

  test.beforeAll(async ({ browser }) => {
    // The domain points elsewhere than the server (127.0.0.1).
    dns = await startDnsServer({ 'koprogo.example': { a: ['198.51.100.7'] } });
    const dataDir = newDataDir();
    const price = JSON.stringify({ offer: 'cx22', net: 3.79, gross: 4.51, currency: 'EUR', host: SERVER.host });
    seed(
      dataDir,
      {
        provider: { kind: 'hetzner', location: 'fsn1', serverType: 'cx22' },
        server: SERVER,
        repo: { url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' },
        settings: { serverCheck: CHECKED, hostname: 'koprogo-prod', timezone: 'Europe/Brussels', 'offer.priceMonthly': price, providerServerHost: SERVER.host },
      },
      'plan',
    );
    app = await startWebApp(dataDir, { KOPROGO_DNS_SERVERS: dns.address });
    // One session (the login link is for one browser): both tests look at the same plan.
    page = await open(browser, app, 'fr-BE');
    expect((await apiCall(page, 'server.generateKey', { profileId: 'koprogo' })).ok).toBe(true);
    expect((await apiCall(page, 'deploy.setEnv', { profileId: 'koprogo', content: ENV })).ok).toBe(true);
    await page.reload();
    await expect(page.getByTestId('plan-step-env-file')).toBeVisible({ timeout: 30_000 });
  });
  test.afterAll(async () => {
    await page?.context().close();
    await app?.stop();
    await dns?.close();
  });

  test('the chosen offer’s price, the DNS warning already found, every secret masked', async () => {
    test.setTimeout(120_000);
    await page.getByTestId('language-select').selectOption('fr');
    await expect(page.getByTestId('plan-cost')).toHaveAttribute('data-source', 'offer');
    await expect(page.getByTestId('plan-cost')).toContainText('3,79');
    await expect(page.getByTestId('plan-cost')).toContainText('4,51');
    await expect(page.getByTestId('plan-cost')).not.toContainText('~5');
    await expect(page.getByTestId('plan-warning')).toHaveAttribute('data-code', 'plan.warnings.dns_points_elsewhere');
    await expect(page.getByTestId('plan-warning')).toContainText('koprogo.example (DOMAIN) pointe vers 198.51.100.7');
    await expect(page.getByTestId('plan-deploy')).toBeEnabled();
    for (const lang of ['fr', 'nl', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `plan-review-${lang}.png`), fullPage: true });
    }
    const plan = page.getByTestId('plan-list');
    await plan.evaluate((el) => el.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
    for (const c of CANARY) await expect(plan).not.toContainText(c);
    await expect(plan).toContainText('JWT_SECRET=••••••');
  });

  // Needs issue 15's redaction (only values of secret kind masked): until it is merged, the user name
  // `koprogo` of the .env is registered as a secret and masks the hostname and DOMAIN's value.
  test('non-secret values are shown in clear: the hostname and the .env’s domain', async () => {
    test.setTimeout(120_000);
    const plan = page.getByTestId('plan-list');
    await plan.evaluate((el) => el.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
    for (const c of CANARY) await expect(plan).not.toContainText(c);
    await expect(page.getByTestId('plan-step-hostname')).toContainText('set-hostname koprogo-prod');
    await expect(page.getByTestId('plan-step-env-file')).toContainText('DOMAIN=koprogo.example');
  });
});

test.describe('desktop lifecycle in web mode', () => {
  let app: WebApp;
  let other: WebApp;
  const CANARY = 'CANARY-move-9e21b4';

  test.beforeAll(async () => {
    const dataDir = newDataDir();
    seed(dataDir, { provider: { kind: 'existing' }, server: SERVER, repo: { url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' }, settings: { serverCheck: CHECKED, hostname: 'koprogo-prod' } }, 'phase');
    // A stand-in release (web mode has no electron-updater): the banner, its notes, the install.
    app = await startWebApp(dataDir, { KOPROGO_FAKE_UPDATE: '0.2.0' });
    other = await startWebApp(newDataDir());
  });
  test.afterAll(async () => {
    await app?.stop();
    await other?.stop();
  });

  test('a new version with its notes; a deployment moved to another computer; diagnostics without secrets', async ({ browser }) => {
    test.setTimeout(180_000);
    const page = await open(browser, app);
    const banner = page.getByTestId('update-banner');
    await expect(banner).toBeVisible({ timeout: 30_000 });
    await expect(banner).toContainText('KoproGo Deploy 0.2.0 est disponible');
    await page.getByTestId('update-notes').locator('summary').click();
    await expect(page.getByTestId('update-notes')).toContainText('Faster health checks');
    for (const lang of ['fr', 'nl', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `update-banner-${lang}.png`), fullPage: true });
    }
    await page.getByTestId('update-install').click();
    await expect(banner).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });

    // Export with the secrets, locked by a passphrase.
    expect((await apiCall(page, 'server.generateKey', { profileId: 'koprogo' })).ok).toBe(true);
    expect((await apiCall(page, 'deploy.setEnv', { profileId: 'koprogo', content: `DOMAIN=koprogo.example\nJWT_SECRET=${CANARY}\n` })).ok).toBe(true);
    await page.getByTestId('export-koprogo').click();
    await page.getByTestId('export-sealed').check();
    await page.getByTestId('exportPass-input').fill('correct horse battery');
    await page.getByTestId('exportPassAgain-input').fill('correct horse battery');
    await page.screenshot({ path: join(SHOTS, 'export-profile-en.png'), fullPage: true });
    const download = page.waitForEvent('download');
    await page.getByTestId('export-run').click();
    const exported = await download;
    const file = (await exported.path())!;
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('PRIVATE KEY');
    await expect(page.getByTestId('export-done')).toBeVisible();

    // Diagnostics: a zip, no secret in it.
    const diag = page.waitForEvent('download');
    await page.getByTestId('diagnostics-export').click();
    const zip = unzipSync(readFileSync((await (await diag).path())!));
    expect(Object.keys(zip)).toEqual(expect.arrayContaining(['versions.json', 'profiles/koprogo.shape.json', 'README.txt']));
    expect(Object.values(zip).map((f) => strFromU8(f)).join('\n')).not.toContain(CANARY);
    await expect(page.getByTestId('diagnostics-done')).toBeVisible();

    // The other computer: import with the passphrase; the deployment is there with its secrets.
    const page2 = await open(browser, other, 'nl-BE');
    await page2.getByTestId('import-open').click();
    await page2.getByTestId('import-file').setInputFiles(file);
    await page2.getByTestId('importPass-input').fill('wrong passphrase!');
    await page2.getByTestId('import-run').click();
    await expect(page2.getByTestId('import-dialog').getByTestId('error-notice')).toHaveAttribute('data-code', 'transfer.passphrase_wrong');
    await page2.getByTestId('importPass-input').fill('correct horse battery');
    await page2.getByTestId('import-run').click();
    await expect(page2.getByTestId('import-done')).toContainText('koprogo');
    await expect(page2.getByTestId('saved-koprogo')).toBeVisible();
    await page2.screenshot({ path: join(SHOTS, 'import-profile-nl.png'), fullPage: true });
    expect(((await apiCall(page2, 'deploy.hasEnv', { profileId: 'koprogo' })).value as { keys: string[] }).keys).toEqual(['DOMAIN', 'JWT_SECRET']);
    await page.context().close();
    await page2.context().close();
  });
});
