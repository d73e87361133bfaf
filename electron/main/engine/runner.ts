import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { ExecResult } from '../ssh/connection';
import { recognizeFailure, type KnownFailure } from './failure-patterns';
import { parseRemoteJournal, JOURNAL_VERSION, type Journal, type LocalJournalStore, type StepRecord } from './journal';
import { LockKeeper, lockedParams, remoteLockTarget, type LockTiming } from './lock-keeper';
import type { Remote } from './remote';
import type { Action, RemoteCommand, Step, StepState } from './types';

// Runs a list of steps on one server: lock, journal, check → apply → verify, detached long work,
// cancel, resume. Orchestration only; what to run comes from the pure step builders.

export interface StepEvent {
  runId: string;
  stepId: string;
  state: StepState;
  durationMs?: number;
  error?: ReturnType<AppError['toEnvelope']>;
}

export interface LogEvent {
  runId: string;
  stepId: string;
  stream: 'stdout' | 'stderr' | 'engine';
  line: string;
}

export interface RunnerDeps {
  remote: Remote;
  journals: LocalJournalStore;
  profileId: string;
  /** Who runs: the user, the computer's name, and its lock id (run-identity.ts machineId). */
  owner: { owner: string; machine: string; machineId?: string };
  /** The server lock: heartbeat period and staleness (defaults 20 s / 90 s); tests shorten them. */
  lock?: LockTiming;
  /** Masks every registered secret; applied to every line before it leaves the engine. */
  redact: (text: string) => string;
  /**
   * A redactor for one output stream (Logger.streamRedactor): a secret cut across two chunks of SSH output
   * is still masked. Without it, output is redacted line by line once whole lines have arrived.
   */
  redactStream?: () => { push(chunk: string): string; flush(): string };
  onStep: (event: StepEvent) => void;
  onLog: (event: LogEvent) => void;
  now?: () => Date;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Start a new run even if a journal of an unfinished run exists (default: resume it). */
  fresh?: boolean;
}

export interface RunResult {
  runId: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  failedStep: string | null;
  error: AppError | null;
  /** SSH round trips used by this run (the re-run figure). */
  roundTrips: number;
}

const MAX_LINE = 4000;

/** Plan identity: a journal resumes only the plan it was written for. Secrets do not enter the hash. */
export function planHash(steps: Step[]): string {
  const h = createHash('sha256');
  for (const s of steps) {
    h.update(s.id);
    for (const a of s.apply) h.update(a.kind === 'run' ? a.command.script : `${a.file.path}:${a.file.secret ? 'secret' : a.file.content}`);
  }
  return h.digest('hex').slice(0, 32);
}

/** Output lines of a step kept to recognise its failure (the end of the output says why). */
const OUTPUT_LINES = 200;

export class StepRunner {
  private journal: Journal | null = null;
  private readonly now: () => Date;
  /** The current step's last output lines (redacted), to recognise a known failure from. */
  private stepOutput: string[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(steps: Step[], opts: RunOptions = {}): Promise<RunResult> {
    const { remote } = this.deps;
    const startTrips = remote.conn.roundTrips;
    const hash = planHash(steps);
    this.journal = await this.resumableJournal(hash, opts.fresh ?? false);
    const runId = this.journal.runId;
    // One lock per run attempt: a second run of the same journal (another window, web mode beside the CLI)
    // has its own lock id and is refused while this one runs.
    const acquired = await LockKeeper.acquire({
      target: remoteLockTarget(() => remote),
      owner: { runId, owner: this.deps.owner.owner, machine: this.deps.owner.machine, since: this.now().toISOString(), ...(this.deps.owner.machineId ? { machineId: this.deps.owner.machineId } : {}) },
      withProcess: true,
      ...this.deps.lock,
    });
    if (!acquired.ok) {
      throw new AppError('deploy.locked', { ...lockedParams(acquired.holder), holder: acquired.reason === 'alive_here' ? 'this_computer' : 'other' });
    }
    this.lock = acquired.keeper;
    try {
      if (acquired.takenOver) this.log('lock', 'engine', `resuming: the lock of run ${acquired.takenOver.holder.runId} was taken over (${acquired.takenOver.reason.replace(/_/g, ' ')})`);
      return await this.runLocked(steps, opts, runId, startTrips);
    } finally {
      acquired.keeper.stop();
    }
  }

  private lock: LockKeeper | null = null;

  private get lockLost(): boolean {
    return this.lock?.lost ?? false;
  }

  private async runLocked(steps: Step[], opts: RunOptions, runId: string, startTrips: number): Promise<RunResult> {
    const { remote } = this.deps;
    const journal = this.journal!;
    let failedStep: string | null = null;
    let error: AppError | null = null;
    let outcome: RunResult['outcome'] = 'succeeded';
    try {
      journal.outcome = 'running';
      await this.saveLocal();
      for (const step of steps) {
        if (this.lockLost) throw new AppError('deploy.lock_lost', { runId });
        if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
        await this.runStep(step, opts.signal);
      }
    } catch (e) {
      error = e instanceof AppError ? e : new AppError('internal.unexpected', { method: 'deploy' });
      if (this.lockLost && error.code !== 'deploy.lock_lost') error = new AppError('deploy.lock_lost', { runId });
      outcome = error.code === 'deploy.cancelled' ? 'cancelled' : 'failed';
      failedStep = Object.entries(journal.steps).find(([, r]) => r.state === 'running' || r.state === 'failed' || r.state === 'cancelled')?.[0] ?? null;
    }
    const roundTrips = () => remote.conn.roundTrips - startTrips - (this.lock?.heartbeats ?? 0);
    // Another run holds the server now: it owns the journals; this one writes nothing more.
    if (this.lockLost) return { runId, outcome, failedStep, error, roundTrips: roundTrips() };
    // The server must learn the outcome and get its lock back. If the connection is gone, even after
    // the last step, the run is not finished: it stays resumable, and the next run completes it.
    let finalized = false;
    if (!remote.conn.isClosed) {
      journal.outcome = outcome;
      journal.finishedAt = this.now().toISOString();
      try {
        await this.saveRemote();
        // Still holding the lock: old finished jobs' folders go (engine/remote.ts keeps the newest and unfinished).
        if (outcome === 'succeeded') await remote.pruneJobs().catch(() => undefined);
        if (error?.code !== 'ssh.disconnected') await this.lock!.release();
        finalized = true;
      } catch {
        /* handled below */
      }
    }
    if (!finalized && error === null) {
      error = new AppError('ssh.disconnected', { host: remote.conn.target.host });
      outcome = 'failed';
    }
    journal.outcome = outcome;
    journal.finishedAt = this.now().toISOString();
    await this.saveLocal();
    return { runId, outcome, failedStep, error, roundTrips: roundTrips() };
  }

  /** The unfinished run to resume (newest of local and server journals for the same plan), or a new one. */
  private async resumableJournal(hash: string, fresh: boolean): Promise<Journal> {
    const local = await this.deps.journals.read(this.deps.profileId);
    const remoteText = await this.deps.remote.readJournal();
    const remote = remoteText ? parseRemoteJournal(remoteText) : null;
    const candidates = [local, remote].filter((j): j is Journal => !!j && j.planHash === hash && j.outcome !== 'succeeded');
    candidates.sort((a, b) => Object.keys(b.steps).length - Object.keys(a.steps).length || b.startedAt.localeCompare(a.startedAt));
    const resumable = fresh ? undefined : candidates[0];
    if (resumable) {
      // A step that was being applied when the run stopped will be re-checked (or re-attached).
      return structuredClone(resumable);
    }
    return {
      version: JOURNAL_VERSION,
      runId: `${this.now().toISOString().slice(0, 10)}-${randomBytes(5).toString('hex')}`,
      profileId: this.deps.profileId,
      planHash: hash,
      startedAt: this.now().toISOString(),
      finishedAt: null,
      outcome: 'running',
      steps: {},
    };
  }

  private record(stepId: string): StepRecord {
    const j = this.journal!;
    j.steps[stepId] ??= { state: 'pending' };
    return j.steps[stepId]!;
  }

  private async setState(step: Step, state: StepState, extra: Partial<StepRecord> = {}, remote = false, startedMs?: number): Promise<void> {
    const rec = this.record(step.id);
    Object.assign(rec, extra, { state });
    if (state === 'running' && !rec.startedAt) rec.startedAt = this.now().toISOString();
    if (state === 'done' || state === 'skipped' || state === 'failed' || state === 'cancelled') rec.endedAt = this.now().toISOString();
    await this.saveLocal();
    if (remote) await this.saveRemote();
    this.deps.onStep({
      runId: this.journal!.runId,
      stepId: step.id,
      state,
      ...(startedMs !== undefined ? { durationMs: Math.round(performance.now() - startedMs) } : {}),
      ...(extra.error ? { error: new AppError('deploy.step_failed', { step: step.id, exitCode: extra.error }).toEnvelope() } : {}),
    });
  }

  private async saveLocal(): Promise<void> {
    if (this.lockLost) throw new AppError('deploy.lock_lost', { runId: this.journal!.runId });
    await this.deps.journals.write(this.journal!);
  }

  /** Only while this run holds the lock (checked on the server in the same script): never over a successor's journal. */
  private async saveRemote(): Promise<void> {
    if (this.lockLost) throw new AppError('deploy.lock_lost', { runId: this.journal!.runId });
    const held = await this.deps.remote.writeJournal(JSON.stringify(this.journal), this.lock?.lockId);
    if (held === 'lost') {
      this.lock?.markLost();
      throw new AppError('deploy.lock_lost', { runId: this.journal!.runId });
    }
  }

  private log(stepId: string, stream: LogEvent['stream'], text: string): void {
    for (const line of this.deps.redact(text).split('\n')) this.emitLine(stepId, stream, line);
  }

  /** One redacted line to the UI and the log; a command's output is also kept for recognising known failures. */
  private emitLine(stepId: string, stream: LogEvent['stream'], redacted: string): void {
    if (redacted.length === 0) return;
    const line = redacted.slice(0, MAX_LINE);
    this.deps.onLog({ runId: this.journal!.runId, stepId, stream, line });
    if (stream === 'engine') return;
    this.stepOutput.push(line);
    if (this.stepOutput.length > OUTPUT_LINES) this.stepOutput.splice(0, this.stepOutput.length - OUTPUT_LINES);
  }

  /**
   * Where one stream of a command's output goes: through a stream redactor (a secret split across chunks
   * is caught), then cut into whole lines, each redacted once more, so the UI and the log get lines.
   */
  private outputSink(stepId: string, stream: 'stdout' | 'stderr'): { push(chunk: string): void; end(): void } {
    const redactor = this.deps.redactStream?.() ?? null;
    let pending = '';
    const emit = (text: string, final: boolean) => {
      pending += text;
      const lines = pending.split(/\r?\n|\r/u);
      pending = final ? '' : (lines.pop() ?? '');
      // A line that never ends (a progress bar) still shows, in pieces.
      while (pending.length > MAX_LINE && redactor) {
        lines.push(pending.slice(0, MAX_LINE));
        pending = pending.slice(MAX_LINE);
      }
      for (const line of lines) if (line.length > 0) this.emitLine(stepId, stream, this.deps.redact(line));
    };
    return {
      push: (chunk) => emit(redactor ? redactor.push(chunk) : chunk, false),
      end: () => emit(redactor ? redactor.flush() : '', true),
    };
  }

  private async runStep(step: Step, signal: AbortSignal | undefined): Promise<void> {
    const rec = this.record(step.id);
    this.stepOutput = [];
    if (rec.state === 'done' || rec.state === 'skipped') {
      this.deps.onStep({ runId: this.journal!.runId, stepId: step.id, state: rec.state });
      return;
    }
    const started = performance.now();
    // Interrupted while applying detached work: follow it to its end instead of starting it again.
    if (rec.state === 'running' && rec.job) {
      await this.setState(step, 'running', {}, false, started);
      await this.finishJob(step, rec.job, signal);
      await this.verifyAndFinish(step, started);
      return;
    }
    await this.setState(step, 'checking');
    if (step.check) {
      const r = await this.exec(step, step.check, signal);
      if (r.code === 0) {
        await this.setState(step, 'skipped', {}, false, started);
        return;
      }
    }
    // One line per step applied: the log (and the last run's record after a restart) says where it was.
    // Written before the journal says "running", so a crash right after the state change keeps the line.
    const attempt = (rec.attempt ?? 0) + 1;
    this.log(step.id, 'engine', `applying (attempt ${attempt})`);
    await this.setState(step, 'running', { job: undefined, attempt }, true, started);
    for (const [index, action] of step.apply.entries()) {
      if (signal?.aborted) {
        await this.setState(step, 'cancelled', {}, true, started);
        throw new AppError('deploy.cancelled');
      }
      await this.applyAction(step, action, index, signal, started);
    }
    await this.verifyAndFinish(step, started);
  }

  private async applyAction(step: Step, action: Action, index: number, signal: AbortSignal | undefined, started: number): Promise<void> {
    if (action.kind === 'file') {
      this.log(step.id, 'engine', `write ${action.file.path} (${action.file.mode.toString(8)}, ${action.file.owner})`);
      await this.deps.remote.installFile(action.file);
      return;
    }
    if (action.command.detached) {
      // Unique per attempt: a retried (or cancelled then resumed) step starts a new job, while a
      // resumed attempt finds its own job and follows it instead of starting it twice.
      const job = `${this.journal!.runId}-${step.id}-${index}-${this.record(step.id).attempt ?? 1}`;
      // Journal first, then start: a crash in between finds the job id and starts it exactly once.
      await this.setState(step, 'running', { job }, true, started);
      await this.deps.remote.launch(job, action.command);
      await this.finishJob(step, job, signal);
      return;
    }
    const r = await this.exec(step, action.command, signal);
    if (r.code !== 0) {
      await this.setState(step, 'failed', { error: String(r.code ?? r.signal ?? 'timeout') }, true, started);
      throw this.stepError(step, r.code, r.stderr);
    }
  }

  private async finishJob(step: Step, job: string, cancel: AbortSignal | undefined): Promise<void> {
    const remote = this.deps.remote;
    if (!(await remote.jobExists(job, 'root'))) {
      const action = step.apply.find((a) => a.kind === 'run' && a.command.detached);
      if (!action || action.kind !== 'run') throw new AppError('internal.unexpected', { method: 'deploy.resume' });
      await remote.launch(job, action.command);
    }
    const out = this.outputSink(step.id, 'stdout');
    // The lock lost to another computer stops a detached job (a pull, a build, `up`) there, rather than leave it
    // running beside the other run; short commands end by themselves and the run stops at its next state change.
    const lost = this.lock!.lostSignal;
    const signal = cancel ? AbortSignal.any([cancel, lost]) : lost;
    const onAbort = () => void remote.cancelJob(job, 'root').catch(() => undefined);
    // Cancelled before we got here (e.g. while the job was being started): stop it now.
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let code = -1;
    try {
      code = await remote.attach(job, 'root', 0, {
        signal,
        onOutput: (chunk) => out.push(chunk),
      });
    } catch (error) {
      // Cancelling closes the channel that follows the job: that is not a lost connection.
      if (!signal?.aborted) throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      out.end();
    }
    if (signal?.aborted) {
      await this.setState(step, 'cancelled', {}, true);
      throw new AppError('deploy.cancelled');
    }
    if (code !== 0) {
      await this.setState(step, 'failed', { error: String(code) }, true);
      throw this.stepError(step, code, '');
    }
  }

  private async verifyAndFinish(step: Step, started: number): Promise<void> {
    if (step.verify) {
      const r = await this.exec(step, step.verify);
      if (r.code !== 0) {
        await this.setState(step, 'failed', { error: String(r.code) }, true, started);
        const known = recognizeFailure(this.stepOutput.join('\n'), r.code);
        throw known ? this.knownError(step, known) : new AppError('deploy.verify_failed', { step: step.id });
      }
    }
    await this.setState(step, 'done', {}, true, started);
  }

  private async exec(step: Step, command: RemoteCommand, signal?: AbortSignal): Promise<ExecResult> {
    const sinks = { stdout: this.outputSink(step.id, 'stdout'), stderr: this.outputSink(step.id, 'stderr') };
    let r: ExecResult;
    try {
      r = await this.deps.remote.run(command, { signal, onOutput: (stream, chunk) => sinks[stream].push(chunk) });
    } finally {
      sinks.stdout.end();
      sinks.stderr.end();
    }
    if (signal?.aborted) {
      await this.setState(step, 'cancelled', {}, true);
      throw new AppError('deploy.cancelled');
    }
    return r;
  }

  /**
   * Exit codes the step builders reserve for failures that have their own explanation, then the known
   * system messages in the step's output (failure-patterns.ts), then the plain "step failed".
   */
  private stepError(step: Step, code: number | null, stderr: string): AppError {
    const tail = this.deps.redact(stderr).trim().split('\n').pop() ?? '';
    if (code === 3) return new AppError('deploy.unsupported_os', { os: tail.replace(/^unsupported_os\s*/, '').slice(0, 80) || '?' });
    if (code === 4) return new AppError('deploy.health_timeout', { services: tail.replace(/^unhealthy\s*/, '').slice(0, 200) || '?' });
    // Issue 11, by step (exit 5 of wait-ready means something else): a copy started by the repository's scripts,
    // a registry that refuses, an image that cannot be pulled, a tuned combination `docker compose config` refuses,
    // a compose file that changed since the recipe.
    if (code === 5 && step.id === 'adopt-check') {
      const [, project = '?', ...names] = tail.split(/\s+/);
      return new AppError('deploy.adopt_required', { project: project.slice(0, 64), containers: names.join(', ').slice(0, 300) || '?' });
    }
    if (code === 6 && (step.id === 'registry-login' || step.id === 'compose-pull')) return new AppError('deploy.registry_denied', { registry: tail.replace(/^registry_denied\s*/, '').slice(0, 200) || '?' });
    if (code === 7 && step.id === 'compose-pull') return new AppError('deploy.pull_failed', { detail: tail.replace(/^pull_failed\s*/, '').slice(0, 300) || '?' });
    if (code === 8 && step.id === 'compose-override') return new AppError('deploy.override_invalid', { detail: tail.replace(/^override_invalid\s*/, '').slice(0, 300) || '?' });
    if (code === 9 && step.id === 'bind-local') return new AppError('deploy.recipe_outdated', { file: tail.replace(/^recipe_outdated\s*/, '').slice(0, 300) || '?' });
    const known = recognizeFailure(this.stepOutput.join('\n'), code);
    if (known) return this.knownError(step, known);
    return new AppError('deploy.step_failed', { step: step.id, exitCode: String(code ?? 'timeout') });
  }

  private knownError(step: Step, known: KnownFailure): AppError {
    const { host, user } = this.deps.remote.conn.target;
    return new AppError(known.code, { step: step.id, host, user, ...known.params });
  }
}
