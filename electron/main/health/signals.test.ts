import { describe, expect, it } from 'vitest';
import { getPhase, type PhaseId } from '../../shared/phases';
import { evaluateSignals, newlyActive, recommend, SIGNAL_MESSAGE_CODES, SIGNALS, sustained, type SignalId, type SignalInputs, type SignalPoint } from './signals';
import { parseThresholdsEnv } from './thresholds';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const NOW = T0 + 60 * MIN;

interface Shape {
  ram?: number;
  load?: number;
  disk?: number | null;
  dockerDisk?: number | null;
  cpus?: number;
}

/** Points every `stepMs` from `from` to `to` (inclusive), each shaped by `at(t)` over a quiet server. */
function pts(from: number, to: number, stepMs: number, at: (t: number) => Shape = () => ({})): SignalPoint[] {
  const out: SignalPoint[] = [];
  for (let t = from; t <= to; t += stepMs) {
    const s = at(t);
    out.push({ at: t, ramUsedPercent: s.ram ?? 40, diskUsedPercent: s.disk === undefined ? 50 : s.disk, dockerDiskUsedPercent: s.dockerDisk ?? null, cpus: s.cpus ?? 2, load: { one: s.load ?? 0.3 } });
  }
  return out;
}

const quiet = () => pts(T0, NOW, 5_000);
/** High for the last `minutes` minutes, quiet before. */
const highFor = (minutes: number, shape: Shape) => pts(T0, NOW, 5_000, (t) => (t > NOW - minutes * MIN ? shape : {}));
const ids = (r: { active: { id: SignalId }[] }) => r.active.map((s) => s.id);
const evaluate = (over: Partial<SignalInputs>) => evaluateSignals({ currentPhase: 1, points: quiet(), now: NOW, ...over });

describe('sustained: "constantly" over a window', () => {
  const high = (p: { ramUsedPercent: number }) => p.ramUsedPercent > 85;
  const cases: Array<[string, SignalPoint[], number, boolean]> = [
    ['above for the whole 30 minutes', highFor(60, { ram: 90 }), NOW, true],
    ['above for exactly the last 30 minutes', highFor(30, { ram: 90 }), NOW, true],
    ['above for 25 of the last 30 minutes (83 %)', highFor(25, { ram: 90 }), NOW, false],
    ['a 2-minute spike', pts(T0, NOW, 5_000, (t) => (t > NOW - 10 * MIN && t <= NOW - 8 * MIN ? { ram: 99 } : {})), NOW, false],
    ['above except a 2-minute dip (93 %)', pts(T0, NOW, 5_000, (t) => (t > NOW - 10 * MIN && t <= NOW - 8 * MIN ? {} : { ram: 90 })), NOW, true],
    ['above except a 4-minute dip (87 %)', pts(T0, NOW, 5_000, (t) => (t > NOW - 10 * MIN && t <= NOW - 6 * MIN ? {} : { ram: 90 })), NOW, false],
    ['above, sampled every 60 s in the background', pts(T0, NOW, 60_000, () => ({ ram: 90 })), NOW, true],
    ['above, but samples cover only the last 20 minutes (gap before)', pts(NOW - 20 * MIN, NOW, 5_000, () => ({ ram: 90 })), NOW, false],
    ['above, with a 10-minute gap in the middle (67 % covered)', pts(T0, NOW, 5_000, () => ({ ram: 90 })).filter((p) => p.at < NOW - 20 * MIN || p.at > NOW - 10 * MIN), NOW, false],
    ['above, with a 5-minute gap in the middle (83 % covered)', pts(T0, NOW, 5_000, () => ({ ram: 90 })).filter((p) => p.at < NOW - 20 * MIN || p.at > NOW - 15 * MIN), NOW, true],
    ['two high readings 30 minutes apart (a laptop that slept)', [...pts(NOW - 30 * MIN, NOW - 30 * MIN, 1, () => ({ ram: 90 })), ...pts(NOW, NOW, 1, () => ({ ram: 90 }))], NOW, false],
    ['above, but the data stopped 10 minutes ago (stale)', pts(T0, NOW - 10 * MIN, 5_000, () => ({ ram: 90 })), NOW, false],
    ['no points at all', [], NOW, false],
  ];
  it.each(cases)('%s → %s', (_name, points, now, expected) => {
    expect(sustained(points, high, { now }).held).toBe(expected);
  });

  it('reports share, coverage and since', () => {
    const r = sustained(highFor(45, { ram: 90 }), high, { now: NOW });
    expect(r).toMatchObject({ held: true, share: 1, coverage: 1, samples: 360 });
    // Since when: the start of the high run (45 minutes), not of the window.
    expect(r.since).toBe(NOW - 45 * MIN + 5_000);
  });

  it('is time-weighted: 5 minutes of 5-s samples do not outweigh 25 minutes of 60-s ones', () => {
    const background = pts(NOW - 31 * MIN, NOW - 5 * MIN, 60_000, () => ({ ram: 40 }));
    const foreground = pts(NOW - 5 * MIN + 5_000, NOW, 5_000, () => ({ ram: 95 }));
    const r = sustained([...background, ...foreground], high, { now: NOW });
    expect(r.samples).toBeGreaterThan(60);
    expect(r.share).toBeCloseTo(5 / 30, 2);
    expect(r.held).toBe(false);
  });

  it('takes the window and the shares from the options', () => {
    const points = highFor(12, { ram: 90 });
    expect(sustained(points, high, { now: NOW }).held).toBe(false);
    expect(sustained(points, high, { now: NOW, windowMs: 10 * MIN }).held).toBe(true);
    expect(sustained(highFor(25, { ram: 90 }), high, { now: NOW, minShare: 0.8 }).held).toBe(true);
  });

  it('leaves out points without the value (null), as gaps', () => {
    const points = pts(T0, NOW, 5_000, (t) => ({ disk: t > NOW - 20 * MIN ? null : 90 }));
    expect(sustained(points, (p) => (p.diskUsedPercent === null ? null : p.diskUsedPercent > 80), { now: NOW }).held).toBe(false);
  });
});

describe('each signal of phase 1 → 2: sustained, spike, gap', () => {
  const spike = (shape: Shape) => pts(T0, NOW, 5_000, (t) => (t > NOW - 3 * MIN && t <= NOW - 1 * MIN ? shape : {}));
  const gapped = (shape: Shape) => pts(T0, NOW, 5_000, () => shape).filter((p) => p.at < NOW - 25 * MIN || p.at > NOW - 10 * MIN);
  const cases: Array<[SignalId, Shape]> = [
    ['ram_sustained', { ram: 86 }],
    ['load_sustained', { load: 2.4 }],
  ];
  it.each(cases)('%s: sustained yes, spike no, gap no', (id, shape) => {
    expect(ids(evaluate({ points: highFor(31, shape) }))).toEqual([id]);
    expect(ids(evaluate({ points: spike(shape) }))).toEqual([]);
    expect(ids(evaluate({ points: gapped(shape) }))).toEqual([]);
  });

  it('ram: at the level exactly is not above it', () => {
    expect(ids(evaluate({ points: highFor(60, { ram: 85 }) }))).toEqual([]);
  });

  it('load: the level scales with the cores (2.4 on 4 cores is not a signal; 4.5 is)', () => {
    expect(ids(evaluate({ points: highFor(60, { load: 2.4, cpus: 4 }) }))).toEqual([]);
    expect(ids(evaluate({ points: highFor(60, { load: 4.5, cpus: 4 }) }))).toEqual(['load_sustained']);
  });

  it('disk > 80 %: over 5 minutes (a disk that fills up), not a 1-minute blip; the Docker filesystem counts too', () => {
    expect(ids(evaluate({ points: highFor(6, { disk: 81 }) }))).toEqual(['disk_high']);
    expect(ids(evaluate({ points: highFor(1, { disk: 95 }) }))).toEqual([]);
    expect(ids(evaluate({ points: highFor(6, { disk: 50, dockerDisk: 85 }) }))).toEqual(['disk_high']);
    expect(ids(evaluate({ points: pts(T0, NOW, 5_000, () => ({ disk: null })) }))).toEqual([]);
  });

  it('P99 > 50 ms: sustained yes, spike no, gap no', () => {
    const series = (f: (t: number) => number | null, step = 10_000) => {
      const out: { at: number; p99Ms: number | null }[] = [];
      for (let t = T0; t <= NOW; t += step) out.push({ at: t, p99Ms: f(t) });
      return out;
    };
    expect(ids(evaluate({ p99: series(() => 60) }))).toEqual(['p99_high']);
    expect(ids(evaluate({ p99: series((t) => (t > NOW - 2 * MIN ? 300 : 8)) }))).toEqual([]);
    expect(ids(evaluate({ p99: series((t) => (t > NOW - 20 * MIN && t < NOW - 5 * MIN ? null : 60)) }))).toEqual([]);
    expect(ids(evaluate({ p99: series(() => 50) }))).toEqual([]);
  });

  it('a signal carries its window, since, evidence and an i18n message', () => {
    const [s] = evaluate({ points: highFor(45, { ram: 91 }) }).active;
    expect(s).toEqual({
      id: 'ram_sustained',
      metric: 'ram',
      targetPhase: 2,
      since: NOW - 45 * MIN + 5_000,
      window: { windowMs: 30 * MIN, minShare: 0.9, minCoverage: 0.8 },
      evidence: { value: 91, threshold: 85, share: 1, coverage: 1 },
      message: { code: 'health.signal.ram_sustained', params: { threshold: 85, windowMinutes: 30, sharePercent: 100, value: 91, phase: 2 } },
    });
  });

  it('several together: all listed in the roadmap order, one recommendation with every reason', () => {
    const r = evaluate({ points: highFor(40, { ram: 92, load: 2.5, disk: 83 }), activeCopros: 140 });
    expect(ids(r)).toEqual(['ram_sustained', 'load_sustained', 'disk_high', 'copros_phase2']);
    expect(r.recommendation).toMatchObject({ nextPhase: 2, monthlyCost: { min: 15, max: 15 } });
    expect(r.recommendation!.reasons.map((m) => m.code)).toEqual(['health.signal.ram_sustained', 'health.signal.load_sustained', 'health.signal.disk_high', 'health.signal.copros']);
  });

  it('thresholds from the repository change the signals', () => {
    const { thresholds } = parseThresholdsEnv('RAM_CRITICAL_THRESHOLD=95\nUPGRADE_TO_CPX21_AT_COPROPRIETES=150\n');
    expect(ids(evaluate({ points: highFor(60, { ram: 92 }), activeCopros: 140, thresholds }))).toEqual([]);
    expect(ids(evaluate({ points: highFor(60, { ram: 96 }), activeCopros: 151, thresholds }))).toEqual(['ram_sustained', 'copros_phase2']);
  });

  it('the window is configurable', () => {
    expect(ids(evaluate({ points: highFor(12, { ram: 90 }) }))).toEqual([]);
    expect(ids(evaluate({ points: highFor(12, { ram: 90 }), windows: { ram: { windowMs: 10 * MIN } } }))).toEqual(['ram_sustained']);
  });

  it('nothing quiet is a signal', () => {
    expect(evaluate({})).toEqual({ at: NOW, active: [], recommendation: null });
  });
});

describe('copros and declared needs', () => {
  const cases: Array<[PhaseId, number | null, SignalId[], PhaseId | null]> = [
    [1, null, [], null],
    [1, 100, [], null],
    [1, 101, ['copros_phase2'], 2],
    [1, 501, ['copros_phase2', 'copros_phase3'], 3],
    [1, 2001, ['copros_phase2', 'copros_phase3', 'copros_phase4'], 4],
    [2, 150, [], null],
    [2, 500, [], null],
    [2, 501, ['copros_phase3'], 3],
    [2, 2500, ['copros_phase3', 'copros_phase4'], 4],
    [3, 1500, [], null],
    [3, 2001, ['copros_phase4'], 4],
    [4, 10_000, [], null],
  ];
  it.each(cases)('phase %s with %s copros → %j, recommends %s', (currentPhase, activeCopros, expected, next) => {
    const r = evaluate({ currentPhase, activeCopros });
    expect(ids(r)).toEqual(expected);
    expect(r.recommendation?.nextPhase ?? null).toBe(next);
    if (next !== null) expect(r.recommendation!.monthlyCost).toEqual(getPhase(next).costMonthly);
  });

  it('the recommendation names the next phase and its cost (phase 3: 30–90 €)', () => {
    const r = evaluate({ activeCopros: 600 });
    expect(r.recommendation).toEqual({
      nextPhase: 3,
      reasons: [
        { code: 'health.signal.copros', params: { copros: 600, limit: 100, phase: 2 } },
        { code: 'health.signal.copros', params: { copros: 600, limit: 500, phase: 3 } },
      ],
      monthlyCost: { min: 30, max: 90 },
      message: { code: 'health.recommendation.next_phase', params: { phase: 3, costMin: 30, costMax: 90 } },
    });
  });

  const flags: Array<[keyof NonNullable<SignalInputs['flags']>, SignalId, PhaseId]> = [
    ['highAvailability', 'flag_high_availability', 3],
    ['severalRegions', 'flag_several_regions', 3],
    ['devopsTeam', 'flag_devops_team', 3],
    ['slaAbove999', 'flag_sla', 4],
    ['strictCompliance', 'flag_strict_compliance', 4],
    ['matureTeam', 'flag_mature_team', 4],
  ];
  it.each(flags)('declared %s → %s, towards phase %s', (flag, id, phase) => {
    const r = evaluate({ currentPhase: 2, flags: { [flag]: true } });
    expect(ids(r)).toEqual([id]);
    expect(r.recommendation?.nextPhase).toBe(phase);
    expect(ids(evaluate({ currentPhase: 2, flags: { [flag]: false } }))).toEqual([]);
  });

  it('phase 3 needs (HA) are behind a phase 3 deployment; phase 4 ones are not', () => {
    expect(ids(evaluate({ currentPhase: 3, flags: { highAvailability: true, strictCompliance: true } }))).toEqual(['flag_strict_compliance']);
  });

  it('resource signals on phase 2 point to phase 3; on K3s phases they are not phase signals', () => {
    const points = highFor(60, { ram: 95 });
    expect(evaluate({ currentPhase: 2, points }).recommendation?.nextPhase).toBe(3);
    expect(evaluate({ currentPhase: 3, points }).active).toEqual([]);
  });

  it('since of a copro signal stays the first time it was seen', () => {
    const first = evaluate({ activeCopros: 120 });
    const later = evaluateSignals({ currentPhase: 1, points: quiet(), now: NOW + 10 * MIN, activeCopros: 130, previous: first });
    expect(later.active[0]!.since).toBe(NOW);
  });
});

describe('newlyActive: a notification when a signal starts, not repeated', () => {
  it('fires once, not while it stays on, again after it went off', () => {
    const on = evaluate({ points: highFor(40, { ram: 90 }) });
    const off = evaluate({});
    expect(newlyActive(null, on).map((s) => s.id)).toEqual(['ram_sustained']);
    expect(newlyActive(on, on)).toEqual([]);
    expect(newlyActive(on, off)).toEqual([]);
    expect(newlyActive(off, on).map((s) => s.id)).toEqual(['ram_sustained']);
    // The ids already notified (what the health service keeps across restarts).
    expect(newlyActive(new Set(['ram_sustained']), on)).toEqual([]);
    expect(newlyActive(new Set(['cpu_sustained']), on).map((s) => s.id)).toEqual(['ram_sustained']);
  });

  it('only the new one when a second signal joins', () => {
    const one = evaluate({ points: highFor(40, { ram: 90 }) });
    const two = evaluate({ points: highFor(40, { ram: 90 }), activeCopros: 200 });
    expect(newlyActive(one, two).map((s) => s.id)).toEqual(['copros_phase2']);
    expect(newlyActive(one.active, two.active).map((s) => s.id)).toEqual(['copros_phase2']);
  });

  it('follows a sliding evaluation over time: one start, one notification', () => {
    const all = pts(T0, T0 + 120 * MIN, 5_000, (t) => (t > T0 + 20 * MIN ? { ram: 90 } : {}));
    let previous = null as ReturnType<typeof evaluate> | null;
    const notified: Array<{ id: SignalId; at: number }> = [];
    for (let now = T0 + 30 * MIN; now <= T0 + 120 * MIN; now += MIN) {
      const current = evaluateSignals({ currentPhase: 1, points: all.filter((p) => p.at <= now), now, previous });
      for (const s of newlyActive(previous, current)) notified.push({ id: s.id, at: now });
      previous = current;
    }
    // High from minute 20; 90 % of a 30-minute window reached at minute 47.
    expect(notified).toEqual([{ id: 'ram_sustained', at: T0 + 47 * MIN }]);
  });
});

describe('the signals as data', () => {
  it('ids are unique and every message code is listed for the translations', () => {
    expect(new Set(SIGNALS.map((s) => s.id)).size).toBe(SIGNALS.length);
    for (const s of SIGNALS) expect(SIGNAL_MESSAGE_CODES).toContain(s.code);
  });

  it('recommend() of nothing is null', () => {
    expect(recommend([])).toBeNull();
  });
});
