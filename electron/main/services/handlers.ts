import { join } from 'node:path';
import { BackupService } from '../backup/backup-service';
import { AppError } from '../../shared/errors';
import { isAllowedExternalUrl } from '../../shared/external-links';
import { PHASES, economics, recommendPhase } from '../../shared/phases';
import { Logger } from '../log';
import { NetworkDoctor } from '../network/doctor';
import { createSecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { SettingsStore } from '../store/settings-store';
import { WizardStore } from '../store/wizard-store';
import { backupHandlers } from './backup-handlers';
import { deployHandlers } from './deploy-handlers';
import { DeployService } from './deploy-service';
import type { HandlerContext, Handlers, ServiceDeps } from './handler-types';
import { healthHandlers } from './health-handlers';
import { lifecycleHandlers } from './lifecycle-handlers';
import { UpdateService } from '../lifecycle/update';
import { k3sHandlers } from './k3s-handlers';
import { HealthService } from './health-service';
import { providerFor } from './provider-access';
import { providerHandlers } from './provider-handlers';
import { recipeHandlers } from './recipe-handlers';
import { upgradeHandlers } from './upgrade-handlers';
import { RecipeService } from './recipe-service';

export type { DomainHandlers, FrontDoor, HandlerContext, Handlers, ServiceDeps } from './handler-types';

/** Every event leaves through this: whatever a service puts in a payload, registered secrets are masked. */
export function redactedEmit(log: Logger, emit: ServiceDeps['emit']): ServiceDeps['emit'] {
  return (event, payload) => emit(event, log.redactValue(payload));
}

export function createHandlers(deps: ServiceDeps): Handlers {
  const profiles = new ProfileStore(deps.dataDir);
  const settings = new SettingsStore(deps.dataDir);
  const wizard = new WizardStore(deps.dataDir);
  const secrets = deps.secrets ?? createSecretStore(deps.dataDir, deps.encryptor ?? null);
  const log = deps.log ?? new Logger(join(deps.dataDir, 'logs', 'app.log'));
  const emit = redactedEmit(log, deps.emit);
  const network = new NetworkDoctor(deps.dnsServers ? { dnsServers: deps.dnsServers } : {});
  // An update asked for during a deployment installs when it ends: the end of a run is seen here.
  let update: UpdateService | null = null;
  const deployEmit: ServiceDeps['emit'] = (event, payload) => {
    emit(event, payload);
    if (event === 'deploy.finished') queueMicrotask(() => update?.deploymentEnded());
  };
  const deploy = new DeployService({
    dataDir: deps.dataDir,
    profiles,
    secrets,
    log,
    emit: deployEmit,
    connectOptions: deps.connectOptions,
    envExample: async (profileId) => (await recipes.savedRecipe(profileId))?.envExampleText ?? null,
    // The recipe's compose files for the 127.0.0.1 copies (read when a plan is built, after both exist).
    composeTexts: (id) => recipes.composeTexts(id),
  });
  update = new UpdateService({ updater: deps.updater ?? null, currentVersion: deps.appVersion, deploying: () => deploy.isRunning(), emit, log });
  const recipes: RecipeService = new RecipeService({
    dataDir: deps.dataDir,
    profiles,
    secrets,
    repoKeys: deploy,
    readServerEnv: (profileId) => deploy.readServerEnv(profileId),
    emit,
    log,
    network,
    ...(deps.github ? { github: deps.github } : {}),
    ...(deps.dnsServers ? { dnsServers: deps.dnsServers } : {}),
  });
  const health = new HealthService({ dataDir: deps.dataDir, profiles, settings, secrets, log, deploy, emit, notify: deps.notify ?? null, systemLanguages: deps.systemLanguages, ...deps.health });
  const backups = new BackupService({ dataDir: deps.dataDir, profiles, log, connect: (p) => deploy.connect(p), emit, provider: (kind) => providerFor(ctx, kind), ...deps.backup });
  const ctx: HandlerContext = { deps: { ...deps, emit }, profiles, settings, secrets, log, deploy, recipes, health, network, update, backups };

  return {
    'app.info': async () => ({
      name: deps.appName,
      version: deps.appVersion,
      platform: process.platform,
      frontDoor: deps.frontDoor,
      systemLanguages: deps.systemLanguages(),
      secretsPersist: secrets.persistent,
    }),
    'phases.list': async () => PHASES.map((p) => ({ ...p })),
    'phases.recommend': async ({ copros, lotsPerCopro, selected }) => {
      const recommendation = recommendPhase({ copros, lotsPerCopro });
      return { recommendation, economics: economics(selected ?? recommendation.phase, copros) };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (input) => {
      const saved = await settings.set(input);
      emit('settings.changed', saved);
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
      emit('profiles.changed', { ids: [saved.id] });
      return saved;
    },
    'profiles.delete': async ({ id }) => {
      // The repository's deploy key goes with the deployment (best effort: the answer says how it went).
      const existing = await profiles.get(id).catch(() => null);
      const deployKey = existing ? await recipes.removeDeployKey(existing) : 'none';
      const deleted = await profiles.delete(id);
      if (deleted) emit('profiles.changed', { ids: [id] });
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
    ...deployHandlers(ctx),
    ...providerHandlers(ctx),
    ...recipeHandlers(ctx),
    ...healthHandlers(ctx),
    ...lifecycleHandlers(ctx),
    ...k3sHandlers(ctx),
    ...backupHandlers(ctx),
    ...upgradeHandlers(ctx),
  };
}

/** For the CLI and tests: the same deploy service the handlers use. */
export type { DeployService };
