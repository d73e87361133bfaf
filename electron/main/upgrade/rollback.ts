import type { RollbackView } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import type { BackupService } from '../backup/backup-service';
import { restoreIntoLive } from '../backup/restore';
import type { Session } from '../backup/session';
import { envFileStep } from '../engine/steps/env-file';
import { healthStep } from '../engine/steps/health';
import { composePullStep } from '../engine/steps/images';
import { repositoryStep } from '../engine/steps/repository';
import type { ComposeDeploySettings } from '../engine/types';
import type { StepIo } from './step-io';
import { keepPreviousStep, parseServiceLogs, rollbackStep, serviceLogsScript, unhealthyServicesScript, type VersionOwnStep } from './version-steps';

// What the runner calls for a version update: its own steps on the server (the snapshot kept, the checkout at
// the new ref, the new `.env`, the pull), and the roll back when the new version does not become healthy: the
// failing services and their logs first (the new version's), then the previous files, `.env`, images and
// containers exactly, the database only when the user chose it, and the health wait of the previous version.

export interface VersionRunContext {
  s: Session;
  /** The deployment at the new ref, with its new `.env`. */
  after: ComposeDeploySettings;
  runId: string;
  jobPrefix: string;
  io: StepIo;
  redact: (text: string) => string;
}

/** One of the version update's own steps; exhaustive. `rollback` in the normal order: nothing failed, skipped. */
export async function runVersionStep(id: VersionOwnStep, c: VersionRunContext): Promise<'done' | 'skipped'> {
  const opts = { signal: c.io.signal, onLine: (l: string) => c.io.log(l) };
  switch (id) {
    case 'keep-previous':
      return c.s.step(keepPreviousStep(c.s.settings, c.runId), c.jobPrefix, opts);
    case 'checkout':
      return c.s.step(repositoryStep(c.after), c.jobPrefix, opts);
    case 'env-update':
      return c.s.step(envFileStep(c.after), c.jobPrefix, opts);
    case 'pull':
      return c.after.images?.pull.length ? c.s.step(composePullStep(c.after), c.jobPrefix, opts) : 'skipped';
    case 'rollback':
      return 'skipped';
    default: {
      const never: never = id;
      throw new AppError('internal.unexpected', { method: `upgrade.${String(never)}` });
    }
  }
}

/** The services not healthy now and their last log lines (secrets redacted), as the new version left them. */
export async function failingServices(c: Pick<VersionRunContext, 's' | 'after' | 'redact'>): Promise<{ services: string[]; logs: RollbackView['logs'] }> {
  const r = await c.s.root(unhealthyServicesScript(c.after), { timeoutMs: 30_000 }).catch(() => null);
  const named = (r?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(l));
  // Every service healthy by its own check but the endpoint failing: the backend's logs say why.
  const services = [...new Set(named.length > 0 ? named : [c.after.tuning.backendService ?? 'backend'])].slice(0, 5);
  const out = await c.s.root(serviceLogsScript(c.after, services), { timeoutMs: 60_000 }).catch(() => null);
  return { services: named, logs: parseServiceLogs(c.redact(out?.stdout ?? '')).map((l) => ({ service: l.service, lines: l.lines.slice(-40) })) };
}

export interface RollbackInput extends Pick<VersionRunContext, 's' | 'after' | 'jobPrefix' | 'redact'> {
  /** The deployment as it was (the session's settings). */
  before: ComposeDeploySettings;
  backups: BackupService;
  profileId: string;
  /** The proven backup taken by the update, when the user chose to restore it too. */
  restoreBackupId: string | null;
  log: (line: string) => void;
  /** What the health wait said (`upgrade.health_failed`'s services), when it was the failure. */
  unhealthy: string;
}

/** Puts the previous version back and waits for its health; throws `upgrade.rollback_failed` when it cannot. */
export async function rollBack(input: RollbackInput): Promise<RollbackView> {
  const { s } = input;
  const failing = await failingServices(input);
  const services = failing.services.length > 0 ? failing.services.join(' ') : input.unhealthy;
  let databaseRestored = false;
  try {
    await s.step(rollbackStep(input.before), `${input.jobPrefix}-rollback`, { onLine: input.log });
    if (input.restoreBackupId && input.before.postgres) {
      const manifest = await input.backups.manifest(input.profileId, input.restoreBackupId, s);
      await restoreIntoLive(s, input.backups.provenDeps, { kind: 'proven', manifest }, () => undefined, undefined, input.log);
      databaseRestored = true;
    }
    await s.step(healthStep(input.before), `${input.jobPrefix}-rollback-health`, { onLine: input.log });
  } catch (error) {
    input.log(`rollback failed: ${error instanceof AppError ? error.code : 'error'}`);
    const e = new AppError('upgrade.rollback_failed', { services, reason: error instanceof AppError ? error.code : 'internal.unexpected' });
    Object.assign(e, { view: { state: 'failed', services, logs: failing.logs, databaseRestored } satisfies RollbackView });
    throw e;
  }
  return { state: 'rolled-back', services, logs: failing.logs, databaseRestored };
}

/** The view a failed roll back carries (see rollBack). */
export function rollbackViewOf(error: unknown): RollbackView | null {
  const v = (error as { view?: RollbackView } | null)?.view;
  return v && (v.state === 'rolled-back' || v.state === 'failed') ? v : null;
}
