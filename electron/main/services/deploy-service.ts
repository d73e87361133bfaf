import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import ssh2 from 'ssh2';
import type { z } from 'zod';
import type { EventName, EventPayload } from '../../shared/contract';
import type { Adoption, PlanReview } from '../../shared/deploy-review';
import type { MissingSecretKind } from '../../shared/secret-kinds';
import { DEPLOY_SECRETS, type PlanEntry, type runStatusSchema } from '../../shared/deploy';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { LocalJournalStore } from '../engine/journal';
import { RunRecordStore, type RunRecorder } from '../engine/run-record';
import { renderPlan } from '../engine/plan';
import { Remote } from '../engine/remote';
import { machineId } from '../engine/run-identity';
import { StepRunner, type RunnerDeps, type RunResult } from '../engine/runner';
import { buildComposeSteps } from '../engine/steps/compose-plan';
import { checkoutDir, joinPath } from '../engine/steps/shell';
import { shQuote } from '../ssh/quote';
import type { Step } from '../engine/types';
import { MASK, type Logger } from '../log';
import { envSecrets, maskEnvContent } from '../recipe/env-secrets';
import type { SecretStore } from '../secrets/secret-store';
import { SshConnection, type ConnectOptions } from '../ssh/connection';
import { generateEd25519 } from '../ssh/keys';
import type { ProfileStore } from '../store/profile-store';
import { monitoringJobs, monitorStatusCommand, parseMonitorStatus } from '../engine/steps/monitoring';
import type { ComposeDeploySettings } from '../engine/types';
import { mergeAdoptedEnv, probeAdoption } from './deploy-adoption';
import { planReview } from './deploy-review';
import { composeSettingsFrom, deploySettingsSchema, GITHUB_TOKEN_SECRET_NAME, type DeploySecrets } from './deploy-settings';
import { checkPublicHealth, type PublicHealth } from './public-health';

// The deployment use cases: server access (key, host key, checks), plan, run, cancel, status.
// Plain Node: the same service runs in the desktop app, web mode, the CLI and the tests.

export interface DeployServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  secrets: SecretStore;
  log: Logger;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  /** For tests: connect through a proxy that can cut the connection. */
  connectOptions?: Partial<ConnectOptions>;
  /** The env example the configuration form was built from (classifies `.env` keys as the form did). */
  envExample?: (profileId: string) => Promise<string | null>;
  /** The production compose files as the recipe read them (the 127.0.0.1 copies are made from them). */
  composeTexts?: (profileId: string) => Promise<Record<string, string> | null>;
}

const sshUtils = ssh2.utils;

export function secretName(profileId: string, key: string): string {
  return `${profileId}.${key}`;
}

export interface ServerCheck {
  privilege: 'root' | 'sudo';
  os: string;
  memoryMb: number;
  diskFreeGb: number;
}

export class DeployService {
  private readonly journals: LocalJournalStore;
  private readonly runRecords: RunRecordStore;
  private active: { profileId: string; runId: string | null; controller: AbortController; done: Promise<RunResult | null> } | null = null;

  constructor(private readonly deps: DeployServiceDeps) {
    this.journals = new LocalJournalStore(deps.dataDir);
    this.runRecords = new RunRecordStore(deps.dataDir);
  }

  // ---- server access -----------------------------------------------------------------------------

  /** A new ed25519 key for this profile; the private half goes to the secret store only. */
  async generateKey(profileId: string): Promise<{ publicKey: string }> {
    const pair = generateEd25519(`koprogo-deploy@${profileId}`);
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.sshKey), pair.privateKey);
    this.deps.log.registerSecret(pair.privateKey);
    return { publicKey: pair.publicKey };
  }

  /**
   * A read-only deploy key for a private repository: the private half stays in the secret store and
   * goes to the server only; the public half is added to the repository (GitHub: Settings → Deploy keys).
   */
  async generateRepoKey(profileId: string): Promise<{ publicKey: string }> {
    const pair = generateEd25519(`koprogo-deploy-repo@${profileId}`);
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.repoKey), pair.privateKey);
    this.deps.log.registerSecret(pair.privateKey);
    return { publicKey: pair.publicKey };
  }

  async forgetRepoKey(profileId: string): Promise<void> {
    await this.deps.secrets.delete(secretName(profileId, DEPLOY_SECRETS.repoKey));
  }

  async repoPublicKey(profileId: string): Promise<string | null> {
    const key = await this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.repoKey));
    return key ? publicKeyOf(key) : null;
  }

  /** Imports an existing private key file (read once, kept in the secret store). */
  async importKeyFile(profileId: string, path: string): Promise<{ publicKey: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new AppError('deploy.key_file_unreadable', { path: path.slice(0, 200) });
    }
    const publicKey = publicKeyOf(text);
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.sshKey), text);
    this.deps.log.registerSecret(text);
    return { publicKey };
  }

  async publicKey(profileId: string): Promise<string | null> {
    const key = await this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.sshKey));
    return key ? publicKeyOf(key) : null;
  }

  async probeHostKey(host: string, port: number, user: string): Promise<string> {
    return SshConnection.probeHostKey({ host, port, user }, { readyTimeoutMs: this.deps.connectOptions?.readyTimeoutMs });
  }

  async connect(profile: Profile): Promise<SshConnection> {
    if (!profile.server) throw new AppError('deploy.not_ready', { missing: 'server' });
    const key = await this.deps.secrets.get(secretName(profile.id, DEPLOY_SECRETS.sshKey));
    // A server already trusted had a key: it was lost (a session-only store after a restart), not never given.
    if (!key) throw profile.server.hostKeySha256 ? new AppError('secret.missing', { secret: 'sshKey' }) : new AppError('deploy.not_ready', { missing: 'SSH key' });
    this.deps.log.registerSecret(key);
    return SshConnection.connect(
      { host: profile.server.host, port: profile.server.port, user: profile.server.user, privateKey: key },
      { hostKeySha256: profile.server.hostKeySha256 ?? null, keepaliveIntervalMs: 5000, ...this.deps.connectOptions },
    );
  }

  /** Reachability, sudo, OS, memory and disk, before anything changes on the server. */
  async checkServer(profileId: string): Promise<ServerCheck> {
    const profile = await this.deps.profiles.get(profileId);
    const conn = await this.connect(profile);
    try {
      const privilege = await conn.privilege();
      const r = await conn.exec(". /etc/os-release 2>/dev/null; printf '%s\\n' \"${PRETTY_NAME:-unknown}\"; awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo; df -Pk / | awk 'NR==2 {print int($4/1048576)}'; nproc 2>/dev/null || echo 0");
      const [os, mem, disk, cpus] = r.stdout.trim().split('\n');
      const check = { privilege, os: (os ?? 'unknown').slice(0, 80), memoryMb: Number(mem) || 0, diskFreeGb: Number(disk) || 0 };
      // Kept for the plan: what building from source costs on this server.
      if (check.memoryMb > 0) await this.deps.profiles.update(profile, { settings: { ...profile.settings, 'server.memoryMb': String(check.memoryMb), 'server.vcpu': String(Number(cpus) || 0) } }).catch(() => undefined);
      return check;
    } finally {
      conn.close();
    }
  }

  /**
   * The `.env` the server runs with now (a re-run from another computer, or after a session-only run), read as
   * root over SSH; null when the server has none yet. Its values are registered as secrets for redaction.
   */
  async readServerEnv(profileId: string): Promise<string | null> {
    const profile = await this.deps.profiles.get(profileId);
    const settings = composeSettingsFrom(profile, { envContent: 'x', publicKey: 'x', purpose: 'server' });
    const path = joinPath(checkoutDir(settings), settings.envFile);
    const conn = await this.connect(profile);
    try {
      const remote = new Remote(conn, await conn.privilege(), settings.layout);
      const r = await remote.root(`if [ -f ${shQuote(path)} ]; then printf 'present\\n'; cat -- ${shQuote(path)}; else printf 'absent\\n'; fi`, { timeoutMs: 20_000 });
      const [head, ...rest] = r.stdout.split('\n');
      if (r.code !== 0 || (head !== 'present' && head !== 'absent')) throw new AppError('ssh.exec_failed', { host: profile.server?.host ?? '' });
      if (head === 'absent') return null;
      const text = rest.join('\n');
      await this.registerEnvSecrets(text, profileId);
      return text;
    } finally {
      conn.close();
    }
  }

  // ---- secrets lost with the session ------------------------------------------------------------

  /**
   * Secrets this profile had and this app no longer holds (a session-only store after a restart): the
   * SSH key of a server already trusted, the `.env` of a deployment that ran, the deploy key of a private
   * repository it was added to. In the order the user gives them back (the key first: it reads the rest).
   */
  async missingSecrets(profileOrId: Profile | string): Promise<MissingSecret[]> {
    const profile = typeof profileOrId === 'string' ? await this.deps.profiles.get(profileOrId) : profileOrId;
    const has = async (key: string) => !!(await this.deps.secrets.get(secretName(profile.id, key)));
    const out: MissingSecret[] = [];
    if (profile.server?.hostKeySha256 && !(await has(DEPLOY_SECRETS.sshKey))) out.push('sshKey');
    if ((await this.journals.read(profile.id)) && !(await has(DEPLOY_SECRETS.env))) out.push('env');
    if (profile.settings['repo.deployKeyId'] && !(await has(DEPLOY_SECRETS.repoKey))) out.push('repoKey');
    return out;
  }

  /** The SSH key given back (file or paste): it must be a key the server accepts before it is kept. */
  async provideKey(profileId: string, privateKey: string): Promise<{ publicKey: string }> {
    const publicKey = publicKeyOf(privateKey);
    this.deps.log.registerSecret(privateKey);
    const profile = await this.deps.profiles.get(profileId);
    if (profile.server?.hostKeySha256) {
      let conn: SshConnection;
      try {
        conn = await SshConnection.connect(
          { host: profile.server.host, port: profile.server.port, user: profile.server.user, privateKey },
          { hostKeySha256: profile.server.hostKeySha256, ...this.deps.connectOptions },
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'ssh.auth_failed') throw new AppError('secret.key_mismatch', { host: profile.server.host, user: profile.server.user });
        throw error;
      }
      conn.close();
    }
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.sshKey), privateKey);
    return { publicKey };
  }

  /** The `.env` taken back from the server's checkout (a deployment that ran has one there). */
  async envFromServer(profileId: string): Promise<{ found: boolean; keys: string[] }> {
    const text = await this.readServerEnv(profileId);
    if (text === null) return { found: false, keys: [] };
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.env), text);
    return { found: true, keys: envKeys(text) };
  }

  // ---- plan and run ------------------------------------------------------------------------------

  /** The settings with the profile's secrets and another `.env` (the version update's new one, at its new ref). */
  async settingsFor(profile: Profile, envContent: string): Promise<ComposeDeploySettings> {
    return this.settings(profile, envContent);
  }

  /** The settings the steps are built with: the profile, its secrets, the recipe's compose files. */
  private async settings(profile: Profile, envOverride?: string): Promise<ComposeDeploySettings> {
    const missing = (await this.missingSecrets(profile)).filter((m) => envOverride === undefined || m !== 'env');
    if (missing[0]) throw new AppError('secret.missing', { secret: missing[0] });
    const envContent = envOverride ?? (await this.deps.secrets.get(secretName(profile.id, DEPLOY_SECRETS.env))) ?? '';
    if (!envContent.trim()) throw new AppError('deploy.not_ready', { missing: '.env' });
    const publicKey = await this.publicKey(profile.id);
    if (!publicKey) throw new AppError('deploy.not_ready', { missing: 'SSH key' });
    await this.registerEnvSecrets(envContent, profile.id);
    const secrets: DeploySecrets = {
      envContent,
      publicKey,
      repoKey: await this.deps.secrets.get(secretName(profile.id, DEPLOY_SECRETS.repoKey)),
      githubToken: profile.settings['registry.auth'] === 'github' ? await this.deps.secrets.get(GITHUB_TOKEN_SECRET_NAME) : null,
      registryPassword: profile.settings['registry.auth'] === 'password' ? await this.deps.secrets.get(secretName(profile.id, DEPLOY_SECRETS.registryPassword)) : null,
      composeTexts: profile.settings['exposure.bindLocal'] === 'yes' ? ((await this.deps.composeTexts?.(profile.id)) ?? null) : null,
    };
    if (secrets.repoKey) this.deps.log.registerSecret(secrets.repoKey, { label: 'repository deploy key' });
    if (secrets.githubToken) this.deps.log.registerSecret(secrets.githubToken, { label: 'GitHub token (registry login)' });
    if (secrets.registryPassword) this.deps.log.registerSecret(secrets.registryPassword, { label: 'registry password' });
    const settings = composeSettingsFrom(profile, secrets);
    const dbPassword = settings.monitoringNeeds?.database?.password;
    if (dbPassword) this.deps.log.registerSecret(dbPassword, { label: 'database password (monitoring)' });
    return settings;
  }

  private async steps(profile: Profile): Promise<Step[]> {
    return buildComposeSteps(await this.settings(profile));
  }

  /** Registers the profile's secrets (key, .env values, repository key) for redaction, e.g. before showing container logs. */
  async registerProfileSecrets(profileId: string): Promise<void> {
    for (const key of [DEPLOY_SECRETS.sshKey, DEPLOY_SECRETS.repoKey]) {
      const value = await this.deps.secrets.get(secretName(profileId, key));
      if (value) this.deps.log.registerSecret(value, { label: key });
    }
    const env = await this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
    if (env) await this.registerEnvSecrets(env, profileId);
  }

  private async envExample(profileId: string | null): Promise<string | null> {
    if (!profileId || !this.deps.envExample) return null;
    return this.deps.envExample(profileId).catch(() => null);
  }

  /**
   * The values of the `.env` that are secrets, by kind (secret-named or placeholder keys, htpasswd hashes,
   * passwords inside URLs), registered for redaction; the others (user names, domains, levels) stay readable.
   * A secret too short to be masked is reported by the logger under its key.
   */
  private async registerEnvSecrets(envContent: string, profileId: string | null): Promise<void> {
    for (const secret of envSecrets(envContent, await this.envExample(profileId))) {
      for (const value of secret.values) this.deps.log.registerSecret(value, { label: `.env ${secret.key}` });
    }
  }

  async plan(profileId: string): Promise<PlanEntry[]> {
    return (await this.planWithReview(profileId)).entries;
  }

  /** The plan and its review: internal ports open to the internet, builds and their cost, backups, health. */
  async planWithReview(profileId: string): Promise<{ entries: PlanEntry[]; review: PlanReview }> {
    const profile = await this.deps.profiles.get(profileId);
    const settings = await this.settings(profile);
    const envContent = settings.envContent;
    const example = await this.envExample(profile.id);
    // The .env is shown with its non-secret values in clear; other secret files are masked whole.
    const entries = renderPlan(buildComposeSteps(settings), (t) => this.deps.log.redact(t), {
      maskFile: (file) => (file.content === envContent ? maskEnvContent(envContent, example, MASK) : null),
    });
    return { entries, review: planReview(profile, settings) };
  }

  // ---- adopting a deployment started by the repository's own scripts -------------------------------------------

  private adoptNames(profile: Profile): string[] {
    return (profile.settings['adopt.containerNames'] ?? '').split(',').map((n) => n.trim()).filter((n) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n));
  }

  /** A copy of the application running under another Compose project (read-only). */
  async adoption(profileId: string): Promise<Adoption | null> {
    const profile = await this.deps.profiles.get(profileId);
    const names = this.adoptNames(profile);
    if (names.length === 0) return null;
    const settings = composeSettingsFrom(profile, { envContent: '', publicKey: 'x', purpose: 'server' });
    const conn = await this.connect(profile);
    try {
      const found = await probeAdoption(new Remote(conn, await conn.privilege(), settings.layout), names, settings.composeProject);
      if (!found) return null;
      const { envPath: _p, ...adoption } = found;
      return adoption;
    } finally {
      conn.close();
    }
  }

  /**
   * Takes over that project: its name becomes the deployment's (its volumes are reused, no second copy starts), and
   * the values of its `.env` are kept in ours (the database password its volume was created with).
   */
  async adopt(profileId: string, project: string): Promise<{ adopted: true; envMerged: boolean }> {
    const profile = await this.deps.profiles.get(profileId);
    const settings = composeSettingsFrom(profile, { envContent: '', publicKey: 'x', purpose: 'server' });
    const conn = await this.connect(profile);
    let envMerged = false;
    try {
      const remote = new Remote(conn, await conn.privilege(), settings.layout);
      const found = await probeAdoption(remote, this.adoptNames(profile), settings.composeProject);
      if (!found || found.project !== project) throw new AppError('deploy.adopt_gone', { project });
      if (found.envPath) {
        const r = await remote.root(`cat -- ${shQuote(found.envPath)}`, { timeoutMs: 20_000 });
        if (r.code === 0 && r.stdout.trim() !== '') {
          await this.registerEnvSecrets(r.stdout, profileId);
          const ours = await this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
          await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.env), mergeAdoptedEnv(ours, r.stdout));
          envMerged = true;
        }
      }
    } finally {
      conn.close();
    }
    await this.deps.profiles.update(profile, { settings: { ...profile.settings, composeProject: project, 'adopt.project': project } });
    return { adopted: true, envMerged };
  }

  /** Starts (or resumes) a run in the background; progress arrives as events. */
  async start(profileId: string, opts: { fresh?: boolean } = {}): Promise<{ started: true }> {
    if (this.active) throw new AppError('deploy.busy');
    const profile = await this.deps.profiles.get(profileId);
    const steps = await this.steps(profile);
    const controller = new AbortController();
    const slot = { profileId, runId: null as string | null, controller, done: Promise.resolve<RunResult | null>(null) };
    this.active = slot;
    const recorder = await this.runRecords.begin(profileId);
    slot.done = this.runInBackground(profile, steps, controller, opts.fresh ?? false, recorder).finally(() => {
      this.active = null;
    });
    return { started: true };
  }

  /** Runs to the end and returns the result (CLI and tests). */
  async runToEnd(profileId: string, opts: { fresh?: boolean } = {}): Promise<RunResult | null> {
    await this.start(profileId, opts);
    return this.active!.done;
  }

  private async runInBackground(profile: Profile, steps: Step[], controller: AbortController, fresh: boolean, recorder: RunRecorder): Promise<RunResult | null> {
    let conn: SshConnection | null = null;
    const emitFinished = async (result: Omit<EventPayload<'deploy.finished'>, 'profileId'>) => {
      // Written before the event: a status asked right after it already says why.
      await recorder.finish({ runId: result.runId, outcome: result.outcome, failedStep: result.failedStep, error: result.error });
      this.deps.emit('deploy.finished', { profileId: profile.id, ...result });
    };
    try {
      conn = await this.connect(profile);
      const privilege = await conn.privilege();
      const layout = composeSettingsFrom(profile, { envContent: 'x', publicKey: 'x', purpose: 'server' }).layout;
      const output = runnerOutput(profile.id, this.deps.log, this.deps.emit, (runId) => {
        if (this.active) this.active.runId = runId;
        recorder.setRunId(runId);
      });
      const runner = new StepRunner({
        remote: new Remote(conn, privilege, layout),
        journals: this.journals,
        profileId: profile.id,
        owner: { owner: userInfo().username, machine: hostname(), machineId: await machineId(this.deps.dataDir) },
        ...output,
        onStep: (e) => {
          output.onStep(e);
          recorder.step();
        },
        onLog: (e) => {
          recorder.line({ stepId: e.stepId, stream: e.stream, line: e.line });
          output.onLog(e);
        },
      });
      const result = await runner.run(steps, { signal: controller.signal, fresh });
      const publicHealth = result.outcome === 'succeeded' ? await this.publicHealth(profile, result.runId) : null;
      const monitoring = result.outcome === 'succeeded' ? await this.monitoringResults(profile, new Remote(conn, privilege, layout)) : undefined;
      await emitFinished({ runId: result.runId, outcome: result.outcome, failedStep: result.failedStep, error: result.error?.toEnvelope() ?? null, roundTrips: result.roundTrips, publicHealth, ...(monitoring ? { monitoring } : {}) });
      return result;
    } catch (error) {
      const e = error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'deploy.start' });
      if (!(error instanceof AppError)) this.deps.log.error('deploy failed', error);
      await emitFinished({ runId: this.active?.runId ?? '', outcome: 'failed', failedStep: null, error: e.toEnvelope(), roundTrips: conn?.roundTrips ?? 0 });
      return { runId: this.active?.runId ?? '', outcome: 'failed', failedStep: null, error: e, roundTrips: conn?.roundTrips ?? 0 };
    } finally {
      conn?.close();
    }
  }

  /** What each monitoring script said when the deployment ran it (one round trip). */
  private async monitoringResults(profile: Profile, remote: Remote) {
    const settings = composeSettingsFrom(profile, { envContent: '', publicKey: 'x', purpose: 'server' });
    if (monitoringJobs(settings).length === 0) return undefined;
    const r = await remote.root(monitorStatusCommand(settings), { timeoutMs: 20_000 }).catch(() => null);
    if (!r || r.code !== 0) return undefined;
    return r.stdout
      .split('\n')
      .map((line) => parseMonitorStatus(line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)))
      .filter((m): m is NonNullable<typeof m> => m !== null)
      .map((m) => ({ name: m.name, status: m.status, exitCode: m.exitCode, detail: this.deps.log.redact(m.detail) }));
  }

  /** The health endpoint through the public domain, from this computer, when the profile names one. */
  private async publicHealth(profile: Profile, runId: string): Promise<PublicHealth | null> {
    const url = deploySettingsSchema.shape.publicHealthUrl.safeParse(profile.settings.publicHealthUrl);
    if (!url.success || !url.data || !profile.server) return null;
    const result = await checkPublicHealth(url.data, profile.server.host);
    const detail = result.status === 'ok' ? `${result.httpStatus} in ${result.latencyMs} ms` : result.status === 'http_error' ? `HTTP ${result.httpStatus}` : result.addresses.join(', ') || 'no address';
    this.deps.emit('deploy.log', { profileId: profile.id, runId, stepId: 'health', stream: 'engine', line: `public health ${result.url}: ${result.status} (${detail})` });
    return result;
  }

  /** A run is going on in this app (an update waits for its end). */
  isRunning(): boolean {
    return this.active !== null;
  }

  cancel(): { cancelled: boolean } {
    if (!this.active) return { cancelled: false };
    this.active.controller.abort();
    return { cancelled: true };
  }

  /**
   * What the app knows about the last run of this profile: enough to show progress or offer to resume,
   * and — after a restart — why it failed and its last log lines (redacted when they were written).
   */
  async status(profileId: string): Promise<z.output<typeof runStatusSchema>> {
    const [journal, found] = await Promise.all([this.journals.read(profileId), this.runRecords.read(profileId)]);
    const active = this.active?.profileId === profileId;
    const outcome = active ? 'running' : (journal?.outcome ?? null);
    // The record of the journal's run (a record of an older run says nothing about this one).
    const record = found && (!journal || found.runId === journal.runId) ? found : null;
    const stopped = !active && (outcome === 'failed' || outcome === 'cancelled');
    return {
      active,
      runId: journal?.runId ?? null,
      outcome,
      steps: Object.entries(journal?.steps ?? {}).map(([stepId, r]) => ({ stepId, state: r.state, startedAt: r.startedAt, endedAt: r.endedAt })),
      failedStep: stopped ? (record?.failedStep ?? null) : null,
      error: stopped ? (record?.error ?? null) : null,
      finishedAt: journal?.finishedAt ?? null,
      log: (record?.lines ?? []).slice(-STATUS_LOG_LINES),
    };
  }

  /** The last run's record (diagnostics export). */
  lastRun(profileId: string) {
    return this.runRecords.read(profileId);
  }

  async breakLock(profileId: string): Promise<void> {
    const profile = await this.deps.profiles.get(profileId);
    const conn = await this.connect(profile);
    try {
      const layout = composeSettingsFrom(profile, { envContent: 'x', publicKey: 'x', purpose: 'server' }).layout;
      await new Remote(conn, await conn.privilege(), layout).breakLock();
    } finally {
      conn.close();
    }
  }
}

/**
 * Where a run's output goes: redaction (line by line, and streams through the carry-over redactor), the
 * `deploy.step` / `deploy.log` events and the log file. One function, so every front door — and the
 * redaction property test — uses the same path.
 */
export function runnerOutput(profileId: string, log: Logger, emit: DeployServiceDeps['emit'], onRunId: (runId: string) => void = () => undefined): Pick<RunnerDeps, 'redact' | 'redactStream' | 'onStep' | 'onLog'> {
  return {
    redact: (t) => log.redact(t),
    redactStream: () => log.streamRedactor(),
    onStep: (e) => {
      onRunId(e.runId);
      emit('deploy.step', { profileId, ...e });
      log.info(`deploy ${profileId} step ${e.stepId} ${e.state}`);
    },
    onLog: (e) => {
      emit('deploy.log', { profileId, ...e });
      log.info(`[${e.stepId}] ${e.line}`);
    },
  };
}

export type MissingSecret = MissingSecretKind;

/** The keys of a `.env` (never the values). */
export function envKeys(content: string): string[] {
  return content
    .split('\n')
    .map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1])
    .filter((k): k is string => !!k);
}

/** Log lines `deploy.status` gives back (the end of the last run). */
export const STATUS_LOG_LINES = 500;

export function publicKeyOf(privateKey: string): string {
  const parsed = sshUtils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new AppError('ssh.key_invalid', {});
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}
