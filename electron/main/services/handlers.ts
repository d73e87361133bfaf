import type { z } from 'zod';
import type { contract} from '../../shared/contract';
import { type MethodName, type MethodOutput, type EventName, type EventPayload } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { isAllowedExternalUrl } from '../../shared/external-links';
import { PHASES, economics, recommendPhase } from '../../shared/phases';
import { join } from 'node:path';
import { Logger } from '../log';
import { createSecretStore, type Encryptor, type SecretStore } from '../secrets/secret-store';
import type { ConnectOptions } from '../ssh/connection';
import { ProfileStore } from '../store/profile-store';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { DeployService, secretName } from './deploy-service';
import { SettingsStore } from '../store/settings-store';
import { WizardStore } from '../store/wizard-store';
import { providerHandlers } from './provider-handlers';
import type { ProviderEndpoints } from './provider-service';
import { recipeHandlers } from './recipe-handlers';
import { RecipeService, type GitHubEndpoints } from './recipe-service';
import { healthHandlers } from './health-handlers';
import { HealthService, type Notify } from './health-service';

/** One handler per contract method, receiving the already validated input. */
export type Handlers = {
  [M in MethodName]: (input: z.output<(typeof contract)[M]['input']>) => Promise<MethodOutput<M>>;
};

/** The handlers of one domain's methods (see contract-<domain>.ts). */
export type DomainHandlers<T> = Pick<Handlers, keyof T & MethodName>;

/** What every domain's handlers share: the stores and services made once per front door. */
export interface HandlerContext {
  deps: ServiceDeps;
  profiles: ProfileStore;
  settings: SettingsStore;
  secrets: SecretStore;
  log: Logger;
  deploy: DeployService;
  recipes: RecipeService;
  health: HealthService;
}

export type FrontDoor = 'electron' | 'web' | 'cli' | 'test';

/** What differs between front doors comes in here; services never import Electron. */
export interface ServiceDeps {
  dataDir: string;
  appName: string;
  appVersion: string;
  frontDoor: FrontDoor;
  systemLanguages: () => string[];
  /** Opens an allowed URL in the system browser; null when the client opens it itself (web mode). */
  openExternal: ((url: string) => Promise<void>) | null;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  /** Electron's safeStorage; null in web mode and the CLI (secrets then live for the session only). */
  encryptor?: Encryptor | null;
  /** A ready secret store (tests); otherwise one is made from `encryptor`. */
  secrets?: SecretStore;
  log?: Logger;
  connectOptions?: Partial<ConnectOptions>;
  /** GitHub endpoints replacing the public ones (tests: the local fake; a fork's OAuth App client id). */
  github?: GitHubEndpoints;
  /** DNS servers (`host:port`) for the domain checks; the system's by default. */
  dnsServers?: string[];
  /** Provider API roots and test overrides (local fakes); default the real APIs. */
  providers?: ProviderEndpoints;
  /** Desktop notification when an upgrade signal starts (Electron); null/absent: none (CLI; web mode has the event). */
  notify?: Notify | null;
  /** Health sampler overrides (tests). */
  health?: Pick<ConstructorParameters<typeof HealthService>[0], 'sample' | 'foregroundMs' | 'backgroundMs' | 'backoff' | 'https'>;
}

export function createHandlers(deps: ServiceDeps): Handlers {
  const profiles = new ProfileStore(deps.dataDir);
  const settings = new SettingsStore(deps.dataDir);
  const wizard = new WizardStore(deps.dataDir);
  const secrets = deps.secrets ?? createSecretStore(deps.dataDir, deps.encryptor ?? null);
  const log = deps.log ?? new Logger(join(deps.dataDir, 'logs', 'app.log'));
  const deploy = new DeployService({ dataDir: deps.dataDir, profiles, secrets, log, emit: deps.emit, connectOptions: deps.connectOptions });
  const recipes = new RecipeService({
    dataDir: deps.dataDir,
    profiles,
    secrets,
    repoKeys: deploy,
    readServerEnv: (profileId) => deploy.readServerEnv(profileId),
    emit: deps.emit,
    ...(deps.github ? { github: deps.github } : {}),
    ...(deps.dnsServers ? { dnsServers: deps.dnsServers } : {}),
  });
  const health = new HealthService({ dataDir: deps.dataDir, profiles, settings, secrets, log, deploy, emit: deps.emit, notify: deps.notify ?? null, systemLanguages: deps.systemLanguages, ...deps.health });
  const ctx: HandlerContext = { deps, profiles, settings, secrets, log, deploy, recipes, health };

  return {
    'app.info': async () => ({
      name: deps.appName,
      version: deps.appVersion,
      platform: process.platform,
      frontDoor: deps.frontDoor,
      systemLanguages: deps.systemLanguages(),
    }),
    'phases.list': async () => PHASES.map((p) => ({ ...p })),
    'phases.recommend': async ({ copros, lotsPerCopro, selected }) => {
      const recommendation = recommendPhase({ copros, lotsPerCopro });
      return { recommendation, economics: economics(selected ?? recommendation.phase, copros) };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (input) => {
      const saved = await settings.set(input);
      deps.emit('settings.changed', saved);
      return saved;
    },
    'wizard.load': async () => wizard.load(),
    'wizard.save': async (state) => {
      await wizard.save(state);
      return { saved: true as const };
    },
    'wizard.reset': async () => ({ state: await wizard.reset() }),
    'profiles.list': async () => profiles.list(),
    'profiles.get': async ({ id }) => profiles.get(id),
    'profiles.save': async (input) => {
      const saved = await profiles.save(input);
      deps.emit('profiles.changed', { ids: [saved.id] });
      return saved;
    },
    'profiles.delete': async ({ id }) => {
      // The repository's deploy key goes with the deployment (best effort: the answer says how it went).
      const existing = await profiles.get(id).catch(() => null);
      const deployKey = existing ? await recipes.removeDeployKey(existing) : 'none';
      const deleted = await profiles.delete(id);
      if (deleted) deps.emit('profiles.changed', { ids: [id] });
      return { deleted, deployKey };
    },
    'shell.openExternal': async ({ url }) => {
      if (!isAllowedExternalUrl(url)) throw new AppError('shell.url_not_allowed', { url: url.slice(0, 200) });
      if (deps.openExternal) {
        await deps.openExternal(url);
        return { url, openedBy: 'system' as const };
      }
      return { url, openedBy: 'client' as const };
    },
    'server.generateKey': async ({ profileId }) => deploy.generateKey(profileId),
    'server.importKey': async ({ profileId, path }) => deploy.importKeyFile(profileId, path),
    'server.publicKey': async ({ profileId }) => ({ publicKey: await deploy.publicKey(profileId) }),
    'server.probe': async ({ host, port, user }) => ({ fingerprint: await deploy.probeHostKey(host, port, user) }),
    'server.check': async ({ profileId }) => deploy.checkServer(profileId),
    'deploy.setEnv': async ({ profileId, content }) => {
      await secrets.set(secretName(profileId, DEPLOY_SECRETS.env), content);
      return { saved: true as const, persistent: secrets.persistent };
    },
    'deploy.hasEnv': async ({ profileId }) => {
      const content = await secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
      const keys = (content ?? '').split('\n').map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1]).filter((k): k is string => !!k);
      return { present: !!content, keys };
    },
    'deploy.repoKey': async ({ profileId, action }) => {
      if (action === 'generate') return deploy.generateRepoKey(profileId);
      if (action === 'forget') {
        // A key the app added to the repository leaves it too.
        const profile = await profiles.get(profileId);
        const removed = await recipes.removeDeployKey(profile);
        if (removed === 'deleted' || removed === 'already_gone') {
          const { 'repo.deployKeyId': _id, 'repo.deployKeyUrl': _url, ...settings } = profile.settings;
          await profiles.update(profile, { settings });
        }
        await deploy.forgetRepoKey(profileId);
      }
      return { publicKey: action === 'forget' ? null : await deploy.repoPublicKey(profileId) };
    },
    'deploy.plan': async ({ profileId }) => ({ entries: await deploy.plan(profileId) }),
    'deploy.start': async ({ profileId, fresh }) => deploy.start(profileId, { fresh }),
    'deploy.cancel': async () => deploy.cancel(),
    'deploy.status': async ({ profileId }) => deploy.status(profileId),
    'deploy.breakLock': async ({ profileId }) => {
      await deploy.breakLock(profileId);
      return { broken: true as const };
    },
    ...providerHandlers(ctx),
    ...recipeHandlers(ctx),
    ...healthHandlers(ctx),
  };
}

/** For the CLI and tests: the same deploy service the handlers use. */
export type { DeployService };
