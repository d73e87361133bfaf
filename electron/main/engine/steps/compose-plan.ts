import type { ComposeDeploySettings, HostLayout, Step } from '../types';
import { DEFAULT_LAYOUT } from '../types';
import { adoptCheckStep } from './adopt';
import { bindLocalStep } from './bind-local';
import { composeOverrideStep, composeUpStep } from './compose';
import { composePullStep, registryLoginStep } from './images';
import { backupCronStep, hasMonitoring, monitoringCronStep } from './cron';
import { deployUserStep } from './deploy-user';
import { dockerStep } from './docker';
import { envFileStep } from './env-file';
import { fail2banStep, firewallStep, unattendedUpgradesStep } from './hardening';
import { healthStep } from './health';
import { repositoryKeyStep, repositoryStep } from './repository';
import { hostnameStep, timezoneStep, waitReadyStep } from './system';

// The ordered steps of a phase 1–2 (Docker Compose) deployment.

const nonNull = <T>(value: T | null): T[] => (value === null ? [] : [value]);

/** Any subset of the settings; `layout` may be partial too. */
export type ComposeSettingsInput = Partial<Omit<ComposeDeploySettings, 'layout'>> & { layout?: Partial<HostLayout> };

/**
 * Fills the defaults. The values that have no sensible default (public key, repository, env content)
 * default to empty, and the step builders refuse them empty: this only saves callers from repeating
 * the defaults, it does not make a half-filled profile deployable.
 */
export function defaultComposeSettings(input: ComposeSettingsInput = {}): ComposeDeploySettings {
  return {
    phase: input.phase ?? 1,
    layout: { ...DEFAULT_LAYOUT, ...input.layout },
    hostname: input.hostname ?? 'koprogo',
    timezone: input.timezone ?? 'Europe/Brussels',
    deployUser: input.deployUser ?? 'koprogo',
    deployUserPublicKey: input.deployUserPublicKey ?? '',
    sshPort: input.sshPort ?? 22,
    repo: input.repo ?? { url: '', ref: 'main' },
    checkoutName: input.checkoutName ?? 'app',
    composeFiles: input.composeFiles ?? ['docker-compose.yml', 'docker-compose.prod.yml'],
    composeProject: input.composeProject ?? 'koprogo',
    envFile: input.envFile ?? '.env',
    envContent: input.envContent ?? '',
    healthUrl: input.healthUrl ?? 'http://127.0.0.1:8080/health',
    healthTimeoutSec: input.healthTimeoutSec ?? 300,
    postgres: input.postgres ?? null,
    monitoring: input.monitoring ?? { metrics: null, postgresMetrics: null },
    tuning: input.tuning ?? { postgresService: null, backendService: null },
    ...(input.monitoringNeeds ? { monitoringNeeds: input.monitoringNeeds } : {}),
    ...(input.images !== undefined ? { images: input.images } : {}),
    ...(input.registry !== undefined ? { registry: input.registry } : {}),
    ...(input.healthProxy !== undefined ? { healthProxy: input.healthProxy } : {}),
    ...(input.bindLocal ? { bindLocal: input.bindLocal } : {}),
    ...(input.backupData ? { backupData: input.backupData } : {}),
    ...(input.adoptContainerNames ? { adoptContainerNames: input.adoptContainerNames } : {}),
  };
}

export function buildComposeSteps(settings: ComposeDeploySettings): Step[] {
  if (settings.repo.url === '' || settings.repo.ref === '') throw new Error('repo.url and repo.ref are required');
  if (settings.composeFiles.length === 0) throw new Error('composeFiles is empty');
  return [
    waitReadyStep(settings),
    // Before anything changes: a copy the repository's own scripts started stops the run (adopt it in the plan).
    ...((settings.adoptContainerNames ?? []).length > 0 ? [adoptCheckStep(settings)] : []),
    timezoneStep(settings),
    hostnameStep(settings),
    dockerStep(settings),
    deployUserStep(settings),
    firewallStep(settings),
    fail2banStep(settings),
    unattendedUpgradesStep(settings),
    ...nonNull(repositoryKeyStep(settings)),
    repositoryStep(settings),
    envFileStep(settings),
    ...((settings.bindLocal ?? []).length > 0 ? [bindLocalStep(settings)] : []),
    ...(settings.phase === 2 ? [composeOverrideStep(settings)] : []),
    ...(settings.registry ? [registryLoginStep(settings)] : []),
    ...((settings.images?.pull.length ?? 0) > 0 ? [composePullStep(settings)] : []),
    composeUpStep(settings),
    healthStep(settings),
    ...(hasMonitoring(settings) ? [monitoringCronStep(settings)] : []),
    ...(settings.postgres ? [backupCronStep(settings)] : []),
  ];
}
