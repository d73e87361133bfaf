import { spawn as spawnChild } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch as osArch } from 'node:os';
import { join } from 'node:path';
import type * as NodePtyModule from '@lydell/node-pty';
import type { IPty } from '@lydell/node-pty';
import { AppError } from '../../shared/errors';
import type { ExecOutcome, JobEnd, K3sHost, LockHolder, TerminalJob } from './host';
import { heredocTo } from '../engine/heredoc';
import { shQuote } from '../ssh/quote';
import { localCommand, wslEnv, type K3sWhere } from './where';

// This computer as the place a K3s run happens: each terminal step under a pseudo-terminal (node-pty's prebuilt
// fork, loaded on first use), bash natively on macOS and Linux, bash inside WSL on Windows. Variables reach the
// process as environment only (WSLENV names them for WSL). Jobs here end with the app: a resumed run starts the
// interrupted step again (Terraform, Ansible and Helm are made to be re-run).

type NodePty = typeof NodePtyModule;
let ptyModule: Promise<NodePty> | null = null;

/** node-pty, loaded once; null when its native part cannot load on this computer. */
export async function loadPty(): Promise<NodePty | null> {
  ptyModule ??= import('@lydell/node-pty');
  try {
    return await ptyModule;
  } catch {
    ptyModule = null;
    return null;
  }
}

export interface LocalHostOptions {
  dataDir: string;
  profileId: string;
  platform?: NodeJS.Platform;
  /** Windows: the WSL distribution. */
  distro?: string | null;
  /** The environment the runs start from (default: this process's, without the app's own variables). */
  baseEnv?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
}

/** The app's own variables (its data folder, endpoint overrides, Electron's) stay out of the tools' environment. */
const APP_VARIABLE = /^(KOPROGO_(DATA_DIR|GITHUB_|HETZNER_|OVH_|DNS_|PROVIDER_|WEB_)|ELECTRON_|NODE_OPTIONS$)/;

function baseEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !APP_VARIABLE.test(k)));
}

export class LocalK3sHost implements K3sHost {
  readonly toolsRoot = null;
  readonly connected = true;
  readonly where: K3sWhere;
  workspace: string;
  private readonly platform: NodeJS.Platform;
  private readonly jobs = new Map<string, { done: boolean }>();
  private readonly lockDir: string;

  constructor(private readonly opts: LocalHostOptions) {
    this.platform = opts.platform ?? process.platform;
    const wsl = this.platform === 'win32';
    this.where = { runner: 'local', via: wsl ? 'wsl' : 'native', os: this.platform, arch: osArch(), distro: wsl ? (opts.distro ?? null) : null, host: null };
    // Inside WSL the run's files live in the distribution (where bash and the tools are); the lock stays here.
    this.workspace = wsl ? `$HOME/.koprogo-deploy/k3s/${opts.profileId}` : join(opts.dataDir, 'k3s', opts.profileId);
    this.lockDir = join(opts.dataDir, 'k3s', opts.profileId, 'lock');
  }

  async init(): Promise<void> {
    if (this.where.via !== 'wsl' || !this.workspace.startsWith('$HOME')) return;
    const r = await this.exec('printf %s "$HOME"', { timeoutMs: 30_000 });
    const home = r.stdout.trim();
    if (r.code !== 0 || !home.startsWith('/')) throw new AppError('k3s.workspace_failed', { path: this.workspace, reason: r.stderr.trim().slice(0, 160) || 'WSL' });
    this.workspace = `${home}${this.workspace.slice('$HOME'.length)}`;
  }

  private env(vars: Record<string, string>): Record<string, string> {
    const base = baseEnvironment(this.opts.baseEnv ?? process.env);
    if (this.where.via === 'wsl') return wslEnv(base, vars);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v;
    return { ...out, ...vars };
  }

  exec(script: string, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecOutcome> {
    const cmd = localCommand(this.platform, this.where.distro, ['-s']);
    return new Promise((resolve) => {
      const child = spawnChild(cmd.file, cmd.args, { env: this.env(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      let stdout = '';
      let stderr = '';
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', () => resolve({ code: 127, stdout, stderr: stderr || 'bash could not be started' }));
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(script);
    });
  }

  private scriptPath(job: string): string {
    return `${this.workspace}/runs/${job}.sh`;
  }

  async startJob(job: string, script: string, env: Record<string, string>): Promise<TerminalJob> {
    const pty = await loadPty();
    if (!pty) throw new AppError('k3s.pty_unavailable', { platform: this.platform });
    const path = this.scriptPath(job);
    if (this.where.via === 'wsl') {
      const r = await this.exec(`set -eu\numask 077\nmkdir -p ${shQuote(`${this.workspace}/runs`)}\n${heredocTo(shQuote(path), script)}`);
      if (r.code !== 0) throw new AppError('k3s.workspace_failed', { path: this.workspace, reason: r.stderr.trim().slice(0, 160) });
    } else {
      await mkdir(join(this.workspace, 'runs'), { recursive: true, mode: 0o700 });
      await writeFile(path, script, { mode: 0o700 });
    }
    const cmd = localCommand(this.platform, this.where.distro, [path]);
    const term = pty.spawn(cmd.file, cmd.args, {
      name: 'xterm-256color',
      cols: this.opts.cols ?? 120,
      rows: this.opts.rows ?? 32,
      cwd: this.where.via === 'wsl' ? undefined : this.workspace,
      env: { ...this.env(env), TERM: 'xterm-256color', COLORTERM: 'truecolor' },
    });
    const state = { done: false };
    this.jobs.set(job, state);
    return new LocalJob(job, term, this.platform, () => (state.done = true));
  }

  async jobState(job: string): Promise<'none' | 'running' | 'finished'> {
    const j = this.jobs.get(job);
    return !j ? 'none' : j.done ? 'finished' : 'running';
  }

  async discardJob(job: string): Promise<void> {
    if (this.where.via !== 'wsl') await rm(this.scriptPath(job), { force: true });
  }

  // A lock folder in the data folder, like the server's (mkdir is atomic): two windows, or the app and the CLI,
  // never run the same deployment at once. A holder whose process is gone left a stale lock: taken over.
  async lock(owner: LockHolder): Promise<{ ok: true } | { ok: false; holder: LockHolder | null }> {
    await mkdir(join(this.lockDir, '..'), { recursive: true, mode: 0o700 });
    const ownerFile = join(this.lockDir, 'owner.json');
    const record = JSON.stringify({ ...owner, pid: process.pid });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await mkdir(this.lockDir, { mode: 0o700 });
        await writeFile(ownerFile, record, { mode: 0o600 });
        return { ok: true };
      } catch {
        const held = await readFile(ownerFile, 'utf8').then((t) => JSON.parse(t) as LockHolder & { pid?: number }).catch(() => null);
        if (held?.runId === owner.runId || (held && typeof held.pid === 'number' && !alive(held.pid))) {
          await rm(this.lockDir, { recursive: true, force: true });
          continue;
        }
        return { ok: false, holder: held ? { runId: held.runId, owner: held.owner, machine: held.machine, since: held.since } : null };
      }
    }
    return { ok: false, holder: null };
  }

  async unlock(runId: string): Promise<void> {
    const held = await readFile(join(this.lockDir, 'owner.json'), 'utf8').then((t) => JSON.parse(t) as LockHolder).catch(() => null);
    if (held?.runId === runId) await rm(this.lockDir, { recursive: true, force: true });
  }

  close(): void {
    /* nothing held open */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

class LocalJob implements TerminalJob {
  readonly done: Promise<JobEnd>;
  private readonly listeners: ((chunk: string) => void)[] = [];
  private ended = false;

  constructor(
    readonly id: string,
    private readonly term: IPty,
    private readonly platform: NodeJS.Platform,
    onEnd: () => void,
  ) {
    term.onData((chunk) => {
      for (const l of this.listeners) l(chunk);
    });
    this.done = new Promise((resolve) => {
      term.onExit(({ exitCode, signal }) => {
        this.ended = true;
        onEnd();
        resolve({ exitCode: signal ? null : exitCode });
      });
    });
  }

  onData(listener: (chunk: string) => void): void {
    this.listeners.push(listener);
  }

  async write(text: string): Promise<void> {
    if (!this.ended) this.term.write(text);
  }

  async interrupt(): Promise<void> {
    if (this.ended) return;
    // Ctrl-C typed into the terminal: its line discipline sends SIGINT to whatever runs in the foreground (a tool
    // that made its own process group included), exactly as a user pressing it — and as tmux does on a control host.
    this.term.write('\x03');
  }

  async stop(): Promise<void> {
    if (this.ended) return;
    if (this.platform === 'win32') {
      this.term.kill();
      return;
    }
    signalGroup(this.term.pid, 'SIGTERM');
    const forced = setTimeout(() => signalGroup(this.term.pid, 'SIGKILL'), 3000);
    await this.done;
    clearTimeout(forced);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
