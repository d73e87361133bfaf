import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect as baseExpect, test, type BrowserContext, type Page } from '@playwright/test';
import { bootCreatedServers, hetznerMachines, ovhMachines, type CloudBooter } from '../electron/main/testing/cloud-server';
import { freePort } from '../electron/main/testing/free-port';
import { startHetznerFake, type HetznerFake } from '../electron/main/testing/hetzner-fake';
import { startOvhFake, type OvhFake } from '../electron/main/testing/ovh-fake';
import { newDataDir, startWebApp, type WebApp } from './web-app';

// The "Where" step with cloud providers, in web mode, against the local fakes of the Hetzner Cloud
// and OVHcloud APIs. Each server the app creates is "booted" by a real sshd serving the host key from
// its user data on the loopback address the fake gave it, so the app reaches it with the pinned key.

const SHOTS = join('test-results', 'screenshots');
// Four engineers share two cores: answers that take a second alone can take several here.
const expect = baseExpect.configure({ timeout: 15_000 });
let hetzner: HetznerFake;
let ovh: OvhFake;
let booter: CloudBooter;
let app: WebApp;
let dataDir: string;
// One browser session for both tests: the login link is single-use.
let context: BrowserContext;
let page: Page;
let frames: { sent: string[]; received: string[] };

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  let n = 1;
  let m = 1;
  hetzner = await startHetznerFake({ publicIpv4: () => `127.0.41.${n++}` });
  ovh = await startOvhFake({ publicIpv4: () => `127.0.42.${m++}`, instanceBuildPolls: 1 });
  const sshPort = await freePort();
  booter = bootCreatedServers([hetznerMachines(hetzner), ovhMachines(ovh)], sshPort);
  dataDir = newDataDir();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(
    join(dataDir, 'profiles', 'koprogo.json'),
    JSON.stringify({ version: 1, id: 'koprogo', name: 'KoproGo', phase: 1, provider: null, server: null, repo: null, settings: {}, secrets: {}, createdAt: now, updatedAt: now }),
  );
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'where', phase: 1, copros: 40, lotsPerCopro: 10, profileId: 'koprogo' }));
  const caFile = join(mkdtempSync(join(tmpdir(), 'kgt-ovh-ca-')), 'ca.pem');
  writeFileSync(caFile, ovh.ca);
  app = await startWebApp(dataDir, {
    KOPROGO_HETZNER_API_URL: hetzner.url,
    KOPROGO_OVH_API_URL: ovh.url,
    KOPROGO_OVH_CA_FILE: caFile,
    KOPROGO_PROVIDER_SSH_PORT: String(sshPort),
  });
  context = await browser.newContext({ locale: 'en-GB' });
  page = await context.newPage();
  frames = recordFrames(page);
  await page.goto(app.loginUrl);
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  await booter?.stop();
  await hetzner?.stop();
  await ovh?.stop();
});

/** Every WebSocket frame of the page, sent and received, with the method of the calls sent. */
function recordFrames(page: Page): { sent: string[]; received: string[] } {
  const frames = { sent: [] as string[], received: [] as string[] };
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.received.push(String(f.payload)));
  });
  return frames;
}

function allFiles(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allFiles(p) : readFileSync(p, 'utf8');
  }
  return out;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('Hetzner: paste a token, see offers and prices, create the server, reach it with the pinned key', async () => {
  test.setTimeout(180_000);
  await expect(page.getByTestId('step-where')).toBeVisible();
  await page.getByTestId('provider-hetzner').click();
  await expect(page.getByTestId('hetzner-credentials')).toBeVisible();
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await shoot(page, `providers-hetzner-token-${lang}`);
  }

  // Wrong, then read-only: specific errors, nothing kept.
  const token = page.getByTestId('hetznerToken-input');
  await expect(token).toHaveAttribute('type', 'password');
  await token.fill('wrong-token-0123456789');
  await page.getByTestId('hetzner-save').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'hetzner.token_invalid');
  await token.fill(hetzner.readOnlyToken);
  await page.getByTestId('hetzner-save').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'hetzner.token_read_only');
  await expect(page.getByTestId('error-notice')).toContainText('can only read');
  await shoot(page, 'providers-hetzner-read-only-en');
  expect(hetzner.state.servers).toHaveLength(0);

  // The right token: offers and prices, the cheapest meeting phase 1 preselected.
  await token.fill(hetzner.token);
  await page.getByTestId('hetzner-save').click();
  await expect(page.getByTestId('hetzner-saved')).toBeVisible();
  await expect(page.getByTestId('offers-table')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('offer-pick-hetzner-cx22-fsn1')).toBeChecked();
  await expect(page.getByTestId('offers-summary-hetzner')).toContainText('€3.79');
  await expect(page.getByTestId('offers-summary-hetzner')).toContainText('€4.51');
  await expect(page.getByTestId('offers-next-hetzner')).toContainText('cx32');
  await expect(page.getByTestId('offers-why')).toContainText('CPX11');
  await shoot(page, 'providers-hetzner-offers-en');

  // Create: live progress, then the new server is checked over SSH as root, its host key pinned.
  await page.getByTestId('create-server').click();
  await expect(page.getByTestId('create-stages')).toBeVisible();
  await shoot(page, 'providers-hetzner-creating-en');
  await expect(page.getByTestId('create-done')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('check-privilege')).toHaveAttribute('data-ok', 'true');
  expect(hetzner.state.servers).toHaveLength(1);
  const server = hetzner.state.servers[0]!;
  await expect(page.getByTestId('create-done')).toContainText(server.ipv4);
  await expect(page.getByTestId('nav-next')).toBeEnabled();
  await expect(page.getByTestId('managed-servers')).toContainText(`koprogo-koprogo (${server.ipv4}, running)`); // English at this point
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await shoot(page, `providers-hetzner-created-${lang}`);
  }
  const profile = JSON.parse(readFileSync(join(dataDir, 'profiles', 'koprogo.json'), 'utf8')) as { server: { host: string; user: string; hostKeySha256: string } };
  expect(profile.server).toMatchObject({ host: server.ipv4, user: 'root', hostKeySha256: expect.stringMatching(/^SHA256:/) });

  // The token went over the socket once, in the call that needs it; never back, never on disk.
  const sentWithToken = frames.sent.filter((f) => f.includes(hetzner.token));
  expect(sentWithToken).toHaveLength(1);
  expect(JSON.parse(sentWithToken[0]!).method).toBe('provider.saveCredentials');
  expect(frames.received.some((f) => f.includes(hetzner.token))).toBe(false);
  expect(allFiles(dataDir)).not.toContain(hetzner.token);
});

test('OVHcloud: application keys, validation on OVH’s page, offers, create, reach the server', async () => {
  test.setTimeout(180_000);
  await page.goto(app.baseUrl);
  await expect(page.getByTestId('step-where')).toBeVisible();
  // Back on the step, the server Hetzner created is shown where it came from.
  await expect(page.getByTestId('provider-hetzner')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('create-done')).toBeVisible();
  await page.getByTestId('provider-ovh').click();
  await expect(page.getByTestId('ovh-credentials')).toBeVisible();
  for (const lang of ['nl', 'en', 'fr'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await shoot(page, `providers-ovh-keys-${lang}`);
  }
  await page.getByTestId('ovh-endpoint-ovh-eu').check();
  // An application key OVH does not know: said so, and the form stays to correct it.
  await page.getByTestId('ovhAppKey-input').fill('unknownkey0000');
  await page.getByTestId('ovhAppSecret-input').fill(ovh.applicationSecret);
  await page.getByTestId('ovh-connect').click();
  await expect(page.getByTestId('error-notice')).toHaveAttribute('data-code', 'ovh.invalid_application_key');
  await shoot(page, 'providers-ovh-invalid-key-fr');
  await page.getByTestId('ovhAppKey-input').fill(ovh.applicationKey);
  await page.getByTestId('ovhAppSecret-input').fill(ovh.applicationSecret);
  await page.getByTestId('ovh-connect').click();

  // Waiting for the user on OVH's page; the fake validates when the test says so.
  await expect(page.getByTestId('ovh-waiting')).toBeVisible();
  await shoot(page, 'providers-ovh-waiting-fr');
  const credential = ovh.state.credentials.at(-1)!;
  expect(credential.status).toBe('pendingValidation');
  await page.waitForTimeout(2500);
  await expect(page.getByTestId('ovh-waiting')).toBeVisible();
  ovh.validate(credential.consumerKey);
  await expect(page.getByTestId('ovh-validated')).toContainText('ab12345-ovh', { timeout: 15_000 });

  // The VPS route: the exact plan to order on OVH's site, and the account's VPS.
  await page.getByTestId('ovh-route-vps').check();
  await expect(page.getByTestId('ovh-vps-plan')).toContainText('VPS-1');
  await expect(page.getByTestId('ovh-vps-plan')).toContainText('4,58');
  await expect(page.getByTestId('ovh-vps-table')).toContainText('51.75.20.22');
  await shoot(page, 'providers-ovh-vps-fr');
  await page.getByTestId('ovh-route-cloud').check();

  // Both providers side by side in the cost preview; OVH's cheapest flavor preselected.
  await expect(page.getByTestId('offers-table')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('offers-summary-hetzner')).toBeVisible();
  await expect(page.getByTestId('offers-summary-ovh')).toContainText('12,06');
  await expect(page.locator('[data-testid^="offer-pick-ovh-d2-4-"]:checked')).toHaveCount(1);
  await shoot(page, 'providers-ovh-offers-fr');

  await page.getByTestId('create-server').click();
  // The tab is reloaded during the creation: the screen follows the creation still running on the
  // main side, or (if it ended meanwhile) a second click finds the same instance.
  await expect(page.getByTestId('create-stages')).toBeVisible();
  await page.reload();
  await page.getByTestId('provider-ovh').click();
  const done = page.getByTestId('create-done');
  const following = await expect(page.getByTestId('create-stages').or(done))
    .toBeVisible({ timeout: 10_000 })
    .then(() => true, () => false);
  if (!following) await page.getByTestId('create-server').click();
  await expect(done).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('check-privilege')).toHaveAttribute('data-ok', 'true');
  const instances = ovh.state.projects[0]!.instances;
  expect(instances).toHaveLength(1);
  await expect(page.getByTestId('create-done')).toContainText(instances[0]!.ipv4);
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await shoot(page, `providers-ovh-created-${lang}`);
  }

  for (const secret of [ovh.applicationSecret, credential.consumerKey]) {
    expect(frames.received.some((f) => f.includes(secret))).toBe(false);
    // The secret was typed twice (first with an unknown application key): in those two calls only.
    expect(frames.sent.filter((f) => f.includes(secret)).map((f) => JSON.parse(f).method)).toEqual(secret === ovh.applicationSecret ? ['provider.saveCredentials', 'provider.saveCredentials'] : []);
    expect(allFiles(dataDir)).not.toContain(secret);
  }
});

test('OVHcloud VPS: pick up a VPS ordered on OVH’s site; it continues as a server I already have', async () => {
  await page.goto(app.baseUrl);
  await page.getByTestId('language-select').selectOption('nl');
  await page.getByTestId('provider-ovh').click();
  await expect(page.getByTestId('ovh-validated')).toBeVisible();
  await page.getByTestId('ovh-route-vps').check();
  await expect(page.getByTestId('ovh-vps-table')).toBeVisible();
  await shoot(page, 'providers-ovh-vps-nl');
  await page.getByTestId('ovh-vps-vps-5e6f7a8b-vps-ovh-net').getByTestId('ovh-vps-use').click();
  await expect(page.getByTestId('provider-existing')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('host-input')).toHaveValue('51.75.20.22');
  await expect(page.getByTestId('user-input')).toHaveValue('debian');
  await page.getByTestId('language-select').selectOption('en');
  await shoot(page, 'providers-ovh-vps-picked-en');
});
