import { parseEnvFile } from '../recipe/env-file';
import { HEADROOM_WARNING } from '../../shared/phases';

// Warning and critical levels for the dashboard's colours and the upgrade signals: the roadmap's
// defaults, or the repository's `monitoring/config/thresholds.env` when the recipe has one.
//
// Comparisons are strict (`value > level`), as the roadmap words its signals ("RAM > 85 %").
//
// Load: KoproGo's thresholds.env gives LOAD_*_THRESHOLD=1.5/2.0 as "absolute values. For a 2-CPU
// system: 1.5 means 75 % utilization, 2.0 means 100 %", and the roadmap's "CPU load > 2.0 constantly"
// is a phase 1 signal, i.e. on its 2-vCPU server. Read literally on a 4-vCPU phase 2 server, 2.0 is
// half the machine, so by default the levels are SCALED to the server: level × cpus / referenceCpus,
// with referenceCpus = 2 (or the file's VPS_CPU_CORES). On the roadmap's own 2-vCPU server this is
// exactly 1.5 / 2.0; `basis: 'absolute'` keeps the literal numbers on any server.
//
// P99 latency: the roadmap gives one figure (50 ms), used as the critical level; the warning level
// is HEADROOM_WARNING (80 %) of it, the share the phase recommender already uses for "near the limit".

export type Level = 'ok' | 'warn' | 'critical';

export type ThresholdMetric = 'ram' | 'cpu' | 'disk' | 'load' | 'p99';
export const THRESHOLD_METRICS: readonly ThresholdMetric[] = ['ram', 'cpu', 'disk', 'load', 'p99'];

export interface LevelPair {
  warn: number;
  critical: number;
}

export interface LoadLevels extends LevelPair {
  /** 'scaled': levels are for `referenceCpus` cores and scale with the server's; 'absolute': as written. */
  basis: 'scaled' | 'absolute';
  referenceCpus: number;
}

export interface Thresholds {
  /** Percent of RAM used. */
  ram: LevelPair;
  /** Percent of all cores busy. */
  cpu: LevelPair;
  /** Percent of the disk used (the fuller of / and Docker's filesystem). */
  disk: LevelPair;
  /** 1-minute load average (see `basis`). */
  load: LoadLevels;
  /** Milliseconds. */
  p99: LevelPair;
  /** Active copros above which the next phase is signalled (roadmap: 100, 500, 2,000). */
  copros: { 1: number; 2: number; 3: number };
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze<Thresholds>({
  ram: { warn: 75, critical: 85 },
  cpu: { warn: 70, critical: 85 },
  disk: { warn: 70, critical: 80 },
  load: { warn: 1.5, critical: 2.0, basis: 'scaled', referenceCpus: 2 },
  p99: { warn: 50 * HEADROOM_WARNING, critical: 50 },
  copros: { 1: 100, 2: 500, 3: 2000 },
});

export function defaultThresholds(): Thresholds {
  return structuredClone(DEFAULT_THRESHOLDS) as Thresholds;
}

/** The load levels for a server with `cpus` cores (unknown cores: as written). */
export function loadLevelsFor(t: Thresholds['load'], cpus?: number | null): LevelPair {
  if (t.basis === 'absolute' || !cpus || cpus <= 0 || t.referenceCpus <= 0) return { warn: t.warn, critical: t.critical };
  const f = cpus / t.referenceCpus;
  return { warn: t.warn * f, critical: t.critical * f };
}

/** The colour of one reading. `cpus` matters for the load only. null/NaN: 'ok' is not claimed, null is returned. */
export function levelOf(metric: ThresholdMetric, value: number | null | undefined, thresholds: Thresholds = DEFAULT_THRESHOLDS, ctx: { cpus?: number | null } = {}): Level | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const levels = metric === 'load' ? loadLevelsFor(thresholds.load, ctx.cpus) : thresholds[metric];
  if (value > levels.critical) return 'critical';
  if (value > levels.warn) return 'warn';
  return 'ok';
}

// ---- thresholds.env ---------------------------------------------------------------------------

type Field =
  | { kind: 'level'; metric: ThresholdMetric; level: 'warn' | 'critical' }
  | { kind: 'loadReferenceCpus' }
  | { kind: 'copros'; from: 1 | 2 | 3 };

/** Name stems per metric: the real file's (RAM_WARNING_THRESHOLD…) first, then aliases. */
const STEMS: Record<ThresholdMetric, string[]> = {
  ram: ['RAM', 'MEM', 'MEMORY'],
  cpu: ['CPU'],
  disk: ['DISK'],
  load: ['LOAD', 'CPU_LOAD', 'LOAD_AVERAGE'],
  p99: ['P99', 'LATENCY_P99', 'P99_LATENCY', 'HTTP_P99'],
};
const LEVEL_WORDS: Record<'warn' | 'critical', string[]> = { warn: ['WARNING', 'WARN'], critical: ['CRITICAL', 'CRIT'] };
const SUFFIXES: Record<ThresholdMetric, string[]> = {
  ram: ['_THRESHOLD', '', '_PERCENT', '_PCT'],
  cpu: ['_THRESHOLD', '', '_PERCENT', '_PCT'],
  disk: ['_THRESHOLD', '', '_PERCENT', '_PCT'],
  load: ['_THRESHOLD', ''],
  p99: ['_MS', '_THRESHOLD', '_THRESHOLD_MS', ''],
};

function buildKeyMap(): Map<string, Field> {
  const map = new Map<string, Field>();
  for (const metric of THRESHOLD_METRICS) {
    for (const stem of STEMS[metric]) {
      for (const level of ['warn', 'critical'] as const) {
        for (const word of LEVEL_WORDS[level]) {
          for (const suffix of SUFFIXES[metric]) map.set(`${stem}_${word}${suffix}`, { kind: 'level', metric, level });
        }
      }
    }
  }
  // The reference core count of the load levels: KoproGo's file describes its server this way.
  map.set('VPS_CPU_CORES', { kind: 'loadReferenceCpus' });
  map.set('LOAD_REFERENCE_CPUS', { kind: 'loadReferenceCpus' });
  // KoproGo's file: "Upgrade thresholds (when to upgrade VPS tier)", the roadmap's 100 / 500 / 2,000.
  map.set('UPGRADE_TO_CPX21_AT_COPROPRIETES', { kind: 'copros', from: 1 });
  map.set('UPGRADE_TO_CPX31_AT_COPROPRIETES', { kind: 'copros', from: 2 });
  map.set('UPGRADE_TO_DEDICATED_AT_COPROPRIETES', { kind: 'copros', from: 3 });
  for (const from of [1, 2, 3] as const) map.set(`UPGRADE_PHASE_${from}_AT_COPROS`, { kind: 'copros', from });
  return map;
}

const KEY_MAP = buildKeyMap();

/** Keys of KoproGo's file that are understood but not used by the dashboard (not reported as unknown). */
const IGNORED_KEY = /^(PG_CONNECTIONS_|QUERY_(MEAN|P99)_|DB_SIZE_|CACHE_HIT_|VPS_(RAM|DISK)_TOTAL_)/;

/** Every key `parseThresholdsEnv` maps (for documentation and tests). */
export function knownThresholdKeys(): string[] {
  return [...KEY_MAP.keys()];
}

export type ThresholdsProblem =
  /** A line the env parser refused (its own kind in `detail`). */
  | { kind: 'syntax'; line: number; detail: string }
  | { kind: 'unknown_key'; line: number; key: string }
  | { kind: 'not_a_number'; line: number; key: string; value: string }
  | { kind: 'out_of_range'; line: number; key: string; value: number }
  /** Two keys (aliases) set the same level: the later line wins. */
  | { kind: 'duplicate_level'; line: number; key: string }
  /** The warning level is above the critical one: it is lowered to the critical one. */
  | { kind: 'warn_above_critical'; metric: ThresholdMetric; warn: number; critical: number };

export interface ParsedThresholds {
  thresholds: Thresholds;
  /** Which metrics the file set (the rest are the roadmap's). */
  fromFile: ThresholdMetric[];
  problems: ThresholdsProblem[];
}

/** "85", "85%", "50ms", "2.0". */
function parseNumber(raw: string): number | null {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(%|ms)?\s*$/i.exec(raw);
  return m ? Number(m[1]) : null;
}

function inRange(f: Field, v: number): boolean {
  if (f.kind === 'loadReferenceCpus') return Number.isInteger(v) && v >= 1 && v <= 65_536;
  if (f.kind === 'copros') return Number.isInteger(v) && v >= 1;
  if (f.metric === 'ram' || f.metric === 'cpu' || f.metric === 'disk') return v >= 0 && v <= 100;
  return v >= 0 && v <= 1_000_000;
}

/**
 * Reads a repository's `monitoring/config/thresholds.env`. Known keys override the roadmap's levels;
 * anything else is reported, never fatal: the result is always usable.
 */
export function parseThresholdsEnv(text: string, base: Thresholds = defaultThresholds()): ParsedThresholds {
  const thresholds = structuredClone(base);
  const problems: ThresholdsProblem[] = [];
  const parsed = parseEnvFile(text);
  for (const p of parsed.problems) {
    // Warnings about Compose v1 or unset variables are irrelevant here; errors mean a line was not read.
    if (p.severity === 'error') problems.push({ kind: 'syntax', line: p.line, detail: p.kind });
  }
  const fromFile = new Set<ThresholdMetric>();
  const setBy = new Map<string, string>();
  for (const e of parsed.entries) {
    const key = e.key.trim().toUpperCase();
    const field = KEY_MAP.get(key);
    if (!field) {
      if (!IGNORED_KEY.test(key)) problems.push({ kind: 'unknown_key', line: e.line, key: e.key });
      continue;
    }
    const n = parseNumber(e.value);
    if (n === null) {
      problems.push({ kind: 'not_a_number', line: e.line, key: e.key, value: e.value });
      continue;
    }
    if (!inRange(field, n)) {
      problems.push({ kind: 'out_of_range', line: e.line, key: e.key, value: n });
      continue;
    }
    const slot = field.kind === 'level' ? `${field.metric}.${field.level}` : field.kind === 'copros' ? `copros.${field.from}` : 'load.referenceCpus';
    if (setBy.has(slot)) problems.push({ kind: 'duplicate_level', line: e.line, key: e.key });
    setBy.set(slot, e.key);
    if (field.kind === 'level') {
      thresholds[field.metric][field.level] = n;
      fromFile.add(field.metric);
    } else if (field.kind === 'copros') {
      thresholds.copros[field.from] = n;
    } else {
      thresholds.load.referenceCpus = n;
    }
  }
  for (const metric of THRESHOLD_METRICS) {
    const l = thresholds[metric];
    if (l.warn > l.critical) {
      problems.push({ kind: 'warn_above_critical', metric, warn: l.warn, critical: l.critical });
      l.warn = l.critical;
    }
  }
  return { thresholds, fromFile: THRESHOLD_METRICS.filter((m) => fromFile.has(m)), problems };
}
