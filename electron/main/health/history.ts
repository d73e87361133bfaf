import { appendFile, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/json-file';
import type { HealthPoint } from './sample';

// Health history of one deployment, kept on this computer: 24 h at full resolution (one row per
// sample: 5 s → at most 17,280 rows) and 30 days downsampled (5-minute buckets with min/avg/max per
// metric). It survives restarts, is exported as CSV, and hands the charts bounded series.
//
// On disk, in the deployment's own folder:
//   full-YYYY-MM-DD.jsonl   one line per sample, by UTC day of the sample: {"t":<ms>,"cpu":12.5,"ram":40,…}
//   downsampled.jsonl       one line per closed bucket: {"t":<bucket start>,"n":60,"cpu":[min,avg,max],…}
// JSON Lines rather than a compact binary format: a sample is ONE append of one line (about 150 bytes,
// ~2.5 MB a day), a crash can only tear the last line, and a torn or damaged line is skipped and
// counted without losing its neighbours (a binary record stream would have to resynchronise); the files
// are readable when a user sends them to us. Space is not a concern at these sizes.
// Retention: whole day files are deleted once the day has left the 24 h (so at most two days are on
// disk); the downsampled file is rewritten atomically (temp file, fsync, rename, folder fsync) without
// the buckets older than 30 days, at start and then at most once an hour. Rows are trimmed in memory to
// the retention on load and on each append. A bucket still open when the app stops is rebuilt from the
// full-resolution rows at the next start, so nothing is counted twice or lost.

export const HISTORY_METRICS = ['cpu', 'iowait', 'ram', 'swap', 'disk', 'dockerDisk', 'load1', 'load5', 'load15', 'cpus', 'p99Ms', 'pgConnections', 'pgSizeBytes'] as const;
export type HistoryMetric = (typeof HISTORY_METRICS)[number];

/** A metric without a reading is absent (or null, which is stored as absent). */
export type HistoryValues = Partial<Record<HistoryMetric, number | null>>;

export interface HistoryRow {
  at: number;
  values: HistoryValues;
}

export interface MinAvgMax {
  min: number;
  avg: number;
  max: number;
}

export interface HistoryBucket {
  /** Start of the bucket, epoch ms. */
  at: number;
  /** Rows in it. */
  n: number;
  values: Partial<Record<HistoryMetric, MinAvgMax>>;
}

export interface SeriesPoint {
  at: number;
  value: number;
}

export interface HistoryOptions {
  /** This deployment's folder (see `historyDirFor`). */
  dir: string;
  now?: () => number;
  /** Default 24 h. */
  fullRetentionMs?: number;
  /** Default 30 days. */
  downsampledRetentionMs?: number;
  /** Default 5 minutes. */
  bucketMs?: number;
  /** Default 17,280 (24 h at 5 s): extra manual samples shorten the full-resolution window, never the memory bound. */
  maxFullRows?: number;
  /** Minimum time between two rewrites of the downsampled file (default 1 h). */
  compactEveryMs?: number;
}

export interface LoadReport {
  files: number;
  rows: number;
  buckets: number;
  /** Lines that were not a valid row or bucket: skipped. */
  corruptLines: number;
  /** Rows and buckets older than the retention, dropped. */
  expired: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FULL_FILE = /^full-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const DOWNSAMPLED_FILE = 'downsampled.jsonl';

/** The folder of one deployment's history under the app data folder. */
export function historyDirFor(appDataDir: string, deploymentId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(deploymentId) || deploymentId.includes('..')) {
    throw new RangeError('deployment id is not a safe folder name');
  }
  return join(appDataDir, 'health-history', deploymentId);
}

/** The row a health point (and the latest P99 from this computer) is stored as. */
export function rowOf(point: HealthPoint, extra: { p99Ms?: number | null } = {}): HistoryRow {
  return {
    at: point.at,
    values: {
      cpu: point.cpuPercent,
      iowait: point.iowaitPercent,
      ram: point.ramUsedPercent,
      swap: point.swapUsedPercent,
      disk: point.diskUsedPercent,
      dockerDisk: point.dockerDiskUsedPercent,
      load1: point.load.one,
      load5: point.load.five,
      load15: point.load.fifteen,
      cpus: point.cpus,
      p99Ms: extra.p99Ms ?? null,
      pgConnections: point.postgres?.connections ?? null,
      pgSizeBytes: point.postgres?.sizeBytes ?? null,
    },
  };
}

// ---- Lines ----------------------------------------------------------------------------------------

const METRIC_SET = new Set<string>(HISTORY_METRICS);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function encodeRow(row: HistoryRow): string {
  const o: Record<string, number> = { t: row.at };
  for (const m of HISTORY_METRICS) {
    const v = row.values[m];
    if (isNum(v)) o[m] = v;
  }
  return JSON.stringify(o);
}

/** A JSON Lines line that holds an object, or null (a torn or foreign line). */
function parseObject(line: string): Record<string, unknown> | null {
  try {
    const o: unknown = JSON.parse(line);
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function decodeRow(line: string): HistoryRow | null {
  const rec = parseObject(line);
  if (!rec) return null;
  if (!isNum(rec.t)) return null;
  const values: HistoryValues = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === 't') continue;
    if (!METRIC_SET.has(k) || !isNum(v)) return null;
    values[k as HistoryMetric] = v;
  }
  return { at: rec.t, values };
}

function encodeBucket(b: HistoryBucket): string {
  const o: Record<string, number | number[]> = { t: b.at, n: b.n };
  for (const m of HISTORY_METRICS) {
    const v = b.values[m];
    if (v) o[m] = [v.min, v.avg, v.max];
  }
  return JSON.stringify(o);
}

function decodeBucket(line: string): HistoryBucket | null {
  const rec = parseObject(line);
  if (!rec) return null;
  if (!isNum(rec.t) || !isNum(rec.n) || rec.n < 1) return null;
  const values: HistoryBucket['values'] = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === 't' || k === 'n') continue;
    if (!METRIC_SET.has(k) || !Array.isArray(v) || v.length !== 3 || !v.every(isNum)) return null;
    const [min, avg, max] = v as [number, number, number];
    if (!(min <= avg && avg <= max)) return null;
    values[k as HistoryMetric] = { min, avg, max };
  }
  return { at: rec.t, n: rec.n, values };
}

const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** First index with `at >= t` in a sorted array. */
function lowerBound(items: ReadonlyArray<{ at: number }>, t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with `at > t`. */
function upperBound(items: ReadonlyArray<{ at: number }>, t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.at <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Accumulator {
  n = 0;
  private readonly acc = new Map<HistoryMetric, { min: number; max: number; sum: number; count: number }>();

  constructor(readonly start: number) {}

  add(row: HistoryRow): void {
    this.n++;
    for (const m of HISTORY_METRICS) {
      const v = row.values[m];
      if (!isNum(v)) continue;
      const a = this.acc.get(m);
      if (!a) this.acc.set(m, { min: v, max: v, sum: v, count: 1 });
      else {
        a.min = Math.min(a.min, v);
        a.max = Math.max(a.max, v);
        a.sum += v;
        a.count++;
      }
    }
  }

  bucket(): HistoryBucket {
    const values: HistoryBucket['values'] = {};
    for (const [m, a] of this.acc) values[m] = { min: a.min, avg: Math.min(a.max, Math.max(a.min, round3(a.sum / a.count))), max: a.max };
    return { at: this.start, n: this.n, values };
  }
}

// ---- The store ------------------------------------------------------------------------------------

export class HealthHistory {
  private rows: HistoryRow[] = [];
  private buckets: HistoryBucket[] = [];
  private open: Accumulator | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Files whose last line has no newline (torn by a crash): the next append starts a new line first. */
  private readonly torn = new Set<string>();
  private lastCompaction = -Infinity;
  private readonly now: () => number;
  readonly fullRetentionMs: number;
  readonly downsampledRetentionMs: number;
  readonly bucketMs: number;
  readonly maxFullRows: number;
  private readonly compactEveryMs: number;
  loadReport: LoadReport = { files: 0, rows: 0, buckets: 0, corruptLines: 0, expired: 0 };

  private constructor(private readonly opts: HistoryOptions) {
    this.now = opts.now ?? Date.now;
    this.fullRetentionMs = opts.fullRetentionMs ?? DAY;
    this.downsampledRetentionMs = opts.downsampledRetentionMs ?? 30 * DAY;
    this.bucketMs = opts.bucketMs ?? 5 * 60_000;
    this.maxFullRows = opts.maxFullRows ?? Math.ceil(this.fullRetentionMs / 5_000);
    this.compactEveryMs = opts.compactEveryMs ?? HOUR;
  }

  /** Loads what is on disk (dropping what is past the retention), closes due buckets, compacts. */
  static async open(opts: HistoryOptions): Promise<HealthHistory> {
    const h = new HealthHistory(opts);
    await h.load();
    return h;
  }

  get dir(): string {
    return this.opts.dir;
  }

  private async load(): Promise<void> {
    const dir = this.opts.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const report: LoadReport = { files: 0, rows: 0, buckets: 0, corruptLines: 0, expired: 0 };
    const now = this.now();
    const fullCutoff = now - this.fullRetentionMs;
    const dsCutoff = now - this.downsampledRetentionMs;
    const names = (await readdir(dir)).sort();

    const readLines = async (name: string): Promise<string[]> => {
      const text = await readFile(join(dir, name), 'utf8');
      report.files++;
      if (text !== '' && !text.endsWith('\n')) this.torn.add(name);
      return text.split('\n').filter((l) => l.trim() !== '');
    };

    const rows: HistoryRow[] = [];
    for (const name of names) {
      const m = FULL_FILE.exec(name);
      if (!m) continue;
      // A whole day before the retention: not even read (compaction deletes it).
      if (Date.parse(`${m[1]}T00:00:00Z`) + DAY <= fullCutoff) continue;
      for (const line of await readLines(name)) {
        const row = decodeRow(line);
        if (!row) report.corruptLines++;
        else if (row.at < fullCutoff || row.at > now + DAY) report.expired++;
        else rows.push(row);
      }
    }
    rows.sort((a, b) => a.at - b.at);
    if (rows.length > this.maxFullRows) {
      report.expired += rows.length - this.maxFullRows;
      rows.splice(0, rows.length - this.maxFullRows);
    }
    this.rows = rows;

    const buckets: HistoryBucket[] = [];
    if (names.includes(DOWNSAMPLED_FILE)) {
      for (const line of await readLines(DOWNSAMPLED_FILE)) {
        const b = decodeBucket(line);
        if (!b) report.corruptLines++;
        else if (b.at < dsCutoff) report.expired++;
        else buckets.push(b);
      }
    }
    buckets.sort((a, b) => a.at - b.at);
    // One bucket per start (a line written twice by a crash between append and rename): the last wins.
    this.buckets = buckets.filter((b, i) => buckets[i + 1]?.at !== b.at);

    // Rebuild the bucket(s) not yet written from the full rows: the app stopped before they closed.
    const lastBucket = this.buckets[this.buckets.length - 1]?.at ?? -Infinity;
    const pending: HistoryBucket[] = [];
    for (const row of this.rows) {
      const start = this.bucketStart(row.at);
      if (start <= lastBucket) continue;
      if (this.open && start !== this.open.start) {
        pending.push(this.open.bucket());
        this.open = null;
      }
      this.open ??= new Accumulator(start);
      this.open.add(row);
    }
    if (this.open && now >= this.open.start + this.bucketMs) {
      pending.push(this.open.bucket());
      this.open = null;
    }
    this.buckets.push(...pending);
    report.rows = this.rows.length;
    report.buckets = this.buckets.length;
    this.loadReport = report;

    // Rewriting the downsampled file drops expired and corrupt lines and adds the rebuilt buckets at once.
    await this.compact({ force: true });
  }

  private bucketStart(at: number): number {
    return Math.floor(at / this.bucketMs) * this.bucketMs;
  }

  /** Adds one row; resolves when it is on disk. Rows are kept in time order (a late one is inserted). */
  append(row: HistoryRow): Promise<void> {
    if (!isNum(row.at)) return Promise.reject(new RangeError('row.at must be a finite number'));
    const clean: HistoryRow = { at: row.at, values: {} };
    for (const m of HISTORY_METRICS) {
      const v = row.values[m];
      if (isNum(v)) clean.values[m] = v;
    }
    const last = this.rows[this.rows.length - 1];
    if (!last || last.at <= clean.at) this.rows.push(clean);
    else this.rows.splice(upperBound(this.rows, clean.at), 0, clean);

    const lines: Array<{ file: string; line: string }> = [{ file: `full-${dayOf(clean.at)}.jsonl`, line: encodeRow(clean) }];
    // Downsampling: rows of a bucket already written (a late row, a clock that went back) stay full-resolution only.
    const start = this.bucketStart(clean.at);
    const lastWritten = this.buckets[this.buckets.length - 1]?.at ?? -Infinity;
    if (start > lastWritten) {
      if (this.open && start > this.open.start) lines.push(...this.closeOpen());
      if (!this.open || start === this.open.start) {
        this.open ??= new Accumulator(start);
        this.open.add(clean);
      }
    }
    lines.push(...this.closeDue());
    this.trim();
    const write = this.enqueue(async () => {
      for (const { file, line } of lines) {
        const prefix = this.torn.delete(file) ? '\n' : '';
        await appendFile(join(this.opts.dir, file), `${prefix}${line}\n`, { encoding: 'utf8', mode: 0o600 });
      }
    });
    if (this.now() - this.lastCompaction >= this.compactEveryMs) return write.then(() => this.compact());
    return write;
  }

  /** Convenience: a health point and the latest P99 from this computer. */
  appendPoint(point: HealthPoint, extra: { p99Ms?: number | null } = {}): Promise<void> {
    return this.append(rowOf(point, extra));
  }

  private closeOpen(): Array<{ file: string; line: string }> {
    if (!this.open) return [];
    const b = this.open.bucket();
    this.open = null;
    this.buckets.push(b);
    return [{ file: DOWNSAMPLED_FILE, line: encodeBucket(b) }];
  }

  /** Closes the open bucket once its time is over. */
  private closeDue(): Array<{ file: string; line: string }> {
    return this.open && this.now() >= this.open.start + this.bucketMs ? this.closeOpen() : [];
  }

  private trim(): void {
    const now = this.now();
    const fullCut = lowerBound(this.rows, now - this.fullRetentionMs);
    const excess = Math.max(fullCut, this.rows.length - this.maxFullRows);
    if (excess > 0) this.rows.splice(0, excess);
    const dsCut = lowerBound(this.buckets, now - this.downsampledRetentionMs);
    if (dsCut > 0) this.buckets.splice(0, dsCut);
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Deletes day files past the retention and rewrites the downsampled file atomically with the buckets
   * kept. Runs after the writes queued before it; at most once per `compactEveryMs` unless forced.
   */
  compact(opts: { force?: boolean } = {}): Promise<void> {
    if (!opts.force && this.now() - this.lastCompaction < this.compactEveryMs) return Promise.resolve();
    this.lastCompaction = this.now();
    this.trim();
    // The buckets as of now: a bucket closed later is appended by its own queued write after the rename.
    const body = this.buckets.map((b) => `${encodeBucket(b)}\n`).join('');
    return this.enqueue(async () => {
      const dir = this.opts.dir;
      const cutoff = this.now() - this.fullRetentionMs;
      for (const name of await readdir(dir)) {
        const m = FULL_FILE.exec(name);
        if (m && Date.parse(`${m[1]}T00:00:00Z`) + DAY <= cutoff) {
          await unlink(join(dir, name)).catch(() => undefined);
          this.torn.delete(name);
        }
      }
      await writeFileAtomic(join(dir, DOWNSAMPLED_FILE), body);
      this.torn.delete(DOWNSAMPLED_FILE);
    });
  }

  /** Waits for the writes queued so far. */
  async flush(): Promise<void> {
    await this.enqueue(async () => undefined);
  }

  // ---- Reading ----------------------------------------------------------------------------------

  /** Full-resolution rows with from ≤ at ≤ to. */
  fullRows(from = -Infinity, to = Infinity): HistoryRow[] {
    return this.rows.slice(lowerBound(this.rows, from), upperBound(this.rows, to));
  }

  /** Closed buckets starting in [from, to]. */
  downsampled(from = -Infinity, to = Infinity): HistoryBucket[] {
    return this.buckets.slice(lowerBound(this.buckets, from), upperBound(this.buckets, to));
  }

  /** Before this, only buckets exist. */
  private fullFrom(): number {
    return this.rows[0]?.at ?? Infinity;
  }

  /**
   * At most `maxPoints` points of one metric for a chart, in time order: full rows where they exist,
   * each bucket's min and max before that. Over `maxPoints`, the range is cut into maxPoints/2 equal
   * slices and each keeps its lowest and its highest point (in their order), so a one-sample spike is
   * still drawn however long the range, and the cost of drawing stays flat.
   */
  series(metric: HistoryMetric, from: number, to: number, maxPoints: number): SeriesPoint[] {
    if (!(to >= from) || maxPoints < 1) return [];
    const raw: SeriesPoint[] = [];
    const fullFrom = this.fullFrom();
    for (const b of this.downsampled(from - this.bucketMs, Math.min(to, fullFrom - 1))) {
      const v = b.values[metric];
      // Bucket end must not overlap the rows: a bucket stands for its own 5 minutes.
      if (!v || b.at + this.bucketMs > fullFrom) continue;
      const lo = b.at + this.bucketMs / 4;
      const hi = b.at + (3 * this.bucketMs) / 4;
      if (v.min === v.max) {
        if (b.at + this.bucketMs / 2 >= from && b.at + this.bucketMs / 2 <= to) raw.push({ at: b.at + this.bucketMs / 2, value: v.min });
        continue;
      }
      if (lo >= from && lo <= to) raw.push({ at: lo, value: v.min });
      if (hi >= from && hi <= to) raw.push({ at: hi, value: v.max });
    }
    for (const r of this.fullRows(from, to)) {
      const v = r.values[metric];
      if (isNum(v)) raw.push({ at: r.at, value: v });
    }
    return minMaxDownsample(raw, from, to, maxPoints);
  }

  /**
   * CSV (RFC 4180: CRLF, fields quoted when needed) of [from, to]: the 5-minute averages where only
   * buckets remain, then every sample. Times are ISO 8601 UTC.
   */
  exportCsv(from: number, to: number): string {
    const header = ['time', 'resolution', ...HISTORY_METRICS.map((m) => CSV_COLUMNS[m])];
    const lines = [header.map(csvField).join(',')];
    const fullFrom = this.fullFrom();
    const label = `avg_${Math.round(this.bucketMs / 60_000)}min`;
    for (const b of this.downsampled(from, Math.min(to, fullFrom - 1))) {
      if (b.at + this.bucketMs > fullFrom) continue;
      lines.push([new Date(b.at).toISOString(), label, ...HISTORY_METRICS.map((m) => numField(b.values[m]?.avg))].map(csvField).join(','));
    }
    for (const r of this.fullRows(from, to)) {
      lines.push([new Date(r.at).toISOString(), 'sample', ...HISTORY_METRICS.map((m) => numField(r.values[m]))].map(csvField).join(','));
    }
    return `${lines.join('\r\n')}\r\n`;
  }
}

const CSV_COLUMNS: Record<HistoryMetric, string> = {
  cpu: 'cpu_percent',
  iowait: 'iowait_percent',
  ram: 'ram_percent',
  swap: 'swap_percent',
  disk: 'disk_percent',
  dockerDisk: 'docker_disk_percent',
  load1: 'load_1',
  load5: 'load_5',
  load15: 'load_15',
  cpus: 'cpus',
  p99Ms: 'p99_ms',
  pgConnections: 'pg_connections',
  pgSizeBytes: 'pg_size_bytes',
};

const numField = (v: number | null | undefined): string => (isNum(v) ? String(v) : '');

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Min/max decimation: at most `maxPoints` points, keeping in each of maxPoints/2 equal time slices its
 * lowest and highest point, in time order. `points` must be sorted by time.
 */
export function minMaxDownsample(points: readonly SeriesPoint[], from: number, to: number, maxPoints: number): SeriesPoint[] {
  if (points.length <= maxPoints) return [...points];
  const slices = Math.floor(maxPoints / 2);
  if (slices < 1) {
    let top = points[0]!;
    for (const p of points) if (p.value > top.value) top = p;
    return [top];
  }
  const width = (to - from) / slices || 1;
  const out: SeriesPoint[] = [];
  let slice = -1;
  let lo: SeriesPoint | null = null;
  let hi: SeriesPoint | null = null;
  const emit = (): void => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else if (lo.at <= hi.at) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const s = Math.min(slices - 1, Math.max(0, Math.floor((p.at - from) / width)));
    if (s !== slice) {
      emit();
      slice = s;
      lo = hi = p;
      continue;
    }
    if (p.value < lo!.value) lo = p;
    if (p.value > hi!.value) hi = p;
  }
  emit();
  return out;
}
