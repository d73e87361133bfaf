import { createHash, randomBytes } from 'node:crypto';
import type { EventName, EventPayload } from '../../shared/contract';
import type { K3sPrompt, K3sStepId, K3sStepState, Preflight, Topology } from '../../shared/contract-k3s';
import { AppError } from '../../shared/errors';
import { recognizeFailure } from '../engine/failure-patterns';
import { JOURNAL_VERSION, parseRemoteJournal, type Journal, type LocalJournalStore, type StepRecord } from '../engine/journal';
import { LockKeeper, lockedParams, type LockTarget, type LockTiming } from '../engine/lock-keeper';
import type { ClusterState } from '../health/k3s';
import type { StreamRedactor } from '../redaction';
import type { K3sHost, TerminalJob } from './host';
import { JobOffsets, RunOutput } from './output';
import { parsePlanSummary, PromptWatcher } from './prompts';
import { kubeconfigScript, kubeconfigSource, type K3sRunSettings, type K3sRunStep } from './steps';

// One K3s run, step by step: the journal (here, and in the workspace of a control host) and the run lock, each
// terminal step under its pseudo-terminal with its output redacted on the way (a secret split across chunks
// included), questions bridged to the screens, the Terraform plan approved before it is applied, cancel
// (Ctrl-C, then stop), a lost connection to a control host followed by a re-attach that replays what was missed,
// then the kubeconfig and the cluster's nodes and pods. Orchestration only: what runs comes from steps.ts.

export interface K3sRunDeps {
  host: K3sHost;
  /** What runs; asked again after the pre-flight (which may choose OpenTofu for Terraform). */
  build: () => { settings: K3sRunSettings; steps: K3sRunStep[] };
  profileId: string;
  journals: LocalJournalStore;
  owner: { owner: string; machine: string };
  /** The variables, handed to each terminal step as environment. */
  env: Record<string, string>;
  /** The app logger's redaction (every registered secret), for the lines the run writes itself. */
  redact: (text: string) => string;
  /**
   * A redactor for one terminal stream (Logger.streamRedactor): every registered secret, including one cut
   * across two chunks or one whose beginning showed before a pause.
   */
  redactStream: () => StreamRedactor;
  /** The run's log file (redacted output). */
  logFile: (runId: string) => string;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  info: (line: string) => void;
  topology: Topology;
  preflight: () => Promise<Preflight>;
  onKubeconfig: (yaml: string) => Promise<void>;
  readCluster: (yaml: string) => Promise<ClusterState>;
  /** Output silent this long after a line without newline: an unknown prompt. Default 1.5 s. */
  stallMs?: number;
  /** Re-attach attempts after a lost connection, and the wait before each (× attempt). */
  reconnect?: { attempts: number; delayMs: number };
  /** Cancel: how long after Ctrl-C the step is stopped. */
  stopAfterMs?: number;
  /** The cluster check: how many reads, and the wait between them, until a node is Ready. */
  clusterWait?: { attempts: number; delayMs: number };
  /** The control host's lock: heartbeat period and staleness (lock-keeper.ts defaults); tests shorten them. */
  lock?: LockTiming;
  /** Offsets already seen of control-host jobs (a re-attach in the same session starts there). */
  seen?: Map<string, number>;
  now?: () => Date;
}

export interface K3sRunResult {
  runId: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  failedStep: string | null;
  error: AppError | null;
  /** The step goes on on the control host: start again to re-attach. */
  detached: boolean;
}

/** Exit codes of the app's own scripts (checkout, preparation) that have their own explanation. */
const SCRIPT_EXITS: Record<number, (host: string, step: string) => AppError> = {
  41: (host) => new AppError('k3s.prerequisites_missing', { host }),
  42: (_h, step) => new AppError('k3s.checksum_mismatch', { step }),
  44: () => new AppError('k3s.ref_not_found', {}),
  45: () => new AppError('k3s.kubeconfig_missing', { path: '' }),
  46: (host) => new AppError('k3s.tool_broken', { host }),
  47: (host) => new AppError('k3s.tmux_missing', { host }),
};

/** Errors after which a control host's step is still running: follow it again once the connection is back. */
const CONNECTION_LOST = new Set<string>(['ssh.disconnected', 'ssh.connect_failed', 'ssh.connection_refused', 'ssh.timeout', 'ssh.unreachable', 'ssh.host_not_found']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function k3sPlanHash(steps: readonly K3sRunStep[], environment: string): string {
  const h = createHash('sha256').update(environment);
  for (const s of steps) h.update(`${s.id}\n${s.script ?? s.command}\n`);
  return h.digest('hex').slice(0, 32);
}

/** A K3s host's lock (a control host's workspace, or a folder here) as the lock keeper's target. */
function hostLockTarget(host: K3sHost): LockTarget {
  return {
    acquire: async (owner, opts) => {
      const r = await host.lock({ runId: owner.runId, owner: owner.owner, machine: owner.machine, since: owner.since }, { staleAfterSeconds: opts.staleAfterSeconds });
      return r.ok ? { ok: true, takenOver: null } : { ok: false, holder: r.holder ? { ...r.holder, heartbeatAgeSeconds: null } : null, reason: 'held' };
    },
    heartbeat: async (lockId) => (host.heartbeat ? host.heartbeat(lockId) : 'held'),
    release: async (lockId) => {
      await host.unlock(lockId);
      return 'released';
    },
    get reachable() {
      return host.connected;
    },
  };
}

/** Colours, cursor moves and carriage returns out: the terminal's text as the failure patterns read it. */
export function terminalText(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][A-Z0-9]/gu, '').replace(/\r(?!\n)/gu, '\n').replace(/\r\n/gu, '\n');
}

/**
 * A failed terminal step: a known cause in its output (engine/failure-patterns.ts — an OVH quota, an unreachable
 * cluster or node, a full disk…) gives its own message and remedy, like a compose deploy; else the exit code.
 */
export function k3sStepError(step: string, output: string, exitCode: number | null, host: string): AppError {
  const known = recognizeFailure(terminalText(output).slice(-20_000), exitCode);
  if (known) return new AppError(known.code, { step, host, ...known.params });
  return new AppError('k3s.step_failed', { step, exitCode: String(exitCode ?? 'signal') });
}

export class K3sRun {
  private journal!: Journal;
  private job: TerminalJob | null = null;
  private cancelled = false;
  private declined = false;
  private promptSeq = 0;
  private pendingAnswer: ((a: 'yes' | 'no' | 'cancelled') => void) | null = null;
  private output: RunOutput | null = null;
  /** How far each control-host job's output is in the log, kept across app restarts. */
  private jobOffsets!: JobOffsets;
  private readonly now: () => Date;
  private settings!: K3sRunSettings;
  private steps: K3sRunStep[] = [];
  prompt: K3sPrompt | null = null;
  runId = '';
  private lock!: LockKeeper;

  constructor(private readonly d: K3sRunDeps) {
    this.now = d.now ?? (() => new Date());
  }

  get outputBytes(): number {
    return this.output?.offset ?? 0;
  }

  async run(opts: { fresh?: boolean } = {}): Promise<K3sRunResult> {
    ({ settings: this.settings, steps: this.steps } = this.d.build());
    const hash = k3sPlanHash(this.steps, this.settings.environment);
    this.journal = await this.resumable(hash, opts.fresh ?? false);
    this.runId = this.journal.runId;
    // The run id holds the lock: a run re-attaching to its step on a control host takes its own lock back.
    const lock = await LockKeeper.acquire({
      target: hostLockTarget(this.d.host),
      owner: { runId: this.runId, owner: this.d.owner.owner, machine: this.d.owner.machine, since: this.now().toISOString() },
      lockId: this.runId,
      noHeartbeat: !this.d.host.heartbeat,
      ...this.d.lock,
    });
    if (!lock.ok) throw new AppError('k3s.locked', lockedParams(lock.holder));
    this.lock = lock.keeper;
    this.output = new RunOutput({ file: this.d.logFile(this.runId), emit: (c) => this.d.emit('k3s.output', { profileId: this.d.profileId, runId: this.runId, ...c }) });
    await this.output.open();
    this.jobOffsets = new JobOffsets(JobOffsets.fileFor(this.d.logFile(this.runId)));
    await this.jobOffsets.load();
    let result: K3sRunResult = { runId: this.runId, outcome: 'succeeded', failedStep: null, error: null, detached: false };
    try {
      this.journal.outcome = 'running';
      this.journal.finishedAt = null;
      await this.save();
      for (let i = 0; i < this.steps.length; i++) {
        if (this.cancelled) throw new AppError('k3s.cancelled');
        if (this.lock.lost) throw new AppError('deploy.lock_lost', { runId: this.runId });
        await this.runStep(this.steps[i]!);
        if (this.steps[i]!.id === 'preflight') ({ settings: this.settings, steps: this.steps } = this.d.build());
      }
    } catch (e) {
      const error = e instanceof AppError ? e : new AppError('internal.unexpected', { method: 'k3s.run' });
      if (!(e instanceof AppError)) this.d.info(`k3s ${this.d.profileId}: ${e instanceof Error ? e.message : String(e)}`);
      const cancelled = error.code === 'k3s.cancelled' || error.code === 'k3s.declined';
      const failedStep = Object.entries(this.journal.steps).find(([, r]) => r.state === 'running' || r.state === 'failed' || r.state === 'cancelled')?.[0] ?? null;
      const detached = error.code === 'ssh.disconnected' && !!failedStep && !!this.journal.steps[failedStep]?.job;
      result = { runId: this.runId, outcome: cancelled ? 'cancelled' : 'failed', failedStep, error, detached };
    }
    this.setPrompt(null);
    this.journal.outcome = result.detached ? 'running' : result.outcome;
    this.journal.finishedAt = result.detached ? null : this.now().toISOString();
    await this.save().catch(() => undefined);
    // A step still running on the control host keeps the lock there (heartbeats stop): the re-attach takes it back.
    if (result.detached) this.lock.stop();
    else await this.lock.release().catch(() => undefined);
    await this.output.close();
    await this.jobOffsets.save();
    return result;
  }

  // ---- from the screens --------------------------------------------------------------------------

  /** The user's answer to the question on screen; false when that question is gone. */
  async answer(promptId: string, answer: 'yes' | 'no'): Promise<boolean> {
    if (!this.prompt || this.prompt.id !== promptId) return false;
    if (answer === 'no') this.declined = true;
    const pending = this.pendingAnswer;
    if (pending) {
      this.pendingAnswer = null;
      this.setPrompt(null);
      pending(answer);
      return true;
    }
    if (!this.job) return false;
    await this.job.write(`${answer}\r`);
    return true;
  }

  /** A line (or keys) typed in the terminal input. */
  async input(text: string): Promise<boolean> {
    if (!this.job) return false;
    await this.job.write(text);
    return true;
  }

  /** Ctrl-C, then — if the step does not end by itself — stop it. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.pendingAnswer) {
      const pending = this.pendingAnswer;
      this.pendingAnswer = null;
      pending('cancelled');
    }
    const job = this.job;
    if (!job) return;
    await job.interrupt().catch(() => undefined);
    const stop = setTimeout(() => void job.stop().catch(() => undefined), this.d.stopAfterMs ?? 10_000);
    void job.done.finally(() => clearTimeout(stop)).catch(() => undefined);
  }

  // ---- journal -----------------------------------------------------------------------------------

  private async resumable(hash: string, fresh: boolean): Promise<Journal> {
    const local = await this.d.journals.read(this.d.profileId);
    const remoteText = await this.d.host.readJournal?.().catch(() => null);
    const remote = remoteText ? parseRemoteJournal(remoteText) : null;
    const candidates = [local, remote].filter((j): j is Journal => !!j && j.planHash === hash && j.outcome !== 'succeeded');
    candidates.sort((a, b) => Object.keys(b.steps).length - Object.keys(a.steps).length || b.startedAt.localeCompare(a.startedAt));
    const resume = fresh ? undefined : candidates[0];
    if (resume) return structuredClone(resume);
    return {
      version: JOURNAL_VERSION,
      runId: `${this.now().toISOString().slice(0, 10)}-${randomBytes(5).toString('hex')}`,
      profileId: this.d.profileId,
      planHash: hash,
      startedAt: this.now().toISOString(),
      finishedAt: null,
      outcome: 'running',
      steps: {},
    };
  }

  private async save(): Promise<void> {
    await this.d.journals.write(this.journal);
    if (this.d.host.writeJournal && this.d.host.connected) await this.d.host.writeJournal(JSON.stringify(this.journal)).catch(() => undefined);
  }

  private record(id: string): StepRecord {
    this.journal.steps[id] ??= { state: 'pending' };
    return this.journal.steps[id]!;
  }

  private async setState(id: K3sStepId, state: K3sStepState, extra: Partial<StepRecord> = {}, started?: number, error?: AppError): Promise<void> {
    const rec = this.record(id);
    Object.assign(rec, extra, { state });
    if (state === 'running' && !rec.startedAt) rec.startedAt = this.now().toISOString();
    if (state === 'done' || state === 'skipped' || state === 'failed' || state === 'cancelled') rec.endedAt = this.now().toISOString();
    await this.save();
    this.d.emit('k3s.step', {
      profileId: this.d.profileId,
      runId: this.runId,
      stepId: id,
      state,
      ...(started !== undefined ? { durationMs: Math.round(performance.now() - started) } : {}),
      ...(error ? { error: error.toEnvelope() } : {}),
    });
    this.d.info(`k3s ${this.d.profileId} step ${id} ${state}`);
  }

  private banner(step: K3sRunStep): void {
    // The step's command as a coloured line in the terminal, so the output reads like a session.
    this.output?.write(step.id, `\r\n\u001b[1;36m▶ ${this.d.redact(step.command)}\u001b[0m\r\n`);
  }

  /** Unique across runs and resumes: an answer meant for an old question never reaches a new one. */
  private promptId(stepId: K3sStepId): string {
    return `${stepId}-${++this.promptSeq}-${randomBytes(3).toString('hex')}`;
  }

  private setPrompt(prompt: K3sPrompt | null): void {
    if (this.prompt === null && prompt === null) return;
    this.prompt = prompt;
    this.d.emit('k3s.prompt', { profileId: this.d.profileId, runId: this.runId, prompt });
  }

  // ---- steps -------------------------------------------------------------------------------------

  private async runStep(step: K3sRunStep): Promise<void> {
    const rec = this.record(step.id);
    if (step.id !== 'preflight' && (rec.state === 'done' || rec.state === 'skipped')) {
      this.d.emit('k3s.step', { profileId: this.d.profileId, runId: this.runId, stepId: step.id, state: rec.state });
      return;
    }
    const started = performance.now();
    const attempt = rec.state === 'running' && rec.job ? (rec.attempt ?? 1) : (rec.attempt ?? 0) + 1;
    await this.setState(step.id, 'running', { attempt }, started);
    try {
      if (step.id === 'preflight') await this.preflight();
      else if (step.id === 'kubeconfig') await this.kubeconfig();
      else if (step.id === 'cluster') await this.cluster();
      else if (step.script) await this.terminal(step, attempt);
      await this.setState(step.id, 'done', {}, started);
    } catch (e) {
      const error = e instanceof AppError ? e : new AppError('internal.unexpected', { method: `k3s.${step.id}` });
      if (error.code === 'ssh.disconnected' && rec.job) throw error; // still running over there: stays 'running'
      await this.setState(step.id, error.code === 'k3s.cancelled' || error.code === 'k3s.declined' ? 'cancelled' : 'failed', { error: error.code.slice(0, 200) }, started, error);
      throw error;
    }
  }

  private async preflight(): Promise<void> {
    const p = await this.d.preflight();
    const lines = [...p.tools.map((t) => `${t.id}: ${t.found ?? '—'} (≥ ${t.minimum}${t.action === 'install' ? `, ${t.pinned} will be installed` : ''})`), ...p.variables.map((v) => `${v.name}: ${v.present ? v.source : 'missing'}`)];
    this.output?.write('preflight', `${lines.join('\r\n')}\r\n`);
    if (!p.ok) throw new AppError('k3s.preflight_failed', { problems: p.problems.map((x) => x.params.name ?? x.params.tool ?? x.code).join(', ') });
  }

  private async terminal(step: K3sRunStep, attempt: number): Promise<void> {
    const jobId = `${this.runId}-${step.id}-${attempt}`;
    const rec = this.record(step.id);
    const existing = rec.job === jobId ? await this.d.host.jobState(jobId).catch(() => 'none' as const) : 'none';
    // Where the job's output stands in the log: this session's (after a cut), or the saved one (after an app
    // restart). A job that is attached again goes on from there: each byte of its output is in the log once.
    const known = existing === 'none' ? undefined : (this.d.seen?.get(jobId) ?? this.jobOffsets.get(jobId));
    if (known === undefined) this.banner(step);
    // Journal first, then start: a crash in between finds the job id and attaches to it instead of starting twice.
    if (rec.job !== jobId) await this.setState(step.id, 'running', { job: jobId });
    const redactor = this.d.redactStream();
    let stepText = '';
    let idle: ReturnType<typeof setTimeout> | null = null;
    const emit = (text: string) => {
      if (!text) return;
      this.output?.write(step.id, text);
      stepText = (stepText + text).slice(-65_536);
      watcher.push(text);
    };
    const watcher = new PromptWatcher({
      stallMs: this.d.stallMs ?? 1500,
      onPrompt: (p) => this.setPrompt({ id: this.promptId(step.id), stepId: step.id, kind: p.kind, question: p.question, context: p.context, summary: p.summary, topology: p.kind === 'unknown' ? null : this.d.topology }),
      onResolved: () => this.setPrompt(null),
    });
    let offset = known ?? 0;
    let end: { exitCode: number | null } | null = null;
    for (let tries = 0; end === null; ) {
      let job: TerminalJob | null = null;
      try {
        job = await this.d.host.startJob(jobId, step.script!, this.d.env, offset);
        this.job = job;
        if (tries > 0) this.d.emit('k3s.connection', { profileId: this.d.profileId, runId: this.runId, stepId: step.id, state: 'back', attempt: tries });
        const attached = job;
        const checkpoint = () => {
          if (attached.offset !== undefined && !redactor.holding) this.jobOffsets.set(jobId, attached.offset);
        };
        job.onData((chunk) => {
          if (idle) clearTimeout(idle);
          emit(redactor.push(chunk));
          checkpoint();
          // What is held back (a possible start of a secret) still shows if the stream pauses: a prompt must.
          idle = redactor.holding
            ? setTimeout(() => {
                emit(redactor.flush());
                checkpoint();
              }, 250)
            : null;
        });
        if (this.cancelled) void this.cancel();
        end = await job.done;
      } catch (e) {
        // The connection went, or cannot be opened again yet: the step goes on over there.
        const lost = e instanceof AppError && CONNECTION_LOST.has(e.code) && this.d.host.where.runner === 'remote';
        const attempts = this.d.reconnect?.attempts ?? 8;
        void this.jobOffsets.save();
        if (!lost || this.cancelled || tries >= attempts) {
          if (job?.offset !== undefined) this.d.seen?.set(jobId, job.offset);
          throw lost ? new AppError('ssh.disconnected', { host: this.d.host.where.host ?? '' }) : e;
        }
        tries++;
        this.d.emit('k3s.connection', { profileId: this.d.profileId, runId: this.runId, stepId: step.id, state: 'lost', attempt: tries });
        if (job?.offset !== undefined) offset = job.offset;
        this.d.seen?.set(jobId, offset);
        this.d.info(`k3s ${this.d.profileId}: connection lost during ${step.id}, re-attaching from byte ${offset} (attempt ${tries})`);
        await sleep((this.d.reconnect?.delayMs ?? 2000) * tries);
      } finally {
        this.job = null;
      }
    }
    if (idle) clearTimeout(idle);
    emit(redactor.flush());
    watcher.stop();
    this.setPrompt(null);
    await this.d.host.discardJob(jobId).catch(() => undefined);
    this.d.seen?.delete(jobId);
    this.jobOffsets.delete(jobId);
    if (this.declined) throw new AppError('k3s.declined');
    if (this.cancelled) throw new AppError('k3s.cancelled');
    if (end.exitCode !== 0) {
      const special = end.exitCode !== null && (step.id === 'prepare' || step.id === 'checkout') ? SCRIPT_EXITS[end.exitCode] : undefined;
      if (special) throw special(this.d.host.where.host ?? 'localhost', step.id);
      throw k3sStepError(step.id, stepText, end.exitCode, this.d.host.where.host ?? 'localhost');
    }
    if (step.id === 'terraform-plan') await this.approvePlan(stepText);
  }

  /** The app drives Terraform: the plan just made is shown, and applied only once the user approves it. */
  private async approvePlan(planOutput: string): Promise<void> {
    const summary = parsePlanSummary(planOutput);
    const answer = await new Promise<'yes' | 'no' | 'cancelled'>((resolve) => {
      this.pendingAnswer = resolve;
      this.setPrompt({ id: this.promptId('terraform-plan'), stepId: 'terraform-plan', kind: 'terraform-approve', question: 'Do you want to perform these actions?', context: '', summary, topology: this.d.topology });
    });
    this.setPrompt(null);
    if (answer === 'cancelled') throw new AppError('k3s.cancelled');
    if (answer === 'no') throw new AppError('k3s.declined');
  }

  private kubeconfigYaml: string | null = null;

  private async kubeconfig(): Promise<void> {
    const source = kubeconfigSource(this.settings);
    if (!source) throw new AppError('k3s.kubeconfig_missing', { path: '' });
    const r = await this.d.host.exec(kubeconfigScript(this.settings, source), { env: this.d.env, timeoutMs: 120_000 });
    const where = source.kind === 'file' ? source.path : `${source.dir} (terraform output kubeconfig)`;
    if (r.code !== 0 || !r.stdout.trim()) throw new AppError('k3s.kubeconfig_missing', { path: where });
    this.kubeconfigYaml = r.stdout;
    await this.d.onKubeconfig(r.stdout);
    this.output?.write('kubeconfig', `kubeconfig: ${where}\r\n`);
  }

  private async cluster(): Promise<void> {
    const yaml = this.kubeconfigYaml;
    if (!yaml) throw new AppError('k3s.kubeconfig_missing', { path: '' });
    const wait = this.d.clusterWait ?? { attempts: 20, delayMs: 3000 };
    let last: ClusterState | null = null;
    for (let i = 0; i < wait.attempts; i++) {
      if (this.cancelled) throw new AppError('k3s.cancelled');
      try {
        last = await this.d.readCluster(yaml);
        if (last.nodes.some((n) => n.ready)) break;
      } catch (e) {
        if (i === wait.attempts - 1) throw e;
      }
      await sleep(wait.delayMs);
    }
    const ready = last?.nodes.filter((n) => n.ready).length ?? 0;
    this.output?.write('cluster', `nodes: ${ready}/${last?.nodes.length ?? 0} ready, pods: ${last?.pods.length ?? 0}\r\n`);
    if (ready === 0) throw new AppError('k3s.cluster_not_ready', { ready, total: last?.nodes.length ?? 0 });
  }
}
