import { AppError } from '../../shared/errors';
import type { SamplerMode, SamplerStatus } from '../health/sampler';

// The dashboard of a K3s deployment (phases 3–4) watches the cluster, not a server over SSH: its nodes and pods
// from the Kubernetes API (health/k3s.ts) and the API's health endpoint through the cluster's ingress, read from
// this computer every 5 s while the dashboard is visible, every 60 s in the background, never while paused. The
// same face as the SSH sampler (health/sampler.ts) for the health service; reads never overlap.

export interface ClusterPollerOptions {
  /** One reading; resolves with the error that made the cluster unreadable, or null. */
  read: () => Promise<AppError | null>;
  onRead: () => void;
  foregroundMs?: number;
  backgroundMs?: number;
  now?: () => number;
}

export class ClusterPoller {
  private mode: SamplerMode = 'paused';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private lastAt: number | null = null;
  private staleSince: number | null = null;
  private lastError: AppError | null = null;
  private failures = 0;
  private readonly now: () => number;

  constructor(private readonly opts: ClusterPollerOptions) {
    this.now = opts.now ?? Date.now;
  }

  setMode(mode: SamplerMode): void {
    this.mode = mode;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (mode !== 'paused' && !this.stopped) void this.sampleNow();
  }

  status(): SamplerStatus {
    return { mode: this.mode, live: this.lastAt !== null && this.lastError === null, staleSince: this.staleSince, lastSampleAt: this.lastAt, lastError: this.lastError, failures: this.failures, connected: this.lastError === null };
  }

  sampleNow(): Promise<void> {
    this.inFlight ??= this.tick().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const error = await this.opts.read().catch((e: unknown) => (e instanceof AppError ? e : new AppError('internal.unexpected', { method: 'health.cluster' })));
    if (this.stopped) return;
    if (error) {
      this.failures++;
      this.staleSince ??= this.now();
    } else {
      this.failures = 0;
      this.staleSince = null;
      this.lastAt = this.now();
    }
    this.lastError = error;
    this.opts.onRead();
    if (this.mode !== 'paused') {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.sampleNow(), this.mode === 'foreground' ? (this.opts.foregroundMs ?? 5_000) : (this.opts.backgroundMs ?? 60_000));
      this.timer.unref?.();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
