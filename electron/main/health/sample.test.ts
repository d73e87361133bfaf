import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors';
import { run } from '../testing';
import type { ExecResult, SshConnection } from '../ssh/connection';
import { carryContainers, derive, parseSample, takeSample, withContainerCpu, type ContainerSample, type HealthPoint, type TakenSample } from './sample';
import { SAMPLE_SCRIPT, sampleScriptFor } from './sample-script';
import { hostSample, ID_A, ID_B, ID_PG, IDLE_CPU, wireDoc, type CpuTimes } from './test-helpers';

// The parser and the derived figures, without a server. The script itself runs here too, locally,
// under dash and busybox sh (the server-side tests are in sample.integration.test.ts).

function parseFailure(text: string): AppError {
  try {
    parseSample(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('internal.unexpected');
    expect((error as AppError).params.method).toBe('health.parse');
    return error as AppError;
  }
  throw new Error(`parsed: ${text.slice(0, 80)}`);
}

const doc = (mutate: (d: Record<string, any>) => void): string => {
  const d = wireDoc() as unknown as Record<string, any>;
  mutate(d);
  return JSON.stringify(d);
};

describe('parseSample', () => {
  it('reads every field of a document', () => {
    const s = parseSample(JSON.stringify(wireDoc()) + '\n');
    expect(s).toMatchObject({
      serverTime: Date.UTC(2026, 10, 26, 9, 0, 0),
      uptimeSec: 4066.48,
      cpus: 2,
      cpu: { user: 175285, nice: 2983, system: 58177, idle: 562703, iowait: 4560, irq: 0, softirq: 828, steal: 159 },
      memory: { totalKb: 2_000_000, availableKb: 500_000, swapTotalKb: 0, swapFreeKb: 0 },
      load: { one: 1.69, five: 1.53, fifteen: 1.42 },
      disk: { mount: '/', totalKb: 41_000_000, usedKb: 28_000_000, availableKb: 12_000_000 },
      dockerDisk: null,
      docker: { status: 'ok', error: null },
      postgres: { status: 'ok', sizeBytes: 12_345_678, connections: 3 },
      scriptCpuMs: 60,
    });
    expect(s.containers).toEqual<ContainerSample[]>([
      {
        id: ID_A, name: 'koprogo-backend-1', service: 'backend', image: 'koprogo/backend:1.0.0', state: 'running', health: 'healthy',
        restartCount: 0, exitCode: 0, startedAt: Date.parse('2026-11-26T08:00:00.123Z'),
        cpuPercent: null, cpuUsageUsec: 81_234_567, memoryBytes: 157_810_688, memoryLimitBytes: 2_047_621_120,
      },
      {
        id: ID_PG, name: 'koprogo-postgres', service: 'postgres', image: 'postgres:15', state: 'running', health: null,
        restartCount: 2, exitCode: 0, startedAt: Date.parse('2026-11-26T07:00:00Z'), cpuPercent: null, cpuUsageUsec: null, memoryBytes: null, memoryLimitBytes: null,
      },
      {
        id: ID_B, name: 'koprogo-migrate-1', service: 'migrate', image: 'koprogo/backend:1.0.0', state: 'exited', health: null,
        restartCount: 0, exitCode: 1, startedAt: null, cpuPercent: null, cpuUsageUsec: null, memoryBytes: null, memoryLimitBytes: null,
      },
    ]);
  });

  it('tolerates lines a login script printed before the document', () => {
    expect(parseSample(`Welcome!\n\n${JSON.stringify(wireDoc())}\n`).cpus).toBe(2);
  });

  it.each([
    ['empty output', '', '(document)'],
    ['only noise', 'sudo: unable to resolve host\n', '(document)'],
    ['truncated JSON', JSON.stringify(wireDoc()).slice(0, 300), '(json)'],
    ['truncated JSON (cut in a string)', JSON.stringify(wireDoc()).slice(0, 1000), '(json)'],
    ['a number as a string', doc((d) => (d.memory.totalKb = '2000000')), 'memory.totalKb'],
    ['a missing field', doc((d) => delete d.load.five), 'load.five'],
    ['a missing section', doc((d) => delete d.cpu), 'cpu'],
    ['null where a counter belongs', doc((d) => (d.cpu.steal = null)), 'cpu.steal'],
    ['a negative counter', doc((d) => (d.cpu.idle = -1)), 'cpu.idle'],
    ['a fraction of a counter', doc((d) => (d.cpu.user = 1.5)), 'cpu.user'],
    ['an unknown field', doc((d) => (d.extra = 1)), '(document)'],
    ['an unknown container field', doc((d) => (d.containers[1].ports = [])), 'containers[1]'],
    ['an unknown container state', doc((d) => (d.containers[0].state = 'sleeping')), 'containers[0].state'],
    ['a container id that is not one', doc((d) => (d.containers[2].id = 'abc')), 'containers[2].id'],
    ['a CPU counter as text', doc((d) => (d.stats[0].cpuUsec = '81234567')), 'stats[0].cpuUsec'],
    ['a negative memory figure', doc((d) => (d.stats[0].memBytes = -1)), 'stats[0].memBytes'],
    ['docker stats text where counters belong', doc((d) => (d.stats[0] = { id: ID_A, cpu: '12.50%', mem: '1MiB / 2GiB' })), 'stats[0].cpuUsec'],
    ['a missing stats time', doc((d) => delete d.statsAtSec), 'statsAtSec'],
    ['an unknown docker status', doc((d) => (d.docker = 'later')), 'docker'],
    ['available memory above the total', doc((d) => (d.memory.availableKb = 3_000_000)), 'memory.availableKb'],
    ['no CPU at all', doc((d) => (d.cpus = 0)), 'cpus'],
    ['a timestamp in seconds', doc((d) => (d.timestampMs = 1_795_704_315)), 'timestampMs'],
    ['a load out of bounds', doc((d) => (d.load.one = 1e9)), 'load.one'],
    ['an unknown database status', doc((d) => (d.postgres = { status: 'maybe' })), 'postgres.status'],
    ['a database size as text', doc((d) => (d.postgres.sizeBytes = '12 MB')), 'postgres.sizeBytes'],
    ['another script version', doc((d) => (d.v = 1)), 'v'],
    ['an array instead of the document', '[1,2]', '(document)'],
  ])('rejects %s, naming the field', (_what, text, field) => {
    expect(parseFailure(text).params.field).toBe(field);
  });

  it('says why, briefly', () => {
    const e = parseFailure(JSON.stringify(wireDoc()).slice(0, 300));
    expect(String(e.params.reason)).toMatch(/not valid JSON \(300 characters, truncated\?\)/);
    expect(String(e.params.reason).length).toBeLessThanOrEqual(200);
  });
});

describe('takeSample', () => {
  const result = (over: Partial<ExecResult>): ExecResult => ({ code: 0, signal: null, stdout: '', stderr: '', durationMs: 12, timedOut: false, ...over });
  const fakeConn = (r: ExecResult) => {
    const run = vi.fn(async (_script: string, _opts: unknown) => r);
    return { run, conn: { run, target: { host: 'srv', port: 22, user: 'deploy' } } as unknown as SshConnection };
  };
  const failure = async (p: Promise<unknown>): Promise<AppError> => {
    const e = await p.then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  };

  it('runs the script once through sudo by default and parses what comes back', async () => {
    const { run, conn } = fakeConn(result({ stdout: JSON.stringify(wireDoc()) + '\n', durationMs: 42 }));
    const before = Date.now();
    const s = await takeSample(conn, { project: 'koprogo' });
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]![0]).toBe(sampleScriptFor({ project: 'koprogo' }));
    expect(run.mock.calls[0]![1]).toEqual({ privilege: 'sudo', timeoutMs: 30_000 });
    expect(s).toMatchObject({ cpus: 2, durationMs: 42 });
    expect(s.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it('containersAt: when the containers were read; null on a host-only sample', async () => {
    const full = await takeSample(fakeConn(result({ stdout: JSON.stringify(wireDoc()) })).conn, { project: 'koprogo' });
    expect(full.containersAt).toBe(full.receivedAt);
    const hostOnlyDoc = { ...wireDoc(), docker: 'not_sampled', containers: [], stats: [], statsAtSec: null, postgres: null };
    const { run, conn } = fakeConn(result({ stdout: JSON.stringify(hostOnlyDoc) }));
    const hostOnly = await takeSample(conn, { project: 'koprogo', containers: false });
    expect(run.mock.calls[0]![0]).toBe(sampleScriptFor({ project: 'koprogo', containers: false }));
    expect(hostOnly).toMatchObject({ docker: { status: 'not_sampled' }, containers: [], postgres: null, containersAt: null });
  });

  it('a name that is not a container or service name is refused before anything runs', async () => {
    const { run, conn } = fakeConn(result({}));
    const e = await failure(takeSample(conn, { project: 'p', postgres: { container: 'db; rm -rf /', user: 'u', database: 'd' } }));
    expect(e.params).toMatchObject({ method: 'health.sample', field: 'postgres.container' });
    expect(run).not.toHaveBeenCalled();
  });

  it.each([
    ['a timeout', result({ timedOut: true, code: null, signal: 'KILL' }), 'ssh.timeout', { host: 'srv', method: 'health.sample' }],
    ['sudo asking for a password', result({ code: 1, stderr: 'sudo: a password is required\n' }), 'ssh.sudo_password', { host: 'srv', user: 'deploy' }],
    ['a failing shell', result({ code: 127, stderr: 'sh: not found\n' }), 'internal.unexpected', { method: 'health.sample', exitCode: 127, reason: 'sh: not found' }],
    ['malformed output', result({ stdout: '{"v":1,' }), 'internal.unexpected', { method: 'health.parse', field: '(json)' }],
  ])('%s is a typed error', async (_what, r, code, params) => {
    const e = await failure(takeSample(fakeConn(r).conn, {}));
    expect(e.code).toBe(code);
    expect(e.params).toMatchObject(params);
  });
});

const cpu = (over: Partial<CpuTimes>): CpuTimes => ({ ...IDLE_CPU, ...over });
const container = (over: Partial<ContainerSample>): ContainerSample => ({
  id: ID_A, name: 'app-backend-1', service: 'backend', image: 'img', state: 'running', health: null, restartCount: 0, exitCode: 0,
  startedAt: null, cpuPercent: null, cpuUsageUsec: null, memoryBytes: null, memoryLimitBytes: null, ...over,
});

describe('derive', () => {
  const cpuCases: { name: string; prev: CpuTimes | null; next: CpuTimes; expected: Partial<HealthPoint> }[] = [
    { name: 'first sample: no CPU figure yet', prev: null, next: cpu({ user: 100, idle: 100 }), expected: { cpuPercent: null, iowaitPercent: null } },
    { name: 'half busy', prev: cpu({ user: 100, idle: 100 }), next: cpu({ user: 150, idle: 150 }), expected: { cpuPercent: 50 } },
    { name: 'idle', prev: cpu({ idle: 100 }), next: cpu({ idle: 500 }), expected: { cpuPercent: 0, stealPercent: 0 } },
    {
      name: 'every busy kind counts (user, nice, system, irq, softirq, steal)',
      prev: cpu({}),
      next: cpu({ user: 10, nice: 10, system: 10, irq: 10, softirq: 10, steal: 10, idle: 40 }),
      expected: { cpuPercent: 60, stealPercent: 10 },
    },
    { name: 'iowait is idle time, shown apart', prev: cpu({}), next: cpu({ user: 25, iowait: 50, idle: 25 }), expected: { cpuPercent: 25, iowaitPercent: 50 } },
    { name: 'no time passed', prev: cpu({ user: 5, idle: 5 }), next: cpu({ user: 5, idle: 5 }), expected: { cpuPercent: null } },
    { name: 'a counter went back', prev: cpu({ user: 100, idle: 100 }), next: cpu({ user: 90, idle: 300 }), expected: { cpuPercent: null } },
    { name: 'one third, rounded to 2 decimals', prev: cpu({}), next: cpu({ user: 1, idle: 2 }), expected: { cpuPercent: 33.33 } },
  ];
  it.each(cpuCases)('CPU: $name', ({ prev, next, expected }) => {
    const point = derive(prev ? hostSample({ cpu: prev, uptimeSec: 100 }) : null, hostSample({ cpu: next, uptimeSec: 105 }));
    expect(point).toMatchObject(expected);
  });

  it('a reboot between samples (uptime went back) gives no CPU figure and no restart counts', () => {
    const prev = hostSample({ uptimeSec: 9000, cpu: cpu({ user: 1000, idle: 1000 }), containers: [container({ restartCount: 1 })] });
    const next = hostSample({ uptimeSec: 30, cpu: cpu({ user: 1500, idle: 1600 }), containers: [container({ restartCount: 3 })] });
    expect(derive(prev, next)).toMatchObject({ rebooted: true, cpuPercent: null, containers: [{ restartsSincePrevious: null }] });
  });

  const gaugeCases: { name: string; sample: Partial<TakenSample>; expected: Partial<HealthPoint> }[] = [
    { name: 'RAM used is total minus available', sample: { memory: { totalKb: 1000, availableKb: 250, swapTotalKb: 0, swapFreeKb: 0 } }, expected: { ramUsedPercent: 75, swapUsedPercent: null } },
    { name: 'RAM full', sample: { memory: { totalKb: 1000, availableKb: 0, swapTotalKb: 100, swapFreeKb: 100 } }, expected: { ramUsedPercent: 100, swapUsedPercent: 0 } },
    { name: 'swap in use', sample: { memory: { totalKb: 1000, availableKb: 900, swapTotalKb: 400, swapFreeKb: 100 } }, expected: { swapUsedPercent: 75 } },
    { name: 'disk as df counts it (reserved blocks left out)', sample: { disk: { mount: '/', totalKb: 110, usedKb: 70, availableKb: 30 } }, expected: { diskUsedPercent: 70 } },
    { name: 'no disk figure', sample: { disk: null }, expected: { diskUsedPercent: null, dockerDiskUsedPercent: null } },
    { name: "Docker's own filesystem", sample: { dockerDisk: { mount: '/var/lib/docker', totalKb: 100, usedKb: 81, availableKb: 19 } }, expected: { dockerDiskUsedPercent: 81 } },
    { name: 'load per core', sample: { cpus: 4, load: { one: 3, five: 2, fifteen: 1 } }, expected: { loadPerCpu: 0.75, load: { one: 3, five: 2, fifteen: 1 }, cpus: 4 } },
    { name: 'database figures', sample: { postgres: { status: 'ok', sizeBytes: 42, connections: 7 } }, expected: { postgres: { sizeBytes: 42, connections: 7 } } },
    { name: 'database not answering', sample: { postgres: { status: 'query_failed', detail: 'FATAL' } }, expected: { postgres: null } },
    { name: "the script's own cost", sample: { scriptCpuMs: 30 }, expected: { scriptCpuMs: 30 } },
    { name: "this computer's clock", sample: { serverTime: 1, receivedAt: 2 }, expected: { at: 2 } },
    { name: 'when the containers were read', sample: { containersAt: 7 }, expected: { containersAt: 7 } },
  ];
  it.each(gaugeCases)('$name', ({ sample, expected }) => {
    expect(derive(null, hostSample(sample))).toMatchObject(expected);
  });

  const containerCases: { name: string; prev: ContainerSample[] | null; next: ContainerSample[]; expected: Partial<HealthPoint> }[] = [
    {
      name: 'status from state and health',
      prev: null,
      next: [
        container({ id: 'a', health: 'healthy' }),
        container({ id: 'b', health: 'unhealthy' }),
        container({ id: 'c', health: 'starting' }),
        container({ id: 'd' }),
        container({ id: 'e', state: 'restarting' }),
        container({ id: 'f', state: 'exited', exitCode: 137 }),
        container({ id: 'g', state: 'paused' }),
        container({ id: 'h', state: 'created' }),
        container({ id: 'i', state: 'dead' }),
      ],
      expected: {
        containers: ['healthy', 'unhealthy', 'starting', 'running', 'restarting', 'stopped', 'paused', 'stopped', 'stopped'].map((status) => expect.objectContaining({ status })) as never,
        containerCounts: { healthy: 1, unhealthy: 1, starting: 1, running: 1, restarting: 1, paused: 1, stopped: 3 },
      },
    },
    {
      name: 'restarts since the previous sample, by container id',
      prev: [container({ id: 'a', restartCount: 2 }), container({ id: 'b', restartCount: 5 })],
      next: [container({ id: 'a', restartCount: 4 }), container({ id: 'b', restartCount: 5 }), container({ id: 'new', restartCount: 1 })],
      expected: { containers: [4, 5, 1].map((restartCount, i) => expect.objectContaining({ restartCount, restartsSincePrevious: [2, 0, null][i] })) as never },
    },
    {
      name: 'a recreated container (same name, new id) starts over',
      prev: [container({ id: 'old', restartCount: 9 })],
      next: [container({ id: 'fresh', restartCount: 0 })],
      expected: { containers: [expect.objectContaining({ restartsSincePrevious: null })] as never },
    },
    {
      name: 'per-container CPU and memory pass through',
      prev: null,
      next: [container({ cpuPercent: 150.2, memoryBytes: 1024 })],
      expected: { containers: [expect.objectContaining({ cpuPercent: 150.2, memoryBytes: 1024, name: 'app-backend-1', service: 'backend' })] as never },
    },
    { name: 'no containers', prev: null, next: [], expected: { containers: [], containerCounts: { healthy: 0, unhealthy: 0, starting: 0, running: 0, restarting: 0, paused: 0, stopped: 0 } } },
  ];
  it.each(containerCases)('containers: $name', ({ prev, next, expected }) => {
    expect(derive(prev ? hostSample({ containers: prev }) : null, hostSample({ containers: next, uptimeSec: 1005 }))).toMatchObject(expected);
  });
});

describe('withContainerCpu', () => {
  const at = (statsAtSec: number | null, containers: ContainerSample[]) => hostSample({ statsAtSec, containers });
  const busy = (cpuUsageUsec: number | null, over: Partial<ContainerSample> = {}) => container({ cpuUsageUsec, startedAt: 1_000, ...over });
  const cases: { name: string; prev: TakenSample | null; next: TakenSample; expected: (number | null)[] }[] = [
    { name: 'half a core over 2 s', prev: at(100, [busy(5_000_000)]), next: at(102, [busy(6_000_000)]), expected: [50] },
    { name: '2.5 cores over 30 s (above 100 %)', prev: at(100, [busy(0)]), next: at(130, [busy(75_000_000)]), expected: [250] },
    { name: 'idle', prev: at(100, [busy(7)]), next: at(105, [busy(7)]), expected: [0] },
    { name: 'rounded to 2 decimals', prev: at(100, [busy(0)]), next: at(103, [busy(1_000_000)]), expected: [33.33] },
    { name: 'no previous sample', prev: null, next: at(100, [busy(5)]), expected: [null] },
    { name: 'a container not in the previous sample', prev: at(100, [busy(5, { id: ID_B })]), next: at(105, [busy(9)]), expected: [null] },
    { name: 'restarted since (counter starts over)', prev: at(100, [busy(9_000_000)]), next: at(105, [busy(1_000, { startedAt: 2_000 })]), expected: [null] },
    { name: 'a counter that went back', prev: at(100, [busy(9_000_000)]), next: at(105, [busy(1_000)]), expected: [null] },
    { name: 'no counter (not running, unreadable)', prev: at(100, [busy(null)]), next: at(105, [busy(5)]), expected: [null] },
    { name: 'the same reading twice (no time passed)', prev: at(100, [busy(5)]), next: at(100, [busy(9)]), expected: [null] },
    { name: 'a sample without container readings', prev: at(null, []), next: at(105, [busy(9)]), expected: [null] },
  ];
  it.each(cases)('$name', ({ prev, next, expected }) => {
    expect(withContainerCpu(prev, next).containers.map((c) => c.cpuPercent)).toEqual(expected);
  });
});

describe('carryContainers', () => {
  it('completes a host-only sample with the last containers and database, with their age', () => {
    const full = hostSample({ containers: [container({ cpuPercent: 12 })], statsAtSec: 990, postgres: { status: 'ok', sizeBytes: 1, connections: 2 }, containersAt: 111, receivedAt: 111 });
    const hostOnly = hostSample({ docker: { status: 'not_sampled', error: null }, containers: [], statsAtSec: null, postgres: null, containersAt: null, receivedAt: 222, load: { one: 9, five: 9, fifteen: 9 } });
    const merged = carryContainers(full, hostOnly);
    expect(merged).toMatchObject({ receivedAt: 222, load: { one: 9 }, docker: { status: 'ok' }, containers: full.containers, statsAtSec: 990, postgres: full.postgres, containersAt: 111 });
    expect(derive(full, merged)).toMatchObject({ containersAt: 111, containers: [expect.objectContaining({ cpuPercent: 12, restartsSincePrevious: 0 })] });
  });

  it('leaves a sample that read its containers alone', () => {
    const a = hostSample({ containersAt: 1 });
    const b = hostSample({ containersAt: 2, containers: [container({})] });
    expect(carryContainers(a, b)).toBe(b);
  });
});

describe("the script's cgroup reader", () => {
  // The real test host runs cgroup v1; servers on Debian 12 / Ubuntu 22.04+ run v2. Both layouts are given here
  // as fixture trees (a /proc and a cgroup root), and the script's own kg_cgroups function reads them.
  const ID1 = '1'.repeat(64);
  const ID2 = '2'.repeat(64);
  const tree = (files: Record<string, string>): string => {
    const root = mkdtempSync(join(tmpdir(), 'kgt-cgroup-'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  };
  const readWith = async (shell: string, root: string, input: string): Promise<unknown> => {
    const fn = SAMPLE_SCRIPT.replace(/kg_main "\$@" <\/dev\/null\n$/, '');
    expect(fn).not.toBe(SAMPLE_SCRIPT);
    const args = shell.endsWith('busybox') ? ['sh', '-s'] : ['-s'];
    const r = await run(shell, args, { input: `${fn}printf '{'; printf '%s' '${input}' | kg_cgroups '${root}/proc' '${root}/cg'; printf '}'\n` });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };
  const shells = ['/bin/dash', '/bin/busybox'].filter((s) => existsSync(s));

  it.each(shells)('cgroup v2 (systemd driver) under %s', async (shell) => {
    const root = tree({
      'proc/uptime': '4066.52 7000.01\n',
      'proc/41/cgroup': `0::/system.slice/docker-${ID1}.scope\n`,
      'proc/42/cgroup': `0::/system.slice/docker-${ID2}.scope\n`,
      'cg/cgroup.controllers': 'cpuset cpu io memory pids\n',
      [`cg/system.slice/docker-${ID1}.scope/cpu.stat`]: 'usage_usec 81234567\nuser_usec 60000000\nsystem_usec 21234567\n',
      [`cg/system.slice/docker-${ID1}.scope/memory.current`]: '157810688\n',
      [`cg/system.slice/docker-${ID1}.scope/memory.stat`]: 'anon 100000000\nfile 57810688\nactive_file 40000000\ninactive_file 10000000\n',
      [`cg/system.slice/docker-${ID1}.scope/memory.max`]: 'max\n',
      [`cg/system.slice/docker-${ID2}.scope/cpu.stat`]: 'usage_usec 5\n',
      [`cg/system.slice/docker-${ID2}.scope/memory.current`]: '4096\n',
      [`cg/system.slice/docker-${ID2}.scope/memory.stat`]: 'inactive_file 0\n',
      [`cg/system.slice/docker-${ID2}.scope/memory.max`]: '536870912\n',
    });
    try {
      await expect(readWith(shell, root, `${ID1} 41\n${ID2} 42\n`)).resolves.toEqual({
        statsAtSec: 4066.52,
        stats: [
          { id: ID1, cpuUsec: 81234567, memBytes: 147810688, memLimitBytes: null },
          { id: ID2, cpuUsec: 5, memBytes: 4096, memLimitBytes: 536870912 },
        ],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(shells)('cgroup v1 (cgroupfs driver), a vanished process and a junk line under %s', async (shell) => {
    const root = tree({
      'proc/uptime': '12.00 20.00\n',
      'proc/41/cgroup': `12:pids:/docker/${ID1}\n4:memory:/docker/${ID1}\n2:cpu,cpuacct:/docker/${ID1}\n0::/docker/${ID1}\n`,
      [`cg/cpuacct/docker/${ID1}/cpuacct.usage`]: '22618464123\n',
      [`cg/memory/docker/${ID1}/memory.usage_in_bytes`]: '520192\n',
      [`cg/memory/docker/${ID1}/memory.stat`]: 'cache 0\ninactive_file 4096\ntotal_inactive_file 8192\n',
      [`cg/memory/docker/${ID1}/memory.limit_in_bytes`]: '9223372036854771712\n',
    });
    try {
      // Pid 43 has exited since inspect: its figures are null, not an error. "x y" is not a container line.
      await expect(readWith(shell, root, `${ID1} 41\n${ID2} 43\nx y\n`)).resolves.toEqual({
        statsAtSec: 12,
        stats: [
          { id: ID1, cpuUsec: 22618464, memBytes: 512000, memLimitBytes: null },
          { id: ID2, cpuUsec: null, memBytes: null, memLimitBytes: null },
        ],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the sampling script', () => {
  it('takes its parameters only as shQuote-d positional parameters', () => {
    const script = sampleScriptFor({ project: "it's $(id)", postgres: { container: 'koprogo-postgres', user: 'kop"rogo', database: 'db name' } });
    expect(script.split('\n')[0]).toBe(`set -- 'it'\\''s $(id)' koprogo-postgres 'kop"rogo' 'db name' 1`);
    expect(script.slice(script.indexOf('\n') + 1)).toBe(SAMPLE_SCRIPT);
    expect(sampleScriptFor({}).split('\n')[0]).toBe(`set -- '' '' '' '' 1`);
    expect(sampleScriptFor({ project: 'p', containers: false }).split('\n')[0]).toBe(`set -- p '' '' '' ''`);
  });

  it('is POSIX sh: dash and busybox parse it', async () => {
    for (const shell of ['/bin/dash', '/bin/busybox']) {
      if (!existsSync(shell)) continue;
      const args = shell.endsWith('busybox') ? ['sh', '-n'] : ['-n'];
      const r = await run(shell, args, { input: SAMPLE_SCRIPT });
      expect(r.stderr, shell).toBe('');
      expect(r.code, shell).toBe(0);
    }
  });

  it.each([['/bin/dash'], ['/bin/busybox']])('runs under %s and prints a document the parser accepts', async (shell) => {
    if (!existsSync(shell)) return;
    const args = shell.endsWith('busybox') ? ['sh', '-s'] : ['-s'];
    // No project: no Docker needed on this machine.
    const r = await run(shell, args, { input: sampleScriptFor({ postgres: { container: 'db', user: 'u', database: 'd' } }) });
    expect(r.code).toBe(0);
    const s = parseSample(r.stdout);
    expect(s.docker.status).toBe('skipped');
    expect(s.postgres).toEqual({ status: 'unavailable' });
    expect(s.memory.totalKb).toBeGreaterThan(0);
    expect(s.disk?.mount).toBe('/');
    expect(Math.abs(s.serverTime - Date.now())).toBeLessThan(5_000);
  });
});
