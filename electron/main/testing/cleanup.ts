// Teardown that still happens when a test crashes. Each fixture registers a shell script that undoes
// everything it created; the script runs from stop(), from this process's 'exit'/signal handlers, and,
// if this process is killed outright (SIGKILL, OOM), from a detached watchdog that waits for it to die.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Shell function `kill_matching SIG NEEDLE COMM...`: kills processes whose command name matches one of
 * the COMM globs and whose command line contains NEEDLE (a fixture's unique temp path). Matching on
 * both keeps it to processes the fixture started, even if a pid was reused.
 */
export const KILL_MATCHING_SH = `kill_matching() {
  _sig=$1; _needle=$2; shift 2
  for _d in /proc/[0-9]*; do
    _p=\${_d#/proc/}
    [ "$_p" = "$$" ] && continue
    _c=$(cat "$_d/comm" 2>/dev/null) || continue
    _ok=
    for _n in "$@"; do case "$_c" in $_n) _ok=1 ;; esac; done
    [ -n "$_ok" ] || continue
    if tr '\\0' '\\n' < "$_d/cmdline" 2>/dev/null | grep -qF -- "$_needle"; then kill "-$_sig" "$_p" 2>/dev/null; fi
  done
}
`;

interface Entry {
  label: string;
  script: string | undefined;
  sync: (() => void) | undefined;
  watchdog: ChildProcess | undefined;
  promise: Promise<void> | undefined;
}

const pending = new Set<Entry>();
let handlersInstalled = false;

export interface CleanupGuard {
  /** Runs the teardown once; later calls return the same promise. */
  run(): Promise<void>;
}

/**
 * Registers a teardown. `script` (POSIX sh, run as the current user, must be idempotent and tolerate
 * things that were never created) and/or `sync` (fast Node code) undo what the fixture made.
 */
export function guardCleanup(label: string, opts: { script?: string; sync?: () => void }): CleanupGuard {
  installHandlers();
  const entry: Entry = { label, script: opts.script, sync: opts.sync, watchdog: undefined, promise: undefined };
  if (entry.script) entry.watchdog = startWatchdog(entry.script);
  pending.add(entry);
  return {
    run() {
      entry.promise ??= runAsync(entry);
      return entry.promise;
    },
  };
}

function startWatchdog(script: string): ChildProcess {
  const body = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done\n${script}`;
  const child = spawn('sh', ['-c', body], { detached: true, stdio: 'ignore', env: { ...process.env, PATH: SYSTEM_PATH } });
  child.on('error', () => undefined);
  child.unref();
  return child;
}

function stopWatchdog(entry: Entry): void {
  const pid = entry.watchdog?.pid;
  entry.watchdog = undefined;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function runAsync(entry: Entry): Promise<void> {
  pending.delete(entry);
  stopWatchdog(entry);
  try {
    entry.sync?.();
  } catch (e) {
    console.warn(`[testing] cleanup of ${entry.label}:`, e);
  }
  const script = entry.script;
  if (!script) return;
  await new Promise<void>((resolve) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: SYSTEM_PATH } });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', (e) => {
      console.warn(`[testing] cleanup of ${entry.label} could not start:`, e);
      resolve();
    });
    child.on('close', (code) => {
      if (code !== 0) console.warn(`[testing] cleanup of ${entry.label} exited ${code}: ${err.trim()}`);
      resolve();
    });
  });
}

function runAllSync(): void {
  for (const entry of [...pending]) {
    pending.delete(entry);
    stopWatchdog(entry);
    try {
      entry.sync?.();
    } catch {
      // best effort while exiting
    }
    if (entry.script) spawnSync('sh', ['-c', entry.script], { stdio: 'ignore', timeout: 60_000, env: { ...process.env, PATH: SYSTEM_PATH } });
  }
}

const signalHandlers = new Map<NodeJS.Signals, () => void>();

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', runAllSync);
  for (const sig of SIGNALS) {
    const handler = (): void => {
      runAllSync();
      for (const [s, h] of signalHandlers) process.removeListener(s, h);
      // Re-raise so the default action (exit) happens unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    signalHandlers.set(sig, handler);
    process.on(sig, handler);
  }
}

/** Number of teardowns registered and not yet run (for self-tests). */
export function pendingCleanups(): number {
  return pending.size;
}
