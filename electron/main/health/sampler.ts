import { AppError } from '../../shared/errors';
import type { SshConnection } from '../ssh/connection';
import { carryContainers, derive, takeSample, withContainerCpu, type HealthPoint, type TakenSample, type TakeSampleOptions } from './sample';

// Keeps one server's samples coming: every 5 s while the dashboard is visible, every 60 s in the
// background, nothing while paused (laptop asleep). A failed sample never repeats old numbers as
// live: the data is marked stale since the first failure, and a lost connection is re-opened with
// exponential backoff and jitter. Samples never overlap; the next one is scheduled after the last.
// Containers and the database are read every `containersMs` (30 s) only, and on the first two samples
// (two readings give the containers' CPU %): they cost ~40-55 ms of server CPU against ~3 ms for the host
// figures (issue #7's `health-sample-cost`). In between, samples carry the last values and their age.

export type SamplerMode = 'foreground' | 'background' | 'paused';

export interface SamplerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export type SamplerEvent =
  | { kind: 'sample'; sample: TakenSample; point: HealthPoint }
  | {
      kind: 'stale';
      /** When the data stopped being live: the first failed attempt of this run of failures. */
      since: number;
      /** When the last good sample arrived (null: none yet). */
      lastSampleAt: number | null;
      error: AppError;
      /** Consecutive failed attempts, this one included. */
      failures: number;
      /** When the next attempt is due (null while paused). */
      retryAt: number | null;
    };

export interface SamplerStatus {
  mode: SamplerMode;
  /** false while there is no sample yet or the last attempt failed. */
  live: boolean;
  staleSince: number | null;
  lastSampleAt: number | null;
  lastError: AppError | null;
  failures: number;
  connected: boolean;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** ± this fraction of the delay, so many apps do not reconnect in step. */
  jitter: number;
}

export interface SamplerOptions {
  /** Opens (or hands over) the connection; called again after the connection is lost. */
  connect: () => Promise<SshConnection>;
  target: TakeSampleOptions;
  onEvent: (event: SamplerEvent) => void;
  /** Replaces takeSample (tests). */
  sample?: (conn: SshConnection, target: TakeSampleOptions) => Promise<TakenSample>;
  foregroundMs?: number;
  backgroundMs?: number;
  /** How often containers and database are read (default 30 s); every sample when the interval is longer. */
  containersMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Points kept in memory (default 720: an hour at 5 s). Long history is stored elsewhere. */
  historySize?: number;
  timers?: SamplerTimers;
  random?: () => number;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.2 };

const realTimers: SamplerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Fixed-capacity buffer: the oldest entry goes when a new one comes. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.start + this.count - 1) % this.capacity];
  }
}

/** Errors after which the connection is not trusted any more: drop it and reconnect. */
function connectionLost(error: AppError, conn: SshConnection | null): boolean {
  return conn === null || conn.isClosed || error.code === 'ssh.disconnected' || error.code === 'ssh.timeout';
}

export class Sampler {
  private mode: SamplerMode = 'paused';
  private conn: SshConnection | null = null;
  private timer: unknown = null;
  private dueAt: number | null = null;
  private inFlight = false;
  private stopped = false;
  private failures = 0;
  private staleSince: number | null = null;
  private lastError: AppError | null = null;
  private lastSample: TakenSample | null = null;
  private lastAttemptAt: number | null = null;
  /** The last sample that read the containers, when it started (sampler clock), and how many did so far. */
  private lastFull: TakenSample | null = null;
  private lastFullAt: number | null = null;
  private fullCount = 0;
  private readonly points: RingBuffer<HealthPoint>;
  private readonly timers: SamplerTimers;
  private readonly backoff: BackoffOptions;
  private readonly foregroundMs: number;
  private readonly backgroundMs: number;
  private readonly containersMs: number;
  private readonly random: () => number;

  constructor(private readonly opts: SamplerOptions) {
    this.timers = opts.timers ?? realTimers;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.foregroundMs = opts.foregroundMs ?? 5_000;
    this.backgroundMs = opts.backgroundMs ?? 60_000;
    this.containersMs = opts.containersMs ?? 30_000;
    this.random = opts.random ?? Math.random;
    this.points = new RingBuffer(opts.historySize ?? 720);
  }

  /** Starts, slows down or pauses sampling. Coming back to the foreground samples at once when the data is older than the interval. */
  setMode(mode: SamplerMode): void {
    if (this.stopped) return;
    this.mode = mode;
    if (mode === 'paused') {
      this.clearTimer();
      return;
    }
    if (this.inFlight) return; // the running attempt schedules the next one with the new mode
    if (this.failures > 0 && this.dueAt !== null) return; // keep the backoff schedule
    const base = this.lastAttemptAt ?? -Infinity;
    const interval = this.intervalMs();
    this.schedule(Math.max(0, base + interval - this.timers.now()));
  }

  get currentMode(): SamplerMode {
    return this.mode;
  }

  status(): SamplerStatus {
    return {
      mode: this.mode,
      live: this.lastSample !== null && this.staleSince === null,
      staleSince: this.staleSince,
      lastSampleAt: this.lastSample?.receivedAt ?? null,
      lastError: this.lastError,
      failures: this.failures,
      connected: this.conn !== null && !this.conn.isClosed,
    };
  }

  /** Points in memory, oldest first. */
  history(): HealthPoint[] {
    return this.points.toArray();
  }

  /** Samples now (outside the schedule), unless a sample is already running. */
  sampleNow(): Promise<void> {
    if (this.stopped || this.inFlight) return Promise.resolve();
    this.clearTimer();
    return this.tick();
  }

  /** Stops for good and closes the connection. Events of a sample in flight are dropped. */
  stop(): void {
    this.stopped = true;
    this.mode = 'paused';
    this.clearTimer();
    this.conn?.close();
    this.conn = null;
  }

  private intervalMs(): number {
    return this.mode === 'background' ? this.backgroundMs : this.foregroundMs;
  }

  private backoffMs(): number {
    const { initialMs, maxMs, factor, jitter } = this.backoff;
    const base = Math.min(maxMs, initialMs * factor ** Math.max(0, this.failures - 1));
    return Math.max(0, Math.round(base * (1 + jitter * (2 * this.random() - 1))));
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    if (this.stopped || this.mode === 'paused') return;
    this.dueAt = this.timers.now() + delayMs;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.dueAt = null;
      void this.tick();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
  }

  private async tick(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    const startedAt = this.timers.now();
    this.lastAttemptAt = startedAt;
    let outcome: { ok: true; sample: TakenSample } | { ok: false; error: AppError; conn: SshConnection | null };
    let conn: SshConnection | null = this.conn && !this.conn.isClosed ? this.conn : null;
    const readContainers = this.fullCount < 2 || this.lastFullAt === null || startedAt - this.lastFullAt >= this.containersMs;
    const target: TakeSampleOptions = readContainers ? this.opts.target : { ...this.opts.target, containers: false };
    try {
      if (!conn) {
        this.conn = null;
        conn = await this.opts.connect();
        if (this.stopped) conn.close();
        else this.conn = conn;
      }
      outcome = { ok: true, sample: await (this.opts.sample ?? takeSample)(conn, target) };
    } catch (caught) {
      const error = caught instanceof AppError ? caught : new AppError('internal.unexpected', { method: 'health.sample', reason: String(caught).slice(0, 200) });
      outcome = { ok: false, error, conn };
    } finally {
      this.inFlight = false;
    }
    if (this.stopped) return;
    // Events go out after the bookkeeping and outside the try: a throwing listener is its own bug, not a failed sample.
    if (outcome.ok) {
      let { sample } = outcome;
      if (sample.docker.status !== 'not_sampled') {
        sample = withContainerCpu(this.lastFull, sample);
        this.lastFull = sample;
        this.lastFullAt = startedAt;
        this.fullCount++;
      } else if (this.lastFull) {
        sample = carryContainers(this.lastFull, sample);
      }
      const point = derive(this.lastSample, sample);
      this.lastSample = sample;
      this.points.push(point);
      this.failures = 0;
      this.staleSince = null;
      this.lastError = null;
      this.schedule(Math.max(0, startedAt + this.intervalMs() - this.timers.now()));
      this.opts.onEvent({ kind: 'sample', sample, point });
      return;
    }
    const { error } = outcome;
    const lost = connectionLost(error, outcome.conn);
    if (lost && outcome.conn) {
      outcome.conn.close();
      if (this.conn === outcome.conn) this.conn = null;
    }
    this.failures++;
    this.staleSince ??= startedAt;
    this.lastError = error;
    // A lost connection is re-opened with backoff; a bad sample on a good connection is retried at the usual pace.
    this.schedule(lost ? this.backoffMs() : this.intervalMs());
    this.opts.onEvent({
      kind: 'stale',
      since: this.staleSince,
      lastSampleAt: this.lastSample?.receivedAt ?? null,
      error,
      failures: this.failures,
      retryAt: this.dueAt,
    });
  }
}
