import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { ExecResult } from '../ssh/connection';
import { recognizeFailure, type KnownFailure } from './failure-patterns';
import { parseRemoteJournal, JOURNAL_VERSION, type Journal, type LocalJournalStore, type StepRecord } from './journal';
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
  owner: { owner: string; machine: string };
  /** Masks every registered secret; applied to every line before it leaves the engine. */
  redact: (text: string) => string;
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
    const lock = await remote.acquireLock({ runId, owner: this.deps.owner.owner, machine: this.deps.owner.machine, since: this.now().toISOString() });
    if (!lock.ok) {
      throw new AppError('deploy.locked', {
        owner: lock.holder?.owner ?? '?',
        machine: lock.holder?.machine ?? '?',
        since: lock.holder?.since ?? '?',
        runId: lock.holder?.runId ?? '?',
      });
    }
    let failedStep: string | null = null;
    let error: AppError | null = null;
    let outcome: RunResult['outcome'] = 'succeeded';
    try {
      this.journal.outcome = 'running';
      await this.saveLocal();
      for (const step of steps) {
        if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
        await this.runStep(step, opts.signal);
      }
    } catch (e) {
      error = e instanceof AppError ? e : new AppError('internal.unexpected', { method: 'deploy' });
      outcome = error.code === 'deploy.cancelled' ? 'cancelled' : 'failed';
      failedStep = Object.entries(this.journal.steps).find(([, r]) => r.state === 'running' || r.state === 'failed' || r.state === 'cancelled')?.[0] ?? null;
    }
    // The server must learn the outcome and get its lock back. If the connection is gone, even after
    // the last step, the run is not finished: it stays resumable, and the next run completes it.
    let finalized = false;
    if (!remote.conn.isClosed) {
      this.journal.outcome = outcome;
      this.journal.finishedAt = this.now().toISOString();
      try {
        await this.saveRemote();
        if (error?.code !== 'ssh.disconnected') await remote.releaseLock(runId);
        finalized = true;
      } catch {
        /* handled below */
      }
    }
    if (!finalized && error === null) {
      error = new AppError('ssh.disconnected', { host: remote.conn.target.host });
      outcome = 'failed';
    }
    this.journal.outcome = outcome;
    this.journal.finishedAt = this.now().toISOString();
    await this.saveLocal();
    return { runId, outcome, failedStep, error, roundTrips: remote.conn.roundTrips - startTrips };
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
    await this.deps.journals.write(this.journal!);
  }

  private async saveRemote(): Promise<void> {
    await this.deps.remote.writeJournal(JSON.stringify(this.journal));
  }

  private log(stepId: string, stream: LogEvent['stream'], text: string): void {
    for (const line of this.deps.redact(text).split('\n')) {
      if (line.length === 0) continue;
      this.deps.onLog({ runId: this.journal!.runId, stepId, stream, line: line.slice(0, 4000) });
      if (stream !== 'engine') this.stepOutput.push(line.slice(0, 4000));
    }
    if (this.stepOutput.length > OUTPUT_LINES) this.stepOutput.splice(0, this.stepOutput.length - OUTPUT_LINES);
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
    await this.setState(step, 'running', { job: undefined, attempt: (rec.attempt ?? 0) + 1 }, true, started);
    // One line per step applied: the log (and the last run's record after a restart) says where it was.
    this.log(step.id, 'engine', `applying (attempt ${this.record(step.id).attempt ?? 1})`);
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

  private async finishJob(step: Step, job: string, signal: AbortSignal | undefined): Promise<void> {
    const remote = this.deps.remote;
    if (!(await remote.jobExists(job, 'root'))) {
      const action = step.apply.find((a) => a.kind === 'run' && a.command.detached);
      if (!action || action.kind !== 'run') throw new AppError('internal.unexpected', { method: 'deploy.resume' });
      await remote.launch(job, action.command);
    }
    let pending = '';
    const onAbort = () => void remote.cancelJob(job, 'root').catch(() => undefined);
    // Cancelled before we got here (e.g. while the job was being started): stop it now.
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let code = -1;
    try {
      code = await remote.attach(job, 'root', 0, {
        signal,
        onOutput: (chunk) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          if (lines.length) this.log(step.id, 'stdout', lines.join('\n'));
        },
      });
    } catch (error) {
      // Cancelling closes the channel that follows the job: that is not a lost connection.
      if (!signal?.aborted) throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (pending) this.log(step.id, 'stdout', pending);
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
    const r = await this.deps.remote.run(command, { signal, onOutput: (stream, chunk) => this.log(step.id, stream, chunk) });
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
    const known = recognizeFailure(this.stepOutput.join('\n'), code);
    if (known) return this.knownError(step, known);
    return new AppError('deploy.step_failed', { step: step.id, exitCode: String(code ?? 'timeout') });
  }

  private knownError(step: Step, known: KnownFailure): AppError {
    const { host, user } = this.deps.remote.conn.target;
    return new AppError(known.code, { step: step.id, host, user, ...known.params });
  }
}
