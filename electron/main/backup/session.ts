import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { Remote } from '../engine/remote';
import type { ComposeDeploySettings, RemoteCommand, Step } from '../engine/types';
import type { SshConnection } from '../ssh/connection';

// One SSH session to a deployment's server for the backup and upgrade work, which outlives cuts: a new
// connection on demand (same pinned host key), detached jobs (the engine's launch/attach: the work goes
// on on the server while the connection is gone, and is followed again afterwards), and an engine Step
// run as the runner does it (check → apply → verify) without the runner's own journal and lock (the
// upgrade holds the lock and keeps its own journal).

export interface SessionDeps {
  connect: (profile: Profile) => Promise<SshConnection>;
  redact: (text: string) => string;
  log: (line: string) => void;
}

export interface Login {
  user: string;
  group: string;
  /** The login user's private folder (0700) for staged downloads and uploads. */
  cacheDir: string;
}

function retryable(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'ssh.disconnected' || error.code === 'ssh.timeout' || error.code === 'ssh.connection_refused' || error.code === 'ssh.unreachable');
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('deploy.cancelled'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(new AppError('deploy.cancelled'))), { once: true });
  });

export class Session {
  private connection: SshConnection | null = null;
  private remoteOf: Remote | null = null;
  private loginOf: Login | null | undefined;

  constructor(
    readonly profile: Profile,
    readonly settings: ComposeDeploySettings,
    private readonly deps: SessionDeps,
    private readonly opts: { reconnects?: number; backoffMs?: number } = {},
  ) {}

  get conn(): SshConnection {
    if (!this.connection) throw new AppError('ssh.disconnected', { host: this.profile.server?.host ?? '' });
    return this.connection;
  }

  get remote(): Remote {
    if (!this.remoteOf) throw new AppError('ssh.disconnected', { host: this.profile.server?.host ?? '' });
    return this.remoteOf;
  }

  get connected(): boolean {
    return !!this.connection && !this.connection.isClosed;
  }

  /** Connects (again): a closed or cut connection is replaced. */
  async open(): Promise<this> {
    if (this.connected) return this;
    this.connection?.close();
    const conn = await this.deps.connect(this.profile);
    try {
      this.remoteOf = new Remote(conn, await conn.privilege(), this.settings.layout);
    } catch (error) {
      conn.close();
      throw error;
    }
    this.connection = conn;
    return this;
  }

  /** A new connection, retried with backoff while the server does not answer (e.g. rebooting). */
  async reopen(signal?: AbortSignal): Promise<void> {
    this.connection?.close();
    const tries = this.opts.reconnects ?? 6;
    for (let i = 0; ; i++) {
      try {
        await this.open();
        return;
      } catch (error) {
        if (!retryable(error) || i >= tries || signal?.aborted) throw error;
        await pause((this.opts.backoffMs ?? 1000) * 2 ** Math.min(i, 5), signal);
      }
    }
  }

  close(): void {
    this.connection?.close();
    this.connection = null;
    this.remoteOf = null;
  }

  /** The login user, its group and private folder; null when the login is root (nothing to stage). */
  async login(): Promise<Login | null> {
    if (this.loginOf !== undefined) return this.loginOf;
    if (this.remote.privilege === 'root') return (this.loginOf = null);
    const r = await this.conn.exec('umask 077; d="$HOME/.cache/koprogo-deploy"; mkdir -p "$d"; chmod 700 "$d"; printf "%s\\n" "$d"; id -un; id -gn');
    const [cacheDir, user, group] = r.stdout.trim().split('\n');
    if (r.code !== 0 || !cacheDir?.startsWith('/') || !user || !group) throw new AppError('ssh.exec_failed', { host: this.conn.target.host });
    return (this.loginOf = { cacheDir, user, group });
  }

  /**
   * Runs `command` as a detached job named `job` and returns its whole output and exit code. A cut
   * connection does not stop the job: a new connection follows it to its end (from the start of its
   * log, so the output is complete). Starting the same job name again only follows it.
   */
  async job(job: string, command: Pick<RemoteCommand, 'script' | 'as'>, opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<{ code: number; output: string }> {
    let cuts = 0;
    for (;;) {
      try {
        await this.open();
        await this.remote.launch(job, { ...command, detached: true });
        let output = '';
        let pending = '';
        const onAbort = () => void this.remote.cancelJob(job, command.as).catch(() => undefined);
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const code = await this.remote.attach(job, command.as, 0, {
            signal: opts.signal,
            onOutput: (chunk) => {
              output += chunk;
              pending += chunk;
              const lines = pending.split('\n');
              pending = lines.pop() ?? '';
              for (const l of lines) opts.onLine?.(this.deps.redact(l));
            },
          });
          if (pending) opts.onLine?.(this.deps.redact(pending));
          return { code, output };
        } finally {
          opts.signal?.removeEventListener('abort', onAbort);
        }
      } catch (error) {
        if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
        if (!retryable(error) || cuts >= (this.opts.reconnects ?? 6)) throw error;
        cuts++;
        this.deps.log(`job ${job}: connection lost, following it again (${cuts})`);
        await this.reopen(opts.signal);
      }
    }
  }

  /** A short command as root, retried once on a new connection after a cut (only for commands safe to repeat). */
  async root(script: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.open();
        return await this.remote.root(script, opts);
      } catch (error) {
        if (!retryable(error) || attempt >= 1 || opts.signal?.aborted) throw error;
        await this.reopen(opts.signal);
      }
    }
  }

  /** A step's command (the step builders make them safe to repeat): run again on a new connection after a cut. */
  private async command(command: RemoteCommand, opts: { signal?: AbortSignal; onLine?: (line: string) => void }): Promise<{ code: number; output: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.open();
        const r = await this.remote.run(command, { signal: opts.signal, onOutput: (_s, chunk) => chunk.split('\n').forEach((l) => l && opts.onLine?.(this.deps.redact(l))) });
        return { code: r.code ?? -1, output: r.stderr };
      } catch (error) {
        if (!retryable(error) || attempt >= 2 || opts.signal?.aborted) throw error;
        await this.reopen(opts.signal);
      }
    }
  }

  /**
   * An engine step as the runner applies it: skipped when its check passes, else its actions (files
   * installed atomically, commands, detached ones as jobs named after `jobPrefix`), then its verify.
   */
  async step(step: Step, jobPrefix: string, opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<'skipped' | 'done'> {
    if (step.check) {
      const r = await this.root(step.check.script, { timeoutMs: step.check.timeoutMs, signal: opts.signal });
      if (r.code === 0) return 'skipped';
    }
    for (const [index, action] of step.apply.entries()) {
      if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
      if (action.kind === 'file') {
        await this.open();
        opts.onLine?.(`write ${action.file.path} (${action.file.mode.toString(8)}, ${action.file.owner})`);
        await this.remote.installFile(action.file);
        continue;
      }
      const run = action.command.detached ? await this.job(`${jobPrefix}-${step.id}-${index}`, action.command, opts) : await this.command(action.command, opts);
      if (run.code !== 0) {
        const tail = this.deps.redact(run.output).trim().split('\n').pop() ?? '';
        if (run.code === 4) throw new AppError('deploy.health_timeout', { services: tail.replace(/^unhealthy\s*/, '').slice(0, 200) || '?' });
        throw new AppError('deploy.step_failed', { step: step.id, exitCode: String(run.code) });
      }
    }
    if (step.verify) {
      const r = await this.root(step.verify.script, { timeoutMs: step.verify.timeoutMs, signal: opts.signal });
      if (r.code !== 0) throw new AppError('deploy.verify_failed', { step: step.id });
    }
    return 'done';
  }
}

export type { Step };
