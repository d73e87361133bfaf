import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { derive } from './sample';
import { HealthHistory, historyDirFor, minMaxDownsample, rowOf, csvField, type HistoryOptions } from './history';
import { hostSample } from './test-helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

let dir: string;
let clock: number;
const open = (over: Partial<HistoryOptions> = {}) => HealthHistory.open({ dir, now: () => clock, ...over });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgt-history-'));
  clock = T0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Appends one row every `stepMs` from the clock for `count` rows, moving the clock along. */
async function feed(h: HealthHistory, count: number, stepMs: number, values: (i: number) => Record<string, number> = () => ({ cpu: 10, ram: 40 })): Promise<void> {
  for (let i = 0; i < count; i++) {
    await h.append({ at: clock, values: values(i) });
    clock += stepMs;
  }
}

describe('retention', () => {
  it('keeps 24 h of rows and 30 days of 5-minute buckets, with a fake clock', async () => {
    const h = await open();
    // 26 hours at 60 s.
    await feed(h, 26 * 60, MIN, (i) => ({ cpu: i % 100, ram: 50 }));
    const rows = h.fullRows();
    expect(rows[0]!.at).toBeGreaterThanOrEqual(clock - MIN - DAY); // the clock moved on after the last append
    expect(rows.length).toBeLessThanOrEqual(24 * 60 + 1);
    // Every closed 5-minute bucket of the 26 hours is still there.
    const buckets = h.downsampled();
    expect(buckets[0]!.at).toBe(T0);
    expect(buckets.length).toBe(26 * 12 - 1);
    expect(buckets[0]).toEqual({ at: T0, n: 5, values: { cpu: { min: 0, avg: 2, max: 4 }, ram: { min: 50, avg: 50, max: 50 } } });

    // 31 days later: buckets older than 30 days go, day files past the 24 h are deleted at compaction.
    clock += 30 * DAY;
    await feed(h, 1, MIN);
    await h.compact({ force: true });
    expect(h.downsampled().every((b) => b.at >= clock - 30 * DAY - MIN)).toBe(true);
    expect(h.fullRows().length).toBe(1);
    expect(readdirSync(dir).filter((n) => n.startsWith('full-'))).toEqual([`full-${new Date(clock - MIN).toISOString().slice(0, 10)}.jsonl`]);
  });

  it('24 h at 5 s is at most 17,280 rows in memory', async () => {
    const h = await open();
    const rows = Array.from({ length: 17_300 }, (_, i) => ({ at: T0 + i * 5_000, values: { cpu: 1 } }));
    clock = T0 + 17_299 * 5_000;
    await Promise.all(rows.map((r) => h.append(r)));
    expect(h.fullRows().length).toBeLessThanOrEqual(17_280);
    expect(h.fullRows().at(-1)!.at).toBe(clock);
  });
});

describe('restart', () => {
  it('reloads rows and buckets, rebuilds the bucket left open, and drops what expired meanwhile', async () => {
    const h1 = await open();
    // 12 minutes at 5 s: buckets 00:00 and 00:05 closed, 00:10 open when the app stops.
    await feed(h1, 12 * 12, 5_000, (i) => ({ cpu: i, ram: 30 }));
    await h1.flush();
    expect(h1.downsampled().map((b) => b.at)).toEqual([T0, T0 + 5 * MIN]);

    clock += 20 * MIN;
    const h2 = await open();
    expect(h2.fullRows()).toEqual(h1.fullRows());
    // The open one was rebuilt from the rows and closed (its time is over): same as if the app had run.
    expect(h2.downsampled().map((b) => [b.at, b.n])).toEqual([[T0, 60], [T0 + 5 * MIN, 60], [T0 + 10 * MIN, 24]]);
    expect(h2.loadReport).toMatchObject({ corruptLines: 0, expired: 0, rows: 144, buckets: 3 });

    // Two days later, the rows are past the 24 h; the buckets are not past the 30 days.
    clock += 2 * DAY;
    const h3 = await open();
    expect(h3.fullRows()).toEqual([]);
    expect(h3.downsampled().length).toBe(3);
    expect(h3.loadReport.expired).toBe(0); // whole day files past the retention are not even read
    expect(readdirSync(dir).filter((n) => n.startsWith('full-'))).toEqual([]);
  });

  it('a bucket is written once even across several restarts', async () => {
    const h1 = await open();
    await feed(h1, 30, 5_000);
    await h1.flush();
    for (let i = 0; i < 3; i++) await (await open()).flush();
    clock += 10 * MIN;
    const h = await open();
    expect(h.downsampled().map((b) => [b.at, b.n])).toEqual([[T0, 30]]);
    expect(readFileSync(join(dir, 'downsampled.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('damaged files', () => {
  it('skips and counts corrupt lines; a torn last line does not swallow the next row', async () => {
    const day = `full-${new Date(T0).toISOString().slice(0, 10)}.jsonl`;
    writeFileSync(
      join(dir, day),
      [
        JSON.stringify({ t: T0, cpu: 1 }),
        'not json',
        JSON.stringify({ t: 'yesterday', cpu: 2 }),
        JSON.stringify({ t: T0 + 5_000, cpu: 'high' }),
        JSON.stringify({ t: T0 + 10_000, unknownMetric: 3 }),
        JSON.stringify({ t: T0 + 15_000, ram: 20 }),
        '{"t":' + String(T0 + 20_000) + ',"cpu":4', // torn by a crash: no newline
      ].join('\n'),
    );
    writeFileSync(join(dir, 'downsampled.jsonl'), `${JSON.stringify({ t: T0 - 10 * MIN, n: 2, cpu: [1, 5, 3] })}\n{"t":1\n`);
    clock = T0 + 30_000;
    const h = await open();
    expect(h.loadReport).toMatchObject({ corruptLines: 7, rows: 2 });
    expect(h.fullRows().map((r) => r.at)).toEqual([T0, T0 + 15_000]);

    await h.append({ at: clock, values: { cpu: 9 } });
    const h2 = await open();
    expect(h2.fullRows().map((r) => r.values)).toEqual([{ cpu: 1 }, { ram: 20 }, { cpu: 9 }]);
    // The rewritten downsampled file has no corrupt lines left.
    expect(h2.loadReport.corruptLines).toBe(5);
  });

  it('compactions interleaved with queued appends write each bucket exactly once', async () => {
    const h = await open({ compactEveryMs: 10 * MIN });
    await Promise.all(
      Array.from({ length: 2 * 720 }, (_, i) => {
        clock = T0 + i * 5_000;
        return h.append({ at: clock, values: { cpu: i % 50 } });
      }),
    );
    await h.flush();
    const starts = readFileSync(join(dir, 'downsampled.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { t: number }).t);
    expect(starts).toEqual(h.downsampled().map((b) => b.at));
    expect(new Set(starts).size).toBe(starts.length);
    expect(starts).toHaveLength(23);
  });

  it('the downsampled file is replaced atomically (no temp file left behind)', async () => {
    const h = await open();
    await feed(h, 200, 5_000);
    await h.compact({ force: true });
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('exportCsv', () => {
  it('is exact for a small series: header, ISO times, empty cells for missing values, CRLF', async () => {
    const h = await open();
    await h.append({ at: T0, values: { cpu: 12.5, ram: 40, load1: 0.25, cpus: 2 } });
    await h.append({ at: T0 + 5_000, values: { cpu: null, ram: 41.75, p99Ms: 18, pgSizeBytes: 12_345_678 } });
    await h.append({ at: T0 + 10_000, values: { ram: 42 } });
    expect(h.exportCsv(T0, T0 + 5_000)).toBe(
      [
        'time,resolution,cpu_percent,iowait_percent,ram_percent,swap_percent,disk_percent,docker_disk_percent,load_1,load_5,load_15,cpus,p99_ms,pg_connections,pg_size_bytes',
        '2026-11-26T00:00:00.000Z,sample,12.5,,40,,,,0.25,,,2,,,',
        '2026-11-26T00:00:05.000Z,sample,,,41.75,,,,,,,,18,,12345678',
        '',
      ].join('\r\n'),
    );
  });

  it('gives 5-minute averages where only buckets remain', async () => {
    const h = await open({ fullRetentionMs: 10 * MIN });
    await feed(h, 4, 5 * MIN, (i) => ({ cpu: i * 10 }));
    await feed(h, 1, MIN, () => ({ cpu: 1 }));
    const csv = h.exportCsv(T0, clock).split('\r\n');
    expect(csv.slice(1, -1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '2026-11-26T00:00:00.000Z,avg_5min,0',
      '2026-11-26T00:05:00.000Z,avg_5min,10',
      '2026-11-26T00:10:00.000Z,sample,20',
      '2026-11-26T00:15:00.000Z,sample,30',
      '2026-11-26T00:20:00.000Z,sample,1',
    ]);
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['', ''],
  ])('csvField(%j) → %j', (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });
});

describe('series', () => {
  it('is bounded, and a one-sample spike in 24 h of 5-s samples is still there', async () => {
    const h = await open();
    const n = 17_280;
    const spikeAt = T0 + 7_777 * 5_000;
    clock = T0 + (n - 1) * 5_000;
    await Promise.all(Array.from({ length: n }, (_, i) => h.append({ at: T0 + i * 5_000, values: { cpu: T0 + i * 5_000 === spikeAt ? 99 : 10 + (i % 7), ram: 40 } })));
    const s = h.series('cpu', T0, clock, 1_000);
    expect(s.length).toBeLessThanOrEqual(1_000);
    expect(s.length).toBeGreaterThan(900);
    expect(s).toContainEqual({ at: spikeAt, value: 99 });
    expect(Math.min(...s.map((p) => p.value))).toBe(10);
    for (let i = 1; i < s.length; i++) expect(s[i]!.at).toBeGreaterThan(s[i - 1]!.at);
    // 1 h of the same: also within the bound, drawn at full resolution.
    expect(h.series('cpu', clock - HOUR, clock, 1_000)).toHaveLength(721);
  });

  it('draws buckets (their min and max) where the rows have expired, then the rows', async () => {
    const h = await open({ fullRetentionMs: 10 * MIN });
    await feed(h, 12 * 20, 5_000, (i) => ({ cpu: i === 5 ? 80 : 10 }));
    const s = h.series('cpu', T0, clock, 10_000);
    expect(s.slice(0, 2)).toEqual([
      { at: T0 + 75_000, value: 10 },
      { at: T0 + 225_000, value: 80 },
    ]);
    expect(s.filter((p) => p.at < h.fullRows()[0]!.at).length).toBeGreaterThan(0);
  });

  it('minMaxDownsample keeps order and the extremes of each slice', () => {
    const pts = Array.from({ length: 100 }, (_, i) => ({ at: i, value: i === 42 ? -5 : i === 43 ? 50 : 1 }));
    const out = minMaxDownsample(pts, 0, 99, 10);
    expect(out.length).toBeLessThanOrEqual(10);
    expect(out).toContainEqual({ at: 42, value: -5 });
    expect(out).toContainEqual({ at: 43, value: 50 });
    expect(minMaxDownsample(pts, 0, 99, 1)).toEqual([{ at: 43, value: 50 }]);
    expect(minMaxDownsample(pts.slice(0, 5), 0, 4, 10)).toEqual(pts.slice(0, 5));
  });
});

describe('rows from health points', () => {
  it('stores what the dashboard charts', () => {
    const prev = hostSample({ cpu: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 } });
    const next = hostSample({ cpu: { user: 50, nice: 0, system: 0, idle: 50, iowait: 0, irq: 0, softirq: 0, steal: 0 }, receivedAt: T0 + 5_000, postgres: { status: 'ok', sizeBytes: 100, connections: 3 } });
    const row = rowOf(derive(prev, next), { p99Ms: 12 });
    expect(row).toEqual({
      at: T0 + 5_000,
      values: { cpu: 50, iowait: 0, ram: 50, swap: null, disk: 50, dockerDisk: null, load1: 0.5, load5: 0.4, load15: 0.3, cpus: 2, p99Ms: 12, pgConnections: 3, pgSizeBytes: 100 },
    });
  });

  it('historyDirFor refuses an id that is not a plain folder name', () => {
    expect(historyDirFor('appdata', 'prod-1')).toBe(join('appdata', 'health-history', 'prod-1'));
    expect(() => historyDirFor('appdata', '../x')).toThrow(RangeError);
    expect(() => historyDirFor('appdata', 'a/b')).toThrow(RangeError);
  });
});
