// A real Docker engine (Debian docker.io) for integration tests, isolated from any system engine: its own
// data root, exec root, pid file and unix socket in a temp folder. Plus a busybox image made with
// `docker import` (no registry is reachable) and a Compose v2 CLI-plugin shim over Debian's Compose v1.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, closeSync, openSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { guardCleanup, KILL_MATCHING_SH } from './cleanup';
import { requireFiles, requireRoot, run, runOk, shq, sleep, type RunOptions, type RunResult } from './proc';

const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = '/usr/bin/docker';
const BUSYBOX = '/bin/busybox';
const BUSYBOX_APPLETS = ['sh', 'httpd', 'wget', 'sleep', 'cat', 'echo', 'ls', 'mkdir', 'true', 'false', 'nc', 'env', 'date'];
export const BUSYBOX_IMAGE = 'local/busybox:1';

export interface DockerEnv {
  DOCKER_HOST: string;
}

export interface DockerHandle {
  socketPath: string;
  /** `{ DOCKER_HOST: 'unix://…/docker.sock' }`: merge into a child's environment. */
  env: DockerEnv;
  /** `DOCKER_HOST=unix://…/docker.sock`, e.g. for sshd SetEnv or an env file. */
  dockerHostEnvLine: string;
  /** The engine's temp folder (data root, exec root, socket, log). */
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

export interface DockerOptions {
  /** Extra dockerd flags. */
  extraArgs?: string[];
  /** How long to wait for `docker version`; default 30 s. */
  startTimeoutMs?: number;
}

/**
 * Flags that keep this engine from touching host-wide state that a system engine or a second test
 * engine also owns: no docker0 bridge, no iptables chains, no ip_forward change. Containers get
 * networks only from Compose (user-defined bridges from their own address pool); ports published on
 * 127.0.0.1 work through docker-proxy, and containers reach each other by service name.
 */
function isolationArgs(): string[] {
  return ['--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none', '--default-address-pool', `base=${addressPool()},size=24`];
}

/** A random 10.x.y.0/20 (16 networks of /24) that overlaps no route of this host (e.g. another test engine). */
function addressPool(): string {
  const routes = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 7 && f[7] !== '00000000')
    .map((f) => {
      const le = (h: string | undefined): number => Buffer.from(h ?? '0', 'hex').readUInt32LE(0);
      const mask = le(f[7]);
      const start = (le(f[1]) & mask) >>> 0;
      return [start, start + (~mask >>> 0)] as const;
    });
  let pick = '';
  for (let i = 0; i < 50; i++) {
    const second = 200 + randomInt(50);
    const third = randomInt(16) * 16;
    const start = ((10 << 24) | (second << 16) | (third << 8)) >>> 0;
    pick = `10.${second}.${third}.0/20`;
    if (routes.every(([a, b]) => b < start || a > start + 4095)) break;
  }
  return pick;
}

export async function startDocker(opts: DockerOptions = {}): Promise<DockerHandle> {
  requireRoot('startDocker');
  requireFiles({ 'docker.io': DOCKERD, 'docker.io (cli)': DOCKER });
  await ensureGroup('docker');
  const dir = await mkdtemp(join(tmpdir(), 'kgt-docker-'));
  // Other users (the SSH test user in group docker) must reach the socket inside.
  await chmod(dir, 0o755);
  const socketPath = join(dir, 'docker.sock');
  const env: DockerEnv = { DOCKER_HOST: `unix://${socketPath}` };
  const guard = guardCleanup(`dockerd ${dir}`, { script: dockerTeardownScript(dir, socketPath) });

  // A log file, not a pipe: dockerd must outlive a crashed test process so the watchdog can still
  // remove its containers through the socket (Go exits on SIGPIPE when stderr is a dead pipe).
  const logPath = join(dir, 'dockerd.log');
  const tail = (n: number): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-n).join('\n') : '');
  let child: ChildProcess | undefined;
  try {
    const args = [
      '--data-root', join(dir, 'root'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'),
      '-H', env.DOCKER_HOST,
      '--group', 'docker',
      ...isolationArgs(),
      ...(opts.extraArgs ?? []),
    ];
    const logFd = openSync(logPath, 'a');
    try {
      child = spawn(DOCKERD, args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    for (;;) {
      if (exited) throw new Error(`dockerd exited during start-up:\n${tail(30)}`);
      if (existsSync(socketPath)) {
        const res = await run(DOCKER, ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, ...env }, timeoutMs: 5000 });
        if (res.code === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within the timeout:\n${tail(30)}`);
      await sleep(100);
    }
    return {
      socketPath,
      env,
      dockerHostEnvLine: `DOCKER_HOST=${env.DOCKER_HOST}`,
      dir,
      logs: () => tail(1000),
      stop: () => guard.run(),
    };
  } catch (e) {
    await guard.run();
    throw e;
  }
}

/**
 * Removes every container and network of the engine (so no bridge or veth is left behind), stops
 * dockerd (TERM, then KILL), kills its containerd and shims, unmounts what is left and removes the folder.
 */
function dockerTeardownScript(dir: string, socketPath: string): string {
  return `${KILL_MATCHING_SH}
export DOCKER_HOST=${shq(`unix://${socketPath}`)}
if [ -S ${shq(socketPath)} ]; then
  ids=$(timeout 10 docker ps -aq 2>/dev/null)
  [ -n "$ids" ] && timeout 30 docker rm -f -v $ids >/dev/null 2>&1
  timeout 15 docker network prune -f >/dev/null 2>&1
fi
kill_matching TERM ${shq(dir + '/')} dockerd
i=0
while [ $i -lt 150 ]; do
  alive=
  for d in /proc/[0-9]*; do
    [ "$(cat $d/comm 2>/dev/null)" = dockerd ] || continue
    tr '\\0' '\\n' < $d/cmdline 2>/dev/null | grep -qF -- ${shq(dir + '/')} && alive=1
  done
  [ -z "$alive" ] && break
  sleep 0.1; i=$((i+1))
done
kill_matching KILL ${shq(dir + '/')} dockerd 'containerd*' docker-proxy runc
sleep 0.1
grep -F ${shq(` ${dir}/`)} /proc/mounts | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf ${shq(dir)}
`;
}

async function ensureGroup(name: string): Promise<void> {
  const res = await run('getent', ['group', name]);
  if (res.code === 0) return;
  const add = await run('groupadd', ['-r', name]);
  // A concurrent fixture may have created it in between.
  if (add.code !== 0 && (await run('getent', ['group', name])).code !== 0) throw new Error(`groupadd ${name} failed: ${add.stderr.trim()}`);
}

/** Runs the docker CLI against an engine. */
export function docker(env: DockerEnv, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(DOCKER, args, { ...opts, env: { ...process.env, ...opts.env, ...env } });
}

/**
 * Imports a busybox image (`bin/busybox` and applet links, from busybox-static) as `tag`; does nothing
 * when the engine already has it. Returns the tag.
 */
export async function importBusyboxImage(env: DockerEnv, tag = BUSYBOX_IMAGE): Promise<string> {
  requireFiles({ 'busybox-static': BUSYBOX });
  if ((await docker(env, ['image', 'inspect', tag])).code === 0) return tag;
  const dir = await mkdtemp(join(tmpdir(), 'kgt-busybox-'));
  try {
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'tmp'), { mode: 0o1777 });
    await chmod(join(dir, 'tmp'), 0o1777);
    await copyFile(BUSYBOX, join(dir, 'bin', 'busybox'));
    await chmod(join(dir, 'bin', 'busybox'), 0o755);
    await Promise.all(BUSYBOX_APPLETS.map((a) => symlink('busybox', join(dir, 'bin', a))));
    const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn(DOCKER, ['import', '--change', 'ENV PATH=/bin', '-', tag], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    tar.stdout.pipe(imp.stdin);
    let err = '';
    tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
    imp.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const [tarCode, impCode] = await Promise.all([exitCode(tar), exitCode(imp)]);
    if (tarCode !== 0 || impCode !== 0) throw new Error(`docker import ${tag} failed (tar ${tarCode}, import ${impCode}): ${err.trim()}`);
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

/** The CLI plugin that maps `docker compose …` to Debian's Compose v1 (`docker-compose …`). */
export const COMPOSE_SHIM = `#!/bin/sh
# kgt-test compose shim: Docker CLI plugin over Compose v1 (written by electron/main/testing/docker-host.ts)
if [ "$1" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"test","Version":"1.29.2"}'
  exit 0
fi
shift
exec docker-compose "$@"
`;

function isOurShim(path: string): boolean {
  try {
    return readFileSync(path, 'utf8') === COMPOSE_SHIM;
  } catch {
    return false;
  }
}

/**
 * Writes the Compose shim to `<home>/.docker/cli-plugins/docker-compose` (default: the current user's
 * home, root's in the tests) and returns its path. Leaves a real plugin already there alone. Folders it
 * creates get the home's owner, so the CLI of that user can still write its config.
 */
export function installComposeShim(homeDir: string = userInfo().homedir): string {
  requireFiles({ 'docker-compose': '/usr/bin/docker-compose' });
  const path = join(homeDir, '.docker', 'cli-plugins', 'docker-compose');
  if (existsSync(path) && !isOurShim(path)) return path;
  const { uid, gid } = statSync(homeDir);
  for (const d of [join(homeDir, '.docker'), dirname(path)]) {
    if (!existsSync(d)) {
      mkdirSync(d, { mode: 0o755 });
      chownSync(d, uid, gid);
    }
  }
  writeFileSync(path, COMPOSE_SHIM, { mode: 0o755 });
  chmodSync(path, 0o755);
  chownSync(path, uid, gid);
  return path;
}

export const SYSTEM_PLUGIN_DIR = '/usr/local/lib/docker/cli-plugins';

export interface SystemShimHandle {
  path: string;
  stop(): Promise<void>;
}

/**
 * Puts the Compose shim in /usr/local/lib/docker/cli-plugins (seen by every user and by sudo). Several
 * fixtures may hold it at once: each registers a holder file, and the last one to stop removes the shim,
 * only if it is ours (a real plugin found there is never touched).
 */
export async function installComposeShimSystemWide(): Promise<SystemShimHandle> {
  requireRoot('installComposeShimSystemWide');
  requireFiles({ 'docker-compose': '/usr/bin/docker-compose' });
  const path = join(SYSTEM_PLUGIN_DIR, 'docker-compose');
  const holders = join(SYSTEM_PLUGIN_DIR, '.kgt-compose-shim-holders');
  if (existsSync(path) && !isOurShim(path)) return { path, stop: async () => undefined };
  const createdDirs = [dirname(SYSTEM_PLUGIN_DIR), SYSTEM_PLUGIN_DIR].filter((d) => !existsSync(d));
  mkdirSync(holders, { recursive: true, mode: 0o755 });
  const holder = join(holders, `${process.pid}-${randomUUID()}`);
  writeFileSync(holder, '');
  if (!isOurShim(path)) {
    const tmp = `${path}.kgt-${randomUUID()}`;
    writeFileSync(tmp, COMPOSE_SHIM, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, path); // atomic: a concurrent installer writing the same bytes is harmless
  }
  const release = (): void => {
    rmSync(holder, { force: true });
    const alive = readdirSync(holders).filter((h) => {
      const pid = Number(h.split('-')[0]);
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        rmSync(join(holders, h), { force: true }); // holder of a process that died
        return false;
      }
    });
    if (alive.length === 0) {
      if (isOurShim(path)) rmSync(path, { force: true });
      rmSync(holders, { recursive: true, force: true });
      for (const d of createdDirs.reverse()) {
        try {
          rmdirSync(d); // only when empty
        } catch {
          // still used
        }
      }
    }
  };
  const guard = guardCleanup('compose shim', { sync: release });
  return { path, stop: () => guard.run() };
}

/** Ids of a Compose project's containers (by the label Compose v1 and v2 both set). */
export async function composeContainers(env: DockerEnv, project: string): Promise<string[]> {
  const out = await runOk(DOCKER, ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { env: { ...process.env, ...env } });
  return out.split('\n').filter(Boolean);
}

/** Waits until every container of a Compose project reports `healthy` (or has no healthcheck and runs). */
export async function waitForComposeHealthy(env: DockerEnv, project: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const ids = await composeContainers(env, project);
    if (ids.length > 0) {
      const res = await docker(env, ['inspect', '--format', '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', ...ids]);
      last = res.stdout.trim();
      const rows = last.split('\n').map((l) => l.split(' '));
      if (res.code === 0 && rows.every(([, status, health]) => status === 'running' && (health === 'healthy' || health === 'none'))) return;
      if (rows.some(([, , health]) => health === 'unhealthy')) break;
    }
    await sleep(200);
  }
  throw new Error(`Compose project ${project} did not become healthy: ${last || 'no containers'}`);
}
