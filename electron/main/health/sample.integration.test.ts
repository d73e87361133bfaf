import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection, type SshTarget } from '../ssh/connection';
import { BUSYBOX_IMAGE, docker, importBusyboxImage, startDocker, startSshd, startTcpProxy, type DockerHandle, type SshdHandle } from '../testing';
import { derive, takeSample, withContainerCpu, type TakeSampleOptions } from './sample';
import { Sampler, type SamplerEvent } from './sampler';

// Health sampling against a real OpenSSH server (non-root user, password-less sudo) and a real Docker
// engine holding a Compose-labelled project: a healthy service, a stopped one with an awkward label, a
// "database" container whose psql is a stand-in, and a container of another project that must not show.

const FAKE_PSQL = `#!/bin/sh
[ "$1 $2 $3 $4 $5 $6" = "-U koprogo -d koprogo_db -At -c" ] || { echo "psql: FATAL: role \\"$2\\" does not exist" >&2; exit 2; }
echo '12345678|3'
`;
const ODD_SERVICE = 'we"ird \\ svc';

let dockerd: DockerHandle;
let sshd: SshdHandle;
let target: SshTarget;
let conn: SshConnection;
let dir: string;
const project = `kgh${randomBytes(3).toString('hex')}`;

async function dockerOk(args: string[]): Promise<string> {
  const r = await docker(dockerd.env, args);
  if (r.code !== 0 && args[0] !== 'run') throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const labels = (p: string, service: string) => ['--label', `com.docker.compose.project=${p}`, '--label', `com.docker.compose.service=${service}`];

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  [dockerd, dir] = await Promise.all([startDocker(), Promise.resolve(mkdtempSync(join(tmpdir(), 'kgt-health-')))]);
  await importBusyboxImage(dockerd.env);
  sshd = await startSshd({ sudo: 'nopasswd', setEnv: { DOCKER_HOST: dockerd.env.DOCKER_HOST } });
  target = { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey };

  const psql = join(dir, 'psql');
  writeFileSync(psql, FAKE_PSQL, { mode: 0o755 });
  const none = ['--network', 'none'];
  await Promise.all([
    dockerOk(['run', '-d', '--name', `${project}-backend-1`, ...none, ...labels(project, 'backend'), '--health-cmd', 'true', '--health-interval', '1s', BUSYBOX_IMAGE, 'sleep', '3600']),
    dockerOk(['create', '--name', `${project}-postgres`, ...none, ...labels(project, 'postgres'), BUSYBOX_IMAGE, 'sleep', '3600']).then(async () => {
      await dockerOk(['cp', psql, `${project}-postgres:/bin/psql`]);
      await dockerOk(['start', `${project}-postgres`]);
    }),
    dockerOk(['run', '--name', `${project}-worker-1`, ...none, ...labels(project, ODD_SERVICE), BUSYBOX_IMAGE, 'false']),
    dockerOk(['run', '-d', '--name', `other${project}-x-1`, ...none, ...labels(`other${project}`, 'x'), BUSYBOX_IMAGE, 'sleep', '3600']),
  ]);
  await waitFor('a healthy backend', async () => ((await dockerOk(['inspect', '--format', '{{.State.Health.Status}}', `${project}-backend-1`])) === 'healthy' ? true : undefined));
  conn = await SshConnection.connect(target, { hostKeySha256: sshd.hostKeySha256 });
}, 90_000);

afterAll(async () => {
  conn?.close();
  await sshd?.stop();
  await dockerd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const withDb = (container: string, user = 'koprogo'): TakeSampleOptions => ({ project, postgres: { container, user, database: 'koprogo_db' } });

describe('a sample over SSH', () => {
  it('is ONE exec round trip, and every field is read from the server', async () => {
    const before = conn.roundTrips;
    const s = await takeSample(conn, withDb(`${project}-postgres`));
    expect(conn.roundTrips).toBe(before + 1);

    // The test server is this machine: its /proc says the same.
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    expect(s.memory.totalKb).toBe(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)![1]));
    expect(s.memory.availableKb).toBeGreaterThan(0);
    expect(s.memory.swapTotalKb).toBe(Number(/^SwapTotal:\s+(\d+)/m.exec(meminfo)![1]));
    expect(s.cpus).toBe(readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length);
    expect(s.cpu.user + s.cpu.system + s.cpu.idle).toBeGreaterThan(0);
    expect(Math.abs(s.uptimeSec - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]))).toBeLessThan(30);
    expect(Math.abs(s.serverTime - Date.now())).toBeLessThan(5_000);
    expect(s.load.one).toBeGreaterThanOrEqual(0);
    expect(s.disk).toMatchObject({ mount: '/' });
    expect(s.disk!.totalKb).toBeGreaterThan(s.disk!.availableKb);
    expect(s.docker).toEqual({ status: 'ok', error: null });
    expect(s.scriptCpuMs).toBeGreaterThanOrEqual(0);
    expect(s.durationMs).toBeGreaterThan(0);

    const byService = new Map(s.containers.map((c) => [c.service, c]));
    expect([...byService.keys()].sort()).toEqual(['backend', 'postgres', ODD_SERVICE].sort());
    expect(byService.get('backend')).toMatchObject({ name: `${project}-backend-1`, image: BUSYBOX_IMAGE, state: 'running', health: 'healthy', restartCount: 0 });
    // From the container's cgroup files: a CPU counter (CPU % needs two readings, below) and memory as docker stats says.
    expect(byService.get('backend')!.cpuPercent).toBeNull();
    expect(byService.get('backend')!.cpuUsageUsec).toBeGreaterThan(0);
    expect(byService.get('backend')!.memoryBytes).toBeGreaterThan(0);
    expect(s.statsAtSec).toBeGreaterThan(s.uptimeSec - 1);
    expect(Date.now() - byService.get('backend')!.startedAt!).toBeLessThan(120_000);
    expect(byService.get('postgres')).toMatchObject({ name: `${project}-postgres`, state: 'running', health: null });
    // The awkward label came through Docker's own JSON encoding intact.
    expect(byService.get(ODD_SERVICE)).toMatchObject({ name: `${project}-worker-1`, state: 'exited', exitCode: 1, cpuPercent: null, memoryBytes: null });
    expect(s.postgres).toEqual({ status: 'ok', sizeBytes: 12_345_678, connections: 3 });

    // Memory as docker stats shows it: compared on the database container (no healthcheck exec there) between two samples.
    const statsMem = (await dockerOk(['stats', '--no-stream', '--format', '{{.MemUsage}}', `${project}-postgres`])).split('/')[0]!.trim();
    const [, value, unit] = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(statsMem)!;
    const statsBytes = Number(value) * { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[unit as 'B']!;
    const next = withContainerCpu(s, await takeSample(conn, { project }));
    const pgMemory = next.containers.find((c) => c.service === 'postgres')!.memoryBytes!;
    expect(Math.abs(pgMemory - statsBytes)).toBeLessThanOrEqual(Math.max(16 * 1024, statsBytes * 0.05));
    const backendCpu = next.containers.find((c) => c.service === 'backend')!.cpuPercent;
    expect(backendCpu).toBeGreaterThanOrEqual(0);
    expect(backendCpu).toBeLessThan(200);
    const point = derive(s, next);
    expect(point.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(point.cpuPercent).toBeLessThanOrEqual(100);
    expect(point.containerCounts).toMatchObject({ healthy: 1, running: 1, stopped: 1 });
  });

  it('a host-only sample reads no container and asks Docker nothing', async () => {
    const before = conn.roundTrips;
    const s = await takeSample(conn, { ...withDb('postgres'), containers: false });
    expect(conn.roundTrips).toBe(before + 1);
    expect(s).toMatchObject({ docker: { status: 'not_sampled', error: null }, containers: [], statsAtSec: null, postgres: null, containersAt: null });
    expect(s.memory.totalKb).toBeGreaterThan(0);
  });

  it('the database is found by Compose service too; a stopped, unknown or failing one is said', async () => {
    const results = await Promise.all([withDb('postgres'), withDb(`${project}-worker-1`), withDb('nope'), withDb('postgres', 'nobody')].map((o) => takeSample(conn, o)));
    expect(results.map((r) => r.postgres?.status)).toEqual(['ok', 'not_running', 'not_found', 'query_failed']);
    const failed = results[3]!.postgres;
    expect(failed?.status === 'query_failed' && failed.detail).toBe('psql: FATAL: role "nobody" does not exist');
  });

  it('parameters are data: a hostile project name runs nothing', async () => {
    const marker = join(dir, 'pwned');
    const s = await takeSample(conn, { project: `x'; touch ${marker}; echo '`, postgres: { container: 'db', user: `$(touch ${marker})`, database: '`id`' } });
    expect(s.containers).toEqual([]);
    expect(s.postgres).toEqual({ status: 'not_found' });
    expect(existsSync(marker)).toBe(false);
  });

  it("without root, Docker's refusal is reported, not hidden, and the host figures still come", async () => {
    const s = await takeSample(conn, { ...withDb('postgres'), privilege: 'user' });
    expect(s.docker.status).toBe('error');
    expect(s.docker.error).toMatch(/permission denied/i);
    expect(s.postgres).toEqual({ status: 'unavailable' });
    expect(s.memory.totalKb).toBeGreaterThan(0);
  });
});

describe('the sampler on a connection that breaks', () => {
  it('reports stale when the connection is cut, and recovers after reconnecting', async () => {
    const proxy = await startTcpProxy(sshd.port);
    const events: SamplerEvent[] = [];
    const sampler = new Sampler({
      connect: () => SshConnection.connect({ ...target, port: proxy.port }, { hostKeySha256: sshd.hostKeySha256, readyTimeoutMs: 5_000 }),
      target: { project },
      onEvent: (e) => events.push(e),
      foregroundMs: 300,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    try {
      sampler.setMode('foreground');
      await waitFor('two samples', () => (events.filter((e) => e.kind === 'sample').length >= 2 ? true : undefined));
      expect(sampler.status()).toMatchObject({ live: true, staleSince: null, connected: true });
      const firstPoint = events.filter((e) => e.kind === 'sample')[1]!;
      expect(firstPoint.kind === 'sample' && firstPoint.point.cpuPercent).toBeGreaterThanOrEqual(0);

      // The cut may find a sample running or the sampler waiting: either way the next attempt fails.
      const cutAt = Date.now();
      const lastGood = sampler.status().lastSampleAt!;
      proxy.refuse(true);
      proxy.cutAll();
      const stale = await waitFor('stale', () => events.find((e) => e.kind === 'stale'));
      // Stale since the attempt that failed: after the last good sample, not after the cut (it was running then).
      expect(stale.kind === 'stale' && stale.since).toBeGreaterThanOrEqual(lastGood);
      expect(stale.kind === 'stale' && stale.since).toBeLessThanOrEqual(Date.now());
      expect(stale.kind === 'stale' && stale.lastSampleAt).toBe(lastGood);
      expect(Date.now() - cutAt).toBeLessThan(5_000);
      expect(stale.kind === 'stale' && stale.error.code).toMatch(/^ssh\./);
      expect(sampler.status()).toMatchObject({ live: false, connected: false });
      expect(sampler.status().staleSince).toBe(stale.kind === 'stale' ? stale.since : -1);
      // While the server stays unreachable, attempts keep failing (with backoff): still stale, same "since".
      await waitFor('retries', () => (events.filter((e) => e.kind === 'stale').length >= 3 ? true : undefined));
      expect(new Set(events.filter((e) => e.kind === 'stale').map((e) => e.kind === 'stale' && e.since)).size).toBe(1);

      const sampleCount = events.filter((e) => e.kind === 'sample').length;
      proxy.refuse(false);
      await waitFor('recovery', () => (events.filter((e) => e.kind === 'sample').length > sampleCount ? true : undefined));
      expect(sampler.status()).toMatchObject({ live: true, staleSince: null, failures: 0, connected: true });
      expect(proxy.connections).toBe(1);
    } finally {
      sampler.stop();
      await proxy.stop();
    }
  }, 40_000);
});
