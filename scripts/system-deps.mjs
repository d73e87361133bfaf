#!/usr/bin/env node
// The system components the tests need, in one list. On Debian as root they are installed with
// apt-get; elsewhere the script says exactly what to install. Runs before `npm ci` in CI (no deps).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian packages the tests use, with the file that proves each is installed. */
const SYSTEM_PACKAGES = [
  { pkg: 'chromium', proof: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', why: 'end-to-end tests (Playwright drives Chromium)' },
  { pkg: 'openssh-server', proof: '/usr/sbin/sshd', why: 'integration tests (a real OpenSSH server on 127.0.0.1)' },
  { pkg: 'openssh-client', proof: '/usr/bin/ssh', why: 'integration tests and benchmarks (ssh client)' },
  { pkg: 'openssh-client', proof: '/usr/bin/ssh-keygen', why: 'integration tests (temporary host and user keys)' },
  { pkg: 'docker.io', proof: '/usr/sbin/dockerd', why: 'integration tests (a real Docker engine with its own data root)' },
  { pkg: 'docker-compose', proof: '/usr/bin/docker-compose', why: 'integration tests (Compose, behind a `docker compose` shim)' },
  { pkg: 'busybox-static', proof: '/bin/busybox', why: 'integration tests (the locally imported container image)' },
  { pkg: 'sudo', proof: '/usr/bin/sudo', why: 'integration tests (deploying as a non-root user through sudo)' },
  { pkg: 'git', proof: '/usr/bin/git', why: 'integration tests (the fixture repository)' },
  { pkg: 'apache2-utils', proof: '/usr/bin/htpasswd', why: 'unit tests (htpasswd hashes checked by Apache\'s own tool)' },
  { pkg: 'docker-registry', proof: '/usr/bin/docker-registry', why: 'integration tests (a real image registry on 127.0.0.1: login, pull, moving tags)' },
  { pkg: 'postgresql-15', proof: '/usr/lib/postgresql/15/bin/postgres', why: 'integration tests (a real PostgreSQL 15: the test image made from its binaries, the scratch cluster of the backups)' },
  { pkg: 'logrotate', proof: '/usr/sbin/logrotate', why: 'integration tests (the log rotation the deployment configures)' },
  { pkg: 'bc', proof: '/usr/bin/bc', why: 'integration tests (a monitoring script that calculates with bc)' },
  { pkg: 'curl', proof: '/usr/bin/curl', why: 'integration tests (the health check through the reverse proxy)' },
  { pkg: 'tmux', proof: '/usr/bin/tmux', why: 'integration tests (K3s runs detached on the control host)' },
  { pkg: 'util-linux', proof: '/usr/bin/setpriv', why: 'integration tests (the PostgreSQL test image drops root with setpriv)' },
];

function sh(cmd, args, opts = {}) {
  process.stdout.write(`\n$ ${[cmd, ...args].join(' ')}\n`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (res.status !== 0) {
    process.stderr.write(`\nFailed: ${[cmd, ...args].join(' ')} (exit ${res.status ?? res.signal})\n`);
    process.exit(res.status ?? 1);
  }
}

function isDebian() {
  try {
    return /^ID(_LIKE)?=.*debian/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

export function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((p) => !existsSync(p.proof));
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((p) => p.pkg))];
  if (process.platform === 'linux' && isDebian() && process.getuid?.() === 0) {
    sh('apt-get', ['update', '-qq']);
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return;
  }
  process.stderr.write('The tests need these system components, which are missing:\n');
  for (const p of missing) process.stderr.write(`  - ${p.pkg} (${p.why}); expected at ${p.proof}\n`);
  process.stderr.write(
    `\nOn Debian or Ubuntu: sudo apt-get install ${names.join(' ')}\n` +
      'Elsewhere: install the equivalent packages (for Chromium, set CHROMIUM_PATH to its executable), then run npm test again.\n',
  );
  process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureSystemPackages();

