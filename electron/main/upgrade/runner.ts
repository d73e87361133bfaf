import { randomBytes } from 'node:crypto';
import type { EventName, EventPayload } from '../../shared/contract';
import type { HealthSummary, TimelineMark, UpgradeRun, UpgradeStepId } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import type { BackupService } from '../backup/backup-service';
import { descriptionFile } from '../backup/description';
import type { Session } from '../backup/session';
import { JOURNAL_VERSION } from '../engine/journal';
import { LockKeeper, lockedParams, remoteLockTarget, type LockTiming } from '../engine/lock-keeper';
import { composeOverrideStep, composeUpStep } from '../engine/steps/compose';
import { healthStep } from '../engine/steps/health';
import type { ComposeDeploySettings, StepState } from '../engine/types';
import { HetznerProvider } from '../providers/hetzner/provider';
import { OvhProvider } from '../providers/ovh/provider';
import type { Provider } from '../providers/provider';
import * as hetzner from './hetzner-steps';
import type { UpgradeJournal, UpgradeJournalStore } from './journal';
import * as ovh from './ovh-steps';
import { isDowntime, type BuiltPlan } from './plan';
import { rollBack, rollbackViewOf, runVersionStep } from './rollback';
import type { StepData, StepIo } from './step-io';
import { decodeViews } from './dns-switch';
import { runToK3sStep, type ToK3sDeps } from './to-k3s-steps';

// Runs an upgrade plan on one deployment: the server's run lock (the deployment's own, engine/remote.ts),
// the journal after every change, each step by its kind, the downtime measured from the first step that
// stops the application to the health check after it, timeline marks, and resume: a run interrupted
// anywhere (crash, cut, cancel, closed laptop) starts again at the step where it stopped, with what that
// step journaled. Orchestration only; the steps are in hetzner-steps.ts, ovh-steps.ts and the engine.

export interface UpgradeRunnerDeps {
  session: Session;
  /** The deployment after the move (phase 2 settings: the tuning override, the health check). */
  after: ComposeDeploySettings;
  journals: UpgradeJournalStore;
  backups: BackupService;
  provider: Provider | null;
  owner: { owner: string; machine: string };
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  log: (line: string) => void;
  /** One health sample of the deployment now (the dashboard's figures), null when it cannot be had. */
  health: () => Promise<HealthSummary | null>;
  /** Waits until the server answers SSH again with its pinned host key. */
  waitForSsh: (signal?: AbortSignal) => Promise<void>;
  /** Saves the deployment as it is after the move (phase, offer). */
  recordProfile: () => Promise<void>;
  /** After the move is recorded (the dashboard's sampler takes the new phase). */
  onRecorded?: () => Promise<void>;
  /** The server lock's heartbeat period and staleness (lock-keeper.ts defaults); tests shorten them. */
  lock?: LockTiming;
  /** Phase 2 → 3: the cluster, its database, the DNS checks and what the user confirmed. */
  toK3s?: ToK3sDeps;
  /** Masks secrets in what the server says (the failing services' logs of a version update). */
  redact?: (text: string) => string;
  now?: () => Date;
}

export class UpgradeRunner {
  private journal!: UpgradeJournal;
  private readonly now: () => Date;

  constructor(private readonly deps: UpgradeRunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private get s(): Session {
    return this.deps.session;
  }

  private get profileId(): string {
    return this.s.profile.id;
  }

  /** The unfinished run of the same plan to resume (newest of this computer's and the server's), or a new one. */
  private async resumable(plan: BuiltPlan, fresh: boolean): Promise<UpgradeJournal> {
    const local = await this.deps.journals.read(this.profileId);
    const remote = this.s.connected ? await this.deps.journals.readRemote(this.s).catch(() => null) : null;
    const candidates = [local, remote].filter((j): j is UpgradeJournal => !!j && j.planHash === plan.view.planHash && j.outcome !== 'succeeded' && !j.rollback && j.profileId === this.profileId);
    candidates.sort((a, b) => Object.keys(b.steps).length - Object.keys(a.steps).length || b.startedAt.localeCompare(a.startedAt));
    if (!fresh && candidates[0]) return structuredClone(candidates[0]);
    return {
      version: JOURNAL_VERSION,
      runId: `${this.now().toISOString().slice(0, 10)}-up-${randomBytes(4).toString('hex')}`,
      profileId: this.profileId,
      planHash: plan.view.planHash,
      startedAt: this.now().toISOString(),
      finishedAt: null,
      outcome: 'running',
      kind: plan.view.kind,
      route: plan.view.route,
      toPhase: plan.view.toPhase,
      options: plan.exec.options,
      order: plan.order,
      steps: {},
      downtime: { startedAt: null, endedAt: null },
      before: null,
      after: null,
      marks: [],
      error: null,
      plan: structuredClone(plan),
    };
  }

  /** An unfinished run of this plan exists (the UI offers "resume"). */
  static unfinished(journal: UpgradeJournal | null, planHash: string): boolean {
    return !!journal && journal.planHash === planHash && journal.outcome !== 'succeeded' && !journal.rollback;
  }

  private async save(remote = false): Promise<void> {
    await this.deps.journals.write(this.journal);
    if (remote && this.s.connected) await this.deps.journals.writeRemote(this.s, this.journal).catch(() => undefined);
  }

  private async mark(kind: TimelineMark['kind']): Promise<void> {
    const ref = this.journal.plan.view.version?.to.ref;
    const mark: TimelineMark = { at: this.now().getTime(), kind, runId: this.journal.runId, toPhase: this.journal.toPhase, ...(ref ? { ref } : {}) };
    this.journal.marks.push(mark);
    await this.deps.journals.addMark(this.profileId, mark);
  }

  private emitStep(stepId: UpgradeStepId, state: StepState, extra: { durationMs?: number; error?: AppError } = {}): void {
    this.deps.emit('upgrade.step', {
      profileId: this.profileId,
      runId: this.journal.runId,
      stepId,
      state,
      ...(extra.durationMs !== undefined ? { durationMs: extra.durationMs } : {}),
      ...(extra.error ? { error: extra.error.toEnvelope() } : {}),
    });
  }

  private keeper: LockKeeper | null = null;

  /** Takes the server's lock (or takes it back after a reboot) and keeps it alive with heartbeats (lock-keeper.ts). */
  private async lock(): Promise<void> {
    // The run id holds it: a resumed run of the same journal takes its own lock back.
    const held = this.keeper
      ? await this.keeper.reacquire()
      : await LockKeeper.acquire({ target: remoteLockTarget(() => (this.s.connected ? this.s.remote : null)), owner: { runId: this.journal.runId, owner: this.deps.owner.owner, machine: this.deps.owner.machine, since: this.now().toISOString() }, lockId: this.journal.runId, ...this.deps.lock });
    if (!held.ok) throw new AppError('deploy.locked', lockedParams(held.holder));
    this.keeper = held.keeper;
  }

  /** Gives the lock back (only if still this run's), or with `keep` leaves it on the server for the resume; heartbeats stop. */
  private async unlock(keep = false): Promise<void> {
    if (keep) this.keeper?.stop();
    else await this.keeper?.release().catch(() => undefined);
  }

  view(): UpgradeRun {
    return runView(this.journal);
  }

  async run(plan: BuiltPlan, opts: { signal?: AbortSignal; fresh?: boolean } = {}): Promise<UpgradeRun> {
    await this.prepare(plan, opts.fresh ?? false);
    return this.execute(plan, opts.signal);
  }

  /**
   * Connects, finds the run to resume (or starts one) and takes the server's lock; what fails here fails
   * before anything changes. Returns the run id.
   */
  async prepare(plan: BuiltPlan, fresh: boolean): Promise<string> {
    // A run resumed while the server is down (it stopped between shutdown and power-on) cannot reach it yet.
    const local = await this.deps.journals.read(this.profileId);
    const down = !!local && UpgradeRunner.unfinished(local, plan.view.planHash) && local.downtime.startedAt !== null && local.steps['wait-ssh']?.state !== 'done' && !fresh;
    try {
      await this.s.open();
    } catch (error) {
      if (!down) throw error;
    }
    this.journal = await this.resumable(plan, fresh);
    if (this.s.connected) await this.lock();
    this.journal.outcome = 'running';
    this.journal.finishedAt = null;
    this.journal.error = null;
    if (!this.journal.marks.some((m) => m.kind === 'start')) await this.mark('start');
    await this.save(true);
    return this.journal.runId;
  }

  async execute(plan: BuiltPlan, signal?: AbortSignal): Promise<UpgradeRun> {
    // The user's cancel, or the lock lost while a step runs (another computer took it over): the step stops.
    // The keeper may come later (a run prepared without a connection takes its lock after the reboot wait).
    const stepSignal = () => AbortSignal.any([signal, this.keeper?.lostSignal].filter((x): x is AbortSignal => x !== undefined));
    const lostToOther = () => this.keeper?.lost === true && !signal?.aborted;
    let current: UpgradeStepId | null = null;
    try {
      for (const id of this.journal.order) {
        current = id;
        if (signal?.aborted) throw new AppError('deploy.cancelled');
        if (this.keeper?.lost) throw new AppError('deploy.lock_lost', { runId: this.journal.runId });
        const rec = (this.journal.steps[id] ??= { state: 'pending' });
        if (rec.state === 'done' || rec.state === 'skipped') {
          this.emitStep(id, rec.state);
          continue;
        }
        const started = performance.now();
        rec.state = 'running';
        rec.startedAt ??= this.now().toISOString();
        delete rec.error;
        if (isDowntime(id, this.journal.route) && this.journal.downtime.startedAt === null) {
          this.journal.downtime.startedAt = this.now().getTime();
          await this.mark('down');
        }
        await this.save(this.s.connected);
        this.emitStep(id, 'running');
        const result = await this.step(id, plan, rec, stepSignal());
        rec.state = result;
        rec.endedAt = this.now().toISOString();
        if (id === 'health' || id === 'cluster-health') {
          this.journal.downtime.endedAt = this.now().getTime();
          await this.mark('up');
        }
        await this.save(this.s.connected);
        this.emitStep(id, result, { durationMs: Math.round(performance.now() - started) });
      }
      this.journal.outcome = 'succeeded';
      this.journal.finishedAt = this.now().toISOString();
      await this.mark('end');
      await this.save(true);
      await this.unlock();
    } catch (error) {
      const lost = lostToOther();
      const e = lost ? new AppError('deploy.lock_lost', { runId: this.journal.runId }) : error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'upgrade' });
      if (!(error instanceof AppError) && !lost) this.deps.log(`upgrade failed: ${String(error)}`);
      const cancelled = e.code === 'deploy.cancelled';
      if (current) {
        const rec = (this.journal.steps[current] ??= { state: 'pending' });
        rec.state = cancelled ? 'cancelled' : 'failed';
        rec.error = e.code.slice(0, 200);
        rec.endedAt = this.now().toISOString();
        this.emitStep(current, rec.state, { error: e });
      }
      this.journal.outcome = cancelled ? 'cancelled' : 'failed';
      this.journal.finishedAt = this.now().toISOString();
      this.journal.error = e.toEnvelope();
      await this.mark('failed');
      const inDowntime = this.journal.downtime.startedAt !== null && this.journal.downtime.endedAt === null;
      // Lost to another computer: what it does now is its own; nothing is powered on or rolled back under it.
      if (current && !cancelled && !lost && (inDowntime || plan.view.kind === 'version')) await this.recover(current, plan);
      // Nor is its journal on the server written over: this run's stays on this computer.
      await this.save(this.s.connected && !lost);
      // Nothing changed yet: the server is free again. Halfway through, the lock stays until the upgrade is resumed.
      await this.unlock(inDowntime || !this.s.connected);
    }
    const run = runView(this.journal);
    this.deps.emit('upgrade.finished', { profileId: this.profileId, run });
    return run;
  }

  /** A Hetzner server left off by a failed step is powered on again (with whatever type it has): the application comes back. */
  private async recover(failed: UpgradeStepId, plan: BuiltPlan): Promise<void> {
    if (plan.view.kind === 'version') return this.rollBackVersion(failed);
    if (!(this.deps.provider instanceof HetznerProvider) || !plan.exec.serverId) return;
    if (failed !== 'shutdown' && failed !== 'change-type') return;
    try {
      this.deps.log('upgrade: powering the server on again after the failed step');
      await hetzner.powerOn(this.deps.provider.client, Number(plan.exec.serverId), this.io('poweron', { state: 'running' }));
    } catch (error) {
      this.deps.log(`upgrade: the server could not be powered on again (${error instanceof AppError ? error.code : 'error'})`);
    }
  }

  /**
   * A version update that failed once its snapshot was kept (checkout, `.env`, pull, up, health): the previous
   * files, `.env`, images and containers are put back (the database only when the user chose it), the server's
   * lock is given back, and the run ends failed with `upgrade.rolled_back` and the failing services' logs.
   */
  private async rollBackVersion(failed: UpgradeStepId): Promise<void> {
    if (this.journal.steps['keep-previous']?.state !== 'done' || !['checkout', 'env-update', 'pull', 'restart', 'health'].includes(failed)) return;
    const rec = (this.journal.steps.rollback ??= { state: 'pending' });
    rec.state = 'running';
    rec.startedAt = this.now().toISOString();
    this.emitStep('rollback', 'running');
    const io = this.io('rollback', rec);
    const version = this.journal.plan.view.version;
    const backupId = this.journal.steps.backup?.data?.backupId;
    const started = performance.now();
    try {
      const view = await rollBack({
        s: this.s,
        before: this.s.settings,
        after: this.deps.after,
        jobPrefix: `upgrade-${this.journal.runId}`,
        redact: this.deps.redact ?? ((t) => t),
        backups: this.deps.backups,
        profileId: this.profileId,
        restoreBackupId: version?.restoreDatabase && typeof backupId === 'string' ? backupId : null,
        log: (l) => io.log(l),
        unhealthy: String(this.journal.error?.params.services ?? ''),
      });
      rec.state = 'done';
      this.journal.rollback = view;
      this.journal.error = new AppError('upgrade.rolled_back', { ref: version?.to.ref ?? '', services: view.services || '?' }).toEnvelope();
      if (this.journal.downtime.startedAt !== null) this.journal.downtime.endedAt = this.now().getTime();
      await this.mark('rolledback');
      // The previous version runs again: the server is free.
      await this.s.remote.releaseLock(this.journal.runId).catch(() => undefined);
    } catch (error) {
      rec.state = 'failed';
      rec.error = (error instanceof AppError ? error.code : 'internal.unexpected').slice(0, 200);
      this.journal.rollback = rollbackViewOf(error) ?? { state: 'failed', services: '', logs: [], databaseRestored: false };
      this.journal.error = (error instanceof AppError ? error : new AppError('upgrade.rollback_failed', { services: '', reason: 'internal.unexpected' })).toEnvelope();
    }
    rec.endedAt = this.now().toISOString();
    this.emitStep('rollback', rec.state, { durationMs: Math.round(performance.now() - started) });
  }

  private io(id: UpgradeStepId, rec: { state: StepState; data?: StepData }, signal?: AbortSignal): StepIo {
    const runId = this.journal.runId;
    return {
      get data() {
        return rec.data ?? {};
      },
      save: async (data) => {
        rec.data = { ...rec.data, ...data };
        await this.save(false);
      },
      progress: (code, params, percent) => this.deps.emit('upgrade.progress', { profileId: this.profileId, runId, stepId: id, message: { code, params }, percent }),
      log: (line) => {
        this.deps.log(`[upgrade ${id}] ${line}`);
        this.deps.emit('upgrade.log', { profileId: this.profileId, runId, stepId: id, line });
      },
      signal,
    };
  }

  private hetznerClient(plan: BuiltPlan) {
    if (!(this.deps.provider instanceof HetznerProvider) || !plan.exec.serverId) throw new AppError('upgrade.provider_unsupported', { provider: this.deps.provider?.kind ?? 'existing' });
    return { client: this.deps.provider.client, serverId: Number(plan.exec.serverId) };
  }

  private ovhProvider(): OvhProvider {
    if (!(this.deps.provider instanceof OvhProvider)) throw new AppError('upgrade.provider_unsupported', { provider: this.deps.provider?.kind ?? 'existing' });
    return this.deps.provider;
  }

  /** One step by its id; exhaustive over the steps. */
  private async step(id: UpgradeStepId, plan: BuiltPlan, rec: UpgradeJournal['steps'][string], signal?: AbortSignal): Promise<'done' | 'skipped'> {
    const io = this.io(id, rec, signal);
    const prefix = `upgrade-${this.journal.runId}`;
    const onLine = (l: string) => io.log(l);
    switch (id) {
      case 'preflight': {
        const check = healthStep(this.s.settings).check;
        const r = check ? await this.s.root(check.script, { timeoutMs: 60_000, signal }) : { code: 0 };
        if (r.code !== 0) throw new AppError('upgrade.health_failed', { when: 'before', services: '' });
        if (this.deps.provider instanceof HetznerProvider && plan.exec.serverId && plan.view.current) {
          const server = await this.deps.provider.client.getServer(Number(plan.exec.serverId), signal);
          if (server.server_type.name !== plan.view.current.name && server.server_type.name !== plan.exec.targetName) throw new AppError('upgrade.plan_changed', {});
        }
        this.journal.before ??= await this.deps.health().catch(() => null);
        return 'done';
      }
      case 'backup': {
        if (!this.s.settings.postgres) return 'skipped';
        const known = io.data.backupId;
        const progress = (stage: string, d: { bytes?: number; totalBytes?: number } = {}) =>
          io.progress(`upgrade.progress.backup.${stage}`, {}, d.bytes !== undefined && d.totalBytes ? Math.floor((100 * d.bytes) / d.totalBytes) : null);
        const opts = { reason: 'upgrade' as const, verify: this.journal.options.verify, onProgress: progress, onLine, signal, onDumped: async (m: { id: string }) => io.save({ backupId: m.id }) };
        if (typeof known === 'string') {
          const record = await this.deps.backups.store.read(this.profileId, known);
          if (record?.verifications.some((v) => v.outcome === 'proven')) return 'done';
          await this.deps.backups.finishProof(this.s, await this.deps.backups.manifest(this.profileId, known, this.s), opts);
        } else await this.deps.backups.prove(this.s, opts);
        return 'done';
      }
      case 'snapshot': {
        if (typeof io.data.snapshotId === 'string') return 'done';
        if (!plan.exec.serverId || !this.deps.provider) return 'skipped';
        const at = typeof io.data.at === 'number' ? io.data.at : this.now().getTime();
        await io.save({ at });
        io.progress('upgrade.progress.snapshot', {}, null);
        const { takeSnapshot } = await import('../backup/snapshots');
        const snap = await takeSnapshot(this.deps.provider, plan.exec.serverId, this.profileId, new Date(at), signal);
        await io.save({ snapshotId: snap.id });
        return 'done';
      }
      case 'shutdown': {
        const { client, serverId } = this.hetznerClient(plan);
        // The connection ends with the system; the journal is on both sides already.
        this.s.close();
        await hetzner.shutdown(client, serverId, io);
        return 'done';
      }
      case 'change-type': {
        const { client, serverId } = this.hetznerClient(plan);
        await hetzner.changeType(client, serverId, plan.exec.targetName ?? '', plan.exec.options.upgradeDisk, io);
        return 'done';
      }
      case 'poweron': {
        const { client, serverId } = this.hetznerClient(plan);
        await hetzner.powerOn(client, serverId, io);
        return 'done';
      }
      case 'ovh-resize': {
        this.s.close();
        await ovh.resizeInstance(this.ovhProvider(), plan.exec.serverId ?? '', plan.exec.targetName ?? '', io);
        return 'done';
      }
      case 'vps-order': {
        await ovh.orderVpsUpgrade(this.ovhProvider(), plan.exec.serverId ?? '', plan.exec.targetName ?? '', plan.exec.orderPrice, io);
        return 'done';
      }
      case 'vps-wait': {
        this.s.close();
        await ovh.waitVpsUpgraded(this.ovhProvider(), plan.exec.serverId ?? '', plan.exec.targetName ?? '', io);
        return 'done';
      }
      case 'wait-ssh': {
        io.progress('upgrade.progress.waitSsh', {}, null);
        await this.deps.waitForSsh(signal);
        await this.s.reopen(signal);
        // The lock was kept on the server's disk through the reboot; this run takes it back.
        await this.lock();
        return 'done';
      }
      case 'tuning':
        return this.s.step(composeOverrideStep(this.deps.after), prefix, { signal, onLine });
      case 'restart':
        return this.s.step(composeUpStep(this.deps.after), prefix, { signal, onLine });
      case 'health': {
        try {
          await this.s.step(healthStep(this.deps.after), prefix, { signal, onLine });
        } catch (error) {
          if (error instanceof AppError && error.code === 'deploy.health_timeout') throw new AppError('upgrade.health_failed', { when: 'after', services: String(error.params.services ?? '') });
          throw error;
        }
        return 'done';
      }
      case 'record': {
        await this.deps.recordProfile();
        // What another computer reads to recognise the deployment, now at its new phase.
        await this.s.open();
        await this.s.remote.installFile(descriptionFile(this.profileId, this.deps.after));
        // Watched again at the new phase first, so the figures after are the new deployment's (a move to K3s: the cluster's, not the old server's).
        await this.deps.onRecorded?.().catch(() => undefined);
        this.journal.after ??= await this.deps.health().catch(() => null);
        return 'done';
      }
      case 'cluster':
      case 'dns-ttl':
      case 'freeze':
      case 'cluster-restore':
      case 'cluster-health':
      case 'dns-switch':
      case 'cutover': {
        const migration = plan.view.migration;
        if (!migration || !this.deps.toK3s) throw new AppError('internal.unexpected', { method: `upgrade.${id}` });
        const backupId = this.journal.steps.backup?.data?.backupId;
        return runToK3sStep(id, { s: this.s, migration, io, backupId: typeof backupId === 'string' ? backupId : null, deps: this.deps.toK3s, signal });
      }
      // Phase 3 → 4 is a checklist (to-phase4.ts), never run here.
      case 'p4-prod':
      case 'p4-checks':
      case 'p4-replicate':
      case 'p4-bluegreen':
      case 'p4-dns':
        throw new AppError('internal.unexpected', { method: `upgrade.${id}` });
      case 'keep-previous':
      case 'checkout':
      case 'env-update':
      case 'pull':
      case 'rollback':
        return runVersionStep(id, { s: this.s, after: this.deps.after, runId: this.journal.runId, jobPrefix: prefix, io, redact: this.deps.redact ?? ((t) => t) });
      default: {
        const never: never = id;
        throw new AppError('internal.unexpected', { method: `upgrade.${String(never)}` });
      }
    }
  }
}

export function runView(j: UpgradeJournal): UpgradeRun {
  const backupId = j.steps.backup?.data?.backupId;
  return {
    runId: j.runId,
    kind: j.kind,
    route: j.route,
    toPhase: j.toPhase,
    planHash: j.planHash,
    outcome: j.outcome,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    steps: j.order.map((id) => ({ id, state: j.steps[id]?.state ?? 'pending', startedAt: j.steps[id]?.startedAt, endedAt: j.steps[id]?.endedAt, titleParams: j.plan.view.steps.find((s) => s.id === id)?.titleParams })),
    downtimeMs: j.downtime.startedAt !== null && j.downtime.endedAt !== null ? j.downtime.endedAt - j.downtime.startedAt : null,
    before: j.before,
    after: j.after,
    backupId: typeof backupId === 'string' ? backupId : null,
    error: j.error,
    ...k3sView(j),
    ...(j.plan.view.version ? { ref: j.plan.view.version.to.ref, rollback: j.rollback ?? null } : {}),
  };
}

/** Phase 2 → 3: what the run waits for, and the propagation seen at the last check. */
function k3sView(j: UpgradeJournal): Pick<UpgradeRun, 'waitingFor' | 'propagation'> {
  if (j.kind !== 'phase-2-3') return {};
  const what = j.error?.code === 'upgrade.confirm_needed' ? j.error.params.what : null;
  const views = j.steps['dns-switch']?.data?.views;
  const expected = j.plan.view.migration?.dns.changes.map((c) => c.to) ?? [];
  return { waitingFor: what === 'ttl' || what === 'cutover' ? what : null, propagation: typeof views === 'string' ? decodeViews(views, expected) : [] };
}
