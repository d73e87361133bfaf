import { createHash } from 'node:crypto';
import type { PlanEntry } from '../../shared/deploy';
import type { Money, UpgradeKind, UpgradeOffer, UpgradeOptions, UpgradePlan, UpgradeRoute, UpgradeStepId, UpgradeStepView } from '../../shared/contract-upgrade';
import { renderPlan } from '../engine/plan';
import { composeOverrideStep, composeUpStep } from '../engine/steps/compose';
import { healthStep } from '../engine/steps/health';
import { asRoot } from '../engine/steps/shell';
import type { ComposeDeploySettings, Step } from '../engine/types';
import { provenDumpScript, scratchVerifyScript, provenDumpPath } from '../backup/scripts';
import { VERSION_STEPS, versionRemoteSteps } from './version-steps';

// The plan of an upgrade, pure: from what the provider says about the server (its offer, the offers it
// can move to, prices) and the deployment's settings before and after, the ordered steps with every
// API call and remote command, the cost change and the expected downtime. The runner executes exactly
// these steps; the hash is what the user confirmed.

/** What the provider (or the server) says, gathered by the service before planning. */
export type ProviderFacts =
  | { route: 'hetzner-resize'; serverId: string; location: string; current: UpgradeOffer; choices: UpgradeOffer[]; snapshotPerGbMonth: Money | null }
  | { route: 'ovh-cloud-resize'; projectId: string; instanceId: string; region: string; current: UpgradeOffer; choices: UpgradeOffer[]; snapshotPerGbMonth: Money | null }
  | { route: 'ovh-vps-order'; serviceName: string; current: UpgradeOffer; choices: UpgradeOffer[]; quote: { planCode: string; priceNet: number; priceGross: number | null; currency: string; duration: string } | null }
  | { route: 'in-place'; memoryGb: number | null; cpus: number | null };

/** The options a run keeps in its journal (the phase 2 → 3 choices are in the plan's `migration`). */
export type ExecOptions = Required<Pick<UpgradeOptions, 'offerId' | 'upgradeDisk' | 'snapshot' | 'verify'>>;

/** What the runner needs beyond the step list. */
export interface PlanExecution {
  route: UpgradeRoute;
  serverId: string | null;
  /** Hetzner server type name, OVH flavor name, or OVH VPS plan code. */
  targetName: string | null;
  options: ExecOptions;
  /** The order price the user confirms (OVH VPS). */
  orderPrice: number | null;
}

export interface BuiltPlan {
  view: UpgradePlan;
  order: UpgradeStepId[];
  exec: PlanExecution;
}

export interface PlanInput {
  kind: UpgradeKind;
  profileId: string;
  fromPhase: number;
  toPhase: number;
  /** The deployment as it is, and as it will be (phase 2 settings). */
  before: ComposeDeploySettings;
  after: ComposeDeploySettings;
  facts: ProviderFacts;
  options: UpgradeOptions;
  redact: (text: string) => string;
}

const SAMPLE_ID = '00000000-000000-upgrade-000000';

/** The provider steps of a route; exhaustive over the routes. */
export function providerSteps(route: UpgradeRoute): UpgradeStepId[] {
  switch (route) {
    case 'hetzner-resize':
      return ['shutdown', 'change-type', 'poweron'];
    case 'ovh-cloud-resize':
      return ['ovh-resize'];
    case 'ovh-vps-order':
      return ['vps-order', 'vps-wait'];
    case 'in-place':
    case 'k3s-migrate':
    case 'k3s-progressive':
      return [];
    default: {
      const never: never = route;
      throw new Error(`unknown route ${String(never)}`);
    }
  }
}

/** The steps of an upgrade kind, in order; exhaustive over the kinds (the second wave adds its moves here). */
export function stepsOf(kind: UpgradeKind, route: UpgradeRoute, snapshot: boolean): UpgradeStepId[] {
  switch (kind) {
    case 'version':
      return [...VERSION_STEPS];
    case 'phase-1-2':
      return ['preflight', 'backup', ...(snapshot ? (['snapshot'] as const) : []), ...providerSteps(route), ...(route === 'in-place' ? [] : (['wait-ssh'] as const)), 'tuning', 'restart', 'health', 'record'];
    case 'phase-2-3':
      return ['preflight', 'cluster', 'dns-ttl', 'freeze', 'backup', 'cluster-restore', 'cluster-health', 'dns-switch', 'cutover', 'record'];
    case 'phase-3-4':
      return ['p4-prod', 'p4-checks', 'p4-replicate', 'p4-bluegreen', 'p4-dns', 'record'];
    default: {
      const never: never = kind;
      throw new Error(`unknown upgrade ${String(never)}`);
    }
  }
}

/** Steps during which the application is down (the measured downtime runs from the first to the health check). */
export function isDowntime(id: UpgradeStepId, route: UpgradeRoute): boolean {
  switch (id) {
    case 'shutdown':
    case 'change-type':
    case 'poweron':
    case 'ovh-resize':
    case 'vps-wait':
    case 'wait-ssh':
    case 'restart':
    case 'health':
    case 'rollback':
      return true;
    case 'tuning':
      return route !== 'in-place';
    // Phase 2 → 3: from the server's database going read-only to the cluster answering with the data.
    case 'freeze':
    case 'cluster-restore':
    case 'cluster-health':
      return true;
    case 'backup':
      return route === 'k3s-migrate';
    case 'cluster':
    case 'dns-ttl':
    case 'dns-switch':
    case 'cutover':
    case 'p4-prod':
    case 'p4-checks':
    case 'p4-replicate':
    case 'p4-bluegreen':
    case 'p4-dns':
    case 'preflight':
    case 'snapshot':
    case 'vps-order':
    case 'record':
    case 'keep-previous':
    case 'checkout':
    case 'env-update':
    case 'pull':
      return false;
    default: {
      const never: never = id;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
}

export function expectedDowntime(route: UpgradeRoute, upgradeDisk: boolean): { minSec: number; maxSec: number } {
  switch (route) {
    case 'hetzner-resize':
      // Shutdown ≤ 1 min, change_type a minute or two (longer when the disk is copied), boot, Compose and health.
      return upgradeDisk ? { minSec: 180, maxSec: 900 } : { minSec: 120, maxSec: 360 };
    case 'ovh-cloud-resize':
      return { minSec: 180, maxSec: 900 };
    case 'ovh-vps-order':
      return { minSec: 300, maxSec: 1200 };
    case 'in-place':
      return { minSec: 30, maxSec: 180 };
    case 'k3s-migrate':
      // The roadmap's estimate for a first migration (30 min – 2 h); the plan narrows it from the database's size.
      return { minSec: 1800, maxSec: 7200 };
    case 'k3s-progressive':
      return { minSec: 0, maxSec: 0 };
    default: {
      const never: never = route;
      throw new Error(`unknown route ${String(never)}`);
    }
  }
}

/** The remote part of the steps that touch the server (for the plan; the runner builds the same steps). */
export function remoteStepsOf(id: UpgradeStepId, before: ComposeDeploySettings, after: ComposeDeploySettings): Step[] {
  switch (id) {
    case 'preflight': {
      const h = healthStep(before);
      return [{ ...h, id: 'preflight', apply: [], verify: null }];
    }
    case 'backup': {
      if (!before.postgres) return [];
      return [
        {
          id: 'backup',
          titleParams: {},
          check: null,
          apply: [{ kind: 'run', command: { ...asRoot([provenDumpScript(before, SAMPLE_ID)]), detached: true } }],
          verify: asRoot([scratchVerifyScript(before, { tag: 'verify', path: provenDumpPath(before, SAMPLE_ID), format: 'custom' })]),
        },
      ];
    }
    case 'tuning':
      return [composeOverrideStep(after)];
    case 'restart':
      return [composeUpStep(after)];
    case 'health':
      return [healthStep(after)];
    case 'snapshot':
    case 'shutdown':
    case 'change-type':
    case 'poweron':
    case 'ovh-resize':
    case 'vps-order':
    case 'vps-wait':
    case 'wait-ssh':
    case 'record':
    case 'cluster':
    case 'dns-ttl':
    case 'freeze':
    case 'cluster-restore':
    case 'cluster-health':
    case 'dns-switch':
    case 'cutover':
    case 'p4-prod':
    case 'p4-checks':
    case 'p4-replicate':
    case 'p4-bluegreen':
    case 'p4-dns':
      return [];
    case 'keep-previous':
    case 'checkout':
    case 'env-update':
    case 'pull':
    case 'rollback':
      return versionRemoteSteps(id, before, after, SAMPLE_ID);
    default: {
      const never: never = id;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
}

function apiOf(id: UpgradeStepId, facts: ProviderFacts, target: UpgradeOffer | null, options: ExecOptions): UpgradeStepView['api'] {
  const post = (path: string, body: unknown = {}) => ({ method: 'POST' as const, path, body: JSON.stringify(body) });
  if (facts.route === 'hetzner-resize') {
    const base = `/servers/${facts.serverId}/actions`;
    if (id === 'snapshot') return [post(`${base}/create_image`, { type: 'snapshot', description: 'koprogo-…', labels: { 'managed-by': 'koprogo-deploy' } })];
    if (id === 'shutdown') return [post(`${base}/shutdown`)];
    if (id === 'change-type') return [post(`${base}/change_type`, { server_type: target?.name ?? '', upgrade_disk: options.upgradeDisk })];
    if (id === 'poweron') return [post(`${base}/poweron`)];
  }
  if (facts.route === 'ovh-cloud-resize') {
    const base = `/cloud/project/${facts.projectId}/instance/${facts.instanceId}`;
    if (id === 'snapshot') return [post(`${base}/snapshot`, { snapshotName: 'koprogo-…' })];
    if (id === 'ovh-resize') return [post(`${base}/resize`, { flavorId: target?.id ?? '' })];
  }
  if (facts.route === 'ovh-vps-order') {
    if (id === 'vps-order') return [{ method: 'GET', path: `/order/upgrade/vps/${facts.serviceName}/${facts.quote?.planCode ?? ''}?quantity=1`, body: null }, post(`/order/upgrade/vps/${facts.serviceName}/${facts.quote?.planCode ?? ''}`, { quantity: 1, autoPayWithPreferredPaymentMethod: true })];
    if (id === 'vps-wait') return [{ method: 'GET', path: `/vps/${facts.serviceName}`, body: null }];
  }
  return [];
}

function money(net: number, gross: number | null, currency: string): Money {
  return { net: Math.round(net * 100) / 100, gross: gross === null ? null : Math.round(gross * 100) / 100, currency };
}

export function buildPlan(input: PlanInput): BuiltPlan {
  const { facts } = input;
  const snapshotAvailable = facts.route === 'hetzner-resize' || facts.route === 'ovh-cloud-resize';
  const current = facts.route === 'in-place' ? null : facts.current;
  const choices = facts.route === 'in-place' ? [] : facts.choices;
  const target = facts.route === 'in-place' ? null : (choices.find((c) => c.id === input.options.offerId) ?? choices[0] ?? null);
  const options: ExecOptions = {
    offerId: target?.id ?? '',
    upgradeDisk: facts.route === 'hetzner-resize' ? (input.options.upgradeDisk ?? false) : false,
    snapshot: snapshotAvailable ? (input.options.snapshot ?? true) : false,
    verify: input.options.verify ?? 'server',
  };
  const order = stepsOf(input.kind, facts.route, options.snapshot);
  const steps: UpgradeStepView[] = order.map((id) => ({
    id,
    titleParams: titleParams(id, input, facts, target),
    downtime: isDowntime(id, facts.route),
    api: apiOf(id, facts, target, options),
    remote: renderPlan(remoteStepsOf(id, input.before, input.after), input.redact) as PlanEntry[],
  }));
  const perGb = facts.route === 'hetzner-resize' || facts.route === 'ovh-cloud-resize' ? facts.snapshotPerGbMonth : null;
  const diskGb = current?.diskGb ?? null;
  const priceAfter = facts.route === 'ovh-vps-order' && facts.quote ? money(target?.priceMonthly.net ?? facts.quote.priceNet, target?.priceMonthly.gross ?? null, facts.quote.currency) : (target?.priceMonthly ?? null);
  const warnings: UpgradePlan['warnings'] = [];
  if (facts.route === 'in-place') {
    warnings.push({ code: 'upgrade.warnings.inPlace', params: {} });
    if (facts.memoryGb !== null && facts.memoryGb < 4) warnings.push({ code: 'upgrade.warnings.smallServer', params: { ramGb: Math.round(facts.memoryGb * 10) / 10, needGb: 4 } });
  }
  if (options.upgradeDisk) warnings.push({ code: 'upgrade.warnings.noDowngrade', params: {} });
  if (!input.after.tuning.postgresService && !input.after.tuning.backendService) warnings.push({ code: 'upgrade.warnings.noTuning', params: {} });
  if (!input.before.postgres) warnings.push({ code: 'upgrade.warnings.noDatabase', params: {} });
  if (facts.route !== 'in-place' && !target) warnings.push({ code: 'upgrade.warnings.noOffer', params: {} });
  const view: Omit<UpgradePlan, 'planHash'> = {
    profileId: input.profileId,
    kind: input.kind,
    route: facts.route,
    fromPhase: input.fromPhase,
    toPhase: input.toPhase,
    current,
    target,
    choices,
    upgradeDisk: options.upgradeDisk,
    disk: facts.route === 'hetzner-resize' ? { keptGb: options.upgradeDisk ? (target?.diskGb ?? null) : diskGb, offeredGb: target?.diskGb ?? null } : { keptGb: null, offeredGb: null },
    snapshot: { available: snapshotAvailable, chosen: options.snapshot, maxCostMonthly: perGb && diskGb !== null ? money(perGb.net * diskGb, perGb.gross === null ? null : perGb.gross * diskGb, perGb.currency) : null },
    cost: {
      before: current?.priceMonthly ?? null,
      after: priceAfter,
      deltaMonthly: current && priceAfter ? Math.round((priceAfter.net - current.priceMonthly.net) * 100) / 100 : null,
      currency: priceAfter?.currency ?? current?.priceMonthly.currency ?? 'EUR',
    },
    downtime: expectedDowntime(facts.route, options.upgradeDisk),
    order: facts.route === 'ovh-vps-order' ? facts.quote : null,
    verify: options.verify,
    steps,
    warnings,
  };
  const planHash = createHash('sha256')
    .update(JSON.stringify({ kind: view.kind, route: view.route, order, current: current?.id ?? null, target: target?.id ?? null, price: priceAfter?.net ?? null, options, quote: view.order, remote: steps.map((s) => s.remote.map((r) => r.actions.map((a) => (a.kind === 'run' ? a.script : a.content)))) }))
    .digest('hex')
    .slice(0, 32);
  return {
    view: { ...view, planHash },
    order,
    exec: {
      route: facts.route,
      serverId: facts.route === 'hetzner-resize' ? facts.serverId : facts.route === 'ovh-cloud-resize' ? facts.instanceId : facts.route === 'ovh-vps-order' ? facts.serviceName : null,
      targetName: target?.name ?? null,
      options,
      orderPrice: facts.route === 'ovh-vps-order' ? (facts.quote?.priceNet ?? null) : null,
    },
  };
}

function titleParams(id: UpgradeStepId, input: PlanInput, facts: ProviderFacts, target: UpgradeOffer | null): Record<string, string | number> {
  const current = facts.route === 'in-place' ? null : facts.current;
  switch (id) {
    case 'change-type':
    case 'ovh-resize':
    case 'vps-order':
      return { from: current?.name ?? '', to: target?.name ?? '' };
    case 'backup':
      return { database: input.before.postgres?.database ?? '' };
    case 'tuning':
      return { phase: input.toPhase };
    case 'record':
      return { phase: input.toPhase };
    default:
      return {};
  }
}
