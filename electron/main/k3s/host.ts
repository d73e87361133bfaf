import type { K3sWhere } from './where';

// Where a K3s run happens: this computer (a local pseudo-terminal, pty-local.ts) or a control host over SSH (a
// tmux session there, pty-remote.ts). The run (run.ts) only sees this interface.

export interface ExecOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JobEnd {
  /** null when it ended on a signal. */
  exitCode: number | null;
}

/** A command running under a pseudo-terminal. */
export interface TerminalJob {
  readonly id: string;
  /** Terminal output as it comes (colours included), from where the job was (re)attached. */
  onData(listener: (chunk: string) => void): void;
  /** Types into the terminal (an answer, a line of the terminal input). */
  write(text: string): Promise<void>;
  /** Ctrl-C: SIGINT to the job's foreground process group. */
  interrupt(): Promise<void>;
  /** Ends the job and everything it started. */
  stop(): Promise<void>;
  /** Resolves when the job ended; rejects with AppError('ssh.disconnected') when the connection was lost. */
  readonly done: Promise<JobEnd>;
  /** Control host: bytes of the job's output received so far (a re-attach starts there). */
  readonly offset?: number;
}

export interface LockHolder {
  runId: string;
  owner: string;
  machine: string;
  since: string;
}

export interface K3sHost {
  /** Resolves the workspace (the home folder over there) and opens what the host needs; call once first. */
  init(): Promise<void>;
  readonly where: K3sWhere;
  /** The run's folder on that machine (absolute). */
  readonly workspace: string;
  /** A control host's pinned tools folder, null on this computer. */
  readonly toolsRoot: string | null;
  /** A short bash script, output captured (pre-flight, kubeconfig); `env` as environment only. */
  exec(script: string, opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<ExecOutcome>;
  /**
   * Starts the job, or — on a control host, where jobs outlive the connection — attaches to the one already
   * running or finished under this id, its output replayed from `offset` bytes.
   */
  startJob(job: string, script: string, env: Record<string, string>, offset: number): Promise<TerminalJob>;
  /** Whether a job of this id exists there: never started, still running, or finished (its exit code kept). */
  jobState(job: string): Promise<'none' | 'running' | 'finished'>;
  /** Forgets a finished job's raw output there (what the app keeps is redacted, in its data folder). */
  discardJob(job: string): Promise<void>;
  lock(owner: LockHolder, opts?: { staleAfterSeconds?: number }): Promise<{ ok: true } | { ok: false; holder: LockHolder | null }>;
  /**
   * A control host's lock goes stale without heartbeats (engine/lock-keeper.ts): 'lost' when it is someone
   * else's now. Absent on this computer, where the lock is a folder of the data folder held by a live process.
   */
  heartbeat?(runId: string): Promise<'held' | 'lost'>;
  unlock(runId: string): Promise<void>;
  /** A copy of the journal over there (a control host), so a run can resume from another computer. */
  readJournal?(): Promise<string | null>;
  writeJournal?(json: string): Promise<void>;
  /** Whether the connection is still up (always true on this computer). */
  readonly connected: boolean;
  close(): void;
}
