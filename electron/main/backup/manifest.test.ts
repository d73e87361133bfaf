import { describe, expect, it } from 'vitest';
import { compareStats, normalizeTimestamp, parseDumpOutput, parseTableLines, parseVerifyOutput, totals } from './manifest';
import { toPrune } from './retention';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const SHA = 'c'.repeat(64);

describe('what the backup scripts print, parsed', () => {
  it('table lines: names decoded, newest in ISO UTC, anything else dropped', () => {
    const log = [
      `table ${hex('public.owners')}|2000|2026-01-02 09:19:00+00`,
      `table ${hex('Compta|2026.Écritures "clôturées"')}|3|`,
      `table ${hex('public.lots')}|5000|2025-12-17 00:00:00.5+00`,
      'table zz|1|x',
      `table ${hex('public.bad')}|-1|`,
      'noise',
    ].join('\n');
    expect(parseTableLines(log)).toEqual([
      { table: 'Compta|2026.Écritures "clôturées"', rows: 3, newest: null },
      { table: 'public.lots', rows: 5000, newest: '2025-12-17T00:00:00.5Z' },
      { table: 'public.owners', rows: 2000, newest: '2026-01-02T09:19:00Z' },
    ]);
    expect(normalizeTimestamp('infinity')).toBe('infinity');
  });

  it('a dump: the figures, or its failure with what is needed', () => {
    const ok = ['version 150008', 'image sha256:abc', 'dbsize 1000', 'size 400', `sha256 ${SHA}`, `table ${hex('public.t')}|7|`, 'backup-done'].join('\n');
    expect(parseDumpOutput(ok)).toEqual({ ok: true, value: { serverVersion: 150008, image: 'sha256:abc', databaseBytes: 1000, sizeBytes: 400, sha256: SHA, tables: [{ table: 'public.t', rows: 7, newest: null }] } });
    expect(parseDumpOutput('need 5000000\nfree 1000\nbackup-error disk_full\n')).toMatchObject({ ok: false, failure: 'disk_full', need: 5_000_000, free: 1000 });
    expect(parseDumpOutput("backup-error not_running\n")).toMatchObject({ ok: false, failure: 'not_running' });
    expect(parseDumpOutput('backup-error pg_dump\npg_dump: error: connection failed\n')).toMatchObject({ ok: false, failure: 'dump_failed', detail: 'pg_dump pg_dump: error: connection failed' });
    expect(parseDumpOutput(ok.replace('backup-done', ''))).toMatchObject({ ok: false, failure: 'dump_failed', detail: 'incomplete' });
    expect(parseDumpOutput(ok.replace(`sha256 ${SHA}`, 'sha256 nope'))).toMatchObject({ ok: false, failure: 'dump_failed' });
  });

  it('a restore: truncated and corrupt told apart from pg_restore and gzip messages', () => {
    expect(parseVerifyOutput('scratch-ready\nrestore-error\npg_restore: error: could not read from input file: end of file\n')).toMatchObject({ ok: false, failure: 'truncated' });
    expect(parseVerifyOutput('restore-error\ngzip: stdin: unexpected end of file\n')).toMatchObject({ ok: false, failure: 'truncated' });
    expect(parseVerifyOutput('restore-error\npg_restore: error: could not uncompress data: incorrect data check\n')).toMatchObject({ ok: false, failure: 'corrupt' });
    expect(parseVerifyOutput('backup-error checksum\n')).toMatchObject({ ok: false, failure: 'checksum' });
    expect(parseVerifyOutput('scratch-ready\nrestored\n')).toMatchObject({ ok: false, failure: 'corrupt', detail: 'incomplete' });
    expect(parseVerifyOutput(`restored\ntable ${hex('public.t')}|1|\nverify-done\n`)).toEqual({ ok: true, value: { tables: [{ table: 'public.t', rows: 1, newest: null }] } });
  });

  it('compares every table both ways, rows and newest timestamp', () => {
    const src = [
      { table: 'public.a', rows: 10, newest: '2026-01-01T00:00:00Z' },
      { table: 'public.b', rows: 5, newest: null },
      { table: 'public.c', rows: 1, newest: null },
    ];
    expect(compareStats(src, src)).toEqual([]);
    expect(compareStats(src, [{ table: 'public.a', rows: 9, newest: '2026-01-01T00:00:00Z' }, { table: 'public.b', rows: 5, newest: '2026-01-01T00:00:00Z' }, { table: 'public.x', rows: 2, newest: null }])).toEqual([
      { table: 'public.a', expectedRows: 10, actualRows: 9, expectedNewest: '2026-01-01T00:00:00Z', actualNewest: '2026-01-01T00:00:00Z' },
      { table: 'public.b', expectedRows: 5, actualRows: 5, expectedNewest: null, actualNewest: '2026-01-01T00:00:00Z' },
      { table: 'public.c', expectedRows: 1, actualRows: null, expectedNewest: null, actualNewest: null },
      { table: 'public.x', expectedRows: null, actualRows: 2, expectedNewest: null, actualNewest: null },
    ]);
    expect(totals([...src, { table: 'public.d', rows: 0, newest: '2026-01-01T00:00:00.5Z' }])).toEqual({ tables: 4, rows: 16, newest: '2026-01-01T00:00:00.5Z' });
  });
});

describe('retention of proven backups', () => {
  const day = 86_400_000;
  const now = Date.UTC(2026, 5, 1);
  const item = (id: string, ageDays: number, proven = true) => ({ id, createdAt: now - ageDays * day, proven });

  it('keeps the newest, the young ones, the newest proven and the one in use; deletes the rest, oldest first', () => {
    const items = [item('a', 40), item('b', 30), item('c', 20), item('d', 10), item('e', 5), item('f', 1)];
    expect(toPrune(items, { keep: 3, minAgeDays: 7 }, now)).toEqual(['a', 'b', 'c']);
    expect(toPrune(items, { keep: 3, minAgeDays: 7 }, now, ['b'])).toEqual(['a', 'c']);
    expect(toPrune(items, { keep: 1, minAgeDays: 25 }, now)).toEqual(['a', 'b']);
  });

  it('never deletes the last proven backup, even old and beyond the count', () => {
    const items = [item('old-proven', 90), item('n1', 3, false), item('n2', 2, false), item('n3', 1, false)];
    expect(toPrune(items, { keep: 2, minAgeDays: 0 }, now)).toEqual(['n1']);
  });
});
