import type { EventName, EventPayload } from '../../shared/contract';
import type { UpdateState } from '../../shared/contract-lifecycle';
import { AppError } from '../../shared/errors';
import type { Logger } from '../log';

// Auto-update, Electron-free: the desktop app plugs electron-updater in through `Updater`
// (update/electron-updater.ts, the only file that imports it); web mode and the CLI have none and say
// "unsupported". New versions come from GitHub Releases (electron-builder.yml `publish`); the user sees
// a banner with the release notes, downloads, and installs — never while a deployment runs: an
// install asked for during one waits for its end.

export interface AvailableUpdate {
  version: string;
  /** Plain text (the release notes' HTML is reduced to text here; never rendered as HTML). */
  notes: string | null;
  date: string | null;
}

export interface Updater {
  /** The newer release, or null when this is the latest. */
  check(): Promise<AvailableUpdate | null>;
  download(onProgress: (percent: number) => void): Promise<void>;
  /** Quits the app and installs the downloaded update. */
  install(): void;
}

export interface UpdateServiceDeps {
  updater: Updater | null;
  currentVersion: string;
  /** A deployment is running in this app (installing would stop the app in the middle of it). */
  deploying: () => boolean;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  log: Logger;
}

/** Release notes as GitHub gives them (HTML, or a list per version) reduced to bounded plain text. */
export function notesText(notes: unknown): string | null {
  const raw = Array.isArray(notes)
    ? notes.map((n: unknown) => (typeof n === 'object' && n !== null ? `${String((n as { version?: unknown }).version ?? '')}\n${String((n as { note?: unknown }).note ?? '')}` : String(n))).join('\n\n')
    : typeof notes === 'string'
      ? notes
      : '';
  const text = raw
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|li|h[1-6]|div)>/gi, '\n')
    .replace(/<li[^>]*>/gi, '• ')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text === '' ? null : text.slice(0, 4000);
}

export class UpdateService {
  private state: UpdateState;
  private installWhenIdle = false;

  constructor(private readonly deps: UpdateServiceDeps) {
    this.state = { status: deps.updater ? 'idle' : 'unsupported', current: deps.currentVersion, available: null, percent: null, error: null, waitingForDeployment: false, checkedAt: null };
  }

  get(): UpdateState {
    return { ...this.state };
  }

  async check(): Promise<UpdateState> {
    const updater = this.deps.updater;
    if (!updater || this.state.status === 'downloading' || this.state.status === 'ready') return this.get();
    this.set({ status: 'checking', error: null });
    try {
      const found = await updater.check();
      this.set({ status: found ? 'available' : 'up_to_date', available: found, checkedAt: new Date().toISOString() });
    } catch (error) {
      this.deps.log.error('update check failed', error);
      this.set({ status: 'error', error: new AppError('update.failed', {}).toEnvelope(), checkedAt: new Date().toISOString() });
    }
    return this.get();
  }

  /** Downloads (when needed) and installs now, or when the running deployment ends. */
  async install(): Promise<{ scheduled: 'now' | 'after_deployment' }> {
    const updater = this.deps.updater;
    if (!updater || !this.state.available) throw new AppError('update.failed', {});
    if (this.state.status !== 'ready') {
      this.set({ status: 'downloading', percent: 0, error: null });
      try {
        await updater.download((percent) => this.set({ percent: Math.max(0, Math.min(100, Math.round(percent))) }));
      } catch (error) {
        this.deps.log.error('update download failed', error);
        this.set({ status: 'error', percent: null, error: new AppError('update.failed', {}).toEnvelope() });
        throw new AppError('update.failed', {});
      }
      this.set({ status: 'ready', percent: 100 });
    }
    if (this.deps.deploying()) {
      this.installWhenIdle = true;
      this.set({ waitingForDeployment: true });
      this.deps.log.info(`update ${this.state.available.version}: waits for the running deployment`);
      return { scheduled: 'after_deployment' };
    }
    this.deps.log.info(`update ${this.state.available.version}: installing`);
    updater.install();
    return { scheduled: 'now' };
  }

  /** Called when a deployment ends: an install that was waiting for it happens now. */
  deploymentEnded(): void {
    if (!this.installWhenIdle || this.deps.deploying() || !this.deps.updater) return;
    this.installWhenIdle = false;
    this.set({ waitingForDeployment: false });
    this.deps.log.info(`update ${this.state.available?.version ?? '?'}: the deployment ended, installing`);
    this.deps.updater.install();
  }

  private set(patch: Partial<UpdateState>): void {
    this.state = { ...this.state, ...patch };
    this.deps.emit('update.state', this.get());
  }
}
