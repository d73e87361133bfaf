import type { HostSample, TakenSample, WireSample } from './sample';

// Sample documents for the health tests (imported by tests only).

export const ID_A = 'a'.repeat(64);
export const ID_B = 'b'.repeat(64);
export const ID_PG = 'c'.repeat(64);

/** A document as the script prints it: two running containers (one healthy), a stopped one, a database. */
export function wireDoc(): WireSample {
  return {
    v: 2,
    timestampMs: Date.UTC(2026, 10, 26, 9, 0, 0),
    uptimeSec: 4066.48,
    cpus: 2,
    cpu: { user: 175285, nice: 2983, system: 58177, idle: 562703, iowait: 4560, irq: 0, softirq: 828, steal: 159 },
    memory: { totalKb: 2_000_000, availableKb: 500_000, swapTotalKb: 0, swapFreeKb: 0 },
    load: { one: 1.69, five: 1.53, fifteen: 1.42 },
    disk: { mount: '/', totalKb: 41_000_000, usedKb: 28_000_000, availableKb: 12_000_000 },
    dockerDisk: null,
    docker: 'ok',
    dockerError: null,
    containers: [
      { id: ID_A, name: '/koprogo-backend-1', service: 'backend', image: 'koprogo/backend:1.0.0', state: 'running', health: 'healthy', restartCount: 0, exitCode: 0, startedAt: '2026-11-26T08:00:00.123456789Z' },
      { id: ID_PG, name: '/koprogo-postgres', service: 'postgres', image: 'postgres:15', state: 'running', health: null, restartCount: 2, exitCode: 0, startedAt: '2026-11-26T07:00:00Z' },
      { id: ID_B, name: '/koprogo-migrate-1', service: 'migrate', image: 'koprogo/backend:1.0.0', state: 'exited', health: null, restartCount: 0, exitCode: 1, startedAt: '0001-01-01T00:00:00Z' },
    ],
    statsAtSec: 4066.5,
    stats: [
      { id: ID_A, cpuUsec: 81_234_567, memBytes: 157_810_688, memLimitBytes: 2_047_621_120 },
      { id: ID_PG, cpuUsec: null, memBytes: null, memLimitBytes: null },
    ],
    postgres: { status: 'ok', sizeBytes: 12_345_678, connections: 3 },
    cost: { userTicks: 1, systemTicks: 0, childUserTicks: 3, childSystemTicks: 2 },
  };
}

export type CpuTimes = HostSample['cpu'];

export const IDLE_CPU: CpuTimes = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 };

/** A parsed sample with everything ordinary; override what a case is about. */
export function hostSample(over: Partial<TakenSample> = {}): TakenSample {
  return {
    serverTime: Date.UTC(2026, 10, 26, 9, 0, 0),
    uptimeSec: 1000,
    cpus: 2,
    cpu: { ...IDLE_CPU },
    memory: { totalKb: 1000, availableKb: 500, swapTotalKb: 0, swapFreeKb: 0 },
    load: { one: 0.5, five: 0.4, fifteen: 0.3 },
    disk: { mount: '/', totalKb: 100, usedKb: 50, availableKb: 50 },
    dockerDisk: null,
    docker: { status: 'ok', error: null },
    containers: [],
    statsAtSec: 1000,
    postgres: null,
    scriptCpuMs: 10,
    receivedAt: Date.UTC(2026, 10, 26, 9, 0, 0),
    durationMs: 50,
    containersAt: Date.UTC(2026, 10, 26, 9, 0, 0),
    ...over,
  };
}
