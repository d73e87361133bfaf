import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { EventName, EventPayload } from '../../shared/contract';
import {
  verificationSchema,
  type BackupList,
  type BackupOperation,
  type BackupProgress,
  type BackupStage,
  type BackupView,
  type SnapshotView,
  type Verification,
  type VerifyPlace,
} from '../../shared/contract-backup';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { backupCronStep, backupScript } from '../engine/steps/cron';
import type { ComposeDeploySettings } from '../engine/types';
import type { Logger } from '../log';
import type { Provider } from '../providers/provider';
import type { SshConnection } from '../ssh/connection';
import type { ProfileStore } from '../store/profile-store';
import { readVersionedJson, writeJsonAtomic } from '../store/json-file';
import { composeSettingsFrom } from '../services/deploy-settings';
import { LocalBackupStore, type LocalCopy } from './local-store';
import { manifestSchema, totals, type Manifest } from './manifest';
import { download, dump, verifyDailyOnServer, verifyLocally, verifyOnServer, failureError, type ProgressSink, type ProvenDeps } from './proven';
import { restoreIntoLive } from './restore';
import { LOCAL_RETENTION, SERVER_RETENTION, toPrune } from './retention';
import { BACKUP_ID, DAILY_FILE, dailyPath, listScript, pruneScript } from './scripts';
import { Session } from './session';

// The backup use cases of one deployment: the list (server and this computer, daily dumps, provider
// snapshots), a proven backup, verify, download, restore, a provider snapshot, the daily job. Each
// runs in the background with progress events; one at a time per deployment. The upgrade engine uses
// the same building blocks (`prove`) on its own session.

export interface BackupServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  log: Logger;
  connect: (profile: Profile) => Promise<SshConnection>;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  /** The provider with the stored credentials (snapshots); absent or failing: no snapshots. */
  provider?: (kind: 'hetzner' | 'ovh') => Promise<Provider>;
  now?: () => Date;
  /** Tests: download tuning and waits between reconnections. */
  download?: ProvenDeps['download'];
  sessionBackoffMs?: number;
}

/** Non-secret profile setting naming the provider's server (written by the provider service). */
const SERVER_ID_SETTING = 'providerServerId';

const dailyVerificationsSchema = z.object({ version: z.literal(1), files: z.record(z.string(), verificationSchema) });

interface Active {
  operation: BackupOperation;
  backupId: string | null;
  controller: AbortController;
  last: BackupProgress | null;
  done: Promise<void>;
}

export interface ProveOptions {
  reason: Manifest['reason'];
  verify: VerifyPlace | 'none';
  onProgress?: ProgressSink;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Called once the dump exists (the upgrade journals its id before the long part). */
  onDumped?: (manifest: Manifest) => Promise<void>;
}

export class BackupService {
  readonly store: LocalBackupStore;
  private readonly active = new Map<string, Active>();
  private readonly now: () => Date;

  constructor(private readonly deps: BackupServiceDeps) {
    this.store = new LocalBackupStore(deps.dataDir);
    this.now = deps.now ?? (() => new Date());
  }

  get provenDeps(): ProvenDeps {
    return { store: this.store, now: this.now, download: this.deps.download };
  }

  settingsOf(profile: Profile): ComposeDeploySettings {
    return composeSettingsFrom(profile, { envContent: 'x', publicKey: 'x' });
  }

  session(profile: Profile, settings = this.settingsOf(profile)): Session {
    return new Session(profile, settings, { connect: this.deps.connect, redact: (t) => this.deps.log.redact(t), log: (l) => this.deps.log.info(l) }, { backoffMs: this.deps.sessionBackoffMs });
  }

  // ---- the building block the upgrade uses --------------------------------------------------------

  /** Dump, checksum, download and (unless `verify: none`) the scratch restore and comparison, then pruning. */
  async prove(s: Session, opts: ProveOptions): Promise<{ manifest: Manifest; verification: Verification | null }> {
    const progress = opts.onProgress ?? (() => undefined);
    const manifest = await dump(s, this.provenDeps, opts.reason, progress, opts.signal, opts.onLine);
    await opts.onDumped?.(manifest);
    return this.finishProof(s, manifest, opts);
  }

  /** The rest of a proof for a dump already made (an upgrade resumed after a crash continues here). */
  async finishProof(s: Session, manifest: Manifest, opts: ProveOptions): Promise<{ manifest: Manifest; verification: Verification | null }> {
    const progress = opts.onProgress ?? (() => undefined);
    await download(s, this.provenDeps, manifest, progress, opts.signal);
    let verification: Verification | null = null;
    if (opts.verify === 'server') verification = await verifyOnServer(s, this.provenDeps, manifest, progress, opts.signal, opts.onLine);
    if (opts.verify === 'local') verification = await verifyLocally(s, this.provenDeps, manifest, progress);
    progress('prune');
    await this.prune(s, manifest.id).catch((e: unknown) => this.deps.log.error('backup prune failed', e));
    return { manifest, verification };
  }

  async manifest(profileId: string, id: string, s?: Session): Promise<Manifest> {
    const local = await this.store.read(profileId, id);
    if (local) return local.manifest;
    if (s) {
      const listed = await this.serverListing(s);
      const m = listed.manifests.find((x) => x.id === id);
      if (m) {
        await this.store.save(profileId, m);
        return m;
      }
    }
    throw new AppError('backup.not_found', { backup: id });
  }

  // ---- list ---------------------------------------------------------------------------------------

  private async serverListing(s: Session): Promise<{ daily: { file: string; size: number; mtime: number }[]; proven: Set<string>; provenAt: Map<string, number>; manifests: Manifest[] }> {
    const r = await s.root(listScript(s.settings), { timeoutMs: 30_000 });
    const daily: { file: string; size: number; mtime: number }[] = [];
    const proven = new Set<string>();
    const provenAt = new Map<string, number>();
    const manifests: Manifest[] = [];
    for (const line of r.stdout.split('\n')) {
      const [kind, file = '', a = '', b = ''] = line.split('\t');
      if (kind === 'daily' && DAILY_FILE.test(file)) daily.push({ file, size: Number(a) || 0, mtime: Math.round(Number(b) * 1000) || 0 });
      if (kind === 'proven' && file.endsWith('.dump') && BACKUP_ID.test(file.slice(0, -5))) {
        proven.add(file.slice(0, -5));
        provenAt.set(file.slice(0, -5), Math.round(Number(b) * 1000) || 0);
      }
      if (kind === 'manifest') {
        try {
          const m = manifestSchema.safeParse(JSON.parse(Buffer.from(a, 'base64').toString('utf8')));
          if (m.success && `${m.data.id}.json` === file && m.data.profileId === s.profile.id) manifests.push(m.data);
        } catch {
          /* a manifest that does not parse is ignored, never trusted */
        }
      }
    }
    return { daily, proven, provenAt, manifests };
  }

  async list(profileId: string): Promise<BackupList> {
    const profile = await this.deps.profiles.get(profileId);
    const local = await this.store.list(profileId);
    let settings: ComposeDeploySettings | null;
    try {
      settings = this.settingsOf(profile);
    } catch {
      settings = null;
    }
    const views = new Map<string, BackupView>();
    const localById = new Map(local.map((c) => [c.record.manifest.id, c]));
    const provenView = (m: Manifest, onServer: boolean, copy: LocalCopy | undefined): BackupView => ({
      id: m.id,
      kind: 'proven',
      reason: m.reason,
      createdAt: Date.parse(m.createdAt),
      sizeBytes: m.sizeBytes,
      sha256: m.sha256,
      onServer,
      local: copy && copy.bytes > 0 ? { complete: copy.complete, bytes: copy.bytes } : null,
      verification: copy?.record.verifications.at(-1) ?? null,
      source: totals(m.tables),
    });
    for (const c of local) views.set(c.record.manifest.id, provenView(c.record.manifest, false, c));
    let serverError: BackupList['serverError'] = null;
    let dailyInstalled: boolean | null = null;
    if (settings?.postgres && profile.server) {
      const s = this.session(profile, settings);
      try {
        await s.open();
        const listed = await this.serverListing(s);
        for (const m of listed.manifests) {
          if (!localById.has(m.id)) await this.store.save(profileId, m);
          views.set(m.id, provenView(m, listed.proven.has(m.id), localById.get(m.id)));
        }
        const dailyChecks = await this.dailyVerifications(profileId);
        for (const d of listed.daily) {
          views.set(d.file, { id: d.file, kind: 'daily', reason: 'daily', createdAt: d.mtime, sizeBytes: d.size, sha256: null, onServer: true, local: null, verification: dailyChecks[d.file] ?? null, source: null });
        }
        const check = backupCronStep(settings).check;
        dailyInstalled = check ? (await s.root(check.script, { timeoutMs: 20_000 })).code === 0 : null;
      } catch (error) {
        serverError = (error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'backup.list' })).toEnvelope();
      } finally {
        s.close();
      }
    }
    const { snapshots, snapshotPrice: price } = await this.snapshotsOf(profile);
    return {
      profileId,
      database: settings?.postgres ?? null,
      dailyRetentionDays: settings?.postgres ? dailyRetention(settings) : null,
      dailyInstalled,
      keep: { server: SERVER_RETENTION.keep, local: LOCAL_RETENTION.keep },
      backups: [...views.values()].sort((a, b) => b.createdAt - a.createdAt),
      snapshots,
      snapshotPrice: price,
      serverError,
      localDir: this.store.dir(profileId),
    };
  }

  private async snapshotsOf(profile: Profile): Promise<Pick<BackupList, 'snapshots' | 'snapshotPrice'>> {
    const kind = profile.provider?.kind;
    if (!this.deps.provider || (kind !== 'hetzner' && kind !== 'ovh')) return { snapshots: null, snapshotPrice: null };
    let provider: Provider | null = null;
    try {
      provider = await this.deps.provider(kind);
      // The provider clients load on demand (the app starts without them).
      const { listSnapshots, snapshotPrice } = await import('./snapshots');
      const [snapshots, price] = await Promise.all([listSnapshots(provider, profile.id), snapshotPrice(provider)]);
      return { snapshots, snapshotPrice: price ? { ...price, estimateGb: null } : null };
    } catch (error) {
      this.deps.log.info(`backup: snapshots of ${profile.id} not listed (${error instanceof AppError ? error.code : 'error'})`);
      return { snapshots: null, snapshotPrice: null };
    } finally {
      provider?.close?.();
    }
  }

  private dailyVerificationsPath(profileId: string): string {
    return join(this.store.dir(profileId), 'daily-verifications.json');
  }

  private async dailyVerifications(profileId: string): Promise<Record<string, Verification>> {
    const r = await readVersionedJson(this.dailyVerificationsPath(profileId), { schema: dailyVerificationsSchema, version: 1, migrations: {} });
    return r.kind === 'ok' ? r.value.files : {};
  }

  // ---- retention ----------------------------------------------------------------------------------

  private async prune(s: Session, protect: string): Promise<void> {
    const listed = await this.serverListing(s);
    const now = this.now().getTime();
    const local = await this.store.list(s.profile.id);
    const proven = (id: string) => local.find((c) => c.record.manifest.id === id)?.record.verifications.some((v) => v.outcome === 'proven') ?? false;
    const onServer = toPrune(listed.manifests.map((m) => ({ id: m.id, createdAt: Date.parse(m.createdAt), proven: proven(m.id) })), SERVER_RETENTION, now, [protect]);
    // A dump without its manifest is what a run interrupted between the dump and the manifest left: gone after a day.
    for (const [id, at] of listed.provenAt) if (id !== protect && !listed.manifests.some((m) => m.id === id) && at < now - 86_400_000) onServer.push(id);
    if (onServer.length > 0) await s.root(pruneScript(s.settings, onServer));
    const here = toPrune(local.map((c) => ({ id: c.record.manifest.id, createdAt: Date.parse(c.record.manifest.createdAt), proven: proven(c.record.manifest.id) })), LOCAL_RETENTION, now, [protect]);
    for (const id of here) await this.store.remove(s.profile.id, id);
    if (onServer.length + here.length > 0) this.deps.log.info(`backup ${s.profile.id}: pruned ${onServer.length} on the server, ${here.length} here`);
  }

  // ---- background operations ----------------------------------------------------------------------

  status(profileId: string) {
    const a = this.active.get(profileId);
    return { active: a ? { operation: a.operation, backupId: a.backupId, last: a.last } : null };
  }

  cancel(): { cancelled: boolean } {
    let any = false;
    for (const a of this.active.values()) {
      a.controller.abort();
      any = true;
    }
    return { cancelled: any };
  }

  isBusy(profileId: string): boolean {
    return this.active.has(profileId);
  }

  /**
   * Checks what can be checked at once (the deployment exists, is deployable, has a database), then
   * runs the operation in the background; `done` is its end (CLI and tests).
   */
  async start(
    profileId: string,
    operation: BackupOperation,
    backupId: string | null,
    work: (ctx: { s: Session; progress: ProgressSink; signal: AbortSignal; onLine: (l: string) => void }) => Promise<{ backup?: BackupView | null; snapshot?: SnapshotView | null; backupId?: string }>,
  ): Promise<{ started: true; done: Promise<void> }> {
    if (this.active.has(profileId)) throw new AppError('backup.busy', {});
    const profile = await this.deps.profiles.get(profileId);
    const settings = this.settingsOf(profile);
    if (!settings.postgres && operation !== 'snapshot') throw new AppError('backup.no_database', {});
    if (this.active.has(profileId)) throw new AppError('backup.busy', {});
    const controller = new AbortController();
    const slot: Active = { operation, backupId, controller, last: null, done: Promise.resolve() };
    this.active.set(profileId, slot);
    const progress: ProgressSink = (stage: BackupStage, d = {}) => {
      const p: BackupProgress = { profileId, operation, backupId: slot.backupId, stage, bytes: d.bytes ?? null, totalBytes: d.totalBytes ?? null, rate: d.rate ?? null, resumedFrom: d.resumedFrom ?? null };
      slot.last = p;
      this.deps.emit('backup.progress', p);
    };
    const onLine = (l: string) => this.deps.log.info(`[backup ${profileId}] ${l}`);
    slot.done = (async () => {
      const s = this.session(profile, settings);
      try {
        progress('connect');
        await s.open();
        const out = await work({ s, progress, signal: controller.signal, onLine });
        if (out.backupId) slot.backupId = out.backupId;
        this.deps.emit('backup.finished', { profileId, operation, backupId: slot.backupId, outcome: 'succeeded', error: null, backup: out.backup ?? null, snapshot: out.snapshot ?? null });
      } catch (error) {
        const e = error instanceof AppError ? error : new AppError('internal.unexpected', { method: `backup.${operation}` });
        if (!(error instanceof AppError)) this.deps.log.error(`backup ${operation} failed`, error);
        this.deps.log.info(`backup ${profileId} ${operation}: ${e.code}`);
        this.deps.emit('backup.finished', { profileId, operation, backupId: slot.backupId, outcome: e.code === 'deploy.cancelled' ? 'cancelled' : 'failed', error: e.toEnvelope(), backup: null, snapshot: null });
      } finally {
        s.close();
        this.active.delete(profileId);
      }
    })();
    return { started: true, done: slot.done };
  }

  private async viewOf(profileId: string, id: string): Promise<BackupView | null> {
    const list = await this.list(profileId).catch(() => null);
    return list?.backups.find((b) => b.id === id) ?? null;
  }

  create(profileId: string, verify: VerifyPlace | 'none') {
    return this.start(profileId, 'create', null, async ({ s, progress, signal, onLine }) => {
      const { manifest } = await this.prove(s, { reason: 'manual', verify, onProgress: progress, onLine, signal });
      return { backupId: manifest.id, backup: await this.viewOf(profileId, manifest.id) };
    });
  }

  verify(profileId: string, ref: string, where: VerifyPlace) {
    return this.start(profileId, 'verify', ref, async ({ s, progress, signal, onLine }) => {
      if (DAILY_FILE.test(ref)) {
        progress('verify');
        const started = performance.now();
        const r = await verifyDailyOnServer(s, dailyPath(s.settings, ref), signal);
        if (!r.ok && r.failure !== 'truncated' && r.failure !== 'corrupt') throw failureError(r, { backup: ref, service: s.settings.postgres?.service ?? '' });
        const t = r.ok ? totals(r.value.tables) : { tables: 0, rows: 0, newest: null };
        const v: Verification = { at: this.now().toISOString(), where: 'server', outcome: r.ok ? 'restorable' : r.failure === 'truncated' ? 'truncated' : 'corrupt', restoreMs: Math.round(r.restoreMs), totalMs: Math.round(performance.now() - started), ...t, mismatches: [], detail: r.ok ? null : r.detail };
        const all = await this.dailyVerifications(profileId);
        await this.store.ensureDir(profileId);
        await writeJsonAtomic(this.dailyVerificationsPath(profileId), { version: 1, files: { ...all, [ref]: v } });
        if (!r.ok) throw failureError(r, { backup: ref, service: s.settings.postgres?.service ?? '' });
        return { backup: await this.viewOf(profileId, ref) };
      }
      const manifest = await this.manifest(profileId, ref, s);
      if (where === 'local') {
        await download(s, this.provenDeps, manifest, progress, signal);
        await verifyLocally(s, this.provenDeps, manifest, progress);
      } else await verifyOnServer(s, this.provenDeps, manifest, progress, signal, onLine);
      return { backup: await this.viewOf(profileId, ref) };
    });
  }

  download(profileId: string, ref: string) {
    return this.start(profileId, 'download', ref, async ({ s, progress, signal }) => {
      const manifest = await this.manifest(profileId, ref, s);
      await download(s, this.provenDeps, manifest, progress, signal);
      return { backup: await this.viewOf(profileId, ref) };
    });
  }

  restore(profileId: string, ref: string) {
    return this.start(profileId, 'restore', ref, async ({ s, progress, signal, onLine }) => {
      const target = DAILY_FILE.test(ref) ? { kind: 'daily' as const, file: ref } : { kind: 'proven' as const, manifest: await this.manifest(profileId, ref, s) };
      if (target.kind === 'proven') {
        const record = await this.store.read(profileId, ref);
        if (!record?.verifications.some((v) => v.outcome === 'proven')) throw new AppError('backup.not_proven', { backup: ref });
      }
      const r = await restoreIntoLive(s, this.provenDeps, target, progress, signal, onLine);
      this.deps.log.info(`backup ${profileId}: restored ${ref} (safety dump ${r.safety.id})`);
      return { backup: await this.viewOf(profileId, ref) };
    });
  }

  snapshot(profileId: string) {
    return this.start(profileId, 'snapshot', null, async ({ s, progress, signal }) => {
      const kind = s.profile.provider?.kind;
      const serverId = s.profile.settings[SERVER_ID_SETTING];
      if (!this.deps.provider || (kind !== 'hetzner' && kind !== 'ovh') || !serverId) throw new AppError('provider.unsupported', { provider: kind ?? 'existing', operation: 'snapshot' });
      progress('snapshot');
      const provider = await this.deps.provider(kind);
      const { takeSnapshot } = await import('./snapshots');
      try {
        return { snapshot: await takeSnapshot(provider, serverId, profileId, this.now(), signal) };
      } finally {
        provider.close?.();
      }
    });
  }

  installDaily(profileId: string) {
    return this.start(profileId, 'install-daily', null, async ({ s, progress, signal, onLine }) => {
      if (!s.settings.postgres) throw new AppError('backup.no_database', {});
      progress('install');
      await s.step(backupCronStep(s.settings), `backup-cron-${randomBytes(3).toString('hex')}`, { signal, onLine });
      return {};
    });
  }
}

/** The daily job's retention, read from the job the app installs (engine/steps/cron.ts), not repeated here. */
export function dailyRetention(settings: ComposeDeploySettings): number | null {
  const m = /-mtime \+(\d+)/.exec(backupScript(settings));
  return m ? Number(m[1]) : null;
}
