import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { posix } from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import type { LockTiming } from '../engine/lock-keeper';
import type { HealthSummary, Recognized, UpgradeOptions, UpgradePlan, UpgradeRun, UpgradeTarget } from '../../shared/contract-upgrade';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { AppError } from '../../shared/errors';
import { getPhase } from '../../shared/phases';
import { PHASE_SINCE_SETTING, profileIdSchema, type Profile } from '../../shared/profile';
import type { BackupService } from '../backup/backup-service';
import { Session } from '../backup/session';
import { DEFAULT_LAYOUT } from '../engine/types';
import type { Logger } from '../log';
import type { Provider } from '../providers/provider';
import { waitForSsh } from '../providers/wait-for-ssh';
import type { SecretStore } from '../secrets/secret-store';
import { SshConnection } from '../ssh/connection';
import type { ProfileStore } from '../store/profile-store';
import { composeSettingsFrom } from '../services/deploy-settings';
import { providerFacts } from './facts';
import { UpgradeJournalStore } from './journal';
import { buildPlan, type BuiltPlan } from './plan';
import { detailScript, parseDetail, parseRecognize, phaseOf, postgresService, recognizeScript } from './recognize';
import { runView, UpgradeRunner } from './runner';
import type { Checklist } from '../../shared/contract-k3s';
import type { Phase4Item, UpgradeConfirmation } from '../../shared/contract-upgrade';
import { buildK3sPlan } from './to-k3s-plan';
import { migrationOf, recordMigration, rollbackToServer, serverFrozen, setClusterDatabase, toK3sDeps, type ToK3sServiceDeps } from './to-k3s-service';
import { confirmPhase4, finishPhase4, phase4Plan } from './to-phase4';
import { listVersions, planVersion, recordVersion, resumeVersion } from './version-service';
import type { ComposeDeploySettings } from '../engine/types';

// The upgrade use cases: the plan (what the provider says now, priced), the run in the background with
// its events (one at a time; resumed after a crash or a cut), its status, the timeline marks of the
// dashboard, and recognising a deployment from its server. Plain Node, like every service.

export interface UpgradeServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  secrets: SecretStore;
  log: Logger;
  backups: BackupService;
  connect: (profile: Profile) => Promise<SshConnection>;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  provider?: (kind: 'hetzner' | 'ovh') => Promise<Provider>;
  /** One health sample of the deployment now, for the before/after figures. */
  health?: (profileId: string) => Promise<HealthSummary | null>;
  /** The deployment was recorded at its new phase (the health service reloads it). */
  onRecorded?: (profileId: string) => Promise<void>;
  secretName: (profileId: string, key: string) => string;
  /** Tests: how the SSH wait after a reboot probes. */
  sshWait?: { initialDelayMs?: number; maxDelayMs?: number; timeoutMs?: number };
  /** Tests: the server lock's heartbeat period and staleness (lock-keeper.ts defaults: 20 s / 90 s). */
  lock?: LockTiming;
  /** Phase 2 → 3: resolvers, waits, PostgreSQL programs (tests: local ones). */
  toK3s?: Partial<Pick<ToK3sServiceDeps, 'dnsServers' | 'resolvers' | 'propagation' | 'clusterWait' | 'binDir' | 'readCluster'>>;
  /** Phase 3 → 4: the K3s screens' pre-production checklist of a profile. */
  phase4Checklist?: (profileId: string) => Promise<Checklist | null>;
  /** Version update: the deployment's settings with its secrets, `.env` replaced (the deploy service's). */
  deploySettings?: (profile: Profile, envContent: string) => Promise<ComposeDeploySettings>;
  /** Version update: the env example the saved recipe names. */
  envExamplePath?: (profileId: string) => Promise<string | null>;
  now?: () => Date;
}

interface Active {
  profileId: string;
  controller: AbortController;
  runner: UpgradeRunner;
  done: Promise<UpgradeRun | null>;
}

export class UpgradeService {
  readonly journals: UpgradeJournalStore;
  private active: Active | null = null;

  constructor(private readonly deps: UpgradeServiceDeps) {
    this.journals = new UpgradeJournalStore(deps.dataDir);
  }

  private async providerOf(profile: Profile): Promise<Provider | null> {
    const kind = profile.provider?.kind;
    if (kind !== 'hetzner' && kind !== 'ovh') return null;
    if (!this.deps.provider) throw new AppError('upgrade.provider_unsupported', { provider: kind });
    return this.deps.provider(kind);
  }

  /** The plan and what runs it; exhaustive over the targets (the second wave adds versions and phases 3–4). */
  private async build(profileId: string, target: UpgradeTarget, options: UpgradeOptions, starting = false): Promise<{ built: BuiltPlan; profile: Profile; provider: Provider | null; after?: ComposeDeploySettings }> {
    const profile = await this.deps.profiles.get(profileId);
    switch (target.kind) {
      case 'version': {
        const { built, after } = await planVersion(this.deps, profile, target.ref, options, starting);
        return { built, profile, provider: null, after };
      }
      case 'phase': {
        if (profile.phase >= target.toPhase) throw new AppError('upgrade.already_done', { phase: profile.phase });
        if (profile.phase !== target.toPhase - 1) throw new AppError('upgrade.not_available', { from: profile.phase, to: target.toPhase });
        if (target.toPhase === 3) {
          const migration = await migrationOf(this.k3sDeps, profile, options);
          return { built: buildK3sPlan({ profileId, before: this.deps.backups.settingsOf(profile), migration, serverMonthly: null, redact: (t) => this.deps.log.redact(t) }), profile, provider: null };
        }
        if (target.toPhase === 4) throw new AppError('upgrade.not_available', { from: profile.phase, to: 4 });
        const before = this.deps.backups.settingsOf(profile);
        const after = composeSettingsFrom({ ...profile, phase: target.toPhase }, { envContent: 'x', publicKey: 'x' });
        const provider = await this.providerOf(profile);
        try {
          const facts = await providerFacts(provider, profile, getPhase(target.toPhase), options.offerId, async () => this.memoryGb(profile));
          const built = buildPlan({ kind: 'phase-1-2', profileId, fromPhase: profile.phase, toPhase: target.toPhase, before, after, facts, options, redact: (t) => this.deps.log.redact(t) });
          if (built.exec.route !== 'in-place' && !built.exec.targetName) throw new AppError('upgrade.no_offer', { provider: profile.provider?.kind ?? 'existing' });
          return { built, profile, provider };
        } catch (error) {
          provider?.close?.();
          throw error;
        }
      }
      default: {
        const never: never = target;
        throw new AppError('upgrade.not_available', { from: profile.phase, to: String((never as { kind: string }).kind) });
      }
    }
  }

  private async memoryGb(profile: Profile): Promise<number | null> {
    const conn = await this.deps.connect(profile);
    try {
      const r = await conn.exec("awk '/MemTotal/ {print $2}' /proc/meminfo");
      const kb = Number(r.stdout.trim());
      return Number.isFinite(kb) && kb > 0 ? kb / 1024 / 1024 : null;
    } finally {
      conn.close();
    }
  }

  /**
   * The confirmed plan of a run stopped half-way (its downtime started: the server may be off, or of the
   * new type already): it is resumed as it was, never planned again.
   */
  private async halfway(profileId: string): Promise<BuiltPlan | null> {
    const j = await this.journals.read(profileId);
    // A phase 2 → 3 run rolled back is over: the server is as it was.
    const rolledBack = j?.kind === 'phase-2-3' && j.outcome === 'cancelled';
    // A move to K3s is half-way once the server went read-only: reopened (from the dashboard's banner, say), it
    // shows that run with its plan, not a new plan made from what the DNS and the form say now.
    return j && j.outcome !== 'succeeded' && !rolledBack && (j.downtime.startedAt !== null || serverFrozen(j)) && !j.rollback ? j.plan : null;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private get k3sDeps(): ToK3sServiceDeps {
    return { dataDir: this.deps.dataDir, profiles: this.deps.profiles, secrets: this.deps.secrets, secretName: this.deps.secretName, registerSecret: (v) => this.deps.log.registerSecret(v), ...this.deps.toK3s };
  }

  private get phase4Deps() {
    return { profiles: this.deps.profiles, checklist: this.deps.phase4Checklist };
  }

  /** Phase 3 → 4 is a checklist: its plan, or null for the other moves. */
  private async checklistPlan(profileId: string, target: UpgradeTarget): Promise<Profile | null> {
    if (target.kind !== 'phase' || target.toPhase !== 4) return null;
    const profile = await this.deps.profiles.get(profileId);
    if (profile.phase >= 4) throw new AppError('upgrade.already_done', { phase: profile.phase });
    if (profile.phase !== 3) throw new AppError('upgrade.not_available', { from: profile.phase, to: 4 });
    return profile;
  }

  async plan(profileId: string, target: UpgradeTarget, options: UpgradeOptions = {}): Promise<UpgradePlan> {
    const p4 = await this.checklistPlan(profileId, target);
    if (p4) return phase4Plan(this.phase4Deps, p4);
    const stopped = await this.halfway(profileId);
    if (stopped) return stopped.view;
    const { built, provider } = await this.build(profileId, target, options);
    provider?.close?.();
    return built.view;
  }

  async start(profileId: string, target: UpgradeTarget, options: UpgradeOptions, planHash: string, opts: { confirmPrice?: number; fresh?: boolean; confirm?: UpgradeConfirmation[] } = {}): Promise<{ started: true; runId: string; done: Promise<UpgradeRun | null> }> {
    if (this.active) throw new AppError('upgrade.busy', {});
    if (await this.checklistPlan(profileId, target)) {
      const run = await finishPhase4(this.phase4Deps, profileId, this.deps.now ?? (() => new Date()));
      this.deps.emit('profiles.changed', { ids: [profileId] });
      // After the answer, as for a run: the screen takes `started` first, then the result.
      setTimeout(() => this.deps.emit('upgrade.finished', { profileId, run }), 0);
      return { started: true, runId: run.runId, done: Promise.resolve(run) };
    }
    if (this.deps.backups.isBusy(profileId)) throw new AppError('backup.busy', {});
    const stopped = await this.halfway(profileId);
    const { built, profile, provider, after: versionAfter } = stopped && !opts.fresh ? { built: stopped, profile: await this.deps.profiles.get(profileId), provider: stopped.view.kind === 'version' ? null : await this.providerOf(await this.deps.profiles.get(profileId)), after: undefined } : await this.build(profileId, target, options, true);
    if (built.view.planHash !== planHash) {
      provider?.close?.();
      throw new AppError('upgrade.plan_changed', {});
    }
    if (built.exec.route === 'ovh-vps-order') {
      const price = built.view.order?.priceNet ?? null;
      if (price === null || opts.confirmPrice === undefined || opts.confirmPrice + 0.005 < price) {
        provider?.close?.();
        throw new AppError('upgrade.price_not_confirmed', { price: price ?? 0, confirmed: opts.confirmPrice ?? 0, currency: built.view.order?.currency ?? 'EUR' });
      }
      built.exec.orderPrice = opts.confirmPrice;
    }
    await this.deps.secrets.get(this.deps.secretName(profileId, DEPLOY_SECRETS.env)).then((env) => env && this.deps.log.registerSecret(env));
    const settings = this.deps.backups.settingsOf(profile);
    const migration = built.view.kind === 'phase-2-3' ? built.view.migration : undefined;
    const version = built.view.version ?? null;
    // Phase 2 → 3 leaves the server's deployment as it is (it only goes read-only): its settings stay phase 2's.
    const after = migration ? settings : version ? (versionAfter ?? (await resumeVersion(this.deps, profile, version, options))) : composeSettingsFrom({ ...profile, phase: built.view.toPhase as 1 | 2 }, { envContent: 'x', publicKey: 'x' });
    const session = new Session(profile, settings, { connect: this.deps.connect, redact: (t) => this.deps.log.redact(t), log: (l) => this.deps.log.info(l) });
    const controller = new AbortController();
    const runner = new UpgradeRunner({
      session,
      after,
      journals: this.journals,
      backups: this.deps.backups,
      provider,
      owner: { owner: userInfo().username, machine: hostname() },
      emit: this.deps.emit,
      log: (l) => this.deps.log.info(l),
      health: async () => (this.deps.health ? this.deps.health(profileId) : null),
      waitForSsh: async (signal) => {
        if (!profile.server?.hostKeySha256) return;
        await waitForSsh({ host: profile.server.host, port: profile.server.port, hostKeySha256: profile.server.hostKeySha256, timeoutMs: this.deps.sshWait?.timeoutMs ?? 15 * 60_000, signal, ...this.deps.sshWait });
      },
      recordProfile: async () => (migration ? this.recordK3s(profileId, migration) : version ? recordVersion(this.deps, profileId, version.to.ref, after.envContent).then(() => this.deps.emit('profiles.changed', { ids: [profileId] })) : this.record(profileId, built)),
      redact: (t) => this.deps.log.redact(t),
      onRecorded: async () => this.deps.onRecorded?.(profileId),
      ...(migration ? { toK3s: toK3sDeps(this.k3sDeps, profileId, migration, this.deps.backups, opts.confirm ?? []) } : {}),
      now: this.deps.now,
      lock: this.deps.lock,
    });
    const slot: Active = { profileId, controller, runner, done: Promise.resolve(null) };
    this.active = slot;
    const cleanup = () => {
      session.close();
      provider?.close?.();
      this.active = null;
    };
    let runId: string;
    try {
      runId = await runner.prepare(built, opts.fresh ?? false);
    } catch (error) {
      cleanup();
      throw error;
    }
    slot.done = (async () => {
      try {
        return await runner.execute(built, controller.signal);
      } catch (error) {
        const e = error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'upgrade.start' });
        if (!(error instanceof AppError)) this.deps.log.error('upgrade failed', error);
        const journal = await this.journals.read(profileId);
        const run: UpgradeRun = journal && journal.planHash === built.view.planHash ? { ...runView(journal), outcome: 'failed', error: e.toEnvelope() } : failedRun(built, e);
        this.deps.emit('upgrade.finished', { profileId, run });
        return run;
      } finally {
        cleanup();
      }
    })();
    return { started: true, runId, done: slot.done };
  }

  private async record(profileId: string, built: BuiltPlan): Promise<void> {
    const profile = await this.deps.profiles.get(profileId);
    const name = built.view.target?.name;
    const provider =
      profile.provider?.kind === 'hetzner' && name
        ? { ...profile.provider, serverType: name }
        : profile.provider?.kind === 'ovh' && name
          ? { ...profile.provider, offer: built.exec.route === 'ovh-cloud-resize' ? built.view.target!.id.replace(/^ovh:/, '') : name }
          : profile.provider;
    await this.deps.profiles.update(profile, { phase: built.view.toPhase as Profile['phase'], provider, settings: { ...profile.settings, [PHASE_SINCE_SETTING]: String(this.now().getTime()) } });
    this.deps.emit('profiles.changed', { ids: [profileId] });
  }

  private async recordK3s(profileId: string, migration: NonNullable<UpgradePlan['migration']>): Promise<void> {
    await recordMigration(this.k3sDeps, profileId, migration, this.now().getTime());
    this.deps.emit('profiles.changed', { ids: [profileId] });
  }

  async setClusterDatabase(input: Parameters<typeof setClusterDatabase>[1]): Promise<{ saved: true }> {
    const r = await setClusterDatabase(this.k3sDeps, input);
    this.deps.emit('profiles.changed', { ids: [input.profileId] });
    return r;
  }

  /** Phase 2 → 3 not confirmed: back to the server (see to-k3s-service.ts). */
  async rollback(profileId: string, before?: () => Promise<void>) {
    if (this.active) throw new AppError('upgrade.busy', {});
    const j = await this.journals.read(profileId);
    if (!j || j.kind !== 'phase-2-3' || j.outcome === 'succeeded') throw new AppError('upgrade.rollback_unavailable', {});
    await before?.();
    const profile = await this.deps.profiles.get(profileId);
    const session = new Session(profile, this.deps.backups.settingsOf(profile), { connect: this.deps.connect, redact: (t) => this.deps.log.redact(t), log: (l) => this.deps.log.info(l) });
    try {
      const r = await rollbackToServer(this.journals, session, this.deps.now ?? (() => new Date()));
      this.deps.emit('upgrade.finished', { profileId, run: r.run });
      return { rolledBack: true as const, records: r.records, propagated: r.propagated };
    } finally {
      session.close();
    }
  }

  async phase4Confirm(profileId: string, item: Phase4Item, done: boolean) {
    const items = await confirmPhase4(this.phase4Deps, profileId, item, done, this.deps.now ?? (() => new Date()));
    this.deps.emit('profiles.changed', { ids: [profileId] });
    return { items };
  }

  /** The version update's ref picker. */
  async versions(profileId: string) {
    return listVersions(this.deps, await this.deps.profiles.get(profileId));
  }

  cancel(): { cancelled: boolean } {
    if (!this.active) return { cancelled: false };
    this.active.controller.abort();
    return { cancelled: true };
  }

  async status(profileId: string): Promise<{ active: boolean; run: UpgradeRun | null }> {
    const journal = await this.journals.read(profileId);
    return { active: this.active?.profileId === profileId, run: journal ? runView(journal) : null };
  }

  async timeline(profileId: string, from: number, to: number) {
    return { marks: (await this.journals.marks(profileId)).filter((m) => m.at >= from && m.at <= to) };
  }

  /** Connects to a server the app deployed (key from a file, host key as the user accepted it) and makes its profile. */
  async recognize(input: { host: string; port: number; user: string; hostKeySha256: string; keyPath: string; stateDir?: string; save: boolean }): Promise<Recognized> {
    let key: string;
    try {
      key = await readFile(input.keyPath, 'utf8');
    } catch {
      throw new AppError('deploy.key_file_unreadable', { path: input.keyPath.slice(0, 200) });
    }
    this.deps.log.registerSecret(key);
    const conn = await SshConnection.connect({ host: input.host, port: input.port, user: input.user, privateKey: key }, { hostKeySha256: input.hostKeySha256 });
    try {
      const privilege = await conn.privilege();
      const stateDir = input.stateDir ?? DEFAULT_LAYOUT.stateDir;
      const root = (script: string) => conn.run(script, { privilege: privilege === 'sudo' ? 'sudo' : 'user', timeoutMs: 30_000 });
      const found = parseRecognize((await root(recognizeScript(stateDir))).stdout);
      if (!found.journal) throw new AppError('recognize.not_found', { host: input.host, stateDir });
      const pg = postgresService(found.compose);
      const detail = found.compose ? parseDetail((await root(detailScript(found.compose.workingDir, pg?.container ?? null))).stdout) : null;
      let profileId = profileIdSchema.safeParse(found.journal.profileId).success ? found.journal.profileId : 'koprogo';
      const existing = await this.deps.profiles.get(profileId).catch(() => null);
      if (existing && existing.server?.host !== input.host) throw new AppError('recognize.other_deployment', { profile: profileId, host: existing.server?.host ?? '' });
      const files = (found.compose?.files ?? []).filter((f) => f !== 'docker-compose.koprogo.yml');
      const wd = found.compose?.workingDir ?? null;
      const postgres = pg && detail?.postgresUser ? { service: pg.service, user: detail.postgresUser, database: detail.postgresDb ?? detail.postgresUser } : null;
      const phase = phaseOf(found.compose);
      const result: Recognized = {
        profileId,
        journal: { profileId: found.journal.profileId, runId: found.journal.runId, outcome: found.journal.outcome, finishedAt: found.journal.finishedAt },
        phase,
        composeProject: found.compose?.project ?? null,
        composeFiles: files,
        checkout: wd,
        repo: detail?.remote ? { url: detail.remote, ref: detail.ref ?? 'main' } : null,
        deployUser: detail?.owner ?? null,
        postgres,
        saved: false,
      };
      if (!input.save) return result;
      const settings: Record<string, string> = { ...(existing?.settings ?? {}) };
      if (found.compose) settings.composeProject = found.compose.project;
      if (files.length > 0) settings.composeFiles = files.join(',');
      if (wd) {
        settings['layout.appRoot'] = posix.dirname(wd);
        settings.checkoutName = posix.basename(wd);
      }
      if (stateDir !== DEFAULT_LAYOUT.stateDir) settings['layout.stateDir'] = stateDir;
      if (detail?.owner && detail.owner !== 'root') settings.deployUser = detail.owner;
      // The app's own description of the deployment, when it left one: its layout and names win.
      const d = found.description?.profileId === found.journal.profileId ? found.description : null;
      if (d) {
        for (const [k, v] of Object.entries(d.layout)) if (v !== (DEFAULT_LAYOUT as unknown as Record<string, string>)[k]) settings[`layout.${k}`] = v;
        settings.composeProject = d.composeProject;
        settings.composeFiles = d.composeFiles.join(',');
        settings.checkoutName = d.checkoutName;
        settings.envFile = d.envFile;
        settings.deployUser = d.deployUser;
      }
      if (postgres) {
        settings['postgres.service'] = postgres.service;
        settings['postgres.user'] = postgres.user;
        settings['postgres.database'] = postgres.database;
        settings['tuning.postgres'] ??= postgres.service;
      }
      const profile = existing
        ? await this.deps.profiles.update(existing, { phase, settings })
        : await this.deps.profiles.save({
            id: profileId,
            name: `${profileId} (${input.host})`,
            phase,
            provider: { kind: 'existing' },
            server: { host: input.host, port: input.port, user: input.user, hostKeySha256: input.hostKeySha256 },
            repo: result.repo,
            settings,
            secrets: {},
          });
      profileId = profile.id;
      await this.deps.secrets.set(this.deps.secretName(profileId, DEPLOY_SECRETS.sshKey), key);
      this.deps.emit('profiles.changed', { ids: [profileId] });
      return { ...result, profileId, saved: true };
    } finally {
      conn.close();
    }
  }
}

function failedRun(built: BuiltPlan, e: AppError): UpgradeRun {
  const now = new Date().toISOString();
  return {
    runId: '',
    kind: built.view.kind,
    route: built.view.route,
    toPhase: built.view.toPhase,
    planHash: built.view.planHash,
    outcome: 'failed',
    startedAt: now,
    finishedAt: now,
    steps: built.order.map((id) => ({ id, state: 'pending' as const })),
    downtimeMs: null,
    before: null,
    after: null,
    backupId: null,
    error: e.toEnvelope(),
  };
}
