// A small KoproGo-like repository (Compose files, env example, monitoring scripts) as a bare repo
// behind a file:// URL that any local user can clone. Tag v1.0.0, then one more commit on main.
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { guardCleanup } from './cleanup';
import { BUSYBOX_IMAGE } from './docker-host';
import { freePort } from './free-port';
import { requireFiles, runOk } from './proc';

export interface FixtureRepoOptions {
  /** Host port published on 127.0.0.1 for the backend's 8080; default: a free port. */
  port?: number;
  /** Image of the backend service; default local/busybox:1 (see importBusyboxImage). */
  image?: string;
  /**
   * A PostgreSQL service `postgres` (user koprogo, database koprogo_db, password from `.env`, data in a
   * named volume) with this image, e.g. local/postgres:15 (see postgres-image.ts); the backend waits for it.
   */
  postgresImage?: string;
}

export interface FixtureRepo {
  /**
   * file:// URL of the bare repository (owned by root). Root clones it as is; another user needs it in
   * git's safe.directory, e.g. `startSshd({ gitSafeDirectories: [repo.path] })`.
   */
  url: string;
  /** Path of the bare repository. */
  path: string;
  tags: string[];
  defaultBranch: 'main';
  /** The host port the prod override publishes (127.0.0.1:port → backend:8080). */
  port: number;
  /** Health URL once deployed: http://127.0.0.1:<port>/health, answers `ok`. */
  healthUrl: string;
  /** Commit ids: `tag` is v1.0.0 (VERSION 1.0.0), `head` is main (VERSION 1.1.0-dev). */
  commits: { tag: string; head: string };
  stop(): Promise<void>;
}

/** The PostgreSQL service of the fixture (see FixtureRepoOptions.postgresImage). */
export const FIXTURE_POSTGRES = { service: 'postgres', user: 'koprogo', database: 'koprogo_db' } as const;

function postgresService(image: string): string {
  return `
  postgres:
    image: ${image}
    environment:
      - POSTGRES_USER=${FIXTURE_POSTGRES.user}
      - POSTGRES_PASSWORD=\${POSTGRES_PASSWORD}
      - POSTGRES_DB=${FIXTURE_POSTGRES.database}
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "${FIXTURE_POSTGRES.user}", "-d", "${FIXTURE_POSTGRES.database}"]
      interval: 1s
      timeout: 3s
      retries: 60
`;
}

export function fixtureFiles(port: number, image = BUSYBOX_IMAGE, postgresImage?: string): Record<string, string> {
  const compose = `version: '3.8'

services:
  backend:
    image: ${image}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 2s
      retries: 30
`;
  return {
    'README.md': '# KoproGo (test fixture)\n\nA tiny stand-in for the KoproGo repository used by the deployment tests.\n',
    VERSION: '1.0.0\n',
    'docker-compose.yml': postgresImage ? `${compose}    depends_on:\n      - postgres\n${postgresService(postgresImage)}\nvolumes:\n  pgdata:\n` : compose,
    'docker-compose.prod.yml': `version: '3.8'

services:
  backend:
    restart: unless-stopped
    environment:
      - DOMAIN=\${DOMAIN}
      - ACME_EMAIL=\${ACME_EMAIL}
    ports:
      - "127.0.0.1:${port}:8080"
`,
    '.env.vps.example': `# KoproGo production settings (copy to .env and fill in)

# Public domain name of the application
DOMAIN=koprogo.example.com
# E-mail address for Let's Encrypt certificates
ACME_EMAIL=admin@example.com

# Database password (generate a strong one)
POSTGRES_PASSWORD=CHANGE_THIS_PASSWORD
# Secret used to sign session tokens (at least 32 characters)
JWT_SECRET=CHANGE_THIS_SECRET
`,
    'monitoring/scripts/vps_metrics.sh': '#!/bin/sh\necho "vps_metrics cpu=1 ram=2 disk=3"\n',
    'monitoring/scripts/postgres_metrics.sh': '#!/bin/sh\necho "postgres_metrics size=1 connections=2"\n',
  };
}

export async function createFixtureRepo(opts: FixtureRepoOptions = {}): Promise<FixtureRepo> {
  requireFiles({ git: '/usr/bin/git' });
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'kgt-git-'));
  const guard = guardCleanup(`git fixture ${dir}`, { sync: () => rmSync(dir, { recursive: true, force: true }) });
  try {
    const work = join(dir, 'work');
    const bare = join(dir, 'koprogo.git');
    // Isolated from the machine's git configuration (signing, hooks, default branch…).
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    const git = (cwd: string, ...args: string[]): Promise<string> => runOk('git', args, { cwd, env });

    await mkdir(work);
    await git(work, 'init', '-q', '-b', 'main');
    await git(work, 'config', 'user.name', 'KoproGo Test');
    await git(work, 'config', 'user.email', 'test@koprogo.invalid');
    await git(work, 'config', 'commit.gpgsign', 'false');
    for (const [name, content] of Object.entries(fixtureFiles(port, opts.image, opts.postgresImage))) {
      const file = join(work, name);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    }
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'KoproGo 1.0.0');
    await git(work, 'tag', '-a', 'v1.0.0', '-m', 'Release 1.0.0');
    const tag = (await git(work, 'rev-parse', 'HEAD')).trim();
    await writeFile(join(work, 'VERSION'), '1.1.0-dev\n');
    await git(work, 'commit', '-q', '-am', 'Start 1.1.0 development');
    const head = (await git(work, 'rev-parse', 'HEAD')).trim();
    await git(dir, 'clone', '-q', '--bare', work, bare);
    await git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
    await rm(work, { recursive: true, force: true });
    // Readable by every user (the SSH test user clones it), including the mkdtemp folder itself.
    await chmod(dir, 0o755);
    await runOk('chmod', ['-R', 'a+rX', dir]);
    return {
      url: pathToFileURL(bare).href,
      path: bare,
      tags: ['v1.0.0'],
      defaultBranch: 'main',
      port,
      healthUrl: `http://127.0.0.1:${port}/health`,
      commits: { tag, head },
      stop: () => guard.run(),
    };
  } catch (e) {
    await guard.run();
    throw e;
  }
}

export interface GitRepo {
  /** file:// URL of the bare repository (readable by every user). */
  url: string;
  path: string;
  /** Commit of the tag `v1.0.0`. */
  commit: string;
  stop(): Promise<void>;
}

/**
 * A bare repository holding `files` (scripts executable) at tag v1.0.0 on main, behind a file:// URL any local
 * user can clone: the fixture repositories of the recipe tests, deployed for real.
 */
export async function createGitRepo(files: Record<string, string>): Promise<GitRepo> {
  requireFiles({ git: '/usr/bin/git' });
  const dir = await mkdtemp(join(tmpdir(), 'kgt-git-'));
  const guard = guardCleanup(`git repo ${dir}`, { sync: () => rmSync(dir, { recursive: true, force: true }) });
  try {
    const work = join(dir, 'work');
    const bare = join(dir, 'repo.git');
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    const git = (cwd: string, ...args: string[]): Promise<string> => runOk('git', args, { cwd, env });
    await mkdir(work);
    await git(work, 'init', '-q', '-b', 'main');
    await git(work, 'config', 'user.name', 'KoproGo Test');
    await git(work, 'config', 'user.email', 'test@koprogo.invalid');
    await git(work, 'config', 'commit.gpgsign', 'false');
    for (const [name, content] of Object.entries(files)) {
      const file = join(work, name);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content, { mode: /\.(sh|bash)$/.test(name) ? 0o755 : 0o644 });
    }
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'KoproGo');
    await git(work, 'tag', '-a', 'v1.0.0', '-m', 'Release 1.0.0');
    const commit = (await git(work, 'rev-parse', 'HEAD')).trim();
    await git(dir, 'clone', '-q', '--bare', work, bare);
    await rm(work, { recursive: true, force: true });
    await chmod(dir, 0o755);
    await runOk('chmod', ['-R', 'a+rX', dir]);
    return { url: pathToFileURL(bare).href, path: bare, commit, stop: () => guard.run() };
  } catch (e) {
    await guard.run();
    throw e;
  }
}

/** git with no user or system configuration and no prompt: the same in CI and on a developer's machine. */
export const TEST_GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

export interface ReleaseFiles {
  compose: string;
  example: string;
}

/**
 * Adds a release to a fixture repository (`createFixtureRepo`): v1.0.0's `docker-compose.yml` and
 * `.env.vps.example` changed by `edit`, VERSION set, tagged `tag` (annotated) and pushed. Returns its commit.
 */
export async function addRelease(repoUrl: string, tag: string, edit: (files: ReleaseFiles) => ReleaseFiles): Promise<string> {
  const git = (cwd: string, ...args: string[]): Promise<string> => runOk('git', args, { cwd, env: TEST_GIT_ENV });
  const work = await mkdtemp(join(tmpdir(), 'kgt-release-'));
  try {
    await git(work, 'clone', '-q', repoUrl, 'w');
    const w = join(work, 'w');
    await git(w, 'config', 'user.name', 'KoproGo Test');
    await git(w, 'config', 'user.email', 'test@koprogo.invalid');
    await git(w, 'checkout', '-q', '--detach', 'v1.0.0');
    const files = edit({ compose: await readFile(join(w, 'docker-compose.yml'), 'utf8'), example: await readFile(join(w, '.env.vps.example'), 'utf8') });
    await writeFile(join(w, 'docker-compose.yml'), files.compose);
    await writeFile(join(w, '.env.vps.example'), files.example);
    await writeFile(join(w, 'VERSION'), `${tag.slice(1)}\n`);
    await git(w, 'commit', '-q', '-am', `KoproGo ${tag}`);
    await git(w, 'tag', '-a', tag, '-m', `Release ${tag}`);
    const commit = (await git(w, 'rev-parse', 'HEAD')).trim();
    await git(w, 'push', '-q', 'origin', `refs/tags/${tag}`);
    return commit;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The commit checked out in a deployment's folder (owned by another user: named safe for this one call). */
export async function headOf(checkout: string): Promise<string> {
  return (await runOk('git', ['-c', `safe.directory=${checkout}`, '-C', checkout, 'rev-parse', 'HEAD'], { env: TEST_GIT_ENV })).trim();
}
