import { describe, expect, it } from 'vitest';
import { appendPoint, onSignal, useHealth, valuesOf, type HealthCurrent, type SignalView } from './health-store';

// The live part of the charts: each sample extends the period's series, what left the period goes.

const point = (over: Partial<NonNullable<HealthCurrent['point']>> = {}): NonNullable<HealthCurrent['point']> => ({
  at: 1000,
  cpuPercent: 12.5,
  ramUsedPercent: 40,
  swapUsedPercent: null,
  diskUsedPercent: 30,
  dockerDiskUsedPercent: 55,
  load: { one: 0.5, five: 0.4, fifteen: 0.3 },
  cpus: 2,
  rebooted: false,
  containers: [],
  postgres: { sizeBytes: 1e6, connections: 7 },
  postgresStatus: 'ok',
  docker: { status: 'ok', error: null },
  containersAt: 1000,
  scriptCpuMs: 10,
  durationMs: 50,
  ...over,
});

const current = (p: HealthCurrent['point'], p99: number | null = null) =>
  ({ point: p, https: p99 === null ? null : { latency: { p50: 1, p95: 2, p99, count: 3 } } }) as unknown as HealthCurrent;

describe('health store series', () => {
  it('reads each chart metric from a state; the disk is the fuller of / and Docker', () => {
    expect(valuesOf(current(point(), 42))).toEqual({ cpu: 12.5, ram: 40, load1: 0.5, disk: 55, p99Ms: 42, pgConnections: 7 });
    expect(valuesOf(current(point({ cpuPercent: null, dockerDiskUsedPercent: null, postgres: null })))).toEqual({ cpu: null, ram: 40, load1: 0.5, disk: 30, p99Ms: null, pgConnections: null });
    expect(valuesOf(current(null))).toEqual({});
  });

  it('appends a live point, skips missing readings and old or repeated times, drops what left the period', () => {
    const series = { ram: { t: [100, 200, 300], v: [1, 2, 3] }, cpu: { t: [300], v: [9] } };
    const out = appendPoint(series, 400, { ram: 4, cpu: null }, 150);
    expect(out.ram).toEqual({ t: [200, 300, 400], v: [2, 3, 4] });
    expect(out.cpu).toEqual({ t: [300], v: [9] });
    expect(out.disk).toEqual({ t: [], v: [] });
    expect(appendPoint(out, 400, { ram: 5 }, 0).ram).toEqual({ t: [200, 300, 400], v: [2, 3, 4] });
    expect(series.ram.t).toEqual([100, 200, 300]); // the input is not changed
  });
});

describe('signals that start', () => {
  const ram = { id: 'ram_sustained', metric: 'ram', targetPhase: 2, since: 1, window: null, evidence: {}, message: { code: 'health.signal.ram_sustained', params: {} } } as SignalView;
  const disk = { ...ram, id: 'disk_high' } as SignalView;

  it('on the open dashboard: its toast; elsewhere: an alert on every screen, one per deployment, not repeated', () => {
    useHealth.setState({ profileId: 'a', started: [], alerts: [] });
    onSignal({ profileId: 'a', profileName: 'A', started: [ram], recommendation: null });
    expect(useHealth.getState().started.map((s) => s.id)).toEqual(['ram_sustained']);
    expect(useHealth.getState().alerts).toEqual([]);
    onSignal({ profileId: 'b', profileName: 'B', started: [ram], recommendation: null });
    onSignal({ profileId: 'b', profileName: 'B', started: [disk, ram], recommendation: null });
    expect(useHealth.getState().alerts).toEqual([{ profileId: 'b', profileName: 'B', started: [disk, ram] }]);
    useHealth.getState().dismissAlerts();
    expect(useHealth.getState().alerts).toEqual([]);
  });
});
