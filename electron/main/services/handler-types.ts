import type { z } from 'zod';
import type { contract, EventName, EventPayload, MethodName, MethodOutput } from '../../shared/contract';
import type { BackupService } from '../backup/backup-service';
import type { Logger } from '../log';
import type { NetworkDoctor } from '../network/doctor';
import type { Updater, UpdateService } from '../lifecycle/update';
import type { Encryptor, SecretStore } from '../secrets/secret-store';
import type { ConnectOptions } from '../ssh/connection';
import type { ProfileStore } from '../store/profile-store';
import type { SettingsStore } from '../store/settings-store';
import type { DeployService } from './deploy-service';
import type { HealthService, Notify } from './health-service';
import type { ProviderEndpoints } from './provider-service';
import type { K3sServiceDeps } from '../k3s/k3s-service';
import type { UpgradeServiceDeps } from '../upgrade/upgrade-service';
import type { GitHubEndpoints, RecipeService } from './recipe-service';

// The types every handler file shares (handlers.ts builds the table from the <domain>-handlers.ts files,
// which import these types from here, not from handlers.ts).

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
  /** Tells "this computer is offline" apart from an outage of Hetzner, OVH or GitHub. */
  network: NetworkDoctor;
  /** Auto-update (the desktop app's updater; "unsupported" elsewhere). */
  update: UpdateService;
  backups: BackupService;
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
  /** The desktop app's auto-updater (electron-updater behind an interface); null/absent: none (web mode, CLI). */
  updater?: Updater | null;
  /** K3s run overrides (tests: tool downloads from a local server, shorter waits). */
  k3s?: Partial<Pick<K3sServiceDeps, 'toolSources' | 'stallMs' | 'reconnect' | 'clusterWait' | 'stopAfterMs' | 'host' | 'readCluster'>>;
  /** Health sampler overrides (tests). */
  health?: Pick<ConstructorParameters<typeof HealthService>[0], 'sample' | 'foregroundMs' | 'backgroundMs' | 'backoff' | 'https'>;
  /** Backup and upgrade overrides (tests: short waits between reconnections, download tuning). */
  backup?: Pick<ConstructorParameters<typeof BackupService>[0], 'download' | 'sessionBackoffMs' | 'now'>;
  /** Upgrade overrides (tests: how the SSH wait after the reboot probes). */
  upgrade?: { sshWait?: { initialDelayMs?: number; maxDelayMs?: number; timeoutMs?: number }; toK3s?: UpgradeServiceDeps['toK3s']; lock?: UpgradeServiceDeps['lock'] };
}

