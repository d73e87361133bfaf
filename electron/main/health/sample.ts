import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { Privilege, SshConnection } from '../ssh/connection';
import { SAMPLE_SCRIPT_VERSION, sampleScriptFor, type SampleTarget } from './sample-script';

// One health sample: the document the sampling script prints (validated strictly, so a change on
// either side fails loudly instead of charting nonsense), the call that takes it over SSH, and the
// figures derived from two consecutive samples.

/** Linux reports /proc times in USER_HZ, 100 on every architecture the providers sell (x86-64, arm64). */
export const USER_HZ = 100;

// ---- The wire document --------------------------------------------------------------------------

const counter = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** kB: up to 1 EiB. */
const kb = z.number().int().min(0).max(2 ** 50);
const loadValue = z.number().min(0).max(1_000_000);
const text = (max: number) => z.string().max(max);

const diskSchema = z
  .object({ mount: text(4096).min(1), totalKb: kb, usedKb: kb, availableKb: kb })
  .strict()
  .nullable();

const containerStates = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] as const;
export type ContainerState = (typeof containerStates)[number];
export type ContainerHealth = 'starting' | 'healthy' | 'unhealthy';

const containerSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    name: text(256).regex(/^\/?[A-Za-z0-9][A-Za-z0-9_.-]*$/),
    service: text(256),
    image: text(1024),
    state: z.enum(containerStates),
    // Docker says "none" when a healthcheck is declared as disabled.
    health: z.enum(['starting', 'healthy', 'unhealthy', 'none']).nullable(),
    restartCount: z.number().int().min(0).max(1_000_000_000),
    exitCode: z.number().int().min(-1).max(1_000_000),
    startedAt: text(64),
  })
  .strict();

// A running container's cgroup counters (null: that file was not readable).
const statSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    /** CPU time used since the container started, µs (cumulative). */
    cpuUsec: counter.nullable(),
    /** Memory used without the inactive page cache, as docker stats shows it. */
    memBytes: counter.nullable(),
    /** null: no limit. */
    memLimitBytes: counter.nullable(),
  })
  .strict();

const postgresSchema = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('ok'), sizeBytes: counter, connections: z.number().int().min(0).max(1_000_000) }).strict(),
    z.object({ status: z.enum(['not_found', 'not_running', 'unavailable']) }).strict(),
    z.object({ status: z.literal('query_failed'), detail: text(400) }).strict(),
  ])
  .nullable();

export const wireSampleSchema = z
  .object({
    v: z.literal(SAMPLE_SCRIPT_VERSION),
    timestampMs: z
      .number()
      .int()
      .min(Date.UTC(2000, 0, 1))
      .max(Date.UTC(2200, 0, 1)),
    uptimeSec: z.number().min(0).max(1e10),
    cpus: z.number().int().min(1).max(65_536),
    cpu: z
      .object({ user: counter, nice: counter, system: counter, idle: counter, iowait: counter, irq: counter, softirq: counter, steal: counter })
      .strict(),
    memory: z
      .object({ totalKb: kb.min(1), availableKb: kb, swapTotalKb: kb, swapFreeKb: kb })
      .strict()
      .superRefine((m, ctx) => {
        if (m.availableKb > m.totalKb) ctx.addIssue({ code: 'custom', path: ['availableKb'], message: 'more than totalKb' });
        if (m.swapFreeKb > m.swapTotalKb) ctx.addIssue({ code: 'custom', path: ['swapFreeKb'], message: 'more than swapTotalKb' });
      }),
    load: z.object({ one: loadValue, five: loadValue, fifteen: loadValue }).strict(),
    disk: diskSchema,
    dockerDisk: diskSchema,
    docker: z.enum(['ok', 'skipped', 'not_sampled', 'missing', 'error']),
    dockerError: text(400).nullable(),
    containers: z.array(containerSchema).max(1000),
    /** Server uptime when the cgroup files were read (null when no container was read). */
    statsAtSec: z.number().min(0).max(1e10).nullable(),
    stats: z.array(statSchema).max(1000),
    postgres: postgresSchema,
    cost: z.object({ userTicks: counter, systemTicks: counter, childUserTicks: counter, childSystemTicks: counter }).strict(),
  })
  .strict();

export type WireSample = z.infer<typeof wireSampleSchema>;

// ---- The parsed sample --------------------------------------------------------------------------

export interface DiskUsage {
  mount: string;
  totalKb: number;
  usedKb: number;
  availableKb: number;
}

export interface ContainerSample {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  /** Compose service ('' when the label is empty). */
  service: string;
  image: string;
  state: ContainerState;
  /** null: no healthcheck. */
  health: ContainerHealth | null;
  restartCount: number;
  exitCode: number;
  /** Epoch ms; null when never started. */
  startedAt: number | null;
  /**
   * Percent of ONE core (can exceed 100 on several cores) since the previous reading of the same container
   * (`withContainerCpu`); null from a single sample, or when not running or unknown.
   */
  cpuPercent: number | null;
  /** Cumulative CPU time of the container's cgroup, µs; null when not running or unreadable. */
  cpuUsageUsec: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
}

export type PostgresSample = NonNullable<WireSample['postgres']>;

export interface HostSample {
  /** Server clock, epoch ms (boot time + uptime: about one second of precision). */
  serverTime: number;
  uptimeSec: number;
  cpus: number;
  /** Aggregate jiffies since boot from /proc/stat. */
  cpu: WireSample['cpu'];
  memory: WireSample['memory'];
  load: WireSample['load'];
  disk: DiskUsage | null;
  /** The filesystem of /var/lib/docker when it is not the root one. */
  dockerDisk: DiskUsage | null;
  /** 'not_sampled': containers and database were not read this time (see `carryContainers`). */
  docker: { status: WireSample['docker']; error: string | null };
  containers: ContainerSample[];
  /** Server uptime (s) when the containers' counters were read; null when none was. */
  statsAtSec: number | null;
  /** null: no database was asked for. */
  postgres: PostgresSample | null;
  /** CPU time the sampling script used on the server (its shell and every process it ran), ms. */
  scriptCpuMs: number;
}

/** A sample as taken: plus when it arrived here and how long the round trip took. */
export interface TakenSample extends HostSample {
  receivedAt: number;
  durationMs: number;
  /**
   * When the containers and database figures were read (receivedAt of that sample): this sample's own
   * receivedAt, an earlier one when they were carried over (`carryContainers`), null when never read.
   */
  containersAt: number | null;
}

function parseError(field: string, reason: string): AppError {
  return new AppError('internal.unexpected', { method: 'health.parse', field, reason: reason.slice(0, 200) });
}

/** `containers[0].state` from a zod issue path. */
function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(document)';
}

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50,
  kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15,
};

/** "1.5MiB" → bytes; null for "--" or anything else. */
export function parseByteSize(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(value.trim());
  const unit = m ? BYTE_UNITS[m[2]!] : undefined;
  return m && unit ? Math.round(Number(m[1]) * unit) : null;
}

function parseStartedAt(value: string): number | null {
  // Docker's zero time ("0001-01-01T00:00:00Z") means never started.
  if (value === '' || value.startsWith('0001-')) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

/**
 * Parses the script's output. Leading lines are tolerated (a login script that prints something);
 * the document itself must be the last line, whole and exactly of the expected shape.
 */
export function parseSample(output: string): HostSample {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines[lines.length - 1];
  if (line === undefined) throw parseError('(document)', 'empty output');
  if (!line.startsWith('{')) throw parseError('(document)', 'the last line is not a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw parseError('(json)', `not valid JSON (${line.length} characters, truncated?): ${(error as Error).message}`);
  }
  const parsed = wireSampleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw parseError(fieldOf(issue.path), `${issue.code}: ${issue.message}`);
  }
  const w = parsed.data;
  const stats = new Map(w.stats.map((s) => [s.id, s]));
  const containers = w.containers.map((c): ContainerSample => {
    const s = c.state === 'running' ? stats.get(c.id) : undefined;
    return {
      id: c.id,
      name: c.name.replace(/^\//, ''),
      service: c.service,
      image: c.image,
      state: c.state,
      health: c.health === 'none' ? null : c.health,
      restartCount: c.restartCount,
      exitCode: c.exitCode,
      startedAt: parseStartedAt(c.startedAt),
      cpuPercent: null,
      cpuUsageUsec: s ? s.cpuUsec : null,
      memoryBytes: s ? s.memBytes : null,
      memoryLimitBytes: s ? s.memLimitBytes : null,
    };
  });
  return {
    serverTime: w.timestampMs,
    uptimeSec: w.uptimeSec,
    cpus: w.cpus,
    cpu: w.cpu,
    memory: w.memory,
    load: w.load,
    disk: w.disk,
    dockerDisk: w.dockerDisk,
    docker: { status: w.docker, error: w.dockerError },
    containers,
    statsAtSec: w.statsAtSec,
    postgres: w.postgres,
    scriptCpuMs: ((w.cost.userTicks + w.cost.systemTicks + w.cost.childUserTicks + w.cost.childSystemTicks) * 1000) / USER_HZ,
  };
}

// ---- Taking a sample ----------------------------------------------------------------------------

export interface TakeSampleOptions extends SampleTarget {
  /** How the script reaches root: 'sudo' (default), 'root' when the login is root, 'user' for a login in the docker group. */
  privilege?: Privilege | 'user';
  /** Default 30 s: the script's own Docker calls stop after 10 s each. */
  timeoutMs?: number;
}

/** Docker's rule for container names; also what the script can match without quoting. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** One sample: exactly one exec round trip on the connection. */
export async function takeSample(conn: SshConnection, opts: TakeSampleOptions = {}): Promise<TakenSample> {
  if (opts.postgres && !CONTAINER_NAME.test(opts.postgres.container)) {
    throw new AppError('internal.unexpected', { method: 'health.sample', field: 'postgres.container', reason: 'not a container or service name' });
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const result = await conn.run(sampleScriptFor(opts), { privilege: opts.privilege ?? 'sudo', timeoutMs });
  const host = conn.target.host;
  if (result.timedOut) throw new AppError('ssh.timeout', { host, method: 'health.sample', timeoutMs });
  if (result.code !== 0) {
    if (/password is required|a terminal is required/i.test(result.stderr)) throw new AppError('ssh.sudo_password', { host, user: conn.target.user });
    throw new AppError('internal.unexpected', {
      method: 'health.sample',
      exitCode: result.code ?? -1,
      reason: result.stderr.trim().slice(0, 200),
    });
  }
  const sample = parseSample(result.stdout);
  const receivedAt = Date.now();
  const read = sample.docker.status !== 'not_sampled';
  return { ...sample, receivedAt, durationMs: result.durationMs, containersAt: read ? receivedAt : null };
}

/**
 * Per-container CPU % from the cgroup counters of two samples that read the containers: CPU time used over the
 * server's own elapsed time (uptime), for the same container id started at the same time. Pure; table-tested.
 */
export function withContainerCpu<T extends HostSample>(prev: HostSample | null, next: T): T {
  if (!prev || prev.statsAtSec === null || next.statsAtSec === null) return next;
  const elapsedUsec = (next.statsAtSec - prev.statsAtSec) * 1e6;
  if (!(elapsedUsec > 0)) return next;
  const before = new Map(prev.containers.map((c) => [c.id, c]));
  return {
    ...next,
    containers: next.containers.map((c) => {
      const old = before.get(c.id);
      if (!old || c.cpuUsageUsec === null || old.cpuUsageUsec === null || old.startedAt !== c.startedAt) return c;
      const used = c.cpuUsageUsec - old.cpuUsageUsec;
      return used >= 0 ? { ...c, cpuPercent: round2((used / elapsedUsec) * 100) } : c;
    }),
  };
}

/**
 * A host-only sample (`docker: 'not_sampled'`) completed with the containers and database of the last sample that
 * read them; `containersAt` says how old they are.
 */
export function carryContainers(from: TakenSample, hostOnly: TakenSample): TakenSample {
  if (hostOnly.docker.status !== 'not_sampled') return hostOnly;
  return { ...hostOnly, docker: from.docker, containers: from.containers, statsAtSec: from.statsAtSec, postgres: from.postgres, containersAt: from.containersAt };
}

// ---- Derived figures ----------------------------------------------------------------------------

export type ContainerStatus = 'healthy' | 'unhealthy' | 'starting' | 'running' | 'restarting' | 'paused' | 'stopped';

export interface ContainerPoint {
  id: string;
  name: string;
  service: string;
  state: ContainerState;
  health: ContainerHealth | null;
  /** One word for the dashboard's colour: health first when there is a healthcheck. */
  status: ContainerStatus;
  restartCount: number;
  /** Restarts since the previous sample (null without one, or for a container that was not there). */
  restartsSincePrevious: number | null;
  startedAt: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
}

export interface HealthPoint {
  at: number;
  /** Busy share of all cores between the two samples, 0–100; null for the first sample or after a reboot. */
  cpuPercent: number | null;
  iowaitPercent: number | null;
  stealPercent: number | null;
  ramUsedPercent: number;
  swapUsedPercent: number | null;
  diskUsedPercent: number | null;
  dockerDiskUsedPercent: number | null;
  load: { one: number; five: number; fifteen: number };
  loadPerCpu: number;
  cpus: number;
  /** The server restarted between the two samples (uptime went back). */
  rebooted: boolean;
  containers: ContainerPoint[];
  containerCounts: Record<ContainerStatus, number>;
  postgres: { sizeBytes: number; connections: number } | null;
  /** When containers and database were read (they are read less often than the host): epoch ms, null when never. */
  containersAt: number | null;
  scriptCpuMs: number;
}

type CpuTimes = HostSample['cpu'];

function cpuTotals(c: CpuTimes): { busy: number; total: number } {
  const idle = c.idle + c.iowait;
  const busy = c.user + c.nice + c.system + c.irq + c.softirq + c.steal;
  return { busy, total: busy + idle };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const clampPct = (n: number): number => round2(Math.min(100, Math.max(0, n)));

/** df's Capacity: used over what non-root users can have (reserved blocks excluded). */
function diskPercent(d: DiskUsage | null): number | null {
  if (!d) return null;
  const usable = d.usedKb + d.availableKb;
  return usable > 0 ? clampPct((d.usedKb / usable) * 100) : null;
}

function statusOf(c: ContainerSample): ContainerStatus {
  switch (c.state) {
    case 'running':
      return c.health ?? 'running';
    case 'restarting':
      return 'restarting';
    case 'paused':
      return 'paused';
    default:
      return 'stopped';
  }
}

/** Figures for the dashboard from two consecutive samples (prev null: the first one). Table-tested. */
export function derive(prev: HostSample | null, next: HostSample & { receivedAt?: number; containersAt?: number | null }): HealthPoint {
  const rebooted = prev !== null && next.uptimeSec < prev.uptimeSec;
  let cpuPercent: number | null = null;
  let iowaitPercent: number | null = null;
  let stealPercent: number | null = null;
  if (prev && !rebooted) {
    const a = cpuTotals(prev.cpu);
    const b = cpuTotals(next.cpu);
    const dTotal = b.total - a.total;
    const wentBack = (Object.keys(next.cpu) as (keyof CpuTimes)[]).some((k) => next.cpu[k] < prev.cpu[k]);
    if (dTotal > 0 && !wentBack) {
      cpuPercent = clampPct(((b.busy - a.busy) / dTotal) * 100);
      iowaitPercent = clampPct(((next.cpu.iowait - prev.cpu.iowait) / dTotal) * 100);
      stealPercent = clampPct(((next.cpu.steal - prev.cpu.steal) / dTotal) * 100);
    }
  }
  const m = next.memory;
  const before = new Map((prev && !rebooted ? prev.containers : []).map((c) => [c.id, c]));
  const containers = next.containers.map((c): ContainerPoint => {
    const old = before.get(c.id);
    return {
      id: c.id,
      name: c.name,
      service: c.service,
      state: c.state,
      health: c.health,
      status: statusOf(c),
      restartCount: c.restartCount,
      restartsSincePrevious: old ? Math.max(0, c.restartCount - old.restartCount) : null,
      startedAt: c.startedAt,
      cpuPercent: c.cpuPercent,
      memoryBytes: c.memoryBytes,
    };
  });
  const containerCounts: Record<ContainerStatus, number> = { healthy: 0, unhealthy: 0, starting: 0, running: 0, restarting: 0, paused: 0, stopped: 0 };
  for (const c of containers) containerCounts[c.status]++;
  return {
    // This computer's clock when there is one: charts must not jump with the server's clock.
    at: next.receivedAt ?? next.serverTime,
    cpuPercent,
    iowaitPercent,
    stealPercent,
    ramUsedPercent: clampPct(((m.totalKb - m.availableKb) / m.totalKb) * 100),
    swapUsedPercent: m.swapTotalKb > 0 ? clampPct(((m.swapTotalKb - m.swapFreeKb) / m.swapTotalKb) * 100) : null,
    diskUsedPercent: diskPercent(next.disk),
    dockerDiskUsedPercent: diskPercent(next.dockerDisk),
    load: next.load,
    loadPerCpu: round2(next.load.one / next.cpus),
    cpus: next.cpus,
    rebooted,
    containers,
    containerCounts,
    postgres: next.postgres?.status === 'ok' ? { sizeBytes: next.postgres.sizeBytes, connections: next.postgres.connections } : null,
    containersAt: next.containersAt ?? null,
    scriptCpuMs: next.scriptCpuMs,
  };
}
