import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { BackupStage, TableStat, Verification, VerifyPlace } from '../../shared/contract-backup';
import { AppError } from '../../shared/errors';
import { asRoot, joinPath } from '../engine/steps/shell';
import { shQuote } from '../ssh/quote';
import { descriptionFile } from './description';
import { downloadDump, type DownloadProgress } from './download';
import type { LocalBackupStore } from './local-store';
import { compareStats, MANIFEST_VERSION, parseDumpOutput, parseTableLines, parseVerifyOutput, totals, type Manifest, type Parsed } from './manifest';
import { findLocalPostgres, startScratchCluster } from './scratch-cluster';
import { adoptUploadScript, postgresOf, provenDir, provenDumpPath, provenDumpScript, provenManifestPath, scratchVerifyScript, stageScript, TABLE_STATS_SQL } from './scripts';
import type { Session } from './session';

// A proven backup, step by step on one session: the dump (figures taken in its own snapshot), the
// manifest next to it, the download to this computer, the scratch restore that proves it (on the
// server, or on this computer) and the comparison. Each step can be run again: an upgrade resumed
// after a crash continues with the backup it had started.

export interface ProgressSink {
  (stage: BackupStage, detail?: Partial<DownloadProgress>): void;
}

export interface ProvenDeps {
  store: LocalBackupStore;
  now: () => Date;
  /** Download tuning (tests: short waits between reconnections). */
  download?: { backoffMs?: number; chunkSize?: number; concurrency?: number; maxReconnects?: number };
}

export function newBackupId(reason: Manifest['reason'], at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/-/g, '').replace('T', '-').replace(/:/g, '');
  return `${stamp}-${reason}-${randomBytes(3).toString('hex')}`;
}

/** The typed failure for what a remote script reported. */
export function failureError(p: Exclude<Parsed<unknown>, { ok: true }>, ctx: { backup: string; service: string }): AppError {
  switch (p.failure) {
    case 'disk_full':
      return new AppError('backup.disk_full', { needMb: Math.ceil((p.need ?? 0) / 1e6), freeMb: Math.floor((p.free ?? 0) / 1e6) });
    case 'not_running':
      return new AppError('backup.not_running', { service: ctx.service });
    case 'dump_failed':
      return new AppError('backup.dump_failed', { detail: p.detail.slice(0, 200) });
    case 'scratch_start':
      return new AppError('backup.scratch_failed', { detail: p.detail.slice(0, 200) });
    case 'truncated':
      return new AppError('backup.dump_truncated', { backup: ctx.backup });
    case 'corrupt':
      return new AppError('backup.dump_corrupt', { backup: ctx.backup });
    case 'missing':
      return new AppError('backup.not_found', { backup: ctx.backup });
    case 'checksum':
      return new AppError('backup.checksum_mismatch', { expected: '', got: '' });
    default: {
      const never: never = p.failure;
      return new AppError('internal.unexpected', { method: `backup.${String(never)}` });
    }
  }
}

/** Dumps the deployment's database and leaves `<id>.dump` and its manifest on the server, and the manifest here. */
export async function dump(s: Session, deps: ProvenDeps, reason: Manifest['reason'], progress: ProgressSink, signal?: AbortSignal, onLine?: (l: string) => void): Promise<Manifest> {
  const pg = s.settings.postgres;
  if (!pg) throw new AppError('backup.no_database', {});
  const at = deps.now();
  const id = newBackupId(reason, at);
  progress('dump');
  const r = await s.job(`backup-${id}-dump`, asRoot([provenDumpScript(s.settings, id)]), { signal, onLine });
  const parsed = parseDumpOutput(r.output);
  if (!parsed.ok) throw failureError(parsed, { backup: id, service: pg.service });
  if (r.code !== 0) throw new AppError('backup.dump_failed', { detail: `exit ${r.code}` });
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    id,
    profileId: s.profile.id,
    reason,
    createdAt: at.toISOString(),
    format: 'custom',
    postgres: { ...pg },
    serverVersion: parsed.value.serverVersion,
    image: parsed.value.image,
    databaseBytes: parsed.value.databaseBytes,
    sizeBytes: parsed.value.sizeBytes,
    sha256: parsed.value.sha256,
    tables: parsed.value.tables,
  };
  await s.open();
  await s.remote.installFile({ path: provenManifestPath(s.settings, id), content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o600, owner: 'root', group: 'root', secret: false });
  await s.remote.installFile(descriptionFile(s.profile.id, s.settings));
  await deps.store.save(s.profile.id, manifest);
  return manifest;
}

/** The dump on this computer (0600, in the data folder), resumed where an earlier or a cut download stopped. */
export async function download(s: Session, deps: ProvenDeps, manifest: Manifest, progress: ProgressSink, signal?: AbortSignal): Promise<{ resumedFrom: number | null }> {
  const local = deps.store.dumpPath(s.profile.id, manifest.id);
  const have = await stat(local).catch(() => null);
  // A complete copy took its name only after its checksum was found equal.
  if (have?.size === manifest.sizeBytes) return { resumedFrom: null };
  await deps.store.ensureDir(s.profile.id);
  await s.open();
  const source = provenDumpPath(s.settings, manifest.id);
  const login = await s.login();
  let remotePath = source;
  if (login) {
    progress('stage');
    remotePath = joinPath(login.cacheDir, `${manifest.id}.dump`);
    const r = await s.root(stageScript(source, remotePath, login), { signal });
    if (r.code === 3) throw new AppError('backup.not_found', { backup: manifest.id });
    if (r.code !== 0) throw new AppError('ssh.exec_failed', { host: s.conn.target.host });
  }
  progress('download', { bytes: 0, totalBytes: manifest.sizeBytes });
  const result = await downloadDump({
    conn: s.conn,
    reconnect: async () => {
      await s.reopen(signal);
      return s.conn;
    },
    remotePath,
    localPath: local,
    expected: { sizeBytes: manifest.sizeBytes, sha256: manifest.sha256 },
    onProgress: (p) => progress('download', p),
    signal,
    ...deps.download,
  });
  progress('checksum', { bytes: manifest.sizeBytes, totalBytes: manifest.sizeBytes, resumedFrom: result.resumedFrom });
  if (login) await s.conn.exec(`rm -f -- ${shQuote(remotePath)}`).catch(() => undefined);
  return { resumedFrom: result.resumedFrom };
}

/** Puts this computer's copy back on the server when the server lost it (a restore from this computer). */
export async function ensureOnServer(s: Session, deps: ProvenDeps, manifest: Manifest, progress: ProgressSink, signal?: AbortSignal): Promise<void> {
  const target = provenDumpPath(s.settings, manifest.id);
  const there = await s.root(`if [ -f ${shQuote(target)} ]; then sha256sum ${shQuote(target)} | cut -d ' ' -f 1; else echo missing; fi`, { signal });
  const serverSha = there.stdout.trim();
  if (serverSha === manifest.sha256) return;
  // Missing, or changed since its checksum: this computer's good copy goes back (a repair), if there is one.
  const local = deps.store.dumpPath(s.profile.id, manifest.id);
  const have = await stat(local).catch(() => null);
  if (have?.size !== manifest.sizeBytes) {
    if (serverSha === 'missing') throw new AppError('backup.not_found', { backup: manifest.id });
    throw new AppError('backup.checksum_mismatch', { expected: manifest.sha256.slice(0, 12), got: serverSha.slice(0, 12) });
  }
  progress('upload', { bytes: 0, totalBytes: manifest.sizeBytes });
  const login = await s.login();
  const upload = login ? joinPath(login.cacheDir, `${manifest.id}.upload`) : `${target}.upload`;
  if (!login) await s.root(`mkdir -p ${shQuote(provenDir(s.settings))} && chmod 700 ${shQuote(provenDir(s.settings))}`, { signal });
  await s.conn.uploadFile(local, upload, 0o600);
  const r = await s.root(adoptUploadScript(upload, target, manifest.sha256), { signal });
  if (r.code !== 0) throw new AppError('backup.checksum_mismatch', { expected: manifest.sha256.slice(0, 12), got: '' });
  await s.remote.installFile({ path: provenManifestPath(s.settings, manifest.id), content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o600, owner: 'root', group: 'root', secret: false });
}

function verification(where: VerifyPlace, started: number, restoreMs: number, source: readonly TableStat[] | null, restored: readonly TableStat[], at: Date): Verification {
  const mismatches = source ? compareStats(source, restored) : [];
  const t = totals(restored);
  return {
    at: at.toISOString(),
    where,
    outcome: source === null ? 'restorable' : mismatches.length === 0 ? 'proven' : 'mismatch',
    restoreMs: Math.round(restoreMs),
    totalMs: Math.round(performance.now() - started),
    ...t,
    mismatches: mismatches.slice(0, 50),
    detail: null,
  };
}

function failedVerification(where: VerifyPlace, started: number, outcome: 'truncated' | 'corrupt', detail: string, at: Date): Verification {
  return { at: at.toISOString(), where, outcome, restoreMs: 0, totalMs: Math.round(performance.now() - started), tables: 0, rows: 0, newest: null, mismatches: [], detail: detail.slice(0, 300) };
}

/**
 * Restores the dump into a throwaway PostgreSQL of the same image on the server, and compares. The
 * verification is recorded here whatever it found; a dump that is not proven is a typed failure.
 */
export async function verifyOnServer(s: Session, deps: ProvenDeps, manifest: Manifest, progress: ProgressSink, signal?: AbortSignal, onLine?: (l: string) => void): Promise<Verification> {
  await ensureOnServer(s, deps, manifest, progress, signal);
  progress('verify');
  const started = performance.now();
  const tag = `${manifest.id.slice(-6)}-${randomBytes(3).toString('hex')}`;
  const script = scratchVerifyScript(s.settings, { tag, path: provenDumpPath(s.settings, manifest.id), format: 'custom', needBytes: manifest.databaseBytes + 64_000_000, sha256: manifest.sha256 });
  let restoredAt = 0;
  let readyAt = 0;
  const r = await s.job(`backup-${manifest.id}-verify-${tag}`, asRoot([script]), {
    signal,
    onLine: (l) => {
      if (l === 'scratch-ready') readyAt = performance.now();
      if (l === 'restored') restoredAt = performance.now();
      onLine?.(l);
    },
  });
  return record(deps, s.profile.id, manifest, 'server', started, r.output, readyAt && restoredAt ? restoredAt - readyAt : 0);
}

async function record(deps: ProvenDeps, profileId: string, manifest: Manifest, where: VerifyPlace, started: number, output: string, restoreMs: number): Promise<Verification> {
  const parsed = parseVerifyOutput(output);
  if (!parsed.ok) {
    if (parsed.failure === 'truncated' || parsed.failure === 'corrupt') {
      const v = failedVerification(where, started, parsed.failure, parsed.detail, deps.now());
      await deps.store.addVerification(profileId, manifest, v);
    }
    throw failureError(parsed, { backup: manifest.id, service: manifest.postgres.service });
  }
  const v = verification(where, started, restoreMs, manifest.tables, parsed.value.tables, deps.now());
  await deps.store.addVerification(profileId, manifest, v);
  if (v.outcome !== 'proven') {
    const first = v.mismatches[0];
    throw new AppError('backup.verify_mismatch', { backup: manifest.id, tables: v.mismatches.length, table: first?.table ?? '', expected: first?.expectedRows ?? '', actual: first?.actualRows ?? '' });
  }
  return v;
}

/** The same proof on this computer: the downloaded copy into a scratch cluster of the same major version. */
export async function verifyLocally(s: { profile: { id: string } }, deps: ProvenDeps, manifest: Manifest, progress: ProgressSink): Promise<Verification> {
  const major = Math.floor(manifest.serverVersion / 10_000);
  const binDir = await findLocalPostgres(major);
  if (!binDir) throw new AppError('backup.local_postgres_missing', { major });
  const file = deps.store.dumpPath(s.profile.id, manifest.id);
  if ((await stat(file).catch(() => null))?.size !== manifest.sizeBytes) throw new AppError('backup.not_found', { backup: manifest.id });
  progress('verify');
  const started = performance.now();
  const cluster = await startScratchCluster({ binDir, user: manifest.postgres.user, database: manifest.postgres.database });
  try {
    const t0 = performance.now();
    // The dump goes in on stdin: the cluster may run as another user (root → postgres) who cannot read the data folder.
    const restore = await cluster.client('pg_restore', ['--exit-on-error', '-d', manifest.postgres.database], { stdinFile: file });
    const restoreMs = performance.now() - t0;
    if (restore.code !== 0) {
      const detail = restore.stderr.trim().split('\n').slice(-3).join(' ');
      return await record(deps, s.profile.id, manifest, 'local', started, `restore-error\n${detail}\n`, restoreMs);
    }
    const stats = await cluster.client('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', manifest.postgres.database], { stdin: TABLE_STATS_SQL });
    if (stats.code !== 0) throw new AppError('backup.scratch_failed', { detail: stats.stderr.trim().split('\n').pop()?.slice(0, 200) ?? '' });
    const output = `${stats.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => `table ${l}`)
      .join('\n')}\nverify-done\n`;
    return await record(deps, s.profile.id, manifest, 'local', started, output, restoreMs);
  } finally {
    await cluster.stop();
  }
}

/** Figures of a daily (plain SQL) dump restored on the server: restorable or not, and how fresh. */
export async function verifyDailyOnServer(s: Session, path: string, signal?: AbortSignal): Promise<Parsed<{ tables: TableStat[] }> & { restoreMs: number }> {
  const tag = `daily-${randomBytes(4).toString('hex')}`;
  let readyAt = 0;
  let restoredAt = 0;
  const r = await s.job(`backup-${tag}`, asRoot([scratchVerifyScript(s.settings, { tag, path, format: 'sql.gz' })]), {
    signal,
    onLine: (l) => {
      if (l === 'scratch-ready') readyAt = performance.now();
      if (l === 'restored') restoredAt = performance.now();
    },
  });
  return { ...parseVerifyOutput(r.output), restoreMs: readyAt && restoredAt ? restoredAt - readyAt : 0 };
}

export { parseTableLines, postgresOf };
