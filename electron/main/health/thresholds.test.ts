import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, defaultThresholds, knownThresholdKeys, levelOf, loadLevelsFor, parseThresholdsEnv, type Level, type ThresholdMetric, type Thresholds } from './thresholds';

describe('the roadmap defaults', () => {
  it('are RAM 75/85 %, CPU 70/85 %, disk 70/80 %, load 1.5/2.0 on 2 cores, P99 50 ms', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({
      ram: { warn: 75, critical: 85 },
      cpu: { warn: 70, critical: 85 },
      disk: { warn: 70, critical: 80 },
      load: { warn: 1.5, critical: 2.0, basis: 'scaled', referenceCpus: 2 },
      p99: { warn: 40, critical: 50 },
      copros: { 1: 100, 2: 500, 3: 2000 },
    });
  });

  it('hands out copies: changing one does not change the defaults', () => {
    const t = defaultThresholds();
    t.ram.warn = 1;
    expect(DEFAULT_THRESHOLDS.ram.warn).toBe(75);
  });
});

describe('levelOf', () => {
  const cases: Array<[ThresholdMetric, number | null, number | undefined, Level | null]> = [
    ['ram', 0, undefined, 'ok'],
    ['ram', 75, undefined, 'ok'],
    ['ram', 75.01, undefined, 'warn'],
    ['ram', 85, undefined, 'warn'],
    ['ram', 85.01, undefined, 'critical'],
    ['ram', 100, undefined, 'critical'],
    ['cpu', 70, undefined, 'ok'],
    ['cpu', 71, undefined, 'warn'],
    ['cpu', 86, undefined, 'critical'],
    ['disk', 70, undefined, 'ok'],
    ['disk', 75, undefined, 'warn'],
    ['disk', 80.5, undefined, 'critical'],
    ['p99', 12, undefined, 'ok'],
    ['p99', 45, undefined, 'warn'],
    ['p99', 50, undefined, 'warn'],
    ['p99', 51, undefined, 'critical'],
    // Load: as written on the roadmap's 2-vCPU server …
    ['load', 1.5, 2, 'ok'],
    ['load', 1.6, 2, 'warn'],
    ['load', 2.1, 2, 'critical'],
    // … scaled on 4 cores (3.0 / 4.0) and on 1 core (0.75 / 1.0) …
    ['load', 2.1, 4, 'ok'],
    ['load', 3.5, 4, 'warn'],
    ['load', 4.1, 4, 'critical'],
    ['load', 0.8, 1, 'warn'],
    ['load', 1.1, 1, 'critical'],
    // … and as written when the core count is unknown.
    ['load', 2.1, undefined, 'critical'],
    ['ram', null, undefined, null],
    ['cpu', Number.NaN, undefined, null],
  ];
  it.each(cases)('%s %s (cpus %s) → %s', (metric, value, cpus, expected) => {
    expect(levelOf(metric, value, DEFAULT_THRESHOLDS, { cpus })).toBe(expected);
  });

  it('takes the load levels literally with basis "absolute"', () => {
    const t: Thresholds = { ...defaultThresholds(), load: { warn: 1.5, critical: 2, basis: 'absolute', referenceCpus: 2 } };
    expect(levelOf('load', 2.1, t, { cpus: 8 })).toBe('critical');
    expect(loadLevelsFor(t.load, 8)).toEqual({ warn: 1.5, critical: 2 });
    expect(loadLevelsFor(DEFAULT_THRESHOLDS.load, 8)).toEqual({ warn: 6, critical: 8 });
  });
});

// Shaped like KoproGo's monitoring/config/thresholds.env: banners, inline comments, keys the dashboard does not use.
const KOPROGO_LIKE = `################################################
# Monitoring thresholds
################################################

# RAM Thresholds (%)
RAM_WARNING_THRESHOLD=70
RAM_CRITICAL_THRESHOLD=90

# CPU Thresholds (%)
CPU_WARNING_THRESHOLD=60
CPU_CRITICAL_THRESHOLD=80

DISK_WARNING_THRESHOLD=65
DISK_CRITICAL_THRESHOLD=75

# Load Average Thresholds (absolute values, for a 2-CPU system)
LOAD_WARNING_THRESHOLD=1.2
LOAD_CRITICAL_THRESHOLD=1.8

PG_CONNECTIONS_WARNING=7    # Out of 10 max pool
QUERY_MEAN_CRITICAL=50      # ms
QUERY_P99_TARGET=5
DB_SIZE_WARNING=25
CACHE_HIT_WARNING=95
VPS_RAM_TOTAL_MB=2048
VPS_CPU_CORES=2
VPS_DISK_TOTAL_GB=40

UPGRADE_TO_CPX21_AT_COPROPRIETES=120
UPGRADE_TO_CPX31_AT_COPROPRIETES=600
UPGRADE_TO_DEDICATED_AT_COPROPRIETES=2500
`;

describe('parseThresholdsEnv', () => {
  it("reads KoproGo's file: levels, reference cores and copro limits; its other keys are not problems", () => {
    const r = parseThresholdsEnv(KOPROGO_LIKE);
    expect(r.problems).toEqual([]);
    expect(r.fromFile).toEqual(['ram', 'cpu', 'disk', 'load']);
    expect(r.thresholds).toEqual({
      ram: { warn: 70, critical: 90 },
      cpu: { warn: 60, critical: 80 },
      disk: { warn: 65, critical: 75 },
      load: { warn: 1.2, critical: 1.8, basis: 'scaled', referenceCpus: 2 },
      p99: { warn: 40, critical: 50 },
      copros: { 1: 120, 2: 600, 3: 2500 },
    });
  });

  it('an empty file is the roadmap defaults', () => {
    expect(parseThresholdsEnv('')).toEqual({ thresholds: defaultThresholds(), fromFile: [], problems: [] });
  });

  const aliases: Array<[string, (t: Thresholds) => number, number]> = [
    ['RAM_WARNING=60', (t) => t.ram.warn, 60],
    ['RAM_CRITICAL=95', (t) => t.ram.critical, 95],
    ['MEMORY_CRITICAL_PERCENT=90', (t) => t.ram.critical, 90],
    ['MEM_WARN=50', (t) => t.ram.warn, 50],
    ['CPU_WARNING=55', (t) => t.cpu.warn, 55],
    ['CPU_CRIT=90', (t) => t.cpu.critical, 90],
    ['DISK_WARNING_PCT=60', (t) => t.disk.warn, 60],
    ['LOAD_WARNING=1', (t) => t.load.warn, 1],
    ['CPU_LOAD_CRITICAL=3', (t) => t.load.critical, 3],
    ['P99_WARNING_MS=30', (t) => t.p99.warn, 30],
    ['P99_CRITICAL_MS=70', (t) => t.p99.critical, 70],
    ['LATENCY_P99_CRITICAL_THRESHOLD_MS=80', (t) => t.p99.critical, 80],
    ['RAM_WARNING_THRESHOLD=80%', (t) => t.ram.warn, 80],
    ['P99_CRITICAL=60ms', (t) => t.p99.critical, 60],
    ['ram_warning_threshold=72', (t) => t.ram.warn, 72],
    ['LOAD_REFERENCE_CPUS=4', (t) => t.load.referenceCpus, 4],
    ['RAM_WARNING_THRESHOLD="77"', (t) => t.ram.warn, 77],
  ];
  it.each(aliases)('%s', (line, pick, expected) => {
    const r = parseThresholdsEnv(`${line}\n`);
    expect(r.problems).toEqual([]);
    expect(pick(r.thresholds)).toBe(expected);
  });

  it('every known key is mapped, and none twice', () => {
    const keys = knownThresholdKeys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(['RAM_WARNING_THRESHOLD', 'LOAD_CRITICAL_THRESHOLD', 'P99_WARNING_MS', 'VPS_CPU_CORES']));
  });

  it('reports unknown keys, bad numbers, out-of-range values and conflicting aliases, and keeps going', () => {
    const r = parseThresholdsEnv(
      [
        'RAM_WARNING_THRESHOLD=seventy', // 1
        'DISK_CRITICAL_THRESHOLD=150', // 2
        'SOMETHING_ELSE=1', // 3
        'CPU_WARNING=50', // 4
        'CPU_WARNING_THRESHOLD=55', // 5
        'VPS_CPU_CORES=1.5', // 6
        'LOAD_CRITICAL_THRESHOLD=-1', // 7
        'DISK_WARNING_THRESHOLD=72', // 8
      ].join('\n'),
    );
    expect(r.problems).toEqual([
      { kind: 'not_a_number', line: 1, key: 'RAM_WARNING_THRESHOLD', value: 'seventy' },
      { kind: 'out_of_range', line: 2, key: 'DISK_CRITICAL_THRESHOLD', value: 150 },
      { kind: 'unknown_key', line: 3, key: 'SOMETHING_ELSE' },
      { kind: 'duplicate_level', line: 5, key: 'CPU_WARNING_THRESHOLD' },
      { kind: 'out_of_range', line: 6, key: 'VPS_CPU_CORES', value: 1.5 },
      { kind: 'not_a_number', line: 7, key: 'LOAD_CRITICAL_THRESHOLD', value: '-1' },
    ]);
    expect(r.thresholds.ram).toEqual(DEFAULT_THRESHOLDS.ram);
    expect(r.thresholds.disk).toEqual({ warn: 72, critical: 80 });
    expect(r.thresholds.cpu.warn).toBe(55);
    expect(r.thresholds.load.referenceCpus).toBe(2);
    expect(r.fromFile).toEqual(['cpu', 'disk']);
  });

  it('lowers a warning level above the critical one, and says so', () => {
    const r = parseThresholdsEnv('RAM_WARNING_THRESHOLD=90\nRAM_CRITICAL_THRESHOLD=80\n');
    expect(r.problems).toEqual([{ kind: 'warn_above_critical', metric: 'ram', warn: 90, critical: 80 }]);
    expect(r.thresholds.ram).toEqual({ warn: 80, critical: 80 });
    expect(levelOf('ram', 81, r.thresholds)).toBe('critical');
  });

  it('a line the env parser refuses is a syntax problem, and the rest is still read', () => {
    const r = parseThresholdsEnv('RAM_WARNING_THRESHOLD="70\nCPU_WARNING_THRESHOLD=65\n');
    expect(r.problems.some((p) => p.kind === 'syntax' && p.line === 1)).toBe(true);
    expect(r.thresholds.cpu.warn).toBe(65);
  });
});
