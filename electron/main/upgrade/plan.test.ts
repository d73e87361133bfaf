import { describe, expect, it } from 'vitest';
import { UPGRADE_ROUTES, UPGRADE_STEPS, type UpgradeOffer } from '../../shared/contract-upgrade';
import { defaultComposeSettings } from '../engine/steps/compose-plan';
import { upgradeTarget, describePlan } from '../cli-upgrade';
import { buildPlan, expectedDowntime, isDowntime, providerSteps, stepsOf, type ProviderFacts } from './plan';

// The plan of phase 1 → 2, pure: which steps for which route, which are downtime, the cost change,
// the disk and snapshot choices, and a hash that changes with anything the user confirms.

const before = defaultComposeSettings({ phase: 1, postgres: { service: 'postgres', user: 'koprogo', database: 'koprogo_db' }, tuning: { postgresService: 'postgres', backendService: 'backend' } });
const after = { ...before, phase: 2 as const };
const eur = (net: number) => ({ net, gross: Math.round(net * 119) / 100, currency: 'EUR' });
const offer = (name: string, vcpu: number, ramGb: number, diskGb: number, net: number): UpgradeOffer => ({ id: `hetzner:${name}@fsn1`, name, vcpu, ramGb, diskGb, priceMonthly: eur(net) });
const hetzner: ProviderFacts = {
  route: 'hetzner-resize',
  serverId: '42',
  location: 'fsn1',
  current: offer('cx22', 2, 4, 40, 3.79),
  choices: [offer('cx32', 4, 8, 80, 6.8), offer('cpx31', 4, 8, 160, 13.6)],
  snapshotPerGbMonth: { net: 0.0119, gross: 0.0142, currency: 'EUR' },
};
const plan = (facts: ProviderFacts, options = {}) => buildPlan({ kind: 'phase-1-2', profileId: 'p', fromPhase: 1, toPhase: 2, before, after, facts, options, redact: (t) => t });

describe('upgrade plans', () => {
  it('every route has its provider steps, in the order the steps run', () => {
    // The K3s routes belong to the moves 2 → 3 and 3 → 4 (to-k3s-plan.test.ts).
    for (const route of UPGRADE_ROUTES.filter((r) => !r.startsWith('k3s-'))) {
      const steps = stepsOf('phase-1-2', route, true);
      expect(steps.slice(0, 2)).toEqual(['preflight', 'backup']);
      expect(steps.slice(-4)).toEqual(['tuning', 'restart', 'health', 'record']);
      for (const p of providerSteps(route)) expect(steps).toContain(p);
      // In the global order of UPGRADE_STEPS.
      expect([...steps].sort((a, b) => UPGRADE_STEPS.indexOf(a) - UPGRADE_STEPS.indexOf(b))).toEqual(steps);
      expect(expectedDowntime(route, false).minSec).toBeLessThan(expectedDowntime(route, false).maxSec);
    }
    expect(stepsOf('phase-1-2', 'in-place', false)).toEqual(['preflight', 'backup', 'tuning', 'restart', 'health', 'record']);
    expect(isDowntime('backup', 'hetzner-resize')).toBe(false);
    expect(isDowntime('tuning', 'in-place')).toBe(false);
    expect(isDowntime('change-type', 'hetzner-resize')).toBe(true);
  });

  it('Hetzner: the cheapest choice, the monthly difference, the disk kept, the snapshot at most the disk, every API call', () => {
    const p = plan(hetzner).view;
    expect(p.target?.name).toBe('cx32');
    expect(p.cost).toEqual({ before: eur(3.79), after: eur(6.8), deltaMonthly: 3.01, currency: 'EUR' });
    expect(p.disk).toEqual({ keptGb: 40, offeredGb: 80 });
    expect(p.snapshot).toEqual({ available: true, chosen: true, maxCostMonthly: { net: 0.48, gross: 0.57, currency: 'EUR' } });
    expect(p.steps.find((s) => s.id === 'shutdown')?.api).toEqual([{ method: 'POST', path: '/servers/42/actions/shutdown', body: '{}' }]);
    expect(p.steps.find((s) => s.id === 'tuning')?.remote[0]?.actions[0]).toMatchObject({ kind: 'file', path: '/opt/koprogo/app/docker-compose.koprogo.yml' });
    expect(p.steps.find((s) => s.id === 'restart')?.remote[0]?.actions[0]).toMatchObject({ kind: 'run', detached: true });
    expect(p.warnings).toEqual([]);
  });

  it('the hash changes with every choice the user confirms, and only then', () => {
    const base = plan(hetzner).view.planHash;
    expect(plan(hetzner).view.planHash).toBe(base);
    expect(plan(hetzner, { upgradeDisk: true }).view.planHash).not.toBe(base);
    expect(plan(hetzner, { snapshot: false }).view.planHash).not.toBe(base);
    expect(plan(hetzner, { offerId: 'hetzner:cpx31@fsn1' }).view).toMatchObject({ target: { name: 'cpx31' }, cost: { deltaMonthly: 9.81 } });
    expect(plan({ ...hetzner, choices: [offer('cx32', 4, 8, 80, 7.2)] }).view.planHash).not.toBe(base);
    const grown = plan(hetzner, { upgradeDisk: true }).view;
    expect(grown.disk.keptGb).toBe(80);
    expect(grown.warnings.map((w) => w.code)).toEqual(['upgrade.warnings.noDowngrade']);
    expect(plan(hetzner, { snapshot: false }).order).not.toContain('snapshot');
  });

  it('OVH VPS: the order price OVH quoted is in the plan and in its hash', () => {
    const vps: ProviderFacts = {
      route: 'ovh-vps-order',
      serviceName: 'vps-1.vps.ovh.net',
      current: { id: 'ovh-vps:vps-starter', name: 'vps-starter', vcpu: 1, ramGb: 2, diskGb: 20, priceMonthly: eur(3.5) },
      choices: [{ id: 'ovh-vps:vps-comfort', name: 'vps-comfort', vcpu: 4, ramGb: 8, diskGb: 160, priceMonthly: eur(22) }],
      quote: { planCode: 'vps-comfort', priceNet: 9.25, priceGross: 11.1, currency: 'EUR', duration: 'P1M' },
    };
    const built = plan(vps);
    expect(built.order).toEqual(['preflight', 'backup', 'vps-order', 'vps-wait', 'wait-ssh', 'tuning', 'restart', 'health', 'record']);
    expect(built.view.order).toEqual(vps.quote);
    expect(built.exec.orderPrice).toBe(9.25);
    expect(built.view.snapshot.available).toBe(false);
    expect(plan({ ...vps, quote: { ...vps.quote!, priceNet: 9.5 } }).view.planHash).not.toBe(built.view.planHash);
  });

  it('a server of your own: settings only, with what the user must do first said plainly', () => {
    const p = plan({ route: 'in-place', memoryGb: 2, cpus: 2 }).view;
    expect(p.target).toBeNull();
    expect(p.warnings.map((w) => w.code)).toEqual(['upgrade.warnings.inPlace', 'upgrade.warnings.smallServer']);
    expect(p.warnings[1]!.params).toEqual({ ramGb: 2, needGb: 4 });
  });

  it('the CLI: a target from the options (the second wave adds --version and phases 3–4 there), and the plan as text', () => {
    expect(upgradeTarget({ toPhase: '2' })).toEqual({ target: { kind: 'phase', toPhase: 2 } });
    expect(upgradeTarget({ toPhase: '3' })).toEqual({ target: { kind: 'phase', toPhase: 3 } });
    expect(upgradeTarget({ toPhase: '4' })).toEqual({ target: { kind: 'phase', toPhase: 4 } });
    expect(upgradeTarget({ toPhase: '5' })).toEqual({ error: 'cli.upgradeNotYet' });
    expect(upgradeTarget({})).toEqual({ error: 'cli.upgradeNeedsTarget' });
    const text = describePlan(plan(hetzner).view, ((k: string) => k) as never, 'en');
    expect(text).toContain('POST /servers/42/actions/change_type {"server_type":"cx32","upgrade_disk":false}');
    expect(text).toContain('upgrade.stepTitles.change-type (upgrade.steps.down)');
  });
});
