import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { ExecResult, Privilege, SshConnection } from '../ssh/connection';
import { shQuote } from '../ssh/quote';
import { heredocTo } from './heredoc';
import { localRuns, processAlive, type ProcessIdentity } from './run-identity';
import type { HostLayout, RemoteCommand, RemoteFile } from './types';

// What the engine does on a server, as few round trips as possible: run a command (as the login
// user or root), install a file atomically, hold the run lock, read/write the journal, and run
// long commands detached from the SSH session.

export interface OutputSink {
  (stream: 'stdout' | 'stderr', chunk: string): void;
}

export const LOCK_BUSY_EXIT = 75;

export const lockOwnerSchema = z.object({
  /** The journal's run id (stays the same when a run is resumed). */
  runId: z.string().max(80),
  owner: z.string().max(100),
  machine: z.string().max(100),
  since: z.string().max(40),
  /** One per run attempt: who holds the lock. Locks written before it existed are identified by runId. */
  lockId: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/u).optional(),
  /** The computer (run-identity.ts machineId), the process and its start time. */
  machineId: z.string().max(80).optional(),
  pid: z.number().int().positive().optional(),
  processStart: z.string().max(120).nullable().optional(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

/** A lock as found on the server: its holder and how long ago its heartbeat was (server clock). */
export interface LockHolder extends LockOwner {
  heartbeatAgeSeconds: number | null;
}

export type LockRefusal = 'held' | 'alive_here' | 'unknown_holder';

export interface AcquireLockOptions {
  /** A heartbeat older than this means the holder stopped (crash, lost connection, closed laptop). Default 90 s. */
  staleAfterSeconds?: number;
  /** Whether a process of this computer still runs (tests inject a view of another machine). */
  processAlive?: (id: ProcessIdentity) => boolean;
  /** Whether a lock id belongs to a run of this process that has not ended. */
  activeHere?: (lockId: string) => boolean;
}

export type AcquireLockResult =
  | { ok: true; takenOver: { holder: LockHolder; reason: 'same_run' | 'holder_gone' | 'stale_heartbeat' } | null }
  | { ok: false; holder: LockHolder | null; reason: LockRefusal };

export const DEFAULT_LOCK_STALE_SECONDS = 90;

/** The fixed-string pattern that identifies a holder in owner.json (compare-and-swap / compare-and-delete). */
function holderPattern(h: { lockId?: string; runId: string }): string {
  return h.lockId ? `"lockId":${JSON.stringify(h.lockId)}` : `"runId":${JSON.stringify(h.runId)}`;
}

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
    const script = [
      'set -eu',
      `tmp=${shQuote(tmp)}`,
      `staged=${shQuote(`${file.path}.koprogo-new`)}`,
      // The private copy (a secret, for the .env) never outlives this script: removed on success, on failure
      // (set -e) and when the connection drops (SIGHUP).
      'cleanup() { rm -f "$tmp" "$staged"; }',
      'trap cleanup EXIT',
      "trap 'cleanup; exit 129' HUP INT TERM",
      `mkdir -p "$(dirname ${target})"`,
      `install -m ${file.mode.toString(8).padStart(4, '0')} -o ${shQuote(file.owner)} -g ${shQuote(file.group)} "$tmp" "$staged"`,
      `mv -f "$staged" ${target}`,
    ].join('\n');
    const r = await this.root(script);
    if (r.code !== 0) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path: file.path, reason: lastLine(r.stderr) });
  }

  private tempDir: string | null = null;

  /**
   * The login user's private folder for uploads (0700). Copies left by a run that crashed between upload and
   * install (or an upload cut half-way) are removed the first time a run uses it: one run per server holds
   * the lock, and an upload is installed within seconds, so anything older than ten minutes is a leftover.
   */
  private async privateTempDir(): Promise<string> {
    if (this.tempDir) return this.tempDir;
    const r = await this.conn.exec('umask 077; d="$HOME/.cache/koprogo-deploy"; mkdir -p "$d"; chmod 700 "$d"; find "$d" -mindepth 1 -maxdepth 1 -type f -mmin +10 -exec rm -f {} + 2>/dev/null || true; printf %s "$d"');
    if (r.code !== 0 || !r.stdout.startsWith('/')) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path: '~/.cache/koprogo-deploy', reason: lastLine(r.stderr) });
    this.tempDir = r.stdout;
    return this.tempDir;
  }

  // ---- lock ----------------------------------------------------------------------------------
  //
  // The lock is a directory (`mkdir` is atomic) holding owner.json and a heartbeat file the holder touches
  // while it runs. Every operation is one root shell script under flock(1) on `lock.mutex`, so "is it still
  // X's? then replace / delete it" happens on the server as one step, whoever else is trying at that moment.

  private lockScript(body: string[]): string {
    const s = shQuote(this.layout.stateDir);
    return [
      'set -eu',
      `s=${s}`,
      'mkdir -p "$s"',
      'chmod 700 "$s"',
      'd="$s/lock"',
      'exec 9>"$s/lock.mutex"',
      // util-linux's flock is on every supported Debian/Ubuntu; without it the mkdir still keeps two runs apart.
      'if command -v flock >/dev/null 2>&1; then flock -w 60 9 || exit 76; fi',
      'age() { now=$(date +%s); t=$(stat -c %Y "$d/heartbeat" 2>/dev/null || stat -c %Y "$d" 2>/dev/null || echo "$now"); echo $((now - t)); }',
      ...body,
    ].join('\n');
  }

  /**
   * Takes the server's run lock. It is held by one run attempt (`lockId`), not by a user or a computer: a
   * second run from the same computer is refused while the holder runs. The lock of a run that stopped is
   * taken over — resumed — when its process is gone (same computer: pid and start time checked), when it
   * belonged to a run of this process that has ended, or when its heartbeat is older than
   * `staleAfterSeconds` (any computer). Otherwise the answer names the holder.
   */
  async acquireLock(owner: LockOwner, opts: AcquireLockOptions = {}): Promise<AcquireLockResult> {
    const me: LockOwner = { ...owner, lockId: owner.lockId ?? owner.runId };
    const stale = opts.staleAfterSeconds ?? DEFAULT_LOCK_STALE_SECONDS;
    const alive = opts.processAlive ?? processAlive;
    let expected: LockHolder | 'none' | null = null;
    let reason: 'same_run' | 'holder_gone' | 'stale_heartbeat' = 'stale_heartbeat';
    // A takeover that loses a race (someone else took the lock meanwhile) looks again, a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.root(this.acquireScript(me, expected));
      const head = r.stdout.split('\n')[0] ?? '';
      if (r.code === 0 && head === 'acquired') return { ok: true, takenOver: expected && expected !== 'none' ? { holder: expected, reason } : null };
      if (r.code !== LOCK_BUSY_EXIT) throw new AppError('deploy.step_failed', { step: 'lock', exitCode: String(r.code) });
      const holder = parseHolder(r.stdout);
      if (holder === 'none') {
        // A lock directory without its owner file (a run stopped between the two): stale once old enough.
        const age = Number(/^held (\d+)/u.exec(head)?.[1] ?? '0');
        if (age <= stale) return { ok: false, holder: null, reason: 'unknown_holder' };
        expected = 'none';
        continue;
      }
      if (holder === null) return { ok: false, holder: null, reason: 'unknown_holder' };
      if (holder.lockId === me.lockId || (!holder.lockId && holder.runId === me.lockId)) return { ok: true, takenOver: null };
      const why = this.takeoverReason(me, holder, stale, opts);
      if (why === null) {
        const here = this.isHere(me, holder) && alive({ pid: holder.pid!, start: holder.processStart ?? null });
        return { ok: false, holder, reason: here ? 'alive_here' : 'held' };
      }
      expected = holder;
      reason = why;
    }
    return { ok: false, holder: expected && expected !== 'none' ? expected : null, reason: 'held' };
  }

  private isHere(me: LockOwner, holder: LockHolder): boolean {
    return !!me.machineId && holder.machineId === me.machineId && typeof holder.pid === 'number';
  }

  /** Why the holder's lock may be taken over, or null when its run may still be going. */
  private takeoverReason(me: LockOwner, holder: LockHolder, stale: number, opts: AcquireLockOptions): 'same_run' | 'holder_gone' | 'stale_heartbeat' | null {
    if (this.isHere(me, holder)) {
      const alive = opts.processAlive ?? processAlive;
      if (!alive({ pid: holder.pid!, start: holder.processStart ?? null })) return 'holder_gone';
      // This very process: its run is over unless it is still listed as running.
      const ownProcess = holder.pid === me.pid && (holder.processStart ?? null) === (me.processStart ?? null);
      if (ownProcess && holder.lockId && !(opts.activeHere ?? localRuns.has)(holder.lockId)) return 'same_run';
    }
    if (holder.heartbeatAgeSeconds !== null && holder.heartbeatAgeSeconds > stale) return 'stale_heartbeat';
    return null;
  }

  private acquireScript(me: LockOwner, expected: LockHolder | 'none' | null): string {
    const json = JSON.stringify(lockOwnerSchema.parse(me));
    const take = [heredocTo('"$d/owner.json.new"', json).trimEnd(), 'mv -f "$d/owner.json.new" "$d/owner.json"', 'touch "$d/heartbeat"', 'echo acquired', 'exit 0'];
    const takeover =
      expected === null
        ? []
        : expected === 'none'
          ? ['if [ ! -f "$d/owner.json" ]; then', ...take, 'fi']
          : [`if grep -qF ${shQuote(holderPattern(expected))} "$d/owner.json" 2>/dev/null; then`, ...take, 'fi'];
    return this.lockScript([
      'if mkdir "$d" 2>/dev/null; then',
      ...take,
      'fi',
      ...takeover,
      'printf \'held %s\\n\' "$(age)"',
      'cat "$d/owner.json" 2>/dev/null || true',
      `exit ${LOCK_BUSY_EXIT}`,
    ]);
  }

  /**
   * Releases the lock only if `lockId` (a LockOwner's lockId, or its runId when it had none) still holds
   * it: a run whose lock was taken over never removes its successor's.
   */
  async releaseLock(lockId: string): Promise<'released' | 'not_held'> {
    const r = await this.root(
      this.lockScript([
        `if grep -qF ${shQuote(holderPattern({ lockId, runId: lockId }))} "$d/owner.json" 2>/dev/null; then rm -rf "$d"; echo released`,
        // A lock written before lock ids existed: its run id identifies it.
        `elif [ -f "$d/owner.json" ] && ! grep -qF '"lockId":' "$d/owner.json" && grep -qF ${shQuote(holderPattern({ runId: lockId }))} "$d/owner.json"; then rm -rf "$d"; echo released`,
        'else echo not_held; fi',
      ]),
    );
    return r.stdout.trim() === 'released' ? 'released' : 'not_held';
  }

  /** The holder says it still runs; 'lost' when the lock is no longer its own (broken or taken over). */
  async heartbeat(lockId: string): Promise<'held' | 'lost'> {
    const r = await this.root(this.lockScript([`if grep -qF ${shQuote(holderPattern({ lockId, runId: lockId }))} "$d/owner.json" 2>/dev/null; then touch "$d/heartbeat"; echo held; else echo lost; fi`]));
    if (r.code !== 0) throw new AppError('ssh.exec_failed', { host: this.conn.target.host });
    return r.stdout.trim() === 'held' ? 'held' : 'lost';
  }

  /** The lock as it is now (null when free). */
  async readLock(): Promise<LockHolder | null> {
    const r = await this.root(this.lockScript(['if [ -d "$d" ]; then printf \'held %s\\n\' "$(age)"; cat "$d/owner.json" 2>/dev/null || true; fi']));
    const parsed = parseHolder(r.stdout);
    return parsed === 'none' ? null : parsed;
  }

  /** After the user confirmed that nobody else is deploying. */
  async breakLock(): Promise<void> {
    await this.root(this.lockScript(['rm -rf "$d"']));
  }

  // ---- journal -----------------------------------------------------------------------------------

  async readJournal(): Promise<string | null> {
    const r = await this.root(`cat ${shQuote(`${this.layout.stateDir}/journal.json`)} 2>/dev/null || true`);
    return r.stdout.trim() === '' ? null : r.stdout;
  }

  /**
   * The journal holds step ids, states and times only, never secrets: a here-document is fine. With
   * `lockId`, it is written only while that lock id holds the server's lock (checked in the same script,
   * under the lock mutex): a run whose lock was taken over gets 'lost' and writes nothing.
   */
  async writeJournal(json: string, lockId?: string): Promise<'written' | 'lost'> {
    const path = `${this.layout.stateDir}/journal.json`;
    const tmp = shQuote(`${path}.tmp`);
    const write = [heredocTo(tmp, json).trimEnd(), `mv -f ${tmp} ${shQuote(path)}`];
    const script = lockId
      ? this.lockScript([`if ! grep -qF ${shQuote(holderPattern({ lockId, runId: lockId }))} "$d/owner.json" 2>/dev/null; then echo lost; exit 0; fi`, ...write, 'echo written'])
      : ['set -eu', `mkdir -p ${shQuote(this.layout.stateDir)}`, ...write, 'echo written'].join('\n');
    const r = await this.root(script);
    if (r.code !== 0) throw new AppError('ssh.upload_failed', { host: this.conn.target.host, path, reason: lastLine(r.stderr) });
    return r.stdout.trim() === 'lost' ? 'lost' : 'written';
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

  /**
   * Removes the folders of finished jobs (script, log, exit code) older than `olderThanDays`, always keeping
   * the newest `keep` and any job without an exit code (running, or to be followed again): a server deployed
   * for years does not fill with old logs, and the last runs stay there to read.
   */
  async pruneJobs(opts: { olderThanDays?: number; keep?: number } = {}): Promise<void> {
    const days = Math.max(1, Math.floor(opts.olderThanDays ?? 30));
    const keep = Math.max(0, Math.floor(opts.keep ?? 20));
    const runs = shQuote(`${this.layout.stateDir}/runs`);
    const script = [
      `cd ${runs} 2>/dev/null || exit 0`,
      // Newest first; job ids are ours (no newline), `--` keeps a leading dash from being an option.
      `ls -1t | tail -n +${keep + 1} | while IFS= read -r j; do`,
      `  if [ -d "$j" ] && [ -f "$j/exit" ] && [ -n "$(find "./$j" -maxdepth 0 -mtime +${days - 1} 2>/dev/null)" ]; then rm -rf -- "./$j"; fi`,
      'done',
    ].join('\n');
    const r = await this.root(script);
    if (r.code !== 0) throw new AppError('deploy.step_failed', { step: 'prune-jobs', exitCode: String(r.code) });
  }

  /** Stops a detached job and everything it started (its whole process group). */
  async cancelJob(job: string, as: RemoteCommand['as']): Promise<void> {
    const d = shQuote(this.jobDir(job));
    // `kill -TERM -PGID` (dash's kill takes no `--`): the job runs in its own session, so its pid is
    // its process group and this reaches everything it started.
    await this.run({ script: `if [ -f ${d}/pid ] && [ ! -f ${d}/exit ]; then kill -TERM -"$(cat ${d}/pid)" 2>/dev/null || true; fi`, as });
  }
}

/** `held <age>` then owner.json; 'none' when there is no owner file, null when it cannot be read. */
function parseHolder(stdout: string): LockHolder | 'none' | null {
  const [head, ...rest] = stdout.split('\n');
  const m = /^held (\d+)/u.exec(head ?? '');
  if (!m) return 'none';
  const body = rest.join('\n').trim();
  if (body === '') return 'none';
  try {
    const owner = lockOwnerSchema.safeParse(JSON.parse(body));
    return owner.success ? { ...owner.data, heartbeatAgeSeconds: Number(m[1]) } : null;
  } catch {
    return null;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 160) ?? '';
}
