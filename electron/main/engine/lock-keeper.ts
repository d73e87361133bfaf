import type { AcquireLockOptions, AcquireLockResult, LockHolder, LockOwner, Remote } from './remote';
import { currentProcess, localRuns, newLockId, type ProcessIdentity } from './run-identity';

// A server's run lock held for the length of a run: acquired, kept alive with heartbeats (a lock whose
// heartbeat is older than the staleness limit — 90 s by default — may be taken over by another computer),
// its loss noticed (broken, or taken over after a stall), and released only by its holder. Used by the
// compose runner, the K3s run on a control host and the upgrade runner: the same lock, the same rules.

/** Where the lock lives: the server's lock operations (engine/remote.ts), or a host that offers the same three. */
export interface LockTarget {
  acquire(owner: LockOwner, opts: AcquireLockOptions): Promise<AcquireLockResult>;
  heartbeat(lockId: string): Promise<'held' | 'lost'>;
  release(lockId: string): Promise<'released' | 'not_held'>;
  /** False while there is no connection: a heartbeat waits for it (the step that runs notices the cut). */
  readonly reachable: boolean;
}

/** A Remote as a lock target; looked up on each use, so a session that reconnects keeps its lock. */
export function remoteLockTarget(remote: () => Remote | null): LockTarget {
  const current = () => {
    const r = remote();
    if (!r) throw new Error('not connected');
    return r;
  };
  return {
    acquire: (owner, opts) => current().acquireLock(owner, opts),
    heartbeat: (lockId) => current().heartbeat(lockId),
    release: (lockId) => current().releaseLock(lockId),
    get reachable() {
      const r = remote();
      return !!r && !r.conn.isClosed;
    },
  };
}

/** The timing of the lock: heartbeat period and staleness (defaults 20 s / 90 s); tests shorten them. */
export interface LockTiming {
  heartbeatMs?: number;
  staleAfterSeconds?: number;
  process?: ProcessIdentity;
  processAlive?: (id: ProcessIdentity) => boolean;
}

export const DEFAULT_HEARTBEAT_MS = 20_000;

export interface LockRequest extends LockTiming {
  target: LockTarget;
  owner: { runId: string; owner: string; machine: string; since: string; machineId?: string };
  /**
   * Who holds the lock: by default a new id per run attempt (a second attempt of the same run is refused
   * while the first runs). The run id instead keeps a lock across attempts of one run (an upgrade taking its
   * lock back after the server rebooted, a K3s run re-attaching to its step).
   */
  lockId?: string;
  /** Name the process in the lock (pid and start time): a crashed holder on this computer is recognised. */
  withProcess?: boolean;
  /** No heartbeats (a lock that cannot go stale, e.g. a folder on this computer). */
  noHeartbeat?: boolean;
  /** Called once when the lock is found to belong to someone else now. */
  onLost?: () => void;
}

export type LockAcquired =
  | { ok: true; keeper: LockKeeper; takenOver: Extract<AcquireLockResult, { ok: true }>['takenOver'] }
  | { ok: false; holder: LockHolder | null; reason: Extract<AcquireLockResult, { ok: false }>['reason'] };

/** The holder named in a "locked" error (deploy.locked, k3s.locked). */
export function lockedParams(holder: Pick<LockHolder, 'owner' | 'machine' | 'since' | 'runId'> | null): { owner: string; machine: string; since: string; runId: string } {
  return { owner: holder?.owner ?? '?', machine: holder?.machine ?? '?', since: holder?.since ?? '?', runId: holder?.runId ?? '?' };
}

export class LockKeeper {
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating = false;
  private lostFlag = false;
  /** Aborted when the lock is found to be someone else's; a new one once it is taken back (`reacquire`). */
  private lostNow = new AbortController();
  private stopped = false;
  /** Heartbeats sent (a run's round-trip figure leaves them out). */
  heartbeats = 0;

  private constructor(
    private readonly req: LockRequest,
    readonly lockId: string,
    private readonly ownerRecord: LockOwner,
  ) {}

  /** Takes the lock and starts its heartbeats; a refusal names the holder. */
  static async acquire(req: LockRequest): Promise<LockAcquired> {
    const lockId = req.lockId ?? newLockId();
    const me = req.process ?? currentProcess();
    const record: LockOwner = { ...req.owner, lockId, ...(req.withProcess ? { pid: me.pid, processStart: me.start } : {}) };
    localRuns.add(lockId);
    let result: AcquireLockResult;
    try {
      result = await req.target.acquire(record, { staleAfterSeconds: req.staleAfterSeconds, processAlive: req.processAlive });
    } catch (error) {
      localRuns.delete(lockId);
      throw error;
    }
    if (!result.ok) {
      localRuns.delete(lockId);
      return { ok: false, holder: result.holder, reason: result.reason };
    }
    const keeper = new LockKeeper(req, lockId, record);
    keeper.start();
    return { ok: true, keeper, takenOver: result.takenOver };
  }

  /** The lock is someone else's now (broken, or taken over while this run was silent). */
  get lost(): boolean {
    return this.lostFlag;
  }

  /** A journal write on the server said the lock is no longer this run's. */
  markLost(): void {
    if (this.lostFlag) return;
    this.lostFlag = true;
    this.clear();
    this.lostNow.abort();
    this.req.onLost?.();
  }

  /** Aborted when the lock goes to someone else: a step given it stops there rather than run on beside the other run. */
  get lostSignal(): AbortSignal {
    return this.lostNow.signal;
  }

  private start(): void {
    if (this.req.noHeartbeat || this.stopped) return;
    this.timer = setInterval(() => void this.beat(), this.req.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.timer.unref?.();
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Tells the server this run still holds the lock; notices when it no longer does. */
  async beat(): Promise<void> {
    if (this.beating || this.lostFlag || this.stopped || !this.req.target.reachable) return;
    this.beating = true;
    this.inFlight = (async () => {
      try {
        this.heartbeats++;
        if ((await this.req.target.heartbeat(this.lockId)) === 'lost') this.markLost();
      } catch {
        /* a lost connection shows up in the step that is running */
      } finally {
        this.beating = false;
      }
    })();
    await this.inFlight;
  }

  /** The heartbeat on its way when the keeper stopped, if any: once it is back, nothing touches the lock any more. */
  private inFlight: Promise<void> = Promise.resolve();

  async idle(): Promise<void> {
    await this.inFlight;
  }

  /**
   * Takes the lock back after the connection was replaced (a server that rebooted kept the lock on its disk):
   * the same holder, so it succeeds unless someone else took it meanwhile (then the lock is lost).
   */
  async reacquire(): Promise<LockAcquired> {
    const result = await this.req.target.acquire(this.ownerRecord, { staleAfterSeconds: this.req.staleAfterSeconds, processAlive: this.req.processAlive });
    if (!result.ok) {
      this.markLost();
      return { ok: false, holder: result.holder, reason: result.reason };
    }
    this.lostFlag = false;
    if (this.lostNow.signal.aborted) this.lostNow = new AbortController();
    if (!this.timer) this.start();
    return { ok: true, keeper: this, takenOver: result.takenOver };
  }

  /** Stops the heartbeats and keeps the lock where it is (a run that stops halfway and is resumed later). */
  stop(): void {
    this.stopped = true;
    this.clear();
    localRuns.delete(this.lockId);
  }

  /** Stops the heartbeats and gives the lock back — only if it is still this run's (compare-and-delete). */
  async release(): Promise<'released' | 'not_held'> {
    this.stop();
    await this.idle();
    if (this.lostFlag) return 'not_held';
    return this.req.target.release(this.lockId);
  }
}
