import { defineConfig } from '@playwright/test';

// Debian's Chromium (browser downloads are not possible on our machines), flags from DESIGN.md.
export default defineConfig({
  testDir: 'e2e',
  testIgnore: 'electron/**',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    },
    viewport: { width: 1280, height: 860 },
  },
});
