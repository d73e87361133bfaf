import { getPhase, type PhaseId, type Range } from '../../shared/phases';
import type { HealthPoint } from './sample';
import { DEFAULT_THRESHOLDS, loadLevelsFor, type Thresholds } from './thresholds';

// The roadmap's upgrade signals ("When to upgrade") as data, and their evaluation over a window of
// health points plus what the user told the app (active copros, qualitative needs).
//
// "Constantly" is `sustained`: over the last `windowMs` (30 min by default, shown to the user), the
// condition held for at least `minShare` (90 %) of the time covered by samples, and samples cover at
// least `minCoverage` (80 %) of the window. The share is time-weighted (each sample stands for the
// interval since the previous one), so switching between 5 s and 60 s sampling does not skew it; an
// interval longer than `maxGapMs` is a gap: it counts neither for nor against, but lowers coverage,
// so a laptop that slept through the window cannot turn two high readings into "constantly". A spike
// (a few minutes above) is not a signal.
//
// Which signals apply: a transition's signals apply to the phases before it (more than 500 copros on
// phase 1 recommends phase 3 directly). The resource signals (RAM, load, disk, P99) are listed by the
// roadmap under 1 → 2, where a single server fills up; they also apply on phase 2 (still one Compose
// server) and then point to phase 3. On K3s phases (3, 4) saturation is a scaling matter, not a phase.

// ---- sustained ---------------------------------------------------------------------------------

export interface SustainedOptions {
  windowMs: number;
  /** Share of the covered time the condition must hold, 0–1. */
  minShare: number;
  /** Share of the window that samples must cover, 0–1. */
  minCoverage: number;
  /** Longer than this between two samples is a gap. */
  maxGapMs: number;
  /** End of the window (default: the newest point's time). */
  now?: number;
}

export const DEFAULT_SUSTAINED: Readonly<Omit<SustainedOptions, 'now'>> = Object.freeze({
  windowMs: 30 * 60_000,
  minShare: 0.9,
  minCoverage: 0.8,
  // 2.5 × the background interval (60 s): one late background sample is not a gap, two missed are.
  maxGapMs: 150_000,
});

export interface SustainedResult {
  held: boolean;
  /** Share of the covered time the condition held (0 when nothing is covered). */
  share: number;
  /** Share of the window covered by samples. */
  coverage: number;
  /** Samples inside the window with a value. */
  samples: number;
  /** When the condition started holding, as "since T, at least minShare of the time": null when not held. */
  since: number | null;
}

/**
 * Whether `predicate` held "constantly" at the end of `points` (sorted by `at`). The predicate returns
 * null for a point without the value (e.g. no disk reading): such points are left out, as gaps.
 */
export function sustained<P extends { at: number }>(points: readonly P[], predicate: (p: P) => boolean | null, options: Partial<SustainedOptions> = {}): SustainedResult {
  const o = { ...DEFAULT_SUSTAINED, ...options };
  const valued: Array<{ at: number; ok: boolean }> = [];
  for (const p of points) {
    const v = predicate(p);
    if (v !== null && Number.isFinite(p.at)) valued.push({ at: p.at, ok: v });
  }
  valued.sort((a, b) => a.at - b.at);
  const last = valued[valued.length - 1];
  const now = o.now ?? last?.at ?? 0;
  const start = now - o.windowMs;
  let covered = 0;
  let held = 0;
  let samples = 0;
  // Each interval (a, b] is covered when short enough, and is in the state of b (the reading that ends it).
  for (let i = 0; i < valued.length; i++) {
    const b = valued[i]!;
    if (b.at > now) break;
    if (b.at > start) samples++;
    const a = valued[i - 1];
    if (!a || b.at - a.at > o.maxGapMs || b.at <= start) continue;
    const len = b.at - Math.max(a.at, start);
    covered += len;
    if (b.ok) held += len;
  }
  // The newest reading also stands for the time since, while that is not a gap.
  const newest = [...valued].reverse().find((p) => p.at <= now);
  if (newest && now > newest.at && now - newest.at <= o.maxGapMs) {
    const len = now - Math.max(newest.at, start);
    if (len > 0) {
      covered += len;
      if (newest.ok) held += len;
    }
  }
  const coverage = o.windowMs > 0 ? Math.min(1, covered / o.windowMs) : 0;
  const share = covered > 0 ? held / covered : 0;
  const isHeld = samples > 0 && coverage >= o.minCoverage && share >= o.minShare;
  return { held: isHeld, share, coverage, samples, since: isHeld ? sinceOf(valued, now, o) : null };
}

/** The oldest T such that from T to now the condition held for at least minShare of the (unbroken) covered time. */
function sinceOf(valued: ReadonlyArray<{ at: number; ok: boolean }>, now: number, o: SustainedOptions): number | null {
  let covered = 0;
  let held = 0;
  let since: number | null = null;
  let i = valued.length - 1;
  while (i >= 0 && valued[i]!.at > now) i--;
  const newest = valued[i];
  if (newest && now > newest.at && now - newest.at <= o.maxGapMs) {
    covered += now - newest.at;
    if (newest.ok) held += now - newest.at;
  }
  for (; i >= 0; i--) {
    const b = valued[i]!;
    // From this reading on, the condition held for minShare of the time: a candidate.
    if (b.ok && held >= o.minShare * covered) since = b.at;
    const a = valued[i - 1];
    if (!a || b.at - a.at > o.maxGapMs) break;
    covered += b.at - a.at;
    if (b.ok) held += b.at - a.at;
  }
  return since;
}

// ---- The signals as data -----------------------------------------------------------------------

export type SignalMetric = 'ram' | 'load' | 'disk' | 'p99' | 'copros' | 'flag';

export type SignalFlag = 'highAvailability' | 'severalRegions' | 'devopsTeam' | 'slaAbove999' | 'strictCompliance' | 'matureTeam';
export const SIGNAL_FLAGS: readonly SignalFlag[] = ['highAvailability', 'severalRegions', 'devopsTeam', 'slaAbove999', 'strictCompliance', 'matureTeam'];

export type SignalId =
  | 'ram_sustained'
  | 'load_sustained'
  | 'disk_high'
  | 'p99_high'
  | 'copros_phase2'
  | 'copros_phase3'
  | 'copros_phase4'
  | 'flag_high_availability'
  | 'flag_several_regions'
  | 'flag_devops_team'
  | 'flag_sla'
  | 'flag_strict_compliance'
  | 'flag_mature_team';

export interface SignalDef {
  id: SignalId;
  metric: SignalMetric;
  /** The phases on which this signal applies. */
  appliesOn: readonly PhaseId[];
  /** The phase it recommends: a fixed one, or the one after the current phase. */
  target: PhaseId | 'next';
  /** For the flags. */
  flag?: SignalFlag;
  /** For the copro signals: which limit of `thresholds.copros`. */
  coproLimitOf?: 1 | 2 | 3;
  /** i18n key of the reason shown on the card. */
  code: string;
}

/** The roadmap's "When to upgrade", in its order. */
export const SIGNALS: readonly SignalDef[] = [
  { id: 'ram_sustained', metric: 'ram', appliesOn: [1, 2], target: 'next', code: 'health.signal.ram_sustained' },
  { id: 'load_sustained', metric: 'load', appliesOn: [1, 2], target: 'next', code: 'health.signal.load_sustained' },
  { id: 'disk_high', metric: 'disk', appliesOn: [1, 2], target: 'next', code: 'health.signal.disk_high' },
  { id: 'copros_phase2', metric: 'copros', appliesOn: [1], target: 2, coproLimitOf: 1, code: 'health.signal.copros' },
  { id: 'p99_high', metric: 'p99', appliesOn: [1, 2], target: 'next', code: 'health.signal.p99_high' },
  { id: 'copros_phase3', metric: 'copros', appliesOn: [1, 2], target: 3, coproLimitOf: 2, code: 'health.signal.copros' },
  { id: 'flag_high_availability', metric: 'flag', flag: 'highAvailability', appliesOn: [1, 2], target: 3, code: 'health.signal.high_availability' },
  { id: 'flag_several_regions', metric: 'flag', flag: 'severalRegions', appliesOn: [1, 2], target: 3, code: 'health.signal.several_regions' },
  { id: 'flag_devops_team', metric: 'flag', flag: 'devopsTeam', appliesOn: [1, 2], target: 3, code: 'health.signal.devops_team' },
  { id: 'copros_phase4', metric: 'copros', appliesOn: [1, 2, 3], target: 4, coproLimitOf: 3, code: 'health.signal.copros' },
  { id: 'flag_sla', metric: 'flag', flag: 'slaAbove999', appliesOn: [1, 2, 3], target: 4, code: 'health.signal.sla' },
  { id: 'flag_strict_compliance', metric: 'flag', flag: 'strictCompliance', appliesOn: [1, 2, 3], target: 4, code: 'health.signal.strict_compliance' },
  { id: 'flag_mature_team', metric: 'flag', flag: 'matureTeam', appliesOn: [1, 2, 3], target: 4, code: 'health.signal.mature_team' },
];

/** Every i18n key the signals and the recommendation use (the translations must have them). */
export const SIGNAL_MESSAGE_CODES: readonly string[] = [...new Set([...SIGNALS.map((s) => s.code), 'health.recommendation.next_phase'])];

// ---- Evaluation ----------------------------------------------------------------------------------

/** The fields of a health point the signals read (history rows can be turned into these). */
export type SignalPoint = Pick<HealthPoint, 'at' | 'ramUsedPercent' | 'diskUsedPercent' | 'dockerDiskUsedPercent' | 'cpus'> & { load: Pick<HealthPoint['load'], 'one'> };

export interface SignalWindow {
  windowMs: number;
  minShare: number;
  minCoverage: number;
}

export interface Message {
  code: string;
  params: Record<string, string | number>;
}

export interface Signal {
  id: SignalId;
  metric: SignalMetric;
  /** The phase it points to. */
  targetPhase: PhaseId;
  /** Epoch ms: since when it holds (for the time series), or since it was first seen active (copros, flags). */
  since: number;
  /** The window that made it "constant" (null: not a time series). */
  window: SignalWindow | null;
  /** The reading behind it: the share above the level and the coverage for a time series, the count for copros. */
  evidence: { value?: number; threshold?: number; share?: number; coverage?: number };
  message: Message;
}

export interface Recommendation {
  nextPhase: PhaseId;
  /** The active signals that point there or lower, in the roadmap's order. */
  reasons: Message[];
  monthlyCost: Range;
  /** i18n of the card's title. */
  message: Message;
}

export interface SignalsResult {
  /** Evaluated at (epoch ms). */
  at: number;
  active: Signal[];
  recommendation: Recommendation | null;
}

export interface SignalInputs {
  currentPhase: PhaseId;
  /** Health points (any order; the window is taken at `now`). */
  points: readonly SignalPoint[];
  /** From the wizard; null/undefined: unknown, no copro signal. */
  activeCopros?: number | null;
  /** P99 latency over time, ms. */
  p99?: ReadonlyArray<{ at: number; p99Ms: number | null }>;
  flags?: Partial<Record<SignalFlag, boolean>>;
  thresholds?: Thresholds;
  /** Default: the newest point (or latency reading); the caller passes the clock to age stale data out. */
  now?: number;
  /** Windows per time-series signal; disk defaults to 5 minutes (the roadmap does not say "constantly" for it,
   *  but a temporary file or a log burst must not recommend a bigger server). */
  windows?: Partial<Record<'ram' | 'load' | 'disk' | 'p99', Partial<SustainedOptions>>>;
  /** The previous evaluation: keeps `since` of copro and flag signals stable. */
  previous?: SignalsResult | null;
}

export const DEFAULT_WINDOWS: Readonly<Record<'ram' | 'load' | 'disk' | 'p99', Partial<SustainedOptions>>> = Object.freeze({
  ram: {},
  load: {},
  disk: { windowMs: 5 * 60_000 },
  p99: {},
});

const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
const round2 = (n: number): number => Math.round(n * 100) / 100;

function targetOf(def: SignalDef, current: PhaseId): PhaseId | null {
  if (def.target !== 'next') return def.target;
  return current < 4 ? ((current + 1) as PhaseId) : null;
}

export function evaluateSignals(input: SignalInputs): SignalsResult {
  const t = input.thresholds ?? DEFAULT_THRESHOLDS;
  const points = [...input.points].sort((a, b) => a.at - b.at);
  const p99 = [...(input.p99 ?? [])].sort((a, b) => a.at - b.at);
  const newest = Math.max(points[points.length - 1]?.at ?? -Infinity, p99[p99.length - 1]?.at ?? -Infinity);
  const now = input.now ?? (Number.isFinite(newest) ? newest : Date.now());
  const prev = new Map((input.previous?.active ?? []).map((s) => [s.id, s]));
  const active: Signal[] = [];

  for (const def of SIGNALS) {
    if (!def.appliesOn.includes(input.currentPhase)) continue;
    const targetPhase = targetOf(def, input.currentPhase);
    if (targetPhase === null) continue;
    const base = { id: def.id, metric: def.metric, targetPhase };

    if (def.metric === 'copros') {
      const limit = t.copros[def.coproLimitOf ?? 1];
      const copros = input.activeCopros;
      if (copros === null || copros === undefined || !(copros > limit)) continue;
      active.push({
        ...base,
        since: prev.get(def.id)?.since ?? now,
        window: null,
        evidence: { value: copros, threshold: limit },
        message: { code: def.code, params: { copros, limit, phase: targetPhase } },
      });
      continue;
    }
    if (def.metric === 'flag') {
      if (!def.flag || input.flags?.[def.flag] !== true) continue;
      active.push({ ...base, since: prev.get(def.id)?.since ?? now, window: null, evidence: {}, message: { code: def.code, params: { phase: targetPhase } } });
      continue;
    }

    const metric = def.metric;
    const opts: SustainedOptions = { ...DEFAULT_SUSTAINED, ...DEFAULT_WINDOWS[metric as keyof typeof DEFAULT_WINDOWS], ...input.windows?.[metric as keyof typeof DEFAULT_WINDOWS], now };
    let result: SustainedResult;
    let threshold: number;
    let latest: number | null;
    if (metric === 'ram') {
      threshold = t.ram.critical;
      result = sustained(points, (p) => p.ramUsedPercent > threshold, opts);
      latest = points[points.length - 1]?.ramUsedPercent ?? null;
    } else if (metric === 'disk') {
      threshold = t.disk.critical;
      result = sustained(
        points,
        (p) => {
          const d = maxOf(p.diskUsedPercent, p.dockerDiskUsedPercent);
          return d === null ? null : d > threshold;
        },
        opts,
      );
      const l = points[points.length - 1];
      latest = l ? maxOf(l.diskUsedPercent, l.dockerDiskUsedPercent) : null;
    } else if (metric === 'load') {
      // Scaled to each point's core count (see thresholds.ts); the message shows the level of the newest point.
      const l = points[points.length - 1];
      threshold = loadLevelsFor(t.load, l?.cpus).critical;
      result = sustained(points, (p) => p.load.one > loadLevelsFor(t.load, p.cpus).critical, opts);
      latest = l?.load.one ?? null;
    } else {
      threshold = t.p99.critical;
      result = sustained(p99, (p) => (p.p99Ms === null || !Number.isFinite(p.p99Ms) ? null : p.p99Ms > threshold), opts);
      latest = [...p99].reverse().find((p) => p.p99Ms !== null)?.p99Ms ?? null;
    }
    if (!result.held) continue;
    const window: SignalWindow = { windowMs: opts.windowMs, minShare: opts.minShare, minCoverage: opts.minCoverage };
    active.push({
      ...base,
      since: result.since ?? now,
      window,
      evidence: { ...(latest !== null ? { value: latest } : {}), threshold: round2(threshold), share: round2(result.share), coverage: round2(result.coverage) },
      message: {
        code: def.code,
        params: {
          threshold: round2(threshold),
          windowMinutes: Math.round(opts.windowMs / 60_000),
          sharePercent: Math.round(result.share * 100),
          ...(latest !== null ? { value: round2(latest) } : {}),
          phase: targetPhase,
        },
      },
    });
  }

  return { at: now, active, recommendation: recommend(active) };
}

/** The card: the furthest phase the active signals point to, with every reason, and its cost. */
export function recommend(active: readonly Signal[]): Recommendation | null {
  if (active.length === 0) return null;
  const nextPhase = Math.max(...active.map((s) => s.targetPhase)) as PhaseId;
  const cost = getPhase(nextPhase).costMonthly;
  return {
    nextPhase,
    reasons: active.map((s) => s.message),
    monthlyCost: { ...cost },
    message: { code: 'health.recommendation.next_phase', params: { phase: nextPhase, costMin: cost.min, costMax: cost.max ?? cost.min } },
  };
}

/**
 * The signals that became active since `previous` (null: the first evaluation — everything active is new;
 * a set: the ids already notified). A desktop notification is shown for these only, so a signal that stays
 * on does not notify again; one that goes off and comes back does.
 */
export function newlyActive(previous: SignalsResult | readonly Signal[] | ReadonlySet<string> | null | undefined, current: SignalsResult | readonly Signal[]): Signal[] {
  const list = (x: SignalsResult | readonly Signal[]): readonly Signal[] => ('active' in x ? x.active : x);
  const isIds = (x: typeof previous): x is ReadonlySet<string> => x instanceof Set;
  const before: ReadonlySet<string> = isIds(previous) ? previous : new Set(previous ? list(previous).map((s) => s.id) : []);
  return list(current).filter((s) => !before.has(s.id));
}
