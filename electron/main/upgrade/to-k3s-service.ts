import { isIP } from 'node:net';
import type { Migration, UpgradeOptions, UpgradeRun } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import { PHASE_SINCE_SETTING, type Profile } from '../../shared/profile';
import type { BackupService } from '../backup/backup-service';
import type { Session } from '../backup/session';
import { parseKubeconfig, readClusterState, type ClusterState } from '../health/k3s';
import { readKubeconfig, saveKubeconfig } from '../k3s/kubeconfig';
import { K3S_SETTINGS } from '../k3s/settings';
import { serverAddresses } from '../recipe/dns-check';
import type { SecretStore } from '../secrets/secret-store';
import type { ProfileStore } from '../store/profile-store';
import { changesOf, DEFAULT_RESOLVERS, readRecords, SWITCH_TTL } from './dns-switch';
import type { UpgradeJournal, UpgradeJournalStore } from './journal';
import { runView } from './runner';
import { rollbackPropagated, setReadOnly, type ToK3sDeps } from './to-k3s-steps';
import type { UpgradeConfirmation } from '../../shared/contract-upgrade';

// The phase 2 → 3 use cases beside the runner: what the plan needs to know (the cluster profile made by the K3s
// screens, its kubeconfig and address, the cluster database this computer reaches, the domain's records now),
// the cluster database's connection (the password to the secret store), the record of the move (the deployment's
// profile takes the cluster's K3s settings and kubeconfig; the server's address is kept for the way back), and
// the rollback: the server's database writable again, the records to put back, their propagation checked.

/** Non-secret settings of the profile being moved. */
export const TO_K3S_SETTINGS = {
  clusterProfile: 'upgrade.clusterProfile',
  dbHost: 'upgrade.clusterDb.host',
  dbPort: 'upgrade.clusterDb.port',
  dbUser: 'upgrade.clusterDb.user',
  dbName: 'upgrade.clusterDb.database',
  migratedFrom: 'upgrade.migratedFrom',
} as const;

export const CLUSTER_DB_SECRET = 'cluster-db-password';
const KUBECONFIG_SECRET = 'kubeconfig';

export interface ToK3sServiceDeps {
  dataDir: string;
  profiles: ProfileStore;
  secrets: SecretStore;
  secretName: (profileId: string, key: string) => string;
  registerSecret: (value: string) => void;
  /** Where the domain's records are read (default the system's resolver). */
  dnsServers?: string[];
  /** Where the propagation is checked (default three public resolvers). */
  resolvers?: string[];
  propagation?: { timeoutMs?: number; pollMs?: number };
  clusterWait?: { attempts: number; delayMs: number };
  binDir?: string;
  readCluster?: (kubeconfig: string) => Promise<ClusterState>;
}

async function kubeconfigOf(d: ToK3sServiceDeps, profileId: string): Promise<string | null> {
  return (await readKubeconfig(d.dataDir, profileId)) ?? (await d.secrets.get(d.secretName(profileId, KUBECONFIG_SECRET)));
}

function domainOf(cluster: Profile, profile: Profile): string | null {
  const own = cluster.settings[K3S_SETTINGS.domain] ?? profile.settings[K3S_SETTINGS.domain];
  if (own) return own.toLowerCase();
  const url = profile.settings.publicHealthUrl;
  try {
    return url ? new URL(url).hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** Everything the 2 → 3 plan shows and the run follows. */
export async function migrationOf(d: ToK3sServiceDeps, profile: Profile, options: UpgradeOptions): Promise<Migration> {
  const clusterId = options.clusterProfileId ?? profile.settings[TO_K3S_SETTINGS.clusterProfile];
  if (!clusterId) throw new AppError('upgrade.cluster_not_deployed', { profile: '' });
  if (clusterId === profile.id) throw new AppError('upgrade.cluster_not_deployed', { profile: clusterId });
  const cluster = await d.profiles.get(clusterId);
  const yaml = await kubeconfigOf(d, clusterId);
  let apiHost: string | null = null;
  if (yaml) {
    d.registerSecret(yaml);
    const host = parseKubeconfig(yaml).server.hostname.replace(/^\[|\]$/g, '');
    apiHost = isIP(host) ? host : null;
  }
  const ingress = options.ingress ?? apiHost;
  const domain = domainOf(cluster, profile);
  const current = domain ? await readRecords(domain, d.dnsServers) : [];
  const s = profile.settings;
  const port = Number(s[TO_K3S_SETTINGS.dbPort]);
  const database = s[TO_K3S_SETTINGS.dbHost] && s[TO_K3S_SETTINGS.dbUser] && s[TO_K3S_SETTINGS.dbName] && Number.isInteger(port) ? { host: s[TO_K3S_SETTINGS.dbHost]!, port, user: s[TO_K3S_SETTINGS.dbUser]!, database: s[TO_K3S_SETTINGS.dbName]! } : null;
  const host = profile.server?.host ?? '';
  return {
    cluster: { profileId: clusterId, environment: cluster.settings[K3S_SETTINGS.deployedEnvironment] ?? cluster.settings[K3S_SETTINGS.environment] ?? null, deployedAt: cluster.settings[K3S_SETTINGS.deployedAt] ?? null, ref: cluster.settings[K3S_SETTINGS.deployedRef] ?? null },
    database,
    dns: {
      domain,
      current,
      lowerTtlTo: SWITCH_TTL,
      lowerTtl: current.some((r) => r.ttl > SWITCH_TTL),
      changes: domain ? changesOf(domain, current, ingress ? [ingress] : []) : [],
      resolvers: [...(d.resolvers ?? DEFAULT_RESOLVERS)],
    },
    rollback: { host, addresses: host ? await serverAddresses(host, { servers: d.dnsServers }).catch(() => []) : [] },
  };
}

export async function setClusterDatabase(d: ToK3sServiceDeps, input: { profileId: string; clusterProfileId: string; host: string; port: number; user: string; database: string; password: string }): Promise<{ saved: true }> {
  const profile = await d.profiles.get(input.profileId);
  await d.profiles.get(input.clusterProfileId);
  d.registerSecret(input.password);
  await d.secrets.set(d.secretName(input.profileId, CLUSTER_DB_SECRET), input.password);
  await d.profiles.update(profile, {
    settings: {
      ...profile.settings,
      [TO_K3S_SETTINGS.clusterProfile]: input.clusterProfileId,
      [TO_K3S_SETTINGS.dbHost]: input.host,
      [TO_K3S_SETTINGS.dbPort]: String(input.port),
      [TO_K3S_SETTINGS.dbUser]: input.user,
      [TO_K3S_SETTINGS.dbName]: input.database,
    },
  });
  return { saved: true };
}

/** What the runner's phase 2 → 3 steps need. */
export function toK3sDeps(d: ToK3sServiceDeps, profileId: string, migration: Migration, backups: BackupService, confirmed: readonly UpgradeConfirmation[]): ToK3sDeps {
  return {
    kubeconfig: async () => {
      const yaml = await kubeconfigOf(d, migration.cluster.profileId);
      if (yaml) d.registerSecret(yaml);
      return yaml;
    },
    password: async () => {
      const p = await d.secrets.get(d.secretName(profileId, CLUSTER_DB_SECRET));
      if (p) d.registerSecret(p);
      return p;
    },
    confirmed: new Set(confirmed),
    store: backups.store,
    manifest: (id) => backups.manifest(profileId, id),
    readCluster: d.readCluster ?? ((yaml) => readClusterState(yaml, { timeoutMs: 10_000 })),
    dnsServers: d.dnsServers,
    propagation: { timeoutMs: d.propagation?.timeoutMs ?? 30 * 60_000, pollMs: d.propagation?.pollMs ?? 15_000 },
    clusterWait: d.clusterWait ?? { attempts: 20, delayMs: 15_000 },
    binDir: d.binDir,
  };
}

/** The move recorded: the profile becomes the K3s deployment (the cluster's settings, its kubeconfig), phase 3. */
export async function recordMigration(d: ToK3sServiceDeps, profileId: string, migration: Migration, at: number): Promise<void> {
  const profile = await d.profiles.get(profileId);
  const cluster = await d.profiles.get(migration.cluster.profileId);
  const yaml = await kubeconfigOf(d, cluster.id);
  const settings: Record<string, string> = { ...profile.settings };
  for (const [k, v] of Object.entries(cluster.settings)) if (k.startsWith('k3s.')) settings[k] = v;
  if (yaml) {
    settings[K3S_SETTINGS.kubeconfig] = await saveKubeconfig(d.dataDir, profileId, yaml);
    await d.secrets.set(d.secretName(profileId, KUBECONFIG_SECRET), yaml);
  }
  settings[TO_K3S_SETTINGS.migratedFrom] = migration.rollback.host;
  settings[PHASE_SINCE_SETTING] = String(at);
  if (migration.dns.domain) settings.publicHealthUrl ??= `https://${migration.dns.domain}/api/v1/health`;
  await d.profiles.update(profile, { phase: 3, settings, repo: cluster.repo ?? profile.repo });
}

/**
 * Back to the server, while the move is not confirmed: its database writable again (it was only made read-only;
 * nothing else on the server changed), the run closed, the records to put back and whether the resolvers see
 * the server again.
 */
/** A move to K3s whose freeze ran (or was running): the server's database may be read-only now. */
export function serverFrozen(j: Pick<UpgradeJournal, 'kind' | 'steps'>): boolean {
  return j.kind === 'phase-2-3' && (j.steps.freeze?.state ?? 'pending') !== 'pending';
}

export async function rollbackToServer(journals: UpgradeJournalStore, s: Session, now: () => Date): Promise<{ run: UpgradeRun; records: Migration['dns']['changes']; propagated: boolean }> {
  const j = await journals.read(s.profile.id);
  const m = j?.plan.view.migration;
  if (!j || j.kind !== 'phase-2-3' || j.outcome === 'succeeded' || !m) throw new AppError('upgrade.rollback_unavailable', {});
  await s.open();
  if (serverFrozen(j)) await setReadOnly(s, 'off');
  await s.remote.releaseLock(j.runId).catch(() => undefined);
  const at = now();
  j.outcome = 'cancelled';
  j.finishedAt = at.toISOString();
  j.error = null;
  if (j.downtime.startedAt !== null && j.downtime.endedAt === null) j.downtime.endedAt = at.getTime();
  const mark = { at: at.getTime(), kind: 'end' as const, runId: j.runId, toPhase: j.toPhase };
  j.marks.push(mark);
  await journals.addMark(s.profile.id, mark);
  await journals.write(j);
  await journals.writeRemote(s, j).catch(() => undefined);
  const back = m.rollback.addresses;
  const records = m.dns.changes.map((c) => ({ name: c.name, type: c.type, from: [c.to], to: c.from[0] ?? back.find((a) => (c.type === 'A' ? !a.includes(':') : a.includes(':'))) ?? '' }));
  return { run: runView(j), records, propagated: await rollbackPropagated(m) };
}
