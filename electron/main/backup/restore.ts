import { randomBytes } from 'node:crypto';
import type { TableStat } from '../../shared/contract-backup';
import { AppError } from '../../shared/errors';
import { healthStep } from '../engine/steps/health';
import { asRoot } from '../engine/steps/shell';
import { compareStats, parseVerifyOutput, type Manifest } from './manifest';
import { dump, ensureOnServer, failureError, type ProgressSink, type ProvenDeps } from './proven';
import { appServicesScript, dailyPath, postgresOf, provenDumpPath, restoreIntoLiveScript, startServicesScript } from './scripts';
import type { Session } from './session';

// "Restore this backup": a safety dump of the database as it is now first, the app's services
// stopped, the database replaced by the backup, its figures checked against the backup's, the
// services started and their health waited for. If anything goes wrong after the database was
// touched, the safety dump is put back the same way, and the failure says so.

export type RestoreTarget = { kind: 'proven'; manifest: Manifest } | { kind: 'daily'; file: string };

export interface RestoreResult {
  safety: Manifest;
  tables: TableStat[];
}

const SERVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

async function appServices(s: Session, signal?: AbortSignal): Promise<string[]> {
  const r = await s.root(appServicesScript(s.settings), { signal });
  if (r.code !== 0) throw new AppError('deploy.step_failed', { step: 'compose-services', exitCode: String(r.code) });
  const db = postgresOf(s.settings).service;
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => SERVICE.test(l) && l !== db);
}

async function replaceDatabase(s: Session, path: string, format: 'custom' | 'sql.gz', stop: string[], expected: readonly TableStat[] | null, ref: string, progress: ProgressSink, signal?: AbortSignal, onLine?: (l: string) => void): Promise<TableStat[]> {
  progress('stop');
  const r = await s.job(`backup-restore-${randomBytes(4).toString('hex')}`, asRoot([restoreIntoLiveScript(s.settings, { path, format, stop })]), {
    signal,
    onLine: (l) => {
      if (l === 'services-stopped') progress('restore');
      onLine?.(l);
    },
  });
  const parsed = parseVerifyOutput(r.output);
  if (!parsed.ok) throw failureError(parsed, { backup: ref, service: postgresOf(s.settings).service });
  if (r.code !== 0) throw new AppError('backup.dump_corrupt', { backup: ref });
  if (expected) {
    const mismatches = compareStats(expected, parsed.value.tables);
    if (mismatches.length > 0) {
      const first = mismatches[0]!;
      throw new AppError('backup.verify_mismatch', { backup: ref, tables: mismatches.length, table: first.table, expected: first.expectedRows ?? '', actual: first.actualRows ?? '' });
    }
  }
  return parsed.value.tables;
}

async function startAndWait(s: Session, progress: ProgressSink, signal?: AbortSignal, onLine?: (l: string) => void): Promise<void> {
  progress('start');
  const r = await s.root(startServicesScript(s.settings), { signal, timeoutMs: 15 * 60_000 });
  if (r.code !== 0) throw new AppError('deploy.step_failed', { step: 'compose-up', exitCode: String(r.code) });
  progress('health');
  await s.step(healthStep(s.settings), `backup-health-${randomBytes(3).toString('hex')}`, { signal, onLine });
}

export async function restoreIntoLive(s: Session, deps: ProvenDeps, target: RestoreTarget, progress: ProgressSink, signal?: AbortSignal, onLine?: (l: string) => void): Promise<RestoreResult> {
  const ref = target.kind === 'proven' ? target.manifest.id : target.file;
  progress('safety');
  const safety = await dump(s, deps, 'safety', progress, signal, onLine);
  let path: string;
  if (target.kind === 'proven') {
    await ensureOnServer(s, deps, target.manifest, progress, signal);
    path = provenDumpPath(s.settings, target.manifest.id);
  } else {
    path = dailyPath(s.settings, target.file);
  }
  const stop = await appServices(s, signal);
  try {
    const tables = await replaceDatabase(s, path, target.kind === 'proven' ? 'custom' : 'sql.gz', stop, target.kind === 'proven' ? target.manifest.tables : null, ref, progress, signal, onLine);
    await startAndWait(s, progress, signal, onLine);
    return { safety, tables };
  } catch (error) {
    if (error instanceof AppError && error.code === 'deploy.cancelled') throw error;
    // Back to the database as it was a minute ago.
    onLine?.(`restore of ${ref} failed (${error instanceof AppError ? error.code : 'error'}): putting back the safety dump ${safety.id}`);
    try {
      await replaceDatabase(s, provenDumpPath(s.settings, safety.id), 'custom', stop, safety.tables, safety.id, progress, undefined, onLine);
      await startAndWait(s, progress, undefined, onLine);
    } catch {
      throw new AppError('backup.restore_rollback_failed', { backup: ref, safety: safety.id });
    }
    throw new AppError('backup.restore_failed', { backup: ref, safety: safety.id, reason: error instanceof AppError ? error.code : 'internal.unexpected' });
  }
}
