import { createHash } from 'node:crypto';
import type { Checklist } from '../../shared/contract-k3s';
import { PHASE4_ITEMS, type Phase4Item, type Phase4ItemView, type UpgradePlan, type UpgradeRun } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { K3S_SETTINGS } from '../k3s/settings';
import { topologyFor } from '../k3s/topology';
import type { ProfileStore } from '../store/profile-store';
import { stepsOf } from './plan';

// Phase 3 → 4, the roadmap's progressive path ("provision prod; replicate DB staging → prod; blue/green;
// progressive DNS switch") as a guided checklist on top of the K3s prod deployment: what the app can check it
// checks (the prod deployment in the profile, the K3s screens' pre-production checklist: domain, DNS access,
// OVH project, quotas), the rest the user confirms; each item's state is saved in the profile, so the checklist
// is resumed where it was left, on any computer that has the profile. When every item is done the deployment
// is recorded as phase 4. Zero downtime is expected: the old environment serves until the DNS has moved.

export const PHASE4_SETTING = (item: Phase4Item) => `upgrade.p4.${item}`;

export interface Phase4Deps {
  profiles: ProfileStore;
  /** The K3s screens' checklist for the profile (null when it cannot be run). */
  checklist?: (profileId: string) => Promise<Checklist | null>;
}

/** The commands each item stands for (shown; the app runs none of them). */
function commandsOf(item: Phase4Item, ns: string): string[] {
  switch (item) {
    case 'p4-prod':
      return ['cd infrastructure', './scripts/deploy.sh prod', 'export KUBECONFIG=~/.kube/koprogo-prod', 'kubectl get nodes'];
    case 'p4-checks':
      return [];
    case 'p4-replicate':
      return [
        "psql -d koprogo_db -c 'CREATE PUBLICATION koprogo_p4 FOR ALL TABLES'   # staging",
        "pg_dump --schema-only -d koprogo_db | psql -h <prod> -d koprogo_db   # prod",
        "psql -h <prod> -d koprogo_db -c \"CREATE SUBSCRIPTION koprogo_p4 CONNECTION 'host=<staging> dbname=koprogo_db' PUBLICATION koprogo_p4\"",
      ];
    case 'p4-bluegreen':
      return [`kubectl -n ${ns} get deploy,svc`, `kubectl -n ${ns} patch service koprogo-backend -p '{"spec":{"selector":{"slot":"green"}}}'`];
    case 'p4-dns':
      return ['dig +short <domain> @1.1.1.1', 'dig +short <domain> @8.8.8.8', 'dig +short <domain> @9.9.9.9'];
    default: {
      const never: never = item;
      throw new Error(`unknown item ${String(never)}`);
    }
  }
}

/** The checklist as it stands: checked items, then the user's confirmations from the profile. */
export async function phase4Items(d: Phase4Deps, profile: Profile): Promise<Phase4ItemView[]> {
  const confirmed = (item: Phase4Item) => profile.settings[PHASE4_SETTING(item)] ?? null;
  const checks = await d.checklist?.(profile.id).catch(() => null);
  return PHASE4_ITEMS.map((id): Phase4ItemView => {
    const at = confirmed(id);
    const base = { id, confirmedAt: at, commands: commandsOf(id, 'koprogo') };
    switch (id) {
      case 'p4-prod': {
        const prod = profile.settings[K3S_SETTINGS.deployedEnvironment] === 'prod';
        if (prod) return { ...base, state: 'ok', checked: true, detail: { code: 'upgrade.phase4.prodDeployed', params: { at: profile.settings[K3S_SETTINGS.deployedAt] ?? '' } } };
        return { ...base, state: at ? 'ok' : 'pending', checked: false, detail: { code: 'upgrade.phase4.prodMissing', params: {} } };
      }
      case 'p4-checks': {
        if (!checks) return { ...base, state: at ? 'ok' : 'unknown', checked: false, detail: { code: 'upgrade.phase4.checksUnavailable', params: {} } };
        const failing = checks.items.filter((i) => i.state !== 'ok' && !i.confirmable).map((i) => i.id);
        return { ...base, state: checks.ready || at ? 'ok' : 'failed', checked: checks.ready, detail: { code: checks.ready ? 'upgrade.phase4.checksOk' : 'upgrade.phase4.checksFailing', params: { items: failing.join(', ') } } };
      }
      case 'p4-replicate':
      case 'p4-bluegreen':
      case 'p4-dns':
        return { ...base, state: at ? 'ok' : 'pending', checked: false, detail: { code: `upgrade.phase4.${id}`, params: {} } };
      default: {
        const never: never = id;
        throw new Error(`unknown item ${String(never)}`);
      }
    }
  });
}

export async function confirmPhase4(d: Phase4Deps, profileId: string, item: Phase4Item, done: boolean, now: () => Date): Promise<Phase4ItemView[]> {
  const profile = await d.profiles.get(profileId);
  if (profile.phase !== 3) throw new AppError('upgrade.not_available', { from: profile.phase, to: 4 });
  const settings = { ...profile.settings };
  if (done) settings[PHASE4_SETTING(item)] = now().toISOString();
  else delete settings[PHASE4_SETTING(item)];
  return phase4Items(d, await d.profiles.update(profile, { settings }));
}

export async function phase4Plan(d: Phase4Deps, profile: Profile): Promise<UpgradePlan> {
  const items = await phase4Items(d, profile);
  const env = profile.settings[K3S_SETTINGS.deployedEnvironment] ?? profile.settings[K3S_SETTINGS.environment] ?? 'staging';
  const before = topologyFor(env === 'prod' ? 'staging' : env).monthlyEuros;
  const after = topologyFor('prod').monthlyEuros;
  const order = stepsOf('phase-3-4', 'k3s-progressive', false);
  const steps = order.map((id): UpgradePlan['steps'][number] => {
    const item = items.find((i) => i.id === id);
    return {
      id,
      titleParams: id === 'record' ? { phase: 4 } : ({} as Record<string, string | number>),
      downtime: false,
      api: [],
      remote: item && item.commands.length ? [{ stepId: id, titleParams: {}, check: null, actions: [{ kind: 'run' as const, as: 'login' as const, detached: false, script: item.commands.join('\n') }], verify: null }] : [],
    };
  });
  const pending = items.filter((i) => i.state !== 'ok').map((i) => i.id);
  const view: Omit<UpgradePlan, 'planHash'> = {
    profileId: profile.id,
    kind: 'phase-3-4',
    route: 'k3s-progressive',
    fromPhase: 3,
    toPhase: 4,
    current: null,
    target: null,
    choices: [],
    upgradeDisk: false,
    disk: { keptGb: null, offeredGb: null },
    snapshot: { available: false, chosen: false, maxCostMonthly: null },
    cost: { before: { net: before, gross: null, currency: 'EUR' }, after: { net: after, gross: null, currency: 'EUR' }, deltaMonthly: after - before, currency: 'EUR' },
    downtime: { minSec: 0, maxSec: 0 },
    order: null,
    verify: 'server',
    steps,
    warnings: pending.length ? [{ code: 'upgrade.warnings.checklistPending', params: { count: pending.length } }] : [],
    checklist: items,
  };
  const planHash = createHash('sha256').update(JSON.stringify({ kind: view.kind, order, env })).digest('hex').slice(0, 32);
  return { ...view, planHash };
}

/** Every item done: the deployment is recorded as phase 4 (the run is the checklist; it has one step). */
export async function finishPhase4(d: Phase4Deps, profileId: string, now: () => Date): Promise<UpgradeRun> {
  const profile = await d.profiles.get(profileId);
  const plan = await phase4Plan(d, profile);
  const pending = (plan.checklist ?? []).filter((i) => i.state !== 'ok').map((i) => i.id);
  if (pending.length) throw new AppError('upgrade.checklist_incomplete', { items: pending.join(', '), count: pending.length });
  await d.profiles.update(profile, { phase: 4 });
  const at = now().toISOString();
  return {
    runId: `${at.slice(0, 10)}-p4-${plan.planHash.slice(0, 8)}`,
    kind: 'phase-3-4',
    route: 'k3s-progressive',
    toPhase: 4,
    planHash: plan.planHash,
    outcome: 'succeeded',
    startedAt: at,
    finishedAt: at,
    steps: plan.steps.map((s) => ({ id: s.id, state: 'done' as const, endedAt: at })),
    downtimeMs: 0,
    before: null,
    after: null,
    backupId: null,
    error: null,
  };
}
