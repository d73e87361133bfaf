import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { i18n } from 'i18next';
import type { EventName, EventPayload } from '../../shared/contract';
import type { HealthChartMetric, HealthCurrent, HealthMode } from '../../shared/contract-health';
import { AppError } from '../../shared/errors';
import { pickLanguage } from '../../shared/i18n/format';
import { phaseSinceOf, type Profile } from '../../shared/profile';
import { DEFAULT_LAYOUT } from '../engine/types';
import { HealthHistory, historyDirFor, type HistoryRow } from '../health/history';
import { takeSample, type HealthPoint, type TakenSample, type TakeSampleOptions } from '../health/sample';
import { Sampler, type SamplerEvent, type SamplerOptions } from '../health/sampler';
import { evaluateSignals, newlyActive, type SignalPoint, type SignalsResult, DEFAULT_SUSTAINED } from '../health/signals';
import { defaultThresholds, levelOf, loadLevelsFor, parseThresholdsEnv, type Thresholds } from '../health/thresholds';
import { checkHttps, LatencyWindow, type HttpsCheck, type HttpsCheckOptions } from '../health/https-check';
import type { ClusterState } from '../health/k3s';
import type { Logger } from '../log';
import type { SecretStore } from '../secrets/secret-store';
import type { SshConnection } from '../ssh/connection';
import { shQuote } from '../ssh/quote';
import type { ProfileStore } from '../store/profile-store';
import { writeFileAtomic } from '../store/json-file';
import type { SettingsStore } from '../store/settings-store';
import { WizardStore } from '../store/wizard-store';
import { secretName, type DeployService } from './deploy-service';

// The live health of a deployment: one sampler per watched profile (over the deploy service's SSH
// settings: host, pinned host key, the user key from the secret store), its history on disk under
// the data folder, the thresholds' colours, the roadmap's upgrade signals and a desktop notification
// when one starts. Plain Node: the desktop app, web mode, the CLI and the tests share it.

/** A desktop notification (Electron's in the app; none in the CLI; web mode has the `health.signal` event). */
export type Notify = (n: { title: string; body: string }) => void;

export interface HealthServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  settings: SettingsStore;
  secrets: SecretStore;
  log: Logger;
  deploy: DeployService;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  notify?: Notify | null;
  systemLanguages?: () => string[];
  /** Replaces takeSample (tests: a fixture source on top of the real connection). */
  sample?: SamplerOptions['sample'];
  foregroundMs?: number;
  backgroundMs?: number;
  backoff?: SamplerOptions['backoff'];
  /** Options of the HTTPS check from this computer (tests: a test CA). */
  https?: HttpsCheckOptions;
  now?: () => number;
}

/** Secret name of a K3s deployment's kubeconfig (phases 3–4). */
export const KUBECONFIG_SECRET = 'kubeconfig';
/** Rolling window of the HTTPS latency percentiles shown on the dashboard. */
export const LATENCY_WINDOW_MS = 5 * 60_000;

interface Watch {
  profileId: string;
  profile: Profile;
  /** Over SSH (phases 1–2), or the cluster's API from this computer (K3s, phases 3–4). */
  sampler: Pick<Sampler, 'setMode' | 'status' | 'sampleNow' | 'stop'>;
  mode: HealthMode;
  conn: SshConnection | null;
  last: { sample: TakenSample; point: HealthPoint } | null;
  stale: { since: number; retryAt: number | null; error: AppError } | null;
  thresholds: Thresholds;
  thresholdsSource: 'roadmap' | 'repository';
  thresholdsLoaded: boolean;
  signals: SignalsResult | null;
  https: (HttpsCheck & { url: string; checkedAt: number }) | null;
  latency: LatencyWindow;
  cluster: { checkedAt: number; state: ClusterState | null; error: AppError | null } | null;
  waiters: Set<() => void>;
}

const HISTORY_METRIC: Record<HealthChartMetric, HealthChartMetric> = { cpu: 'cpu', ram: 'ram', load1: 'load1', disk: 'disk', p99Ms: 'p99Ms', pgConnections: 'pgConnections' };
const CHART_METRICS = Object.keys(HISTORY_METRIC) as HealthChartMetric[];
const COMPOSE_PROJECT = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const NOTIFIED_FILE = 'notified.json';
const DEFAULT_THRESHOLDS_FILE = 'monitoring/config/thresholds.env';
/** Rows read back for the signals: the longest window plus a margin. */
const SIGNAL_LOOKBACK_MS = DEFAULT_SUSTAINED.windowMs + 5 * 60_000;

export class HealthService {
  private readonly watches = new Map<string, Watch>();
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly histories = new Map<string, Promise<HealthHistory>>();
  /**
   * Signals already notified per profile: a signal that stays on is not notified again, after an unwatch or a
   * restart either (kept next to the history, `notified.json`).
   */
  private readonly notified = new Map<string, Set<string>>();
  private readonly wizard: WizardStore;
  private readonly now: () => number;
  private t: i18n | null = null;

  constructor(private readonly deps: HealthServiceDeps) {
    this.wizard = new WizardStore(deps.dataDir);
    this.now = deps.now ?? Date.now;
  }

  // ---- watching ----------------------------------------------------------------------------------

  async watch(profileId: string, mode: HealthMode): Promise<{ watching: true; mode: HealthMode }> {
    // Two calls at once (a click and a visibility change) must not start two samplers for one deployment.
    const starting = this.starting.get(profileId);
    if (starting) await starting.catch(() => undefined);
    const existing = this.watches.get(profileId);
    if (existing) {
      existing.mode = mode;
      existing.sampler.setMode(mode);
      return { watching: true, mode };
    }
    const start = this.startWatch(profileId, mode);
    this.starting.set(profileId, start);
    try {
      return await start;
    } finally {
      if (this.starting.get(profileId) === start) this.starting.delete(profileId);
    }
  }

  private async startWatch(profileId: string, mode: HealthMode): Promise<{ watching: true; mode: HealthMode }> {
    const existing = this.watches.get(profileId);
    if (existing) {
      existing.mode = mode;
      existing.sampler.setMode(mode);
      return { watching: true, mode };
    }
    const profile = await this.deps.profiles.get(profileId);
    if (profile.phase >= 3) return this.startClusterWatch(profile, mode);
    if (!profile.server) throw new AppError('health.no_server', { profile: profile.name });
    await this.history(profileId);
    const w: Watch = {
      profileId,
      profile,
      mode,
      conn: null,
      last: null,
      stale: null,
      thresholds: defaultThresholds(),
      thresholdsSource: 'roadmap',
      thresholdsLoaded: false,
      signals: null,
      https: null,
      latency: new LatencyWindow(LATENCY_WINDOW_MS),
      cluster: null,
      waiters: new Set(),
      sampler: null as unknown as Sampler,
    };
    w.sampler = new Sampler({
      connect: () => this.connect(w),
      target: sampleTarget(profile),
      onEvent: (e) => void this.onEvent(w, e),
      // From this computer, alongside each sample: the HTTPS check and, on K3s, the cluster.
      sample: async (conn, target) => {
        const [taken] = await Promise.all([(this.deps.sample ?? takeSample)(conn, target), this.checkPublic(w), this.readCluster(w)]);
        return taken;
      },
      foregroundMs: this.deps.foregroundMs,
      backgroundMs: this.deps.backgroundMs,
      backoff: this.deps.backoff,
    });
    this.watches.set(profileId, w);
    w.sampler.setMode(mode);
    return { watching: true, mode };
  }

  /** A K3s deployment: its cluster (nodes, pods) and the API through the ingress, read from this computer. */
  private async startClusterWatch(profile: Profile, mode: HealthMode): Promise<{ watching: true; mode: HealthMode }> {
    const { ClusterPoller } = await import('../k3s/cluster-poller');
    const w: Watch = {
      profileId: profile.id,
      profile,
      mode,
      conn: null,
      last: null,
      stale: null,
      thresholds: defaultThresholds(),
      thresholdsSource: 'roadmap',
      thresholdsLoaded: true,
      signals: null,
      https: null,
      latency: new LatencyWindow(LATENCY_WINDOW_MS),
      cluster: null,
      waiters: new Set(),
      sampler: null as unknown as Watch['sampler'],
    };
    const poller = new ClusterPoller({
      read: async () => {
        w.profile = await this.deps.profiles.get(profile.id);
        await Promise.all([this.checkPublic(w), this.readCluster(w)]);
        // No kubeconfig yet (never deployed): nothing to read, the dashboard says so; not an error.
        return w.cluster?.error ?? null;
      },
      onRead: () => void this.onClusterRead(w, poller),
      foregroundMs: this.deps.foregroundMs,
      backgroundMs: this.deps.backgroundMs,
      now: this.now,
    });
    w.sampler = poller;
    this.watches.set(profile.id, w);
    poller.setMode(mode);
    return { watching: true, mode };
  }

  private async onClusterRead(w: Watch, poller: { status(): { staleSince: number | null; lastError: AppError | null } }): Promise<void> {
    if (this.watches.get(w.profileId) !== w) return;
    const st = poller.status();
    w.stale = st.lastError && st.staleSince !== null ? { since: st.staleSince, retryAt: null, error: st.lastError } : null;
    this.deps.emit('health.sample', await this.currentOf(w.profileId));
    for (const wake of w.waiters) wake();
    w.waiters.clear();
  }

  unwatch(profileId: string): { stopped: boolean } {
    const w = this.watches.get(profileId);
    if (!w) return { stopped: false };
    w.sampler.stop();
    this.watches.delete(profileId);
    for (const wake of w.waiters) wake();
    return { stopped: true };
  }

  /** Stops every sampler and waits for the history writes (app shutdown, tests). */
  async stopAll(): Promise<void> {
    for (const id of [...this.watches.keys()]) this.unwatch(id);
    for (const h of this.histories.values()) await (await h).flush().catch(() => undefined);
  }

  private async connect(w: Watch): Promise<SshConnection> {
    w.profile = await this.deps.profiles.get(w.profileId);
    const conn = await this.deps.deploy.connect(w.profile);
    w.conn = conn;
    if (!w.thresholdsLoaded) await this.loadThresholds(w, conn);
    return conn;
  }

  /** The repository's thresholds file in the deployed checkout, read once per watch (one exec at connect). */
  private async loadThresholds(w: Watch, conn: SshConnection): Promise<void> {
    w.thresholdsLoaded = true;
    const s = w.profile.settings;
    const appRoot = s['layout.appRoot'] ?? DEFAULT_LAYOUT.appRoot;
    const checkout = s.checkoutName ?? 'app';
    const file = s['monitoring.thresholds'] ?? DEFAULT_THRESHOLDS_FILE;
    if (!/^[A-Za-z0-9._/-]{1,200}$/.test(file) || file.split('/').includes('..') || file.startsWith('/')) return;
    try {
      const r = await conn.run(`cat -- ${shQuote(`${appRoot}/${checkout}/${file}`)} 2>/dev/null || true`, { privilege: privilegeOf(w.profile), timeoutMs: 10_000 });
      if (r.code === 0 && r.stdout.trim()) {
        const parsed = parseThresholdsEnv(r.stdout.slice(0, 100_000));
        w.thresholds = parsed.thresholds;
        w.thresholdsSource = parsed.fromFile.length > 0 ? 'repository' : 'roadmap';
      }
    } catch (error) {
      this.deps.log.info(`health ${w.profileId}: thresholds file not read (${error instanceof AppError ? error.code : 'error'})`);
    }
  }

  private async checkPublic(w: Watch): Promise<void> {
    const url = w.profile.settings.publicHealthUrl;
    if (!url) {
      w.https = null;
      return;
    }
    const result = await checkHttps(url, { timeoutMs: 10_000, ...this.deps.https });
    const at = this.now();
    if (result.ok && result.latencyMs !== null) w.latency.add(result.latencyMs, at);
    w.https = { ...result, url, checkedAt: at };
  }

  private async readCluster(w: Watch): Promise<void> {
    if (w.profile.phase < 3) return;
    // The secret store, or the 0600 copy in the data folder (the CLI and web mode keep secrets for a session only).
    const kubeconfig = (await this.deps.secrets.get(secretName(w.profileId, KUBECONFIG_SECRET))) ?? (await (await import('../k3s/kubeconfig')).readKubeconfig(this.deps.dataDir, w.profileId));
    if (!kubeconfig) return;
    try {
      // Loaded for K3s deployments only (its YAML parser is not needed to start the app).
      const { readClusterState } = await import('../health/k3s');
      w.cluster = { checkedAt: this.now(), state: await readClusterState(kubeconfig, { timeoutMs: 10_000 }), error: null };
    } catch (error) {
      w.cluster = { checkedAt: this.now(), state: null, error: error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'health.cluster' }) };
    }
  }

  private async onEvent(w: Watch, e: SamplerEvent): Promise<void> {
    if (this.watches.get(w.profileId) !== w) return;
    if (e.kind === 'sample') {
      if (w.stale) this.deps.log.info(`health ${w.profileId}: live again (stale since ${new Date(w.stale.since).toISOString()})`);
      w.last = { sample: e.sample, point: e.point };
      w.stale = null;
      const history = await this.history(w.profileId);
      await history.appendPoint(e.point, { p99Ms: w.https ? w.latency.stats(this.now()).p99 : null }).catch((error: unknown) => this.deps.log.error(`health ${w.profileId}: history write failed`, error));
      await this.evaluate(w, history);
    } else {
      w.stale = { since: e.since, retryAt: e.retryAt, error: e.error };
      this.deps.log.info(`health ${w.profileId}: stale since ${new Date(e.since).toISOString()} (${e.error.code}, ${e.failures} failures)`);
    }
    if (this.watches.get(w.profileId) !== w) return;
    this.deps.emit('health.sample', await this.currentOf(w.profileId));
    for (const wake of w.waiters) wake();
    w.waiters.clear();
  }

  private async evaluate(w: Watch, history: HealthHistory): Promise<void> {
    const now = this.now();
    // Only what this phase's deployment measured: right after a move, the old server's figures recommend nothing.
    const rows = history.fullRows(Math.max(now - SIGNAL_LOOKBACK_MS, phaseSinceOf(w.profile)), now + 60_000);
    const copros = await this.activeCopros(w.profileId);
    w.signals = evaluateSignals({
      currentPhase: w.profile.phase,
      points: rows.map(signalPointOf).filter((p): p is SignalPoint => p !== null),
      p99: rows.map((r) => ({ at: r.at, p99Ms: r.values.p99Ms ?? null })),
      activeCopros: copros,
      thresholds: w.thresholds,
      now,
      previous: w.signals,
    });
    const before = this.notified.get(w.profileId) ?? (await this.loadNotified(w.profileId));
    const started = newlyActive(before, w.signals);
    const active = new Set(w.signals.active.map((sig) => sig.id));
    this.notified.set(w.profileId, active);
    if (active.size !== before.size || started.length > 0) await this.saveNotified(w.profileId, active);
    if (started.length === 0) return;
    this.deps.emit('health.signal', { profileId: w.profileId, profileName: w.profile.name, started, recommendation: w.signals.recommendation });
    if (this.deps.notify) {
      try {
        const t = await this.translator();
        const rec = w.signals.recommendation;
        this.deps.notify({
          title: t('health.notify.title', { name: w.profile.name }),
          body: [
            ...started.map((s) => t(s.message.code, s.message.params)),
            ...(rec ? [t(rec.message.code, rec.message.params)] : []),
          ].join('\n'),
        });
      } catch (error) {
        this.deps.log.error('health notification failed', error);
      }
    }
  }

  private async loadNotified(profileId: string): Promise<Set<string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(historyDirFor(this.deps.dataDir, profileId), NOTIFIED_FILE), 'utf8'));
      const ids = (parsed as { active?: unknown }).active;
      return new Set(Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : []);
    } catch {
      return new Set();
    }
  }

  private async saveNotified(profileId: string, ids: Set<string>): Promise<void> {
    await writeFileAtomic(join(historyDirFor(this.deps.dataDir, profileId), NOTIFIED_FILE), JSON.stringify({ active: [...ids] })).catch((error: unknown) =>
      this.deps.log.error(`health ${profileId}: notified signals not saved`, error),
    );
  }

  /** What the user told the wizard about this deployment (null: not this profile, or unknown). */
  private async activeCopros(profileId: string): Promise<number | null> {
    const { state } = await this.wizard.load();
    return state.profileId === profileId ? state.copros : null;
  }

  private async translator(): Promise<i18n['t']> {
    const { language } = await this.deps.settings.get();
    const lng = language ?? pickLanguage(this.deps.systemLanguages?.() ?? []);
    if (!this.t) {
      // Loaded on the first notification only: the translations are not needed to start the app.
      const [{ default: i18next }, { resources }] = await Promise.all([import('i18next'), import('../../shared/i18n')]);
      this.t = i18next.createInstance();
      await this.t.init({ resources, lng, fallbackLng: 'en', interpolation: { escapeValue: false }, showSupportNotice: false });
    } else if (this.t.language !== lng) await this.t.changeLanguage(lng);
    return this.t.t.bind(this.t);
  }

  private history(profileId: string): Promise<HealthHistory> {
    let h = this.histories.get(profileId);
    if (!h) {
      h = HealthHistory.open({ dir: historyDirFor(this.deps.dataDir, profileId), now: this.now });
      h.catch(() => this.histories.delete(profileId));
      this.histories.set(profileId, h);
    }
    return h;
  }

  // ---- reading -----------------------------------------------------------------------------------

  async current(profileId: string, opts: { refresh?: boolean } = {}): Promise<HealthCurrent> {
    if (opts.refresh) {
      if (!this.watches.has(profileId)) await this.watch(profileId, 'paused');
      const w = this.watches.get(profileId)!;
      const next = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        w.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      void w.sampler.sampleNow();
      await next;
    }
    return this.currentOf(profileId);
  }

  private async currentOf(profileId: string): Promise<HealthCurrent> {
    const w = this.watches.get(profileId);
    const profile = w?.profile ?? (await this.deps.profiles.get(profileId));
    const thresholds = w?.thresholds ?? defaultThresholds();
    const point = w?.last?.point ?? null;
    const sample = w?.last?.sample ?? null;
    const cpus = point?.cpus ?? null;
    const load = loadLevelsFor(thresholds.load, cpus);
    const disk = point ? maxOf(point.diskUsedPercent, point.dockerDiskUsedPercent) : null;
    const status = w?.sampler.status();
    const signals = w?.signals ?? null;
    const latency = w?.https ? w.latency.stats(this.now()) : null;
    return {
      profileId,
      phase: profile.phase,
      watching: !!w,
      mode: w?.mode ?? null,
      live: status?.live ?? false,
      staleSince: w?.stale?.since ?? null,
      lastSampleAt: status?.lastSampleAt ?? null,
      retryAt: w?.stale?.retryAt ?? null,
      error: w?.stale ? w.stale.error.toEnvelope() : null,
      point:
        point && sample
          ? {
              at: point.at,
              cpuPercent: point.cpuPercent,
              ramUsedPercent: point.ramUsedPercent,
              swapUsedPercent: point.swapUsedPercent,
              diskUsedPercent: point.diskUsedPercent,
              dockerDiskUsedPercent: point.dockerDiskUsedPercent,
              load: point.load,
              cpus: point.cpus,
              rebooted: point.rebooted,
              containers: point.containers,
              postgres: point.postgres,
              postgresStatus: sample.postgres?.status ?? null,
              docker: sample.docker,
              containersAt: sample.containersAt,
              scriptCpuMs: point.scriptCpuMs,
              durationMs: Math.round(sample.durationMs),
            }
          : null,
      thresholds: {
        source: w?.thresholdsSource ?? 'roadmap',
        ram: { ...thresholds.ram },
        cpu: { ...thresholds.cpu },
        disk: { ...thresholds.disk },
        load: { warn: round2(load.warn), critical: round2(load.critical) },
        p99: { ...thresholds.p99 },
      },
      levels: {
        cpu: levelOf('cpu', point?.cpuPercent, thresholds),
        ram: levelOf('ram', point?.ramUsedPercent, thresholds),
        disk: levelOf('disk', disk, thresholds),
        load: levelOf('load', point?.load.one, thresholds, { cpus }),
        p99: levelOf('p99', latency?.p99, thresholds),
      },
      https:
        w?.https && latency
          ? {
              url: w.https.url,
              checkedAt: w.https.checkedAt,
              ok: w.https.ok,
              status: w.https.status,
              latencyMs: w.https.latencyMs,
              errorCode: w.https.errorCode,
              certificate: w.https.certificate,
              latency,
            }
          : null,
      cluster: w?.cluster
        ? { checkedAt: w.cluster.checkedAt, error: w.cluster.error?.toEnvelope() ?? null, nodes: w.cluster.state?.nodes ?? [], pods: w.cluster.state?.pods ?? [] }
        : null,
      signals: {
        at: signals?.at ?? this.now(),
        windowMinutes: Math.round(DEFAULT_SUSTAINED.windowMs / 60_000),
        active: signals?.active ?? [],
        recommendation: signals?.recommendation ?? null,
      },
    };
  }

  /** Bounded series for the charts (min/max decimation: a spike stays visible, the cost stays flat). */
  async historySeries(profileId: string, range: { from: number; to: number; maxPoints: number; metrics?: HealthChartMetric[] }) {
    await this.deps.profiles.get(profileId);
    const history = await this.history(profileId);
    const series: Record<string, { t: number[]; v: number[] }> = {};
    for (const m of range.metrics ?? CHART_METRICS) {
      const points = history.series(HISTORY_METRIC[m], range.from, range.to, range.maxPoints);
      series[m] = { t: points.map((p) => p.at), v: points.map((p) => p.value) };
    }
    return { from: range.from, to: range.to, series };
  }

  async exportCsv(profileId: string, from: number, to: number): Promise<{ filename: string; csv: string }> {
    await this.deps.profiles.get(profileId);
    const history = await this.history(profileId);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return { filename: `koprogo-health-${profileId}-${day(from)}_${day(to)}.csv`, csv: history.exportCsv(from, to) };
  }

  /** The last lines of one of this deployment's containers, redacted with the deployment's secrets. */
  async logs(profileId: string, container: string, lines = 100): Promise<{ container: string; lines: string[]; truncated: boolean }> {
    const w = this.watches.get(profileId);
    const known = w?.last?.point.containers.find((c) => c.name === container);
    if (!known) throw new AppError('health.container_unknown', { container });
    await this.deps.deploy.registerProfileSecrets(profileId);
    const profile = await this.deps.profiles.get(profileId);
    const shared = w?.conn && !w.conn.isClosed ? w.conn : null;
    const conn = shared ?? (await this.deps.deploy.connect(profile));
    try {
      // Values as positional parameters: the script itself is constant.
      const script = `set -- ${shQuote(known.id)} ${shQuote(String(lines))}\ndocker logs --tail "$2" "$1" 2>&1 | tail -n "$2"\n`;
      const r = await conn.run(script, { privilege: privilegeOf(profile), timeoutMs: 20_000 });
      if (r.timedOut || r.code !== 0) throw new AppError('health.logs_failed', { container });
      const all = this.deps.log.redact(r.stdout).split('\n');
      if (all[all.length - 1] === '') all.pop();
      const out = all.slice(-lines).map((l) => (l.length > 2000 ? `${l.slice(0, 2000)}…` : l));
      return { container, lines: out, truncated: all.length > lines };
    } finally {
      if (!shared) conn.close();
    }
  }
}

function privilegeOf(profile: Profile): 'root' | 'sudo' {
  return profile.server?.user === 'root' ? 'root' : 'sudo';
}

/** What the sampling script asks for: the Compose project and the database, from the deployment settings. */
export function sampleTarget(profile: Profile): TakeSampleOptions {
  const s = profile.settings;
  const project = s.composeProject && COMPOSE_PROJECT.test(s.composeProject) ? s.composeProject : 'koprogo';
  const service = s['postgres.service'];
  const pg = service && CONTAINER.test(service) && s['postgres.user'] && s['postgres.database'] ? { container: service, user: s['postgres.user'], database: s['postgres.database'] } : undefined;
  return { project, ...(pg ? { postgres: pg } : {}), privilege: privilegeOf(profile) };
}

/** A stored history row as the signals read it (null: no RAM figure, e.g. a hand-edited line). */
export function signalPointOf(r: HistoryRow): SignalPoint | null {
  const v = r.values;
  if (typeof v.ram !== 'number') return null;
  return { at: r.at, ramUsedPercent: v.ram, diskUsedPercent: v.disk ?? null, dockerDiskUsedPercent: v.dockerDisk ?? null, cpus: v.cpus ?? 1, load: { one: v.load1 ?? 0 } };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
