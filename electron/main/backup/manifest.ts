import { z } from 'zod';
import { tableStatSchema, type TableStat, type TableMismatch } from '../../shared/contract-backup';

// What a proven backup is: its manifest (kept next to the dump on the server and on this computer),
// and the pure parsing of what the remote scripts print (validated: remote output is never trusted).

export const MANIFEST_VERSION = 1;

export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  id: z.string().regex(/^[0-9]{8}-[0-9]{6}-(manual|upgrade|safety)-[a-f0-9]{6}$/),
  profileId: z.string().max(80),
  reason: z.enum(['manual', 'upgrade', 'safety']),
  createdAt: z.iso.datetime(),
  format: z.literal('custom'),
  postgres: z.object({ service: z.string().max(64), user: z.string().max(64), database: z.string().max(64) }),
  /** server_version_num of the source, e.g. 150008. */
  serverVersion: z.number().int().min(90000).max(10_000_000),
  /** The database container's image id: the scratch restore uses the same one. */
  image: z.string().max(200),
  databaseBytes: z.number().int().min(0),
  sizeBytes: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The source's figures, taken in the snapshot the dump was made from. */
  tables: z.array(tableStatSchema).max(100_000),
});
export type Manifest = z.infer<typeof manifestSchema>;

export type RemoteFailure = 'disk_full' | 'not_running' | 'dump_failed' | 'scratch_start' | 'truncated' | 'corrupt' | 'missing' | 'checksum';

export interface DumpResult {
  serverVersion: number;
  image: string;
  databaseBytes: number;
  sizeBytes: number;
  sha256: string;
  tables: TableStat[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; failure: RemoteFailure; detail: string; need?: number; free?: number };

function lines(log: string): string[] {
  return log.split('\n').map((l) => l.replace(/\r$/, ''));
}

function decodeName(hex: string): string | null {
  if (!/^([0-9a-f]{2})+$/.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('utf8');
}

/** `table <hex>|<rows>|<newest>` lines → figures, sorted by table name. Lines that do not parse are dropped. */
export function parseTableLines(log: string): TableStat[] {
  const out: TableStat[] = [];
  for (const line of lines(log)) {
    const m = /^table ([0-9a-f]+)\|(\d+)\|(.*)$/.exec(line);
    if (!m) continue;
    const table = decodeName(m[1]!);
    const rows = Number(m[2]);
    if (table === null || !Number.isSafeInteger(rows)) continue;
    const newest = m[3]!.trim();
    out.push({ table, rows, newest: newest === '' ? null : normalizeTimestamp(newest) });
  }
  return out.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

/** psql's ISO output in UTC (`2026-12-03 14:11:53.841388+00`) → `2026-12-03T14:11:53.841388Z` (kept exact, not rounded). */
export function normalizeTimestamp(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)\+00$/.exec(text);
  return m ? `${m[1]}T${m[2]}Z` : text.slice(0, 64);
}

function failureOf(log: string): { failure: RemoteFailure; detail: string; need?: number; free?: number } | null {
  const all = lines(log);
  const err = all.find((l) => l.startsWith('backup-error '));
  const num = (key: string) => {
    const v = all.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1);
    return v && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const tail = (from: number) =>
    all
      .slice(from + 1)
      .filter((l) => l.trim() !== '')
      .slice(-3)
      .join(' ')
      .slice(0, 300);
  if (err) {
    const kind = err.slice('backup-error '.length).trim();
    const map: Record<string, RemoteFailure> = { disk_full: 'disk_full', not_running: 'not_running', scratch_start: 'scratch_start', missing: 'missing', checksum: 'checksum' };
    const need = num('need');
    const free = num('free');
    return { failure: map[kind] ?? 'dump_failed', detail: `${kind} ${tail(all.indexOf(err))}`.trim(), ...(need !== undefined ? { need } : {}), ...(free !== undefined ? { free } : {}) };
  }
  const r = all.indexOf('restore-error');
  if (r >= 0) {
    const detail = tail(r);
    // pg_restore: "could not read from input file: end of file"; gzip: "unexpected end of file".
    return { failure: /end of file|unexpected EOF|truncated/i.test(detail) ? 'truncated' : 'corrupt', detail };
  }
  return null;
}

export function parseDumpOutput(log: string): Parsed<DumpResult> {
  const failed = failureOf(log);
  if (failed) return { ok: false, ...failed };
  const all = lines(log);
  if (!all.includes('backup-done')) return { ok: false, failure: 'dump_failed', detail: 'incomplete' };
  const get = (key: string) => all.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1).trim() ?? '';
  const serverVersion = Number(get('version'));
  const databaseBytes = Number(get('dbsize'));
  const sizeBytes = Number(get('size'));
  const sha256 = get('sha256');
  const image = get('image');
  if (!Number.isSafeInteger(serverVersion) || !Number.isSafeInteger(sizeBytes) || sizeBytes < 1 || !Number.isSafeInteger(databaseBytes) || !/^[0-9a-f]{64}$/.test(sha256) || !/^[A-Za-z0-9:._@/-]{1,200}$/.test(image)) {
    return { ok: false, failure: 'dump_failed', detail: 'unreadable output' };
  }
  return { ok: true, value: { serverVersion, image, databaseBytes, sizeBytes, sha256, tables: parseTableLines(log) } };
}

export function parseVerifyOutput(log: string): Parsed<{ tables: TableStat[] }> {
  const failed = failureOf(log);
  if (failed) return { ok: false, ...failed };
  if (!lines(log).includes('verify-done') && !lines(log).includes('restore-done')) return { ok: false, failure: 'corrupt', detail: 'incomplete' };
  return { ok: true, value: { tables: parseTableLines(log) } };
}

/** Every table of the source with its row count and newest timestamp, against the restored copy. */
export function compareStats(source: readonly TableStat[], restored: readonly TableStat[]): TableMismatch[] {
  const byName = new Map(restored.map((t) => [t.table, t]));
  const out: TableMismatch[] = [];
  for (const s of source) {
    const r = byName.get(s.table);
    if (!r || r.rows !== s.rows || r.newest !== s.newest) {
      out.push({ table: s.table, expectedRows: s.rows, actualRows: r?.rows ?? null, expectedNewest: s.newest, actualNewest: r?.newest ?? null });
    }
  }
  for (const r of restored) if (!source.some((s) => s.table === r.table)) out.push({ table: r.table, expectedRows: null, actualRows: r.rows, expectedNewest: null, actualNewest: r.newest });
  return out;
}

/** Rows in all tables, and the newest timestamp of all (ISO strings of the same form compare as text). */
export function totals(tables: readonly TableStat[]): { tables: number; rows: number; newest: string | null } {
  let rows = 0;
  let newest: string | null = null;
  for (const t of tables) {
    rows += t.rows;
    if (t.newest !== null && (newest === null || Date.parse(t.newest) > Date.parse(newest))) newest = t.newest;
  }
  return { tables: tables.length, rows, newest };
}
