#!/usr/bin/env node
// `npm test`: makes sure the system components the tests need are present, then runs type checks,
// lint, unit and integration tests (vitest), the build, and the end-to-end tests (Playwright).
import { spawnSync } from 'node:child_process';
import { ensureSystemPackages } from './system-deps.mjs';

function run(cmd, args) {
  process.stdout.write(`\n$ ${[cmd, ...args].join(' ')}\n`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (res.status !== 0) {
    process.stderr.write(`\nFailed: ${[cmd, ...args].join(' ')} (exit ${res.status ?? res.signal})\n`);
    process.exit(res.status ?? 1);
  }
}

ensureSystemPackages();
run('npx', ['tsc', '-p', '.']);
run('npx', ['eslint', '.']);
run('npx', ['vitest', 'run']);
run('npx', ['electron-vite', 'build']);
run('npx', ['playwright', 'test']);
process.stdout.write('\nAll tests passed.\n');
