import { _electron as electron, expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The real desktop app, for machines where Electron's binary is installed (developers' laptops, the
// release workflow). Run with `npm run test:electron` after `npm run build`. Our CI machines cannot
// download Electron, so there the same wiring is covered by electron/main/security/electron-wiring.test.ts.

test('the desktop window opens on the phase chooser with the secure bridge', async () => {
  const userData = mkdtempSync(join(tmpdir(), 'koprogo-electron-'));
  const app = await electron.launch({ args: ['.'], env: { ...process.env, KOPROGO_DATA_DIR: userData } });
  const window = await app.firstWindow();
  await expect(window.getByTestId('step-phase')).toBeVisible();
  expect(window.url()).toBe('app://koprogo/index.html');
  // Only the contract crosses the bridge: no Node in the page.
  expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
  expect(await window.evaluate(() => Object.keys((globalThis as unknown as { api: object }).api).length)).toBeGreaterThan(5);
  await window.getByTestId('copros-input').fill('60');
  await window.getByTestId('lotsPerCopro-input').fill('8');
  await expect(window.getByTestId('recommendation')).toHaveAttribute('data-phase', '1');
  // Navigation away from the app is blocked.
  await window.evaluate(() => {
    globalThis.location.href = 'https://example.com/';
  });
  await expect(window.getByTestId('step-phase')).toBeVisible();
  await app.close();
});
