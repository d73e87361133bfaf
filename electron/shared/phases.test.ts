import { describe, expect, it } from 'vitest';
import { COPRO_SIGNALS, economics, getPhase, LOTS_PER_MEDIUM_COPRO, PHASES, recommendPhase } from './phases';

describe('phase data follows the roadmap', () => {
  it('has the four phases with the roadmap figures', () => {
    expect(PHASES.map((p) => [p.id, p.costMonthly.min, p.costMonthly.max, p.vcpu.min, p.ramGb.min, p.diskGb])).toEqual([
      [1, 5, 5, 2, 2, 40],
      [2, 15, 15, 4, 4, 80],
      [3, 30, 90, 6, 22, null],
      [4, 270, 270, 36, 180, null],
    ]);
    expect(PHASES.map((p) => p.slaPercent)).toEqual([null, null, 99.5, 99.95]);
    expect(PHASES.map((p) => p.highAvailability)).toEqual(['no', 'no', 'partial', 'yes']);
    expect(PHASES.map((p) => p.runtime)).toEqual(['compose', 'compose', 'k3s', 'k3s']);
    expect(getPhase(4).pricePerCopro).toBe(20);
  });

  it('uses the upgrade signals of the roadmap', () => {
    expect(COPRO_SIGNALS).toEqual({ 1: 100, 2: 500, 3: 2000 });
    expect(LOTS_PER_MEDIUM_COPRO).toBe(30);
  });
});

describe('recommender', () => {
  // copros, lots per copro → phase, reason kind
  const table: [number, number, 1 | 2 | 3 | 4, string][] = [
    [0, 1, 1, 'within'],
    [60, 8, 1, 'within'],
    [100, 30, 1, 'within'], // exactly at the signal: still phase 1
    [101, 8, 2, 'copros'], // "more than 100 active copros"
    [90, 40, 2, 'lots'], // 3,600 lots: beyond 100 medium copros
    [500, 30, 2, 'copros'],
    [501, 5, 3, 'copros'],
    [400, 50, 3, 'lots'], // 20,000 lots > 15,000
    [2000, 10, 3, 'copros'],
    [2001, 10, 4, 'copros'],
    [1500, 50, 4, 'lots'], // 75,000 lots > 60,000
    [1_000_000, 10_000, 4, 'copros'],
  ];
  it.each(table)('%i copros × %i lots → phase %i (%s)', (copros, lots, phase, kind) => {
    const r = recommendPhase({ copros, lotsPerCopro: lots });
    expect(r.phase).toBe(phase);
    expect(r.reason.kind).toBe(kind);
    expect(r.totalLots).toBe(copros * lots);
  });

  it('warns when the next upgrade signal is near (80 %)', () => {
    expect(recommendPhase({ copros: 79, lotsPerCopro: 8 }).nearNextSignal).toBeNull();
    expect(recommendPhase({ copros: 80, lotsPerCopro: 8 }).nearNextSignal).toEqual({ nextPhase: 2, at: 100 });
    expect(recommendPhase({ copros: 450, lotsPerCopro: 8 }).nearNextSignal).toEqual({ nextPhase: 3, at: 500 });
    expect(recommendPhase({ copros: 5000, lotsPerCopro: 8 }).nearNextSignal).toBeNull();
  });

  it('explains a phase-1 recommendation with the limits used', () => {
    expect(recommendPhase({ copros: 60, lotsPerCopro: 8 }).reason).toEqual({ kind: 'within', phase: 1, copros: 60, coproLimit: 100, lots: 480, lotsLimit: 3000 });
  });
});

describe('economics (roadmap business figures)', () => {
  it('phase 1: 50 copros × 15 € against 5 € is a 99 % margin', () => {
    const e = economics(1, 50);
    expect(e.revenueMonthly).toBe(750);
    expect(e.marginPercent).toBeCloseTo(99.33, 2);
  });
  it('phase 4 bills 20 € per copro: 2,000 copros make 40,000 €', () => {
    const e = economics(4, 2000);
    expect(e.revenueMonthly).toBe(40_000);
    expect(e.marginPercent).toBeCloseTo(99.325, 3);
  });
  it('phase 3 margin is computed against its highest cost (staging)', () => {
    expect(economics(3, 500).marginPercent).toBeCloseTo(((7500 - 90) / 7500) * 100, 6);
  });
  it('no revenue means no margin figure', () => {
    expect(economics(1, 0).marginPercent).toBeNull();
  });
});
