import { createHash } from 'node:crypto';
import type { Migration, UpgradePlan, UpgradeStepId, UpgradeStepView } from '../../shared/contract-upgrade';
import type { PlanEntry } from '../../shared/deploy';
import { getPhase } from '../../shared/phases';
import { renderPlan } from '../engine/plan';
import { asRoot } from '../engine/steps/shell';
import type { ComposeDeploySettings } from '../engine/types';
import { topologyFor } from '../k3s/topology';
import { shJoin } from '../ssh/quote';
import { SWITCH_TTL } from './dns-switch';
import { expectedDowntime, isDowntime, remoteStepsOf, stepsOf, type BuiltPlan } from './plan';
import { freezeScript } from './to-k3s-steps';

// The plan of phase 2 → 3, pure: the server's checks and proven backup (the same remote commands as 1 → 2),
// the cluster deployed by the K3s run (its profile, checked through the Kubernetes API), the server's database
// made read-only, the dump restored into the cluster's PostgreSQL from this computer and its figures compared,
// the cluster's health, the DNS switch (records now and their TTL, what to change, the resolvers that check it),
// the user's confirmation while the server stays up, and the record. Cost: phase 2's against the cluster's
// topology; downtime: the roadmap's range for a first migration.

export interface K3sPlanInput {
  profileId: string;
  before: ComposeDeploySettings;
  migration: Migration;
  /** The server's monthly price when the provider said it (else phase 2's estimate). */
  serverMonthly: number | null;
  redact: (text: string) => string;
}

const SAMPLE = '…';

/** Commands this computer runs (shown as such; the password is in a PGPASSFILE, never here). */
function localEntry(id: UpgradeStepId, lines: string[]): PlanEntry {
  return { stepId: id, titleParams: {}, check: null, actions: [{ kind: 'run', as: 'login', detached: false, script: ['# on this computer', ...lines].join('\n') }], verify: null };
}

function remoteOf(id: UpgradeStepId, input: K3sPlanInput): PlanEntry[] {
  const m = input.migration;
  const db = m.database;
  const conn = db ? ['-h', db.host, '-p', String(db.port), '-U', db.user, '-d', db.database] : ['-d', '<cluster database>'];
  switch (id) {
    case 'preflight':
    case 'backup':
      return renderPlan(remoteStepsOf(id, input.before, input.before), input.redact) as PlanEntry[];
    case 'freeze':
      return input.before.postgres ? (renderPlan([{ id: 'freeze', titleParams: {}, check: null, apply: [{ kind: 'run', command: asRoot([freezeScript(input.before, 'on')]) }], verify: null }], input.redact) as PlanEntry[]) : [];
    case 'cluster-restore':
      return [localEntry(id, [shJoin(['pg_restore', '--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', ...conn, `${SAMPLE}.dump`]), `${shJoin(['psql', ...conn])} < table-figures.sql`])];
    case 'dns-switch':
      return [localEntry(id, m.dns.resolvers.flatMap((r) => m.dns.changes.map((c) => shJoin(['dig', `@${r}`, c.name, c.type, '+short']))))];
    case 'cluster':
    case 'dns-ttl':
    case 'cluster-health':
    case 'cutover':
    case 'record':
      return [];
    default:
      return [];
  }
}

function apiOf(id: UpgradeStepId): UpgradeStepView['api'] {
  if (id === 'cluster' || id === 'cluster-health')
    return [
      { method: 'GET', path: '/api/v1/nodes', body: null },
      { method: 'GET', path: '/api/v1/pods', body: null },
    ];
  return [];
}

function titleParams(id: UpgradeStepId, input: K3sPlanInput): Record<string, string | number> {
  const m = input.migration;
  switch (id) {
    case 'backup':
      return { database: input.before.postgres?.database ?? '' };
    case 'cluster':
      return { profile: m.cluster.profileId, environment: m.cluster.environment ?? '' };
    case 'dns-ttl':
      return { domain: m.dns.domain ?? '', ttl: SWITCH_TTL };
    case 'cluster-restore':
      return { database: m.database?.database ?? '' };
    case 'dns-switch':
      return { domain: m.dns.domain ?? '', to: m.dns.changes.map((c) => c.to).join(', '), resolvers: m.dns.resolvers.length };
    case 'record':
      return { phase: 3 };
    default:
      return {};
  }
}

export function buildK3sPlan(input: K3sPlanInput): BuiltPlan {
  const order = stepsOf('phase-2-3', 'k3s-migrate', false);
  const m = input.migration;
  const steps: UpgradeStepView[] = order.map((id) => ({ id, titleParams: titleParams(id, input), downtime: isDowntime(id, 'k3s-migrate'), api: apiOf(id), remote: remoteOf(id, input) }));
  const before = input.serverMonthly ?? getPhase(2).costMonthly.min;
  const after = topologyFor(m.cluster.environment ?? 'dev').monthlyEuros;
  const warnings: UpgradePlan['warnings'] = [];
  if (!m.cluster.deployedAt) warnings.push({ code: 'upgrade.warnings.clusterNotDeployed', params: { profile: m.cluster.profileId } });
  if (!m.database) warnings.push({ code: 'upgrade.warnings.noClusterDatabase', params: {} });
  if (!input.before.postgres) warnings.push({ code: 'upgrade.warnings.noDatabase', params: {} });
  if (!m.dns.domain) warnings.push({ code: 'upgrade.warnings.noDomain', params: {} });
  if (m.dns.lowerTtl) warnings.push({ code: 'upgrade.warnings.lowerTtl', params: { ttl: Math.max(...m.dns.current.map((r) => r.ttl)), advised: m.dns.lowerTtlTo } });
  if (m.dns.changes.length === 0 && m.dns.domain) warnings.push({ code: 'upgrade.warnings.noIngress', params: {} });
  warnings.push({ code: 'upgrade.warnings.serverKept', params: { cost: before } });
  const view: Omit<UpgradePlan, 'planHash'> = {
    profileId: input.profileId,
    kind: 'phase-2-3',
    route: 'k3s-migrate',
    fromPhase: 2,
    toPhase: 3,
    current: null,
    target: null,
    choices: [],
    upgradeDisk: false,
    disk: { keptGb: null, offeredGb: null },
    snapshot: { available: false, chosen: false, maxCostMonthly: null },
    cost: { before: { net: before, gross: null, currency: 'EUR' }, after: { net: after, gross: null, currency: 'EUR' }, deltaMonthly: Math.round((after - before) * 100) / 100, currency: 'EUR' },
    downtime: expectedDowntime('k3s-migrate', false),
    order: null,
    verify: 'server',
    steps,
    warnings,
    migration: m,
  };
  // The TTL and the addresses the records have now are not part of what is confirmed: they change as the user prepares.
  const planHash = createHash('sha256')
    .update(JSON.stringify({ kind: view.kind, order, cluster: m.cluster.profileId, deployedAt: m.cluster.deployedAt, database: m.database, domain: m.dns.domain, to: m.dns.changes.map((c) => [c.type, c.to]), resolvers: m.dns.resolvers, rollback: m.rollback, remote: steps.map((s) => s.remote.map((r) => r.actions.map((a) => (a.kind === 'run' ? a.script : a.content)))) }))
    .digest('hex')
    .slice(0, 32);
  return { view: { ...view, planHash }, order, exec: { route: 'k3s-migrate', serverId: null, targetName: null, options: { offerId: '', upgradeDisk: false, snapshot: false, verify: 'server' }, orderPrice: null } };
}
