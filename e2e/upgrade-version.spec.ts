import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { VERSION_STEPS } from '../electron/main/upgrade/version-steps';
import { addRelease, headOf as checkoutHead, startDeployHost, type DeployHost, type ReleaseFiles } from '../electron/main/testing';
import { apiCall, newDataDir, startWebApp, type WebApp } from './web-app';

// The app version update in web mode, as a founder follows it: a phase 1 deployment of v1.0.0 on the test
// host (real sshd, Docker, Compose, PostgreSQL); the repository then gets v1.1.0 (its backend never becomes
// healthy; its env example adds MAIL_API_KEY and drops ACME_EMAIL) and v1.2.0 (healthy; adds MAIL_API_KEY and
// LOG_LEVEL), as in electron/main/upgrade/version.integration.test.ts. From the dashboard: the ref picker, the
// env example's changes (the new key asked in a field, the removed one listed), the plan, the run; v1.1.0 is
// rolled back by itself (the screen names the failing service and shows its last log lines) and v1.0.0 is
// healthy again; then v1.2.0 succeeds and the dashboard marks it. No secret of the .env, nor the new key's
// value, ever reaches the page. Screenshots of the plan and of the roll back in FR, NL and EN.

const SHOTS = join('docs', 'screenshots');
const CANARY = 'CANARY-e2e-ver-3f7b';
const MAIL_KEY = 'CANARY-e2e-mail-81d0';
const PROFILE = 'testhost';
/** What v1.1.0's backend says when it starts (its last log line, shown after the roll back). */
const V11_LOG = 'koprogo 1.1.0: health endpoint not served';
let host: DeployHost;
let app: WebApp;
const commits: Record<string, string> = {};

const checkout = () => join(host.root, 'opt', 'app');
const headOf = () => checkoutHead(checkout());
const status = (url: string) => fetch(url).then((r) => r.status).catch(() => 0);

/** Adds a release to the fixture repository: v1.0.0's files changed by `edit`, tagged `tag`. */
async function release(tag: string, edit: (files: ReleaseFiles) => ReleaseFiles): Promise<void> {
  commits[tag] = await addRelease(host.repo.url, tag, edit);
}

/** Neither the .env's secrets nor the new key's value anywhere in the page's text (closed details included). */
async function expectNoSecret(page: Page): Promise<void> {
  const text = (await page.locator('body').textContent()) ?? '';
  expect(text).not.toContain(CANARY);
  expect(text).not.toContain(MAIL_KEY);
  // The .env's own secrets are never typed in the page: not even in an attribute.
  expect(await page.content()).not.toContain(CANARY);
}

async function language(page: Page, lang: 'fr' | 'nl' | 'en'): Promise<void> {
  await page.getByTestId('language-select').selectOption(lang);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  host = await startDeployHost({ postgres: true });
  const dataDir = newDataDir();
  const base = host.profile();
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  // A short health wait: v1.1.0's backend is unhealthy after a few seconds anyway.
  writeFileSync(join(dataDir, 'profiles', `${PROFILE}.json`), JSON.stringify({ ...base, version: 1, settings: { ...base.settings, healthTimeoutSec: '30' }, createdAt: now, updatedAt: now }));
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step: 'health', phase: 1, copros: 40, lotsPerCopro: 10, profileId: PROFILE }));
  app = await startWebApp(dataDir);
});

test.afterAll(async () => {
  await app?.stop();
  await host?.stop();
});

test('the founder updates the app: a version that is not healthy is rolled back by itself, the next one is recorded', async ({ browser }) => {
  test.setTimeout(360_000);
  const context = await browser.newContext({ locale: 'fr-BE' });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  await expect(page.getByTestId('step-health')).toBeVisible();

  // Deployed at v1.0.0 (the deploy itself is e2e/deploy.spec.ts).
  expect((await apiCall(page, 'server.importKey', { profileId: PROFILE, path: host.sshd.userKeyPath })).ok).toBe(true);
  expect((await apiCall(page, 'deploy.setEnv', { profileId: PROFILE, content: `DOMAIN=koprogo.example\nACME_EMAIL=admin@koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\nJWT_SECRET=${CANARY}-jwt\n` })).ok).toBe(true);
  expect((await apiCall(page, 'deploy.start', { profileId: PROFILE })).ok).toBe(true);
  await expect
    .poll(async () => ((await apiCall(page, 'deploy.status', { profileId: PROFILE })).value as { outcome: string | null }).outcome, { timeout: 180_000, intervals: [1_000] })
    .toBe('succeeded');
  const v100 = await headOf();
  expect(v100).toBe(host.repo.commits.tag);

  // Two releases later: v1.1.0 never becomes healthy (no /health; it logs why), v1.2.0 does.
  await release('v1.1.0', ({ compose, example }) => ({
    compose: compose.replace('mkdir -p /www && echo ok > /www/health && ', `echo '${V11_LOG}' && mkdir -p /www && `).replace('retries: 30', 'retries: 3'),
    example: `${example.replace(/# E-mail address for Let's Encrypt certificates\nACME_EMAIL=.*\n/, '')}\n# API key of the mail provider\nMAIL_API_KEY=CHANGE_THIS_KEY\n`,
  }));
  await release('v1.2.0', ({ compose, example }) => ({
    compose: compose.replace('echo ok > /www/health && ', 'echo ok > /www/health && echo 1.2.0 > /www/version && '),
    example: `${example}\n# API key of the mail provider\nMAIL_API_KEY=CHANGE_THIS_KEY\n# Log level\nLOG_LEVEL=info\n`,
  }));

  // The dashboard, live; its update button.
  await page.reload();
  await page.getByTestId('result-open-dashboard').click();
  const dashboard = page.getByTestId('dashboard');
  await expect(dashboard).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  const marks = async () => Number(await page.getByTestId('chart-ram').getAttribute('data-marks'));
  expect(await marks()).toBe(0);
  await page.getByTestId('dashboard-update-version').click();

  // The ref picker: the repository's tags, newest first, the running one said so; the newest proposed.
  const screen = page.getByTestId('upgrade-screen');
  await expect(screen).toBeVisible();
  const picker = page.getByTestId('upgrade-version-ref');
  await expect(picker).toBeEnabled({ timeout: 30_000 });
  const tags = (await picker.locator('option').allTextContents()).filter((o) => /^v\d/.test(o));
  expect(tags).toEqual(['v1.2.0', 'v1.1.0', 'v1.0.0 — en service']);
  await expect(picker).toHaveValue('v1.2.0');
  await expect(page.getByTestId('upgrade-version-from-to')).toContainText('de v1.0.0 vers v1.2.0', { timeout: 30_000 });

  // v1.1.0: what changes in the env example; the new key asked, the start blocked until it has a value.
  await picker.selectOption('v1.1.0');
  await expect(page.getByTestId('upgrade-version-from-to')).toHaveText(`Mise à jour de v1.0.0 vers v1.1.0 (commit ${commits['v1.1.0']!.slice(0, 12)})`, { timeout: 30_000 });
  const env = page.getByTestId('upgrade-version-env');
  await expect(env).toContainText('Nouveaux réglages dans .env.vps.example');
  const mail = page.getByTestId('upgrade-env-MAIL_API_KEY-input');
  await expect(mail).toHaveValue('');
  await expect(mail).toHaveAttribute('type', 'password');
  await expect(env).toContainText('API key of the mail provider (valeur requise)');
  await expect(page.getByTestId('upgrade-env-LOG_LEVEL-input')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-version-removed')).toHaveText('ACME_EMAIL');
  const startButton = page.getByTestId('upgrade-version-start');
  await expect(startButton).toBeDisabled();
  await expect(page.getByTestId('nav-status')).toHaveText('Donnez une valeur pour : MAIL_API_KEY');
  // The plan: every step, in order; the application is down from the restart on.
  const steps = page.getByTestId('upgrade-steps');
  await expect(steps.locator('li[data-testid^="upgrade-plan-step-"]')).toHaveCount(VERSION_STEPS.length);
  expect(await steps.locator('li[data-testid^="upgrade-plan-step-"]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-testid')))).toEqual(VERSION_STEPS.map((s) => `upgrade-plan-step-${s}`));
  await expect(page.getByTestId('upgrade-plan-step-checkout')).toContainText('v1.1.0');
  await expect(page.getByTestId('upgrade-plan-step-rollback')).toContainText('v1.0.0');
  for (const id of VERSION_STEPS) await expect(page.getByTestId(`upgrade-plan-step-${id}`).locator('.badge-warn')).toHaveCount(['restart', 'health', 'rollback'].includes(id) ? 1 : 0);

  // The value given: a new plan, nothing missing any more; the secret stays in the field.
  await mail.fill(MAIL_KEY);
  await page.getByTestId('upgrade-env-apply').click();
  await expect(page.getByTestId('nav-status')).not.toContainText('MAIL_API_KEY', { timeout: 30_000 });
  await expect(startButton).toBeEnabled();
  await expect(startButton).toHaveText('Mettre à jour vers v1.1.0');
  await expect(env).not.toContainText('valeur requise');
  await expect(mail).toHaveValue(MAIL_KEY);
  // What the plan writes in .env, shown masked.
  await page.getByTestId('upgrade-plan-step-env-update').locator('summary').click();
  await expect(page.getByTestId('upgrade-plan-step-env-update').locator('pre').first()).toBeVisible();
  await expectNoSecret(page);
  await page.getByTestId('upgrade-plan-step-env-update').locator('summary').click();
  await page.screenshot({ path: join(SHOTS, 'upgrade-version-plan-fr.png'), fullPage: true });
  for (const [lang, removed] of [
    ['nl', 'Niet meer in .env.vps.example'],
    ['en', 'No longer in .env.vps.example'],
  ] as const) {
    await language(page, lang);
    await expect(env).toContainText(removed);
    await expect(mail).toHaveValue(MAIL_KEY);
    await page.screenshot({ path: join(SHOTS, `upgrade-version-plan-${lang}.png`), fullPage: true });
  }
  await language(page, 'fr');

  // Started: the run, live; the new version never healthy; rolled back by itself.
  await startButton.click();
  const runCard = page.getByTestId('upgrade-run');
  await expect(runCard).toBeVisible({ timeout: 30_000 });
  await expect(runCard).toContainText('Mise à jour vers v1.1.0');
  await expect(page.getByTestId('upgrade-step-checkout')).toHaveAttribute('data-state', /running|done/, { timeout: 60_000 });
  const result = page.getByTestId('upgrade-result');
  await expect(result).toBeVisible({ timeout: 150_000 });
  await expect(result).toHaveAttribute('data-outcome', 'rolled-back');
  await expect(result.locator('h2')).toHaveText("La version v1.1.0 n'était pas saine (backend) : la version précédente a été remise en place.");
  await expect(result).toContainText('La base de données a été gardée telle quelle.');
  const logs = page.getByTestId('upgrade-failing-logs-backend');
  await expect(logs).toContainText('Dernières lignes du journal de backend');
  await expect(logs.locator('pre')).toContainText(V11_LOG);
  await expect(page.locator('[data-testid^="upgrade-failing-logs-"]')).toHaveCount(1);
  await expect(runCard.locator('h2')).toHaveText('La mise à jour vers v1.1.0 a été annulée par un retour arrière');
  const stateOf = (id: string) => page.getByTestId(`upgrade-step-${id}`).getAttribute('data-state');
  expect(Object.fromEntries(await Promise.all(VERSION_STEPS.map(async (id) => [id, await stateOf(id)])))).toMatchObject({ checkout: 'done', 'env-update': 'done', restart: 'done', health: 'failed', rollback: 'done', record: 'pending' });
  // One message, not two: the result card says what happened and what to do; no error notice repeats it.
  await expect(page.getByTestId('upgrade-rollback-advice')).toContainText('Lisez les journaux');
  await expect(page.getByTestId('error-notice')).toHaveCount(0);
  await page.getByTestId('upgrade-run').locator('details summary').click();
  await expectNoSecret(page);
  // The run log (the test host's paths) stays out of the screenshots.
  await page.getByTestId('upgrade-run').locator('details summary').click();
  // Healthy again, on v1.0.0: its commit, its .env (without the new key), the profile unchanged.
  expect(await status(host.repo.healthUrl)).toBe(200);
  expect(await headOf()).toBe(v100);
  expect(readFileSync(join(checkout(), '.env'), 'utf8')).not.toContain('MAIL_API_KEY');
  expect(((await apiCall(page, 'profiles.get', { id: PROFILE })).value as { repo: { ref: string } }).repo.ref).toBe('v1.0.0');
  await page.screenshot({ path: join(SHOTS, 'upgrade-version-rolledback-fr.png'), fullPage: true });
  for (const [lang, text] of [
    ['nl', 'Versie v1.1.0 was niet gezond (backend): de vorige versie is teruggezet.'],
    ['en', 'Version v1.1.0 was not healthy (backend): the previous version was put back.'],
  ] as const) {
    await language(page, lang);
    await expect(result.locator('h2')).toHaveText(text);
    await page.screenshot({ path: join(SHOTS, `upgrade-version-rolledback-${lang}.png`), fullPage: true });
  }
  await language(page, 'fr');

  // Back on the dashboard: live, the roll back marked on the charts.
  await page.getByTestId('upgrade-back').click();
  await expect(dashboard).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect.poll(marks, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  const afterRollback = await marks();
  // Its banner names the version put back (not a phase), and opens what happened, with nothing to resume.
  await expect(page.getByTestId('dashboard-version')).toHaveText('Version déployée : v1.0.0');
  const banner = page.getByTestId('upgrade-banner');
  await expect(banner).toHaveAttribute('data-outcome', 'rolledback');
  await expect(banner).toContainText('La mise à jour vers la version v1.1.0 du');
  await expect(banner).toContainText('la version précédente tourne à nouveau');
  await expect(page.getByTestId('upgrade-banner-open')).toHaveText('Voir ce qui s’est passé');
  await page.getByTestId('upgrade-banner-open').click();
  await expect(page.getByTestId('upgrade-screen')).toBeVisible();
  await expect(picker).toHaveValue('v1.1.0', { timeout: 30_000 });
  await page.getByTestId('upgrade-back').click();
  await expect(dashboard).toHaveAttribute('data-state', 'live', { timeout: 30_000 });

  // Then v1.2.0: proposed first; the new key asked again, LOG_LEVEL with its example's value; it succeeds.
  await page.getByTestId('dashboard-update-version').click();
  await expect(page.getByTestId('upgrade-version-from-to')).toContainText('de v1.0.0 vers v1.2.0', { timeout: 30_000 });
  await expect(picker).toHaveValue('v1.2.0');
  await expect(page.getByTestId('upgrade-env-LOG_LEVEL-input')).toHaveValue('info');
  await expect(page.getByTestId('upgrade-version-removed')).toHaveCount(0);
  await expect(startButton).toBeDisabled();
  await page.getByTestId('upgrade-env-MAIL_API_KEY-input').fill(MAIL_KEY);
  await page.getByTestId('upgrade-env-apply').click();
  await expect(startButton).toBeEnabled({ timeout: 30_000 });
  await expect(startButton).toHaveText('Mettre à jour vers v1.2.0');
  await startButton.click();
  await expect(result).toBeVisible({ timeout: 150_000 });
  await expect(result).toHaveAttribute('data-outcome', 'updated');
  await expect(result.locator('h2')).toHaveText('La version v1.2.0 tourne et est saine');
  await expect(page.getByTestId('upgrade-downtime-measured')).toContainText("L'application a été interrompue pendant");
  expect(await stateOf('rollback')).toBe('skipped');
  expect(await stateOf('record')).toBe('done');
  await expect(page.getByTestId('upgrade-done')).toHaveText('Retour au tableau de bord');
  await expectNoSecret(page);
  expect(await headOf()).toBe(commits['v1.2.0']);
  expect(await fetch(host.repo.healthUrl.replace('/health', '/version')).then((r) => r.text())).toBe('1.2.0\n');
  expect(readFileSync(join(checkout(), '.env'), 'utf8')).toMatch(new RegExp(`^MAIL_API_KEY='?${MAIL_KEY}'?$`, 'm'));

  // The dashboard: healthy, the update done and marked on its timeline; the profile on v1.2.0.
  await page.getByTestId('upgrade-back').click();
  await expect(dashboard).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect(page.getByTestId('upgrade-banner')).toHaveAttribute('data-outcome', 'succeeded');
  await expect(page.getByTestId('upgrade-banner')).toContainText('Mis à jour vers la version v1.2.0 le');
  await expect(page.getByTestId('dashboard-version')).toHaveText('Version déployée : v1.2.0');
  await expect.poll(marks, { timeout: 30_000 }).toBeGreaterThan(afterRollback);
  await expect(page.locator('[data-testid^="container-"][data-status="healthy"]').first()).toBeVisible({ timeout: 60_000 });
  const { marks: timeline } = (await apiCall(page, 'upgrade.timeline', { profileId: PROFILE, from: 0, to: Date.now() + 1000 })).value as { marks: { kind: string; ref?: string }[] };
  expect(timeline.filter((m) => m.kind === 'end').map((m) => m.ref)).toEqual(['v1.2.0']);
  expect(timeline.filter((m) => m.kind === 'rolledback').map((m) => m.ref)).toEqual(['v1.1.0']);
  expect(((await apiCall(page, 'profiles.get', { id: PROFILE })).value as { repo: { ref: string } }).repo.ref).toBe('v1.2.0');
  await expectNoSecret(page);
  await page.screenshot({ path: join('test-results', 'screenshots', 'dashboard-after-version-update-fr.png'), fullPage: true });
  await context.close();
});
