// Small process helpers for the test fixtures: run a command, collect its output, never hang.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
}

/** Runs a command to completion; never rejects for a non-zero exit (see runOk). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command and returns its stdout; rejects with the command and its stderr when it fails. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    throw new Error(`${[cmd, ...args].join(' ')} failed (${res.code ?? res.signal}): ${(res.stderr || res.stdout).trim()}`);
  }
  return res.stdout;
}

/** Test fixtures quote with the app's own tested function. */
export { shQuote as shq } from '../ssh/quote';

/** Fails with a clear message unless the process runs as root (the fixtures create users, sudoers files, daemons). */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${what} needs root (it creates a system user, a sudoers entry or a Docker engine). ` +
        'Run the integration tests as root, e.g. through .ci/run or `sudo npx vitest run electron/main/testing`.',
    );
  }
}

/** Fails with a clear message when a system program the fixture needs is missing. */
export function requireFiles(files: Record<string, string>): void {
  const missing = Object.entries(files).filter(([, f]) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `Missing system components: ${missing.map(([pkg, f]) => `${pkg} (${f})`).join(', ')}. ` +
        'Run `node scripts/system-deps.mjs` (as root on Debian it installs them).',
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
