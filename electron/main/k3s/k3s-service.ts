import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../../shared/contract';
import type { Checklist, K3sPlan, K3sStatus, LocalHost, Preflight, PreflightVariable } from '../../shared/contract-k3s';
import { AppError } from '../../shared/errors';
import { OVH_VARIABLES } from '../../shared/k3s-entry';
import type { Profile } from '../../shared/profile';
import { LocalJournalStore } from '../engine/journal';
import type { LockTiming } from '../engine/lock-keeper';
import { readClusterState, type ClusterState } from '../health/k3s';
import type { Logger } from '../log';
import type { SecretStore } from '../secrets/secret-store';
import type { SshConnection } from '../ssh/connection';
import type { ProfileStore } from '../store/profile-store';
import { runChecklist, type OvhReader } from './checklist';
import { prepareCommand, prepareScript, type PrepareOptions } from './control-host';
import type { K3sHost } from './host';
import { kubeconfigSecrets, saveKubeconfig } from './kubeconfig';
import { readOutput } from './output';
import { LocalK3sHost, loadPty } from './pty-local';
import { RemoteK3sHost } from './pty-remote';
import { K3sRun, type K3sRunResult } from './run';
import { isSecretName, K3S_SETTINGS, K3S_VARIABLES_SECRET, k3sConfigOf, requiredTools, requiredVariables, type K3sConfig } from './settings';
import { buildK3sSteps, type K3sRunSettings } from './steps';
import { parsePreflight, preflightScript, toolReport, variableReport, BASE_COMMANDS } from './tools';
import { topologyFor } from './topology';
import { detectLocalHost } from './where';

// The K3s deployments (phases 3–4) as use cases: this computer's abilities, the pre-flight, the plan, the run in
// the background (one at a time), the answers, the terminal input, cancel, status and replay, the phase-4
// checklist. Plain Node: the desktop app, web mode, the CLI and the tests share it.

export interface K3sServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  secrets: SecretStore;
  log: Logger;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  /** A verified SSH connection to the profile's server (the control host): DeployService.connect. */
  connect: (profile: Profile) => Promise<SshConnection>;
  /** The OVH credentials as the entry points' variables; throws when none are validated. */
  ovhEnvironment: () => Promise<Record<string, string>>;
  /** The OVH API for the phase-4 checklist (null: no validated credentials). */
  ovhReader?: () => Promise<OvhReader | null>;
  /** Secret names are per profile: DeployService's secretName. */
  secretName: (profileId: string, key: string) => string;
  /** Where a control host downloads the tools (tests: a local server). */
  toolSources?: PrepareOptions['sources'];
  dnsServers?: string[];
  /** Replaces the host (tests). */
  host?: (profile: Profile, config: K3sConfig) => K3sHost;
  stallMs?: number;
  reconnect?: { attempts: number; delayMs: number };
  clusterWait?: { attempts: number; delayMs: number };
  stopAfterMs?: number;
  readCluster?: (kubeconfig: string) => Promise<ClusterState>;
  /** A control host's lock: heartbeat period and staleness (tests shorten them). */
  lock?: LockTiming;
}

export const KUBECONFIG_SECRET = 'kubeconfig';

export class K3sService {
  private readonly journals: LocalJournalStore;
  private active: { profileId: string; run: K3sRun; done: Promise<K3sRunResult | null> } | null = null;
  /** Control-host job offsets already received in this session (a re-attach starts there). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: K3sServiceDeps) {
    this.journals = new LocalJournalStore(join(deps.dataDir, 'k3s'));
  }

  localHost(): Promise<LocalHost> {
    return detectLocalHost(process.platform, async () => (await loadPty()) !== null);
  }

  private host(profile: Profile, config: K3sConfig): K3sHost {
    if (this.deps.host) return this.deps.host(profile, config);
    if (config.runner === 'remote') return new RemoteK3sHost({ connect: () => this.deps.connect(profile), profileId: profile.id, host: profile.server?.host ?? '' });
    return new LocalK3sHost({ dataDir: this.deps.dataDir, profileId: profile.id, distro: config.distro });
  }

  /** What runs where `place` is (a host once initialised; for the plan, its folders as shown). */
  private settings(config: K3sConfig, place: Pick<K3sHost, 'workspace' | 'toolsRoot'>, terraformBin: 'terraform' | 'tofu'): K3sRunSettings {
    const host = place;
    const toolsBin = host.toolsRoot ? `${host.toolsRoot}/bin` : null;
    const tools = requiredTools(config.entry, config.environment);
    const prepare = host.toolsRoot ? { script: prepareScript(tools, { toolsRoot: host.toolsRoot, sources: this.deps.toolSources }), command: prepareCommand(tools) } : null;
    return { runner: config.runner, entry: config.entry, environment: config.environment, repo: config.repo, workspace: host.workspace, toolsBin, terraformBin, prepare };
  }

  // ---- variables ---------------------------------------------------------------------------------

  private async userValues(profileId: string): Promise<Record<string, string>> {
    const raw = await this.deps.secrets.get(this.deps.secretName(profileId, K3S_VARIABLES_SECRET));
    if (!raw) return {};
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (!parsed || typeof parsed !== 'object') return {};
      return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }

  async variables(profileId: string): Promise<{ names: string[]; persistent: boolean }> {
    await this.deps.profiles.get(profileId);
    return { names: Object.keys(await this.userValues(profileId)).sort(), persistent: this.deps.secrets.persistent };
  }

  /** Saves values (an empty value removes the variable). */
  async setVariables(profileId: string, values: Record<string, string>): Promise<{ saved: true; names: string[]; persistent: boolean }> {
    await this.deps.profiles.get(profileId);
    const current = await this.userValues(profileId);
    for (const [k, v] of Object.entries(values)) {
      if (v === '') delete current[k];
      else {
        current[k] = v;
        if (isSecretName(k)) this.deps.log.registerSecret(v);
      }
    }
    await this.deps.secrets.set(this.deps.secretName(profileId, K3S_VARIABLES_SECRET), JSON.stringify(current));
    return { saved: true, names: Object.keys(current).sort(), persistent: this.deps.secrets.persistent };
  }

  /** The environment a run gets: the OVH credentials, then the user's values. All of them are secrets for redaction. */
  private async environment(profileId: string): Promise<{ env: Record<string, string>; sources: Map<string, PreflightVariable['source']>; secrets: string[] }> {
    const sources = new Map<string, PreflightVariable['source']>();
    const env: Record<string, string> = {};
    try {
      for (const [k, v] of Object.entries(await this.deps.ovhEnvironment())) {
        env[k] = v;
        sources.set(k, 'provider');
      }
    } catch {
      /* no validated OVH credentials: the pre-flight says so */
    }
    for (const [k, v] of Object.entries(await this.userValues(profileId))) {
      env[k] = v;
      sources.set(k, 'settings');
    }
    // Credentials are masked wherever they could show; a domain or a region stays readable.
    const secrets = Object.entries(env)
      .filter(([k]) => isSecretName(k))
      .map(([, v]) => v);
    for (const v of secrets) this.deps.log.registerSecret(v);
    return { env, sources, secrets };
  }

  // ---- pre-flight and plan -----------------------------------------------------------------------

  private async preflightOn(host: K3sHost, config: K3sConfig, sources: Map<string, PreflightVariable['source']>): Promise<{ report: Preflight; terraformBin: 'terraform' | 'tofu' }> {
    const own = requiredTools(config.entry, config.environment);
    const needs = config.entry.kind === 'stack' && own.includes('terraform') && !host.toolsRoot ? [...own, 'tofu' as const] : own;
    const variables = requiredVariables(config.entry, config.environment);
    const toolsBin = host.toolsRoot ? `${host.toolsRoot}/bin` : null;
    const r = await host.exec(preflightScript([...needs], variables, toolsBin), { timeoutMs: 60_000 });
    const found = parsePreflight(r.stdout, [...needs]);
    const installable = host.where.runner === 'remote';
    // Stack shape: OpenTofu stands in for Terraform when only it is there (same command line).
    const useTofu = config.entry.kind === 'stack' && !found.tools.terraform?.path && !!found.tools.tofu?.path && !installable;
    const tools = toolReport(own.map((t) => (t === 'terraform' && useTofu ? 'tofu' : t)), found, installable, toolsBin);
    const vars = variableReport(variables, found, sources);
    const commands = BASE_COMMANDS.map((name) => ({ name, path: found.commands[name] ?? null, required: !installable }));
    const problems = [
      ...commands.filter((c) => c.required && !c.path).map((c) => ({ code: 'k3s.problems.command_missing', params: { name: c.name } })),
      ...tools.filter((t) => t.action === 'user').map((t) => ({ code: t.state === 'too_old' ? 'k3s.problems.tool_too_old' : 'k3s.problems.tool_missing', params: { tool: t.id, found: t.found ?? '—', minimum: t.minimum } })),
      ...vars.filter((v) => !v.present).map((v) => ({ code: OVH_VARIABLES.includes(v.name as (typeof OVH_VARIABLES)[number]) ? 'k3s.problems.ovh_missing' : 'k3s.problems.variable_missing', params: { name: v.name } })),
    ];
    const where = { ...host.where, ...(found.platform ? { os: found.platform.os, arch: found.platform.arch } : {}) };
    return { report: { where, commands, tools, variables: vars, ok: problems.length === 0, problems }, terraformBin: useTofu ? 'tofu' : 'terraform' };
  }

  async preflight(profileId: string): Promise<Preflight> {
    const profile = await this.deps.profiles.get(profileId);
    const config = k3sConfigOf(profile);
    const { sources } = await this.environment(profileId);
    const host = this.host(profile, config);
    try {
      await host.init();
      return (await this.preflightOn(host, config, sources)).report;
    } finally {
      host.close();
    }
  }

  /** What will run, in order (the workspace shown as `~/.koprogo-deploy/…` on a control host: nothing connects). */
  async plan(profileId: string, repo?: { url: string; ref: string }): Promise<K3sPlan> {
    const saved = await this.deps.profiles.get(profileId);
    const profile = repo ? { ...saved, repo } : saved;
    const config = k3sConfigOf(profile);
    const workspace = config.runner === 'remote' ? `~/.koprogo-deploy/k3s/${profile.id}` : join(this.deps.dataDir, 'k3s', profile.id);
    const toolsRoot = config.runner === 'remote' ? '~/.koprogo-deploy/tools' : null;
    const steps = buildK3sSteps(this.settings(config, { workspace, toolsRoot }, 'terraform'));
    return {
      entry: config.entry,
      environment: config.environment,
      phase: profile.phase as 3 | 4,
      runner: config.runner,
      repo: config.repo,
      steps: steps.map(({ script: _script, ...s }) => s),
      topology: topologyFor(config.environment),
      variables: requiredVariables(config.entry, config.environment),
    };
  }

  // ---- the run -----------------------------------------------------------------------------------

  async start(profileId: string, opts: { fresh?: boolean } = {}): Promise<{ started: true }> {
    await this.launch(profileId, opts);
    return { started: true };
  }

  /** Runs to the end (CLI and tests). */
  async runToEnd(profileId: string, opts: { fresh?: boolean } = {}): Promise<K3sRunResult | null> {
    return (await this.launch(profileId, opts)).done;
  }

  private async launch(profileId: string, opts: { fresh?: boolean }): Promise<{ done: Promise<K3sRunResult | null> }> {
    if (this.active) throw new AppError('k3s.busy', {});
    const profile = await this.deps.profiles.get(profileId);
    const config = k3sConfigOf(profile);
    const { env, sources } = await this.environment(profileId);
    const host = this.host(profile, config);
    let terraformBin: 'terraform' | 'tofu' = 'terraform';
    const topology = topologyFor(config.environment);
    let kubeconfigPath: string | null = null;
    const run = new K3sRun({
      host,
      build: () => {
        const settings = this.settings(config, host, terraformBin);
        return { settings, steps: buildK3sSteps(settings) };
      },
      profileId,
      journals: this.journals,
      owner: { owner: userInfo().username, machine: hostname() },
      env,
      redact: (t) => this.deps.log.redact(t),
      redactStream: () => this.deps.log.streamRedactor(),
      logFile: (runId) => this.logFile(profileId, runId),
      emit: this.deps.emit,
      info: (line) => this.deps.log.info(line),
      topology,
      preflight: async () => {
        const p = await this.preflightOn(host, config, sources);
        terraformBin = p.terraformBin;
        return p.report;
      },
      onKubeconfig: async (yaml) => {
        for (const s of [yaml, ...kubeconfigSecrets(yaml)]) this.deps.log.registerSecret(s);
        kubeconfigPath = await saveKubeconfig(this.deps.dataDir, profileId, yaml);
        await this.deps.secrets.set(this.deps.secretName(profileId, KUBECONFIG_SECRET), yaml);
      },
      readCluster: this.deps.readCluster ?? ((yaml) => readClusterState(yaml, { timeoutMs: 10_000 })),
      stallMs: this.deps.stallMs,
      reconnect: this.deps.reconnect,
      clusterWait: this.deps.clusterWait,
      stopAfterMs: this.deps.stopAfterMs,
      ...(this.deps.lock ? { lock: this.deps.lock } : {}),
      seen: this.seen,
    });
    const slot = { profileId, run, done: Promise.resolve<K3sRunResult | null>(null) };
    this.active = slot;
    slot.done = (async (): Promise<K3sRunResult | null> => {
      try {
        await host.init();
        const result = await run.run(opts);
        if (result.outcome === 'succeeded') await this.record(profileId, config, kubeconfigPath);
        this.finished(profileId, result);
        return result;
      } catch (error) {
        const e = error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'k3s.start' });
        if (!(error instanceof AppError)) this.deps.log.error('k3s run failed', error);
        const result: K3sRunResult = { runId: run.runId, outcome: 'failed', failedStep: null, error: e, detached: false };
        this.finished(profileId, result);
        return result;
      } finally {
        host.close();
        this.active = null;
      }
    })();
    return slot;
  }

  private finished(profileId: string, r: K3sRunResult): void {
    this.deps.log.info(`k3s ${profileId} run ${r.runId} ${r.outcome}${r.error ? ` (${r.error.code})` : ''}${r.detached ? ', still running on the control host' : ''}`);
    this.deps.emit('k3s.finished', { profileId, runId: r.runId, outcome: r.outcome, failedStep: r.failedStep, error: r.error?.toEnvelope() ?? null, detached: r.detached });
  }

  /** The deployment in the profile: when, which ref and environment, where the kubeconfig is on this computer. */
  private async record(profileId: string, config: K3sConfig, kubeconfigPath: string | null): Promise<void> {
    const profile = await this.deps.profiles.get(profileId);
    await this.deps.profiles.update(profile, {
      settings: {
        ...profile.settings,
        [K3S_SETTINGS.deployedAt]: new Date().toISOString(),
        [K3S_SETTINGS.deployedRef]: config.repo.ref,
        [K3S_SETTINGS.deployedEnvironment]: config.environment,
        ...(kubeconfigPath ? { [K3S_SETTINGS.kubeconfig]: kubeconfigPath } : {}),
      },
    });
    this.deps.emit('profiles.changed', { ids: [profileId] });
  }

  /** The run in progress of this profile (tests follow it). */
  current(profileId: string): K3sRun | null {
    return this.active?.profileId === profileId ? this.active.run : null;
  }

  async answer(profileId: string, promptId: string, answer: 'yes' | 'no'): Promise<{ sent: boolean }> {
    const run = this.current(profileId);
    return { sent: run ? await run.answer(promptId, answer) : false };
  }

  async input(profileId: string, text: string): Promise<{ sent: boolean }> {
    const run = this.current(profileId);
    return { sent: run ? await run.input(text) : false };
  }

  async cancel(profileId: string): Promise<{ cancelled: boolean }> {
    const run = this.current(profileId);
    if (!run) return { cancelled: false };
    await run.cancel();
    return { cancelled: true };
  }

  async status(profileId: string): Promise<K3sStatus> {
    await this.deps.profiles.get(profileId);
    const run = this.current(profileId);
    const journal = await this.journals.read(profileId);
    const runId = run?.runId || journal?.runId || null;
    const outputBytes = run ? run.outputBytes : runId ? (await readOutput(this.logFile(profileId, runId), 0, 1)).total : 0;
    const steps = Object.entries(journal?.steps ?? {}).map(([stepId, r]) => ({ stepId, state: r.state, startedAt: r.startedAt, endedAt: r.endedAt }));
    const detached = !run && journal?.outcome === 'running' && Object.values(journal.steps).some((s) => s.state === 'running' && !!s.job);
    return { active: !!run, runId, outcome: run ? 'running' : (journal?.outcome ?? null), steps, prompt: run?.prompt ?? null, outputBytes, detached };
  }

  private logFile(profileId: string, runId: string): string {
    return join(this.deps.dataDir, 'k3s', profileId, 'runs', `${runId}.log`);
  }

  /** The run's terminal output from `offset` (a screen opened during or after the run replays it). */
  async output(profileId: string, runId: string | undefined, offset: number, maxBytes = 1_000_000): Promise<{ runId: string | null; offset: number; data: string; total: number }> {
    await this.deps.profiles.get(profileId);
    const id = runId ?? this.current(profileId)?.runId ?? (await this.journals.read(profileId))?.runId ?? null;
    if (!id || !/^[a-z0-9-]{1,80}$/.test(id)) return { runId: null, offset, data: '', total: 0 };
    const r = await readOutput(this.logFile(profileId, id), offset, maxBytes);
    return { runId: id, offset, data: r.data, total: r.total };
  }

  async checklist(profileId: string, domain?: string): Promise<Checklist> {
    let profile = await this.deps.profiles.get(profileId);
    if (domain !== undefined && profile.settings[K3S_SETTINGS.domain] !== domain) {
      profile = await this.deps.profiles.update(profile, { settings: { ...profile.settings, [K3S_SETTINGS.domain]: domain, publicHealthUrl: `https://${domain}/api/v1/health` } });
      this.deps.emit('profiles.changed', { ids: [profileId] });
    }
    const environment = profile.settings[K3S_SETTINGS.environment] ?? (profile.phase === 4 ? 'prod' : 'dev');
    const ovh = (await this.deps.ovhReader?.().catch(() => null)) ?? null;
    return runChecklist({ domain: profile.settings[K3S_SETTINGS.domain] ?? null, topology: topologyFor(environment), ovh, dnsServers: this.deps.dnsServers });
  }
}
