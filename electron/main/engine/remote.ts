import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { ExecResult, Privilege, SshConnection } from '../ssh/connection';
import { shQuote } from '../ssh/quote';
import { heredocTo } from './heredoc';
import type { HostLayout, RemoteCommand, RemoteFile } from './types';

// What the engine does on a server, as few round trips as possible: run a command (as the login
// user or root), install a file atomically, hold the run lock, read/write the journal, and run
// long commands detached from the SSH session.

export interface OutputSink {
  (stream: 'stdout' | 'stderr', chunk: string): void;
}

export const LOCK_BUSY_EXIT = 75;

export const lockOwnerSchema = z.object({
  runId: z.string().max(80),
  owner: z.string().max(100),
  machine: z.string().max(100),
  since: z.string().max(40),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

export class Remote {
  constructor(
    readonly conn: SshConnection,
    readonly privilege: Privilege,
    readonly layout: HostLayout,
  ) {}

  run(command: Pick<RemoteCommand, 'script' | 'as' | 'timeoutMs'>, opts: { onOutput?: OutputSink; signal?: AbortSignal } = {}): Promise<ExecResult> {
    const asRoot = command.as === 'root' && this.privilege === 'sudo';
    return this.conn.run(command.script, {
      privilege: asRoot ? 'sudo' : 'user',
      timeoutMs: command.timeoutMs,
      signal: opts.signal,
      onStdout: opts.onOutput ? (c) => opts.onOutput!('stdout', c) : undefined,
      onStderr: opts.onOutput ? (c) => opts.onOutput!('stderr', c) : undefined,
    });
  }

  root(script: string, opts: { onOutput?: OutputSink; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.run({ script, as: 'root', timeoutMs: opts.timeoutMs }, opts);
  }

  /**
   * Writes a file with its owner and mode. The content travels over SFTP into a private temp file of
   * the login user (never on a command line), then root installs it next to the target and renames it
   * over, so readers see the old file or the new one, never half of it.
   */
  async installFile(file: RemoteFile): Promise<void> {
    const dir = await this.privateTempDir();
    const tmp = `${dir}/${randomBytes(8).toString('hex')}`;
    await this.conn.upload(tmp, file.content, 0o600);
    const target = shQuote(file.path);
    const staged = shQuote(`${file.path}.koprogo-new`);
    const script = [
      'set -eu',
      `mkdir -p "$(dirname ${target})"`,
      `install -m ${file.mode.toString(8).padStart(4, '0')} -o ${shQuote(file.owner)} -g ${shQuote(file.group)} ${shQuote(tmp)} ${staged}`,
      `mv -f ${staged} ${target}`,
      `rm -f ${shQuote(tmp)}`,
    ].join('\n');
    const r = await this.root(script);
    if (r.code !== 0) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path: file.path, reason: lastLine(r.stderr) });
  }

  private tempDir: string | null = null;

  private async privateTempDir(): Promise<string> {
    if (this.tempDir) return this.tempDir;
    const r = await this.conn.exec('umask 077; d="$HOME/.cache/koprogo-deploy"; mkdir -p "$d"; chmod 700 "$d"; printf %s "$d"');
    if (r.code !== 0 || !r.stdout.startsWith('/')) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path: '~/.cache/koprogo-deploy', reason: lastLine(r.stderr) });
    this.tempDir = r.stdout;
    return this.tempDir;
  }

  // ---- lock --------------------------------------------------------------------------------------

  /**
   * Takes the server's run lock (an atomic mkdir) unless another run holds it. A lock left by the
   * same run (resume after a crash) is taken over.
   */
  async acquireLock(owner: LockOwner): Promise<{ ok: true } | { ok: false; holder: LockOwner | null }> {
    const dir = shQuote(`${this.layout.stateDir}/lock`);
    const script = [
      'set -eu',
      `mkdir -p ${shQuote(this.layout.stateDir)}`,
      `chmod 700 ${shQuote(this.layout.stateDir)}`,
      `if mkdir ${dir} 2>/dev/null; then`,
      heredocTo(`${dir}/owner.json`, JSON.stringify(owner)).trimEnd(),
      '  exit 0',
      'fi',
      `if grep -q ${shQuote(`"runId":"${owner.runId}"`)} ${dir}/owner.json 2>/dev/null; then exit 0; fi`,
      `cat ${dir}/owner.json 2>/dev/null || true`,
      `exit ${LOCK_BUSY_EXIT}`,
    ].join('\n');
    const r = await this.root(script);
    if (r.code === 0) return { ok: true };
    if (r.code === LOCK_BUSY_EXIT) {
      try {
        const holder = lockOwnerSchema.safeParse(JSON.parse(r.stdout));
        return { ok: false, holder: holder.success ? holder.data : null };
      } catch {
        return { ok: false, holder: null };
      }
    }
    throw new AppError('deploy.step_failed', { step: 'lock', exitCode: String(r.code) });
  }

  async releaseLock(runId: string): Promise<void> {
    const dir = shQuote(`${this.layout.stateDir}/lock`);
    await this.root(`if grep -q ${shQuote(`"runId":"${runId}"`)} ${dir}/owner.json 2>/dev/null; then rm -rf ${dir}; fi`);
  }

  /** After the user confirmed that nobody else is deploying. */
  async breakLock(): Promise<void> {
    await this.root(`rm -rf ${shQuote(`${this.layout.stateDir}/lock`)}`);
  }

  // ---- journal -----------------------------------------------------------------------------------

  async readJournal(): Promise<string | null> {
    const r = await this.root(`cat ${shQuote(`${this.layout.stateDir}/journal.json`)} 2>/dev/null || true`);
    return r.stdout.trim() === '' ? null : r.stdout;
  }

  /** The journal holds step ids, states and times only, never secrets: a here-document is fine. */
  async writeJournal(json: string): Promise<void> {
    const path = `${this.layout.stateDir}/journal.json`;
    const tmp = shQuote(`${path}.tmp`);
    const r = await this.root(['set -eu', `mkdir -p ${shQuote(this.layout.stateDir)}`, heredocTo(tmp, json).trimEnd(), `mv -f ${tmp} ${shQuote(path)}`].join('\n'));
    if (r.code !== 0) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path, reason: lastLine(r.stderr) });
  }

  // ---- detached jobs -----------------------------------------------------------------------------

  private jobDir(job: string): string {
    return `${this.layout.stateDir}/runs/${job}`;
  }

  /**
   * Starts `command` detached (its own session, output in a log file, exit code in a file). Starting
   * the same job id twice does nothing the second time: a resumed run never applies twice.
   */
  async launch(job: string, command: RemoteCommand): Promise<void> {
    const d = shQuote(this.jobDir(job));
    const wrapper = `echo $$ > "$1/pid"; sh "$1/script.sh" > "$1/log" 2>&1; echo $? > "$1/exit.tmp"; mv "$1/exit.tmp" "$1/exit"`;
    const script = [
      'set -eu',
      `mkdir -p ${shQuote(`${this.layout.stateDir}/runs`)}`,
      `if mkdir ${d} 2>/dev/null; then`,
      heredocTo(`${d}/script.sh`, command.script).trimEnd(),
      `  setsid sh -c ${shQuote(wrapper)} sh ${d} < /dev/null > /dev/null 2>&1 &`,
      `  while [ ! -f ${d}/pid ]; do sleep 0.05; done`,
      'fi',
    ].join('\n');
    const r = await this.run({ script, as: command.as });
    if (r.code !== 0) throw new AppError('deploy.step_failed', { step: job, exitCode: String(r.code) });
  }

  /** Whether the job was ever started on the server. */
  async jobExists(job: string, as: RemoteCommand['as']): Promise<boolean> {
    const r = await this.run({ script: `[ -d ${shQuote(this.jobDir(job))} ]`, as });
    return r.code === 0;
  }

  /**
   * Follows a detached job's log from `offset` bytes until it ends and returns its exit code. If the
   * connection drops, call it again with the bytes already seen.
   */
  async attach(job: string, as: RemoteCommand['as'], offset: number, opts: { onOutput?: (chunk: string) => void; signal?: AbortSignal }): Promise<number> {
    const d = shQuote(this.jobDir(job));
    const script = [
      `while [ ! -f ${d}/pid ]; do sleep 0.1; done`,
      `tail -c +${offset + 1} -s 0.2 -f --pid="$(cat ${d}/pid)" ${d}/log 2>/dev/null || true`,
      `while [ ! -f ${d}/exit ]; do sleep 0.1; done`,
      `cat ${d}/exit >&2`,
    ].join('\n');
    const r = await this.run({ script, as }, { signal: opts.signal, onOutput: (stream, chunk) => stream === 'stdout' && opts.onOutput?.(chunk) });
    const code = Number.parseInt(r.stderr.trim().split('\n').pop() ?? '', 10);
    if (Number.isNaN(code)) throw new AppError('ssh.disconnected', { host: this.conn.target.host });
    return code;
  }

  /** Stops a detached job and everything it started (its whole process group). */
  async cancelJob(job: string, as: RemoteCommand['as']): Promise<void> {
    const d = shQuote(this.jobDir(job));
    // `kill -TERM -PGID` (dash's kill takes no `--`): the job runs in its own session, so its pid is
    // its process group and this reaches everything it started.
    await this.run({ script: `if [ -f ${d}/pid ] && [ ! -f ${d}/exit ]; then kill -TERM -"$(cat ${d}/pid)" 2>/dev/null || true; fi`, as });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 160) ?? '';
}
