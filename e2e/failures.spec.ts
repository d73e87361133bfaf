import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startDeployHost, type DeployHost } from '../electron/main/testing';
import { apiCall, newDataDir, startWebApp, type WebApp } from './web-app';

// When things go wrong, on a real test server (sshd + sudo, Docker, Compose, the fixture repository):
//  1. web mode is stopped in the middle of a deployment and started again: its session-only secrets are
//     gone, the Deploy step names the one cause with the button that asks for the key (a file picker),
//     then the .env (not on the server yet: pasted), and the deployment resumes and finishes;
//  2. started once more, the dashboard says it waits for the key (not "the server does not answer"),
//     and goes live once the key is given;
//  3. known failures produced for real — the systemd stand-ins removed (the real timedatectl), the apt
//     lock held (a real flock), port 80 taken by a real listener — each with its own remedy, in FR/NL/EN.

const SHOTS = join('test-results', 'screenshots');
const CANARY = 'CANARY-restart-31c7';
const ENV = `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n`;

function seed(dataDir: string, host: DeployHost, id: string, overrides: Record<string, unknown> = {}, step = 'deploy'): void {
  const base = host.profile();
  const now = new Date().toISOString();
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  writeFileSync(join(dataDir, 'profiles', `${id}.json`), JSON.stringify({ ...base, ...overrides, version: 1, id, name: 'KoproGo', createdAt: now, updatedAt: now }));
  writeFileSync(join(dataDir, 'wizard.json'), JSON.stringify({ version: 1, step, phase: 1, copros: 40, lotsPerCopro: 10, profileId: id }));
}

async function open(browser: Browser, app: WebApp, locale = 'fr-BE'): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(app.loginUrl);
  return page;
}

async function stepState(page: Page, profileId: string, step: string): Promise<string | undefined> {
  const r = await apiCall(page, 'deploy.status', { profileId });
  return (r.value as { steps: { stepId: string; state: string }[] } | undefined)?.steps.find((s) => s.stepId === step)?.state;
}

test.describe('restart, resume, and the one missing cause', () => {
  let host: DeployHost;
  let app: WebApp | undefined;
  let dataDir: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    host = await startDeployHost();
    dataDir = newDataDir();
    seed(dataDir, host, 'koprogo');
  });
  test.afterAll(async () => {
    await app?.stop();
    await host?.stop();
  });

  test('web mode restarted mid-deployment: the key and the .env are asked for on the button, and it resumes', async ({ browser }) => {
    test.setTimeout(420_000);
    app = await startWebApp(dataDir);
    let page = await open(browser, app);
    await expect(page.getByTestId('step-deploy')).toBeVisible();
    expect((await apiCall(page, 'server.importKey', { profileId: 'koprogo', path: host.sshd.userKeyPath })).ok).toBe(true);
    expect((await apiCall(page, 'deploy.setEnv', { profileId: 'koprogo', content: ENV })).ok).toBe(true);
    // The apt lock is held (apt-get waits for it up to two minutes): the run stops there, still running.
    const release = await host.shims.holdAptLock(120);
    try {
      expect((await apiCall(page, 'deploy.start', { profileId: 'koprogo' })).ok).toBe(true);
      await expect.poll(() => stepState(page, 'koprogo', 'firewall'), { timeout: 120_000, intervals: [500] }).toBe('running');
      // Its line is in the run's record on disk (what a restart shows) before the app goes away.
      await expect.poll(async () => ((await apiCall(page, 'deploy.status', { profileId: 'koprogo' })).value as { log: { stepId: string }[] }).log.some((l) => l.stepId === 'firewall'), { timeout: 30_000 }).toBe(true);
      // The app goes away in the middle (a closed laptop, a crash, Ctrl+C).
      await page.context().close();
      await app.stop();
    } finally {
      await release();
    }

    app = await startWebApp(dataDir);
    page = await open(browser, app);
    await expect(page.getByTestId('step-deploy')).toBeVisible();
    await expect(page.getByTestId('deploy-interrupted')).toBeVisible();
    // One cause, its remedy, one button: the key, kept for the last session only. Resume waits for it.
    const missing = page.getByTestId('missing-secret');
    await expect(missing).toHaveAttribute('data-secret', 'sshKey');
    await expect(missing).toContainText('La clé SSH est à nouveau nécessaire');
    await expect(page.getByTestId('deploy-resume')).toBeDisabled();
    await expect(page.getByTestId('nav-status')).toContainText('La clé SSH est à nouveau nécessaire');
    // The last run's log lines come back with the restart.
    await expect(page.getByTestId('deploy-log')).toContainText('firewall');
    await expect(page.getByTestId('deploy-log')).not.toContainText(CANARY);
    await page.screenshot({ path: join(SHOTS, 'restart-missing-key-fr.png'), fullPage: true });

    await page.getByTestId('missing-secret-input').setInputFiles(host.sshd.userKeyPath);
    // Then the .env: the run stopped before writing it on the server, so it is pasted.
    await expect(missing).toHaveAttribute('data-secret', 'env');
    await page.getByTestId('missing-secret-action').click();
    await expect(page.getByTestId('missing-env-not-on-server')).toBeVisible();
    await page.getByTestId('missing-secret-text').fill(ENV);
    await page.screenshot({ path: join(SHOTS, 'restart-missing-env-fr.png'), fullPage: true });
    await page.getByTestId('missing-secret-submit').click();
    await expect(page.getByTestId('deploy-succeeded')).toBeVisible({ timeout: 240_000 });
    await expect(page.getByTestId('run-step-compose-up')).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('missing-secret')).toHaveCount(0);
    expect(await page.content()).not.toContain(CANARY);
    await page.screenshot({ path: join(SHOTS, 'restart-resumed-fr.png'), fullPage: true });
    await page.context().close();
  });

  test('after another restart the dashboard waits for the key instead of "the server does not answer", then goes live', async ({ browser }) => {
    test.setTimeout(240_000);
    await app?.stop();
    app = await startWebApp(dataDir);
    const page = await open(browser, app, 'nl-BE');
    // From the start screen's "Your deployments": the rail then shows the dashboard as where we are.
    await page.getByTestId('rail-phase').click();
    await page.getByTestId('open-dashboard-koprogo').click();
    await expect(page.getByTestId('rail-dashboard')).toBeVisible();
    await expect(page.locator('[data-testid^="rail-"][aria-current="step"]')).toHaveCount(0);
    const dash = page.getByTestId('dashboard');
    await expect(dash).toHaveAttribute('data-state', 'needs_secret', { timeout: 30_000 });
    await expect(page.getByTestId('dashboard-status')).toContainText('Wachten op de SSH-sleutel');
    await expect(page.getByTestId('dashboard-stale-reason')).toHaveCount(0);
    await page.screenshot({ path: join(SHOTS, 'dashboard-needs-key-nl.png'), fullPage: true });
    for (const lang of ['fr', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `dashboard-needs-key-${lang}.png`), fullPage: true });
    }
    await page.getByTestId('missing-secret-input').setInputFiles(host.sshd.userKeyPath);
    await expect(dash).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
    await expect(dash).toHaveAttribute('data-app', 'running');
    await expect(page.getByTestId('dashboard-app-down')).toHaveCount(0);
    await page.screenshot({ path: join(SHOTS, 'dashboard-key-given-en.png'), fullPage: true });
    await page.context().close();
  });
});

test.describe('a failed deployment says what to do', () => {
  let host: DeployHost;
  let app: WebApp;
  let listener: Server | null = null;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    // The backend is published on 127.0.0.1:80, the port a real listener takes below.
    host = await startDeployHost({ repo: { port: 80 } });
    const dataDir = newDataDir();
    seed(dataDir, host, 'koprogo');
    app = await startWebApp(dataDir);
  });
  test.afterAll(async () => {
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    await app?.stop();
    host?.shims.restoreSystemd();
    await host?.stop();
  });

  const shoot = async (page: Page, name: string) => {
    for (const lang of ['fr', 'nl', 'en'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await expect(page.getByTestId('deploy-error').getByTestId('error-notice')).toBeVisible();
      await page.screenshot({ path: join(SHOTS, `${name}-${lang}.png`), fullPage: true });
    }
  };

  test('no systemd, the apt lock held, port 80 busy: each recognised, with its own remedy in FR, NL and EN', async ({ browser }) => {
    test.setTimeout(480_000);
    const page = await open(browser, app);
    await expect(page.getByTestId('step-deploy')).toBeVisible();
    expect((await apiCall(page, 'server.importKey', { profileId: 'koprogo', path: host.sshd.userKeyPath })).ok).toBe(true);
    expect((await apiCall(page, 'deploy.setEnv', { profileId: 'koprogo', content: ENV })).ok).toBe(true);
    const error = page.getByTestId('deploy-error').getByTestId('error-notice');

    // 1. No systemd: the real timedatectl of a system whose PID 1 is not systemd.
    host.shims.removeSystemd();
    expect((await apiCall(page, 'deploy.start', { profileId: 'koprogo' })).ok).toBe(true);
    await expect(error).toHaveAttribute('data-code', 'deploy.no_systemd', { timeout: 120_000 });
    await expect(error).toContainText('ne tourne pas sous systemd');
    await expect(error).toContainText(/pas d.un conteneur/);
    // The raw text stays in the log, for whoever wants it.
    await expect(page.getByTestId('deploy-log')).toContainText('System has not been booted with systemd');
    await shoot(page, 'deploy-failed-no-systemd');
    host.shims.restoreSystemd();

    // 2. Another program holds the apt lock (apt-get gives up after 2 s here instead of 10 minutes).
    const release = await host.shims.holdAptLock(2);
    try {
      await page.getByTestId('language-select').selectOption('nl');
      await page.getByTestId('deploy-retry').click();
      await expect(error).toHaveAttribute('data-code', 'deploy.apt_locked', { timeout: 120_000 });
      await expect(error).toContainText('een ander programma installeert pakketten');
      await expect(error).toContainText('flock');
      await shoot(page, 'deploy-failed-apt-lock');
    } finally {
      await release();
    }

    // 3. Port 80 on the server is taken by another program (a real listener; Docker's real bind error).
    listener = createServer();
    await new Promise<void>((resolve, reject) => {
      listener!.once('error', reject);
      listener!.listen(80, '127.0.0.1', () => resolve());
    });
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('deploy-retry').click();
    await expect(error).toHaveAttribute('data-code', 'deploy.port_in_use', { timeout: 180_000 });
    await expect(error).toContainText('port 80 on the server is already used by another program');
    await expect(error).toContainText("sudo ss -ltnp 'sport = :80'");
    await shoot(page, 'deploy-failed-port-80');
    // The log can be copied and saved, as shown (redacted).
    const download = page.waitForEvent('download');
    await page.getByTestId('deploy-log-save').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^koprogo-deploy-koprogo-.*\.log$/);
    const { readFileSync } = await import('node:fs');
    const saved = readFileSync((await file.path())!, 'utf8');
    expect(saved).toContain('[compose-up]');
    expect(saved).not.toContain(CANARY);

    // The dashboard of a deployment that failed shows no green "Live / OK".
    await page.getByTestId('rail-phase').click();
    await page.getByTestId('open-dashboard-koprogo').click();
    await expect(page.getByTestId('dashboard')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
    await expect(page.getByTestId('dashboard')).toHaveAttribute('data-app', 'failed');
    await expect(page.getByTestId('dashboard-app-down')).toContainText('The last deployment failed');
    await expect(page.getByTestId('dashboard-status')).toContainText('KoproGo is not running there');
    await expect(page.locator('.tile-ok')).toHaveCount(0);
    for (const lang of ['en', 'fr', 'nl'] as const) {
      await page.getByTestId('language-select').selectOption(lang);
      await page.screenshot({ path: join(SHOTS, `dashboard-failed-${lang}.png`), fullPage: true });
    }
    await page.context().close();
  });
});
