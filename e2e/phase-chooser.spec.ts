import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { newDataDir, startWebApp, type WebApp } from './web-app';

// A newcomer in web mode: picks a language, asks for a recommendation, changes phase, restarts the
// app and finds everything kept. Screenshots of each screen in the three languages are artifacts.

const SHOTS = join('test-results', 'screenshots');

async function open(page: Page, app: WebApp): Promise<void> {
  await page.goto(app.loginUrl);
  await expect(page.getByTestId('step-phase')).toBeVisible();
  // The one-time token leaves the address bar as soon as it has been exchanged.
  expect(page.url()).not.toContain('token=');
}

test('a newcomer chooses a phase, and finds it again after a restart', async ({ browser }) => {
  const dataDir = newDataDir();
  let app = await startWebApp(dataDir);
  const context = await browser.newContext({ locale: 'en-GB' });
  let page = await context.newPage();
  await open(page, app);

  await page.getByTestId('language-select').selectOption('fr');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choisissez votre phase');

  await page.getByTestId('copros-input').fill('60');
  await page.getByTestId('lotsPerCopro-input').fill('8');
  const rec = page.getByTestId('recommendation');
  await expect(rec).toHaveAttribute('data-phase', '1');
  await expect(rec).toContainText('Nous recommandons la Phase 1 · MVP');
  await expect(page.getByTestId('phase-column-1')).toContainText('Recommandée');
  await expect(page.getByTestId('economics-cost')).toHaveText(/~5\s€ \/ mois/);
  await expect(page.getByTestId('economics-revenue')).toHaveText(/900\s€ \/ mois/);
  await expect(page.getByTestId('economics-margin')).toHaveText(/99,4\s%/);
  // The recommended phase is preselected: Next can go on with it, or another phase can be chosen.
  await expect(page.getByTestId('choose-phase-1')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('nav-next')).toBeEnabled();

  await page.getByTestId('choose-phase-3').click();
  await expect(page.getByTestId('choose-phase-3')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('economics')).toHaveAttribute('data-phase', '3');
  await expect(page.getByTestId('economics-cost')).toHaveText(/~30\s€ \(dev\) – 90\s€ \(staging\) \/ mois/);
  await expect(page.getByTestId('economics-margin')).toHaveText(/−?-?\d+/);
  await expect(page.getByTestId('row-sla')).toContainText('99,5 %');
  await expect(page.getByTestId('nav-next')).toBeEnabled();

  // The choice is on disk before the app is stopped.
  await expect.poll(() => JSON.parse(readFileSync(join(dataDir, 'wizard.json'), 'utf8')).phase).toBe(3);
  // Restart: stop the server, start it again on the same data folder, open the new link.
  await context.close();
  await app.stop();
  app = await startWebApp(dataDir);
  const context2 = await browser.newContext({ locale: 'en-GB' });
  page = await context2.newPage();
  await open(page, app);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choisissez votre phase');
  await expect(page.getByTestId('copros-input')).toHaveValue('60');
  await expect(page.getByTestId('lotsPerCopro-input')).toHaveValue('8');
  await expect(page.getByTestId('choose-phase-3')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('recommendation')).toHaveAttribute('data-phase', '1');
  const saved = JSON.parse(readFileSync(join(dataDir, 'wizard.json'), 'utf8'));
  expect(saved).toEqual({ version: 1, step: 'phase', phase: 3, copros: 60, lotsPerCopro: 8, profileId: null });

  // Next goes on to the following step; the rail shows where we are.
  await page.getByTestId('nav-next').click();
  await expect(page.getByTestId('step-where')).toBeVisible();
  await expect(page.getByTestId('rail-where')).toHaveAttribute('aria-current', 'step');
  await page.getByTestId('nav-back').click();
  await expect(page.getByTestId('step-phase')).toBeVisible();
  await context2.close();
  await app.stop();
});

test('bad numbers are refused in the user language and nothing is saved', async ({ browser }) => {
  const dataDir = newDataDir();
  const app = await startWebApp(dataDir);
  const context = await browser.newContext({ locale: 'nl-BE' });
  const page = await context.newPage();
  await open(page, app);
  // The browser's language is followed when the user has not chosen one.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Kies uw fase');

  await page.getByTestId('copros-input').fill('12');
  await page.getByTestId('lotsPerCopro-input').fill('10');
  await expect(page.getByTestId('recommendation')).toHaveAttribute('data-phase', '1');
  await expect.poll(() => existsSync(join(dataDir, 'wizard.json')) && JSON.parse(readFileSync(join(dataDir, 'wizard.json'), 'utf8')).copros).toBe(12);

  const cases: [string, string][] = [
    ['-5', 'Geef minstens 0 in.'],
    ['veel', 'Geef een getal in.'],
    ['99999999999', 'Geef hoogstens 1.000.000 in.'],
    ['2.5', 'Geef een geheel getal in.'],
  ];
  for (const [value, message] of cases) {
    await page.getByTestId('copros-input').fill(value);
    await expect(page.getByTestId('copros-error')).toHaveText(message);
    await expect(page.getByTestId('copros-input')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('recommendation')).toHaveCount(0);
  }
  await page.screenshot({ path: join(SHOTS, 'phase-invalid-nl.png'), fullPage: true });
  // Nothing of the bad input reached the saved state.
  expect(JSON.parse(readFileSync(join(dataDir, 'wizard.json'), 'utf8')).copros).toBe(12);
  await context.close();
  await app.stop();
});

test('screenshots of each screen in French, Dutch and English', async ({ browser }) => {
  const app = await startWebApp(newDataDir());
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, app);
  await page.getByTestId('copros-input').fill('450');
  await page.getByTestId('lotsPerCopro-input').fill('12');
  await expect(page.getByTestId('recommendation')).toHaveAttribute('data-phase', '2');
  for (const lang of ['fr', 'nl', 'en'] as const) {
    await page.getByTestId('language-select').selectOption(lang);
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await page.getByTestId('choose-phase-2').click();
    await page.screenshot({ path: join(SHOTS, `phase-${lang}.png`), fullPage: true });
    await page.getByTestId('nav-next').click();
    await expect(page.getByTestId('step-where')).toBeVisible();
    await page.screenshot({ path: join(SHOTS, `where-${lang}.png`), fullPage: true });
    await page.getByTestId('nav-back').click();
  }
  await context.close();

  // The page a browser sees without the token.
  for (const locale of ['fr-BE', 'nl-BE', 'en-GB']) {
    const ctx = await browser.newContext({ locale });
    const p = await ctx.newPage();
    await p.goto(app.baseUrl);
    await expect(p.getByTestId('session-refused')).toBeVisible();
    await p.screenshot({ path: join(SHOTS, `needs-token-${locale.slice(0, 2)}.png`) });
    await ctx.close();
  }
  await app.stop();
});

test('the web server refuses requests without the token, from a foreign Origin or Host', async ({ browser, request }) => {
  const app = await startWebApp(newDataDir());
  // No token: the page says how to get in, and the API socket is refused.
  const ctx = await browser.newContext({ locale: 'fr-BE' });
  const page = await ctx.newPage();
  await page.goto(app.baseUrl);
  await expect(page.getByTestId('session-refused')).toContainText('Ouvrez le lien affiché dans le terminal');
  const ws = await request.get(`${app.baseUrl}ws`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: app.baseUrl.slice(0, -1) } });
  expect(ws.status()).toBe(401);
  // A wrong token.
  const wrong = await request.post(`${app.baseUrl}session`, { data: { token: 'guess' }, headers: { Origin: app.baseUrl.slice(0, -1) } });
  expect(wrong.status()).toBe(401);
  expect((await wrong.json()).error.code).toBe('web.unauthorized');
  // Foreign Origin with the right token.
  const token = new URL(app.loginUrl).hash.replace('#token=', '');
  const foreign = await request.post(`${app.baseUrl}session`, { data: { token }, headers: { Origin: 'http://evil.example' } });
  expect(foreign.status()).toBe(403);
  // Foreign Host.
  const rebinding = await request.get(app.baseUrl, { headers: { Host: `evil.example:${app.port}` } });
  expect(rebinding.status()).toBe(421);
  // A used token is refused in the page too.
  const ctx2 = await browser.newContext({ locale: 'en-GB' });
  const p2 = await ctx2.newPage();
  await p2.goto(app.loginUrl);
  await expect(p2.getByTestId('step-phase')).toBeVisible();
  const ctx3 = await browser.newContext({ locale: 'en-GB' });
  const p3 = await ctx3.newPage();
  await p3.goto(app.loginUrl);
  await expect(p3.getByTestId('session-refused')).toContainText('This link has already been used');
  await ctx.close();
  await ctx2.close();
  await ctx3.close();
  await app.stop();
});
