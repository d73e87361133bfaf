import { AppError } from '../../shared/errors';
import { Remote } from '../engine/remote';
import { DEFAULT_LAYOUT } from '../engine/types';
import type { SshConnection } from '../ssh/connection';
import { shQuote } from '../ssh/quote';
import type { ExecOutcome, JobEnd, K3sHost, LockHolder, TerminalJob } from './host';
import {
  discardScript,
  envPayload,
  envScript,
  followScript,
  inputScript,
  interruptScript,
  launchScript,
  stateScript,
  stopScript,
  type TmuxPaths,
} from './tmux-scripts';
import type { K3sWhere } from './where';

// A control host as the place a K3s run happens, over one SSH connection (re-opened after a cut): everything as the
// login user in `~/.koprogo-deploy` (tools, workspace, tmux socket), each terminal step detached in tmux
// (tmux-scripts.ts), its output followed by byte offset. The run lock is the engine's (engine/remote.ts), in the
// workspace: one run per deployment at a time, whoever starts it.

export interface RemoteHostOptions {
  /** Opens a verified connection (pinned host key, the deployment's key): DeployService.connect. */
  connect: () => Promise<SshConnection>;
  profileId: string;
  host: string;
}

export class RemoteK3sHost implements K3sHost {
  workspace = '';
  toolsRoot: string | null = null;
  where: K3sWhere;
  private paths: TmuxPaths = { workspace: '', socket: '' };
  private conn: SshConnection | null = null;
  private opening: Promise<SshConnection> | null = null;

  constructor(private readonly opts: RemoteHostOptions) {
    this.where = { runner: 'remote', via: 'ssh', os: 'Linux', arch: '', distro: null, host: opts.host };
  }

  get connected(): boolean {
    return !!this.conn && !this.conn.isClosed;
  }

  /** The live connection, re-opened when it was lost. */
  async connection(): Promise<SshConnection> {
    if (this.conn && !this.conn.isClosed) return this.conn;
    this.opening ??= this.opts.connect().finally(() => (this.opening = null));
    this.conn = await this.opening;
    return this.conn;
  }

  async init(): Promise<void> {
    const conn = await this.connection();
    const r = await conn.exec('printf "%s\\n%s\\n%s\\n" "$HOME" "$(uname -s)" "$(uname -m)"', { timeoutMs: 30_000 });
    const [home = '', os = 'Linux', arch = ''] = r.stdout.split('\n');
    if (r.code !== 0 || !home.startsWith('/')) throw new AppError('k3s.workspace_failed', { path: '~/.koprogo-deploy', reason: r.stderr.trim().slice(0, 160) || 'HOME' });
    const root = `${home.replace(/\/+$/, '')}/.koprogo-deploy`;
    this.workspace = `${root}/k3s/${this.opts.profileId}`;
    this.toolsRoot = `${root}/tools`;
    this.paths = { workspace: this.workspace, socket: `${root}/tmux` };
    this.where = { ...this.where, os, arch };
  }

  async exec(script: string, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecOutcome> {
    const conn = await this.connection();
    // Values as base64 inside the script (stdin), decoded into the environment by builtins: never an argument.
    const prelude = Object.entries(opts.env ?? {})
      .map(([k, v]) => `export ${k}="$(printf '%s' ${shQuote(Buffer.from(v).toString('base64'))} | base64 -d)"`)
      .join('\n');
    const r = await conn.run(prelude ? `${prelude}\n${script}` : script, { timeoutMs: opts.timeoutMs ?? 120_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  async startJob(job: string, script: string, env: Record<string, string>, offset: number): Promise<TerminalJob> {
    const conn = await this.connection();
    const r = await conn.run(launchScript(this.paths, job, script));
    if (r.code !== 0) {
      if (r.code === 47) throw new AppError('k3s.tmux_missing', { host: this.opts.host });
      throw new AppError('k3s.job_failed', { step: job, reason: r.stderr.trim().split('\n').pop()?.slice(0, 160) ?? '' });
    }
    if (r.stdout.split('\n').includes('env')) {
      const sent = await conn.exec(`sh -c ${shQuote(envScript(this.paths, job))}`, { stdin: envPayload(env), timeoutMs: 60_000 });
      if (sent.code !== 0) throw new AppError('k3s.job_failed', { step: job, reason: 'environment' });
    }
    return new RemoteJob(this, job, offset);
  }

  followScript(job: string, offset: number): string {
    return followScript(this.paths, job, offset);
  }

  /** Runs one of the job's small control scripts; its text goes on stdin. */
  async control(script: string, stdin?: string): Promise<number | null> {
    const conn = await this.connection();
    const r = stdin === undefined ? await conn.run(script, { timeoutMs: 30_000 }) : await conn.exec(`sh -c ${shQuote(script)}`, { stdin, timeoutMs: 30_000 });
    return r.code;
  }

  input(job: string, text: string): Promise<number | null> {
    return this.control(inputScript(this.paths, job), text);
  }

  interrupt(job: string): Promise<number | null> {
    return this.control(interruptScript(this.paths, job));
  }

  stop(job: string): Promise<number | null> {
    return this.control(stopScript(this.paths, job));
  }

  async jobState(job: string): Promise<'none' | 'running' | 'finished'> {
    const conn = await this.connection();
    const r = await conn.run(stateScript(this.paths, job), { timeoutMs: 30_000 });
    const s = r.stdout.trim();
    return s === 'running' || s === 'finished' ? s : 'none';
  }

  async discardJob(job: string): Promise<void> {
    await this.control(discardScript(this.paths, job));
  }

  private async remote(): Promise<Remote> {
    // 'root' privilege here means "no sudo": the lock lives in the login user's own workspace.
    return new Remote(await this.connection(), 'root', { ...DEFAULT_LAYOUT, stateDir: `${this.workspace}/state` });
  }

  async readJournal(): Promise<string | null> {
    return (await this.remote()).readJournal();
  }

  async writeJournal(json: string): Promise<void> {
    await (await this.remote()).writeJournal(json);
  }

  async lock(owner: LockHolder, opts: { staleAfterSeconds?: number } = {}): Promise<{ ok: true } | { ok: false; holder: LockHolder | null }> {
    return (await this.remote()).acquireLock(owner, opts);
  }

  async heartbeat(runId: string): Promise<'held' | 'lost'> {
    return (await this.remote()).heartbeat(runId);
  }

  async unlock(runId: string): Promise<void> {
    await (await this.remote()).releaseLock(runId);
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }
}

class RemoteJob implements TerminalJob {
  readonly done: Promise<JobEnd>;
  private readonly listeners: ((chunk: string) => void)[] = [];
  /** The end of a character split across two reads, kept for the next one. */
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of the job's log passed on so far: where a re-attach starts (a split character is read again). */
  offset: number;

  constructor(
    private readonly host: RemoteK3sHost,
    readonly id: string,
    offset: number,
  ) {
    this.offset = offset;
    this.done = this.follow();
  }

  private async follow(): Promise<JobEnd> {
    const conn = await this.host.connection();
    const r = await conn.exec('sh -s', {
      stdin: this.host.followScript(this.id, this.offset),
      onStdoutBytes: (bytes) => {
        const all = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
        const cut = utf8Boundary(all);
        this.pending = all.subarray(cut);
        if (cut === 0) return;
        this.offset += cut;
        const text = all.subarray(0, cut).toString('utf8');
        for (const l of this.listeners) l(text);
      },
    });
    const last = r.stderr.trim().split('\n').pop() ?? '';
    if (last === 'lost') throw new AppError('k3s.job_lost', { step: this.id });
    const code = Number.parseInt(last, 10);
    if (r.code === null || Number.isNaN(code)) throw new AppError('ssh.disconnected', { host: conn.target.host });
    return { exitCode: code };
  }

  onData(listener: (chunk: string) => void): void {
    this.listeners.push(listener);
  }

  async write(text: string): Promise<void> {
    await this.host.input(this.id, text);
  }

  async interrupt(): Promise<void> {
    await this.host.interrupt(this.id);
  }

  async stop(): Promise<void> {
    await this.host.stop(this.id);
  }
}

/** Where the last complete UTF-8 character of `buf` ends (a character cut by the read stays for the next one). */
export function utf8Boundary(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
