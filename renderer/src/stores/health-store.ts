import { create } from 'zustand';
import type { Api, EventPayload, MethodOutput } from '../../../electron/shared/contract';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { toEnvelope } from './profile-store';

// The live dashboard as the renderer sees it: which deployment is shown, its current state (pushed
// by the main side's `health.sample` events), the chart series of the chosen period (bounded by the
// main side's min/max decimation, then extended live by each sample), container log lines on demand,
// and the signals that just started. While the dashboard is on screen the deployment is sampled every
// 5 s; hidden or closed, every 60 s (the main side keeps watching for the upgrade signals).

export type HealthCurrent = MethodOutput<'health.current'>;
export type SignalView = HealthCurrent['signals']['active'][number];
export type ChartMetric = 'cpu' | 'ram' | 'load1' | 'disk' | 'p99Ms' | 'pgConnections';
export const CHART_METRICS: readonly ChartMetric[] = ['cpu', 'ram', 'load1', 'disk', 'p99Ms', 'pgConnections'];
export type Series = { t: number[]; v: number[] };

export const RANGES = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeId = keyof typeof RANGES;

/** Points per series asked from the main side: about one per horizontal pixel pair of a chart. */
export const MAX_POINTS = 600;

export interface LogsView {
  loading: boolean;
  lines: string[] | null;
  error: ErrorEnvelope | null;
}

interface HealthStore {
  /** The deployment whose dashboard is open (null: closed). */
  profileId: string | null;
  current: HealthCurrent | null;
  range: RangeId;
  series: Partial<Record<ChartMetric, Series>>;
  seriesLoading: boolean;
  error: ErrorEnvelope | null;
  /** Container whose log lines are shown. */
  logsFor: string | null;
  logs: LogsView | null;
  /** Signals that just started on the open dashboard's deployment (shown until dismissed). */
  started: SignalView[];
  /** Signals that started on a deployment whose dashboard is not open (shown on every screen until dismissed or opened). */
  alerts: { profileId: string; profileName: string; started: SignalView[] }[];
  open(profileId: string): Promise<void>;
  close(): Promise<void>;
  setRange(range: RangeId): Promise<void>;
  loadHistory(): Promise<void>;
  setVisible(visible: boolean): Promise<void>;
  toggleLogs(container: string): Promise<void>;
  exportCsv(): Promise<{ filename: string; csv: string } | null>;
  dismissStarted(): void;
  dismissAlerts(): void;
}

/** The value of each chart metric in one state, or null when there is no reading. */
export function valuesOf(c: HealthCurrent): Partial<Record<ChartMetric, number | null>> {
  const p = c.point;
  if (!p) return {};
  const disk = p.diskUsedPercent === null ? p.dockerDiskUsedPercent : p.dockerDiskUsedPercent === null ? p.diskUsedPercent : Math.max(p.diskUsedPercent, p.dockerDiskUsedPercent);
  return { cpu: p.cpuPercent, ram: p.ramUsedPercent, load1: p.load.one, disk, p99Ms: c.https?.latency.p99 ?? null, pgConnections: p.postgres?.connections ?? null };
}

/** Adds one live point to each series and drops what left the period. Pure: returns new series. */
export function appendPoint(series: Partial<Record<ChartMetric, Series>>, at: number, values: Partial<Record<ChartMetric, number | null>>, from: number): Partial<Record<ChartMetric, Series>> {
  const out: Partial<Record<ChartMetric, Series>> = {};
  for (const m of CHART_METRICS) {
    const s = series[m] ?? { t: [], v: [] };
    let start = 0;
    while (start < s.t.length && s.t[start]! < from) start++;
    const t = s.t.slice(start);
    const v = s.v.slice(start);
    const value = values[m];
    if (typeof value === 'number' && Number.isFinite(value) && (t.length === 0 || at > t[t.length - 1]!)) {
      t.push(at);
      v.push(value);
    }
    out[m] = { t, v };
  }
  return out;
}

export const useHealth = create<HealthStore>((set, get) => ({
  profileId: null,
  current: null,
  range: '1h',
  series: {},
  seriesLoading: false,
  error: null,
  logsFor: null,
  logs: null,
  started: [],
  alerts: [],
  async open(profileId) {
    const switching = get().profileId !== profileId;
    set((s) => ({ alerts: s.alerts.filter((a) => a.profileId !== profileId) }));
    set({ profileId, error: null, ...(switching ? { current: null, series: {}, logsFor: null, logs: null, started: [] } : {}) });
    try {
      await api()['health.watch']({ profileId, mode: document.hidden ? 'background' : 'foreground' });
      const current = await api()['health.current']({ profileId });
      if (get().profileId === profileId) set({ current });
    } catch (error) {
      set({ error: toEnvelope(error, 'health.watch') });
      return;
    }
    await get().loadHistory();
  },
  async close() {
    const { profileId } = get();
    set({ profileId: null, logsFor: null, logs: null });
    // Still watched in the background (every 60 s), so a signal that starts later is noticed.
    if (profileId) await api()['health.watch']({ profileId, mode: 'background' }).catch(() => undefined);
  },
  async setRange(range) {
    set({ range });
    await get().loadHistory();
  },
  async loadHistory() {
    const { profileId, range } = get();
    if (!profileId) return;
    const to = Date.now();
    set({ seriesLoading: true });
    try {
      const r = await api()['health.history']({ profileId, from: to - RANGES[range], to, maxPoints: MAX_POINTS });
      if (get().profileId === profileId && get().range === range) set({ series: r.series as Partial<Record<ChartMetric, Series>> });
    } catch (error) {
      set({ error: toEnvelope(error, 'health.history') });
    } finally {
      set({ seriesLoading: false });
    }
  },
  async setVisible(visible) {
    const { profileId } = get();
    if (profileId) await api()['health.watch']({ profileId, mode: visible ? 'foreground' : 'background' }).catch(() => undefined);
  },
  async toggleLogs(container) {
    const { profileId, logsFor } = get();
    if (!profileId) return;
    if (logsFor === container) {
      set({ logsFor: null, logs: null });
      return;
    }
    set({ logsFor: container, logs: { loading: true, lines: null, error: null } });
    try {
      const r = await api()['health.logs']({ profileId, container, lines: 50 });
      if (get().logsFor === container) set({ logs: { loading: false, lines: r.lines, error: null } });
    } catch (error) {
      if (get().logsFor === container) set({ logs: { loading: false, lines: null, error: toEnvelope(error, 'health.logs') } });
    }
  },
  async exportCsv() {
    const { profileId, range } = get();
    if (!profileId) return null;
    const to = Date.now();
    try {
      return await api()['health.exportCsv']({ profileId, from: to - RANGES[range], to });
    } catch (error) {
      set({ error: toEnvelope(error, 'health.exportCsv') });
      return null;
    }
  },
  dismissStarted() {
    set({ started: [] });
  },
  dismissAlerts() {
    set({ alerts: [] });
  },
}));

// ---- events ---------------------------------------------------------------------------------------

let subscribed = false;

function onSample(c: EventPayload<'health.sample'>): void {
  const s = useHealth.getState();
  if (c.profileId !== s.profileId) return;
  const previous = s.current?.lastSampleAt ?? null;
  const fresh = c.live && c.lastSampleAt !== null && c.lastSampleAt !== previous && c.point !== null;
  const series = fresh ? appendPoint(s.series, c.point!.at, valuesOf(c), Date.now() - RANGES[s.range]) : s.series;
  useHealth.setState({ current: c, series });
  // Long periods are decimated by the main side: ask again once the live points have doubled them.
  if (fresh && (series.ram?.t.length ?? 0) > 2 * MAX_POINTS) void s.loadHistory();
}

/** Exported for tests. */
export function onSignal(e: EventPayload<'health.signal'>): void {
  const merge = (list: SignalView[]) => [...list.filter((x) => !e.started.some((n) => n.id === x.id)), ...e.started];
  if (e.profileId === useHealth.getState().profileId) {
    useHealth.setState((s) => ({ started: merge(s.started) }));
    return;
  }
  useHealth.setState((s) => {
    const other = s.alerts.find((a) => a.profileId === e.profileId);
    const rest = s.alerts.filter((a) => a.profileId !== e.profileId);
    return { alerts: [...rest, { profileId: e.profileId, profileName: e.profileName, started: merge(other?.started ?? []) }] };
  });
}

/** Subscribes the store to the health events, and sampling to the page's visibility; call once, after the Api is set. */
export function connectHealthEvents(source: Api = api()): void {
  if (subscribed) return;
  subscribed = true;
  source.on('health.sample', onSample);
  source.on('health.signal', onSignal);
  document.addEventListener('visibilitychange', () => void useHealth.getState().setVisible(!document.hidden));
}
