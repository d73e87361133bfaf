import { defineConfig } from '@playwright/test';

// The Electron spec: needs Electron's binary (not available on our CI machines).
export default defineConfig({ testDir: 'e2e/electron', outputDir: 'test-results/electron', timeout: 60_000, workers: 1 });
