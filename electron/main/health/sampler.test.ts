import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors';
import type { SshConnection } from '../ssh/connection';
import type { ContainerSample, TakenSample, TakeSampleOptions } from './sample';
import { RingBuffer, Sampler, type SamplerEvent, type SamplerOptions } from './sampler';
import { hostSample, ID_A } from './test-helpers';

// The sampler's schedule, staleness and reconnection with fake timers, a fake connection and a fake
// sample (the real ones are exercised in sample.integration.test.ts).

class FakeConn {
  isClosed = false;
  close(): void {
    this.isClosed = true;
  }
}

interface Rig {
  sampler: Sampler;
  events: SamplerEvent[];
  conns: FakeConn[];
  /** Times (fake clock) at which a sample started. */
  calls: number[];
  /** What the next samples do: 'ok', an error, or a delay in ms before answering ok. */
  script: (AppError | 'ok' | number)[];
  connectFails: number;
}

function rig(opts: Partial<SamplerOptions> = {}): Rig {
  const r: Rig = { events: [], conns: [], calls: [], script: [], connectFails: 0 } as unknown as Rig;
  let n = 0;
  r.sampler = new Sampler({
    target: { project: 'koprogo' },
    onEvent: (e) => r.events.push(e),
    random: () => 0.5, // no jitter
    connect: async () => {
      if (r.connectFails > 0) {
        r.connectFails--;
        throw new AppError('ssh.connection_refused', { host: 'h' });
      }
      const c = new FakeConn();
      r.conns.push(c);
      return c as unknown as SshConnection;
    },
    sample: async (conn): Promise<TakenSample> => {
      r.calls.push(Date.now());
      const step = r.script.shift() ?? 'ok';
      if (typeof step === 'number') await new Promise((res) => setTimeout(res, step));
      if (step instanceof AppError) {
        if (step.code === 'ssh.disconnected') (conn as unknown as FakeConn).close();
        throw step;
      }
      n++;
      return hostSample({ receivedAt: Date.now(), uptimeSec: 1000 + n, cpu: { user: n * 10, nice: 0, system: 0, idle: n * 30, iowait: 0, irq: 0, softirq: 0, steal: 0 } });
    },
    ...opts,
  });
  return r;
}

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const kinds = (r: Rig) => r.events.map((e) => e.kind);
const since = (r: Rig) => r.calls.map((t) => t - T0);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Sampler schedule', () => {
  it('does nothing until a mode is set, then samples every 5 s in the foreground', async () => {
    const r = rig();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.calls).toEqual([]);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(since(r)).toEqual([10_000, 15_000, 20_000, 25_000]);
    expect(kinds(r)).toEqual(['sample', 'sample', 'sample', 'sample']);
    expect(r.conns).toHaveLength(1); // one connection, reused
    expect(r.sampler.status()).toMatchObject({ live: true, staleSince: null, failures: 0, connected: true, mode: 'foreground' });
  });

  it('every 60 s in the background; back in the foreground it samples at once when the data is old', async () => {
    const r = rig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(1_000);
    r.sampler.setMode('background');
    await vi.advanceTimersByTimeAsync(130_000);
    expect(since(r)).toEqual([0, 60_000, 120_000]);
    await vi.advanceTimersByTimeAsync(20_000); // t = 151 s, last sample at 120 s
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(0);
    expect(since(r).at(-1)).toBe(151_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(since(r).at(-1)).toBe(156_000);
  });

  it('back in the foreground with fresh data: waits for the rest of the interval', async () => {
    const r = rig();
    r.sampler.setMode('background');
    await vi.advanceTimersByTimeAsync(2_000);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(since(r)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(since(r)).toEqual([0, 5_000]);
  });

  it('paused: nothing runs; resuming samples at once', async () => {
    const r = rig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(1_000);
    r.sampler.setMode('paused');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(since(r)).toEqual([0]);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(0);
    expect(since(r)).toEqual([0, 601_000]);
  });

  it('samples never overlap: a slow one pushes the next one back', async () => {
    const r = rig();
    r.script.push(7_000); // the first sample takes 7 s
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(12_010);
    const [first, second, third] = since(r);
    expect(first).toBe(0);
    // Right after the slow one (a zero delay may be the timer's 1 ms), then the usual pace.
    expect(second).toBeGreaterThanOrEqual(7_000);
    expect(second).toBeLessThanOrEqual(7_001);
    expect(third).toBe(second! + 5_000);
  });

  it('the first point has no CPU figure, the next ones do', async () => {
    const r = rig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(5_000);
    const points = r.sampler.history();
    expect(points.map((p) => p.cpuPercent)).toEqual([null, 25]);
  });

  it('keeps a bounded history, oldest first', async () => {
    const r = rig({ historySize: 3 });
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(r.calls).toHaveLength(5);
    expect(r.sampler.history().map((p) => p.at - T0)).toEqual([10_000, 15_000, 20_000]);
  });
});

describe('Sampler failures', () => {
  it('a lost connection: stale since the failure, reconnects with exponential backoff, then live again', async () => {
    const r = rig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(0);
    r.script.push(new AppError('ssh.disconnected', { host: 'h' }));
    r.connectFails = 3;
    await vi.advanceTimersByTimeAsync(5_000); // t=5 s: the sample fails
    const stale = r.events.at(-1)!;
    expect(stale).toMatchObject({ kind: 'stale', since: T0 + 5_000, lastSampleAt: T0, failures: 1, retryAt: T0 + 6_000 });
    expect(stale.kind === 'stale' && stale.error.code).toBe('ssh.disconnected');
    expect(r.sampler.status()).toMatchObject({ live: false, staleSince: T0 + 5_000, connected: false });
    // Reconnection attempts at +1 s, +2 s, +4 s (refused three times), then +8 s works.
    await vi.advanceTimersByTimeAsync(1_000 + 2_000 + 4_000 + 8_000);
    const staleEvents = r.events.filter((e) => e.kind === 'stale');
    expect(staleEvents.map((e) => e.kind === 'stale' && [e.since - T0, e.failures, e.error.code])).toEqual([
      [5_000, 1, 'ssh.disconnected'],
      [5_000, 2, 'ssh.connection_refused'],
      [5_000, 3, 'ssh.connection_refused'],
      [5_000, 4, 'ssh.connection_refused'],
    ]);
    expect(kinds(r).at(-1)).toBe('sample');
    expect(since(r).at(-1)).toBe(20_000);
    expect(r.conns).toHaveLength(2);
    expect(r.conns[0]!.isClosed).toBe(true);
    expect(r.sampler.status()).toMatchObject({ live: true, staleSince: null, failures: 0, lastError: null, connected: true });
    // Back to the normal pace.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(since(r).at(-1)).toBe(25_000);
  });

  it('backoff is capped and jittered', async () => {
    const r = rig({ backoff: { initialMs: 1_000, maxMs: 4_000, factor: 2, jitter: 0.2 }, random: () => 1 });
    r.connectFails = 100;
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(30_000);
    const retries = r.events.map((e) => (e.kind === 'stale' ? e.retryAt! - T0 : 0));
    // +20 % of 1, 2, 4, 4, 4 s
    expect(retries.slice(0, 5)).toEqual([1_200, 1_200 + 2_400, 3_600 + 4_800, 8_400 + 4_800, 13_200 + 4_800]);
  });

  it('a bad sample on a good connection: stale, retried at the usual pace on the same connection', async () => {
    const r = rig();
    r.script.push('ok', new AppError('internal.unexpected', { method: 'health.parse', field: 'cpu.user' }));
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.events.at(-1)).toMatchObject({ kind: 'stale', since: T0 + 5_000, retryAt: T0 + 10_000 });
    expect(r.sampler.status().connected).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(kinds(r)).toEqual(['sample', 'stale', 'sample']);
    expect(r.conns).toHaveLength(1);
  });

  it('a timeout is not trusted: the connection is replaced', async () => {
    const r = rig();
    r.script.push(new AppError('ssh.timeout', { host: 'h' }));
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.conns[0]!.isClosed).toBe(true);
    expect(kinds(r)).toEqual(['stale', 'sample']);
    expect(r.conns).toHaveLength(2);
  });

  it('no first connection at all: stale from the first attempt, no last sample', async () => {
    const r = rig();
    r.connectFails = 1;
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.events).toEqual([expect.objectContaining({ kind: 'stale', since: T0, lastSampleAt: null, failures: 1 })]);
    expect(r.sampler.status().live).toBe(false);
  });

  it('switching modes during a backoff keeps the backoff; pausing cancels it', async () => {
    const r = rig();
    r.connectFails = 1;
    r.sampler.setMode('background');
    await vi.advanceTimersByTimeAsync(0);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kinds(r)).toEqual(['stale', 'sample']);
    r.connectFails = 1;
    r.script.push(new AppError('ssh.disconnected', { host: 'h' }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(kinds(r).at(-1)).toBe('stale');
    r.sampler.setMode('paused');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(kinds(r).at(-1)).toBe('stale');
  });

  it('anything thrown that is not an AppError becomes internal.unexpected', async () => {
    const r = rig({ sample: async () => Promise.reject(new TypeError('boom')) });
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(0);
    const e = r.events[0]!;
    expect(e.kind === 'stale' && e.error.toEnvelope()).toMatchObject({ code: 'internal.unexpected', params: { method: 'health.sample', reason: 'TypeError: boom' } });
  });
});

describe('Sampler sampleNow', () => {
  it('samples at once (a refresh button) and the schedule follows from there', async () => {
    const r = rig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(2_000);
    await r.sampler.sampleNow();
    expect(since(r)).toEqual([0, 2_000]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(since(r)).toEqual([0, 2_000, 7_000]);
  });
});

describe('Sampler stop', () => {
  it('closes the connection and drops what was in flight', async () => {
    const r = rig();
    r.script.push('ok', 3_000);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(6_000); // second sample in flight
    r.sampler.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(kinds(r)).toEqual(['sample']);
    expect(r.conns[0]!.isClosed).toBe(true);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.calls).toHaveLength(2);
  });
});

describe('RingBuffer', () => {
  it('keeps the newest items in order', () => {
    const b = new RingBuffer<number>(3);
    expect(b.toArray()).toEqual([]);
    expect(b.last()).toBeUndefined();
    for (let i = 1; i <= 7; i++) b.push(i);
    expect(b.toArray()).toEqual([5, 6, 7]);
    expect(b.size).toBe(3);
    expect(b.last()).toBe(7);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('Sampler: containers read less often than the host', () => {
  // A fake server whose one container burns half a core; it answers host-only when asked to (containers: false).
  function containerRig(containersMs?: number) {
    const targets: TakeSampleOptions[] = [];
    let n = 0; // container readings: the container restarts once between two readings
    const r = rig({
      ...(containersMs === undefined ? {} : { containersMs }),
      sample: async (_conn, target): Promise<TakenSample> => {
        targets.push(target);
        const uptimeSec = (Date.now() - T0) / 1000 + 100;
        const base = hostSample({ receivedAt: Date.now(), uptimeSec, containersAt: Date.now() });
        if (target.containers === false) return { ...base, docker: { status: 'not_sampled', error: null }, containers: [], statsAtSec: null, postgres: null, containersAt: null };
        n++;
        const c: ContainerSample = {
          id: ID_A, name: 'koprogo-backend-1', service: 'backend', image: 'img', state: 'running', health: 'healthy', restartCount: n, exitCode: 0,
          startedAt: 1, cpuPercent: null, cpuUsageUsec: Math.round(uptimeSec * 500_000), memoryBytes: 1024, memoryLimitBytes: null,
        };
        return { ...base, containers: [c], statsAtSec: uptimeSec, postgres: { status: 'ok', sizeBytes: n, connections: 1 } };
      },
    });
    return { r, targets };
  }
  const samples = (r: Rig) => r.events.flatMap((e) => (e.kind === 'sample' ? [e] : []));

  it('reads them on the first two samples, then every 30 s; in between the last values come with their age', async () => {
    const { r, targets } = containerRig();
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(65_000);
    // Samples at 0, 5, …, 65 s: containers at 0 and 5 s (two readings for CPU %), then 35 s and 65 s.
    expect(targets.map((t) => t.containers !== false)).toEqual([true, true, false, false, false, false, false, true, false, false, false, false, false, true]);
    expect(targets.every((t) => t.project === 'koprogo')).toBe(true);
    const s = samples(r);
    expect(s.map((e) => (e.point.containersAt === null ? null : e.point.containersAt - T0))).toEqual([0, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 35_000, 35_000, 35_000, 35_000, 35_000, 35_000, 65_000]);
    // CPU % from two readings: none on the first, half a core from the second on, carried in between.
    expect(s.map((e) => e.point.containers[0]?.cpuPercent ?? null)).toEqual([null, ...Array<number>(13).fill(50)]);
    // Carried samples keep the containers and the database of the last reading; restarts are counted between readings.
    expect(s[4]!.sample).toMatchObject({ docker: { status: 'ok' }, postgres: { status: 'ok', sizeBytes: 2 } });
    expect(s.map((e) => e.point.containers[0]?.restartsSincePrevious ?? null)).toEqual([null, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    // The host figures are fresh on every sample.
    expect(new Set(s.map((e) => e.sample.uptimeSec)).size).toBe(14);
  });

  it('in the background (60 s) every sample reads them', async () => {
    const { r, targets } = containerRig();
    r.sampler.setMode('background');
    await vi.advanceTimersByTimeAsync(180_000);
    expect(targets.map((t) => t.containers !== false)).toEqual([true, true, true, true]);
  });

  it('containersMs is an option', async () => {
    const { r, targets } = containerRig(10_000);
    r.sampler.setMode('foreground');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(targets.map((t) => t.containers !== false)).toEqual([true, true, false, true, false]);
  });
});
