import type { HealthSummary, upgradeMethods } from '../../shared/contract-upgrade';
import type { HealthCurrent } from '../../shared/contract-health';
import type { UpgradeService } from '../upgrade/upgrade-service';
import { secretName } from './deploy-service';
import type { DomainHandlers, HandlerContext } from './handler-types';
import { ovhReader, providerFor } from './provider-access';

/** The before/after figures of an upgrade: the server's sample (phases 1–2), or the cluster's nodes and pods (K3s). */
export function healthSummary(c: HealthCurrent): HealthSummary | null {
  const p = c.point;
  const p99Ms = c.https?.latency.p99 ?? null;
  if (p) return { at: p.at, cpus: p.cpus, cpuPercent: p.cpuPercent, ramUsedPercent: p.ramUsedPercent, load1: p.load.one, p99Ms };
  const k = c.cluster;
  if (!k || k.error || k.nodes.length === 0) return null;
  const readyOf = (xs: { ready: boolean }[]) => ({ ready: xs.filter((x) => x.ready).length, total: xs.length });
  return { at: k.checkedAt, cpus: null, cpuPercent: null, ramUsedPercent: null, load1: null, p99Ms, nodes: readyOf(k.nodes), pods: readyOf(k.pods) };
}

/**
 * Handlers of the methods declared in contract-upgrade.ts. The upgrade service (and the provider
 * clients it uses) loads on the first call, so the app starts without it.
 */
export function upgradeHandlers(ctx: HandlerContext): DomainHandlers<typeof upgradeMethods> {
  let loading: Promise<UpgradeService> | undefined;
  const upgrades = (): Promise<UpgradeService> =>
    (loading ??= import('../upgrade/upgrade-service').then(
      (m) =>
        new m.UpgradeService({
          dataDir: ctx.deps.dataDir,
          profiles: ctx.profiles,
          secrets: ctx.secrets,
          log: ctx.log,
          backups: ctx.backups,
          connect: (p) => ctx.deploy.connect(p),
          emit: ctx.deps.emit,
          provider: (kind) => providerFor(ctx, kind),
          secretName,
          health: async (profileId) => {
            // One fresh sample; a deployment nobody watches is not left watched.
            const watched = (await ctx.health.current(profileId)).watching;
            const current = await ctx.health.current(profileId, { refresh: true });
            if (!watched) await ctx.health.unwatch(profileId);
            return healthSummary(current);
          },
          // A watched deployment is watched again, so its sampler and signals take the new phase.
          onRecorded: async (profileId) => {
            const c = await ctx.health.current(profileId);
            if (!c.watching || !c.mode) return;
            ctx.health.unwatch(profileId);
            await ctx.health.watch(profileId, c.mode);
          },
          // Phase 3 → 4: the K3s screens' pre-production checks (domain, DNS access, and the OVHcloud project and quotas when its credentials are there).
          phase4Checklist: async (profileId) => {
            const [{ runChecklist }, { topologyFor }, { K3S_SETTINGS }] = await Promise.all([import('../k3s/checklist'), import('../k3s/topology'), import('../k3s/settings')]);
            const p = await ctx.profiles.get(profileId);
            return runChecklist({ domain: p.settings[K3S_SETTINGS.domain] ?? null, topology: topologyFor('prod'), ovh: await ovhReader(ctx), dnsServers: ctx.deps.dnsServers });
          },
          deploySettings: (p, envContent) => ctx.deploy.settingsFor(p, envContent),
          envExamplePath: async (profileId) => (await ctx.recipes.savedRecipe(profileId))?.recipe.envExample?.path ?? null,
          ...ctx.deps.upgrade,
          toK3s: { dnsServers: ctx.deps.dnsServers, ...ctx.deps.upgrade?.toK3s },
          sshWait: ctx.deps.upgrade?.sshWait,
        }),
    ));
  return {
    'upgrade.plan': async ({ profileId, target, options }) => {
      await ctx.deploy.registerProfileSecrets(profileId);
      return (await upgrades()).plan(profileId, target, options);
    },
    'upgrade.start': async ({ profileId, target, options, planHash, confirmPrice, fresh, confirm }) => {
      await ctx.deploy.registerProfileSecrets(profileId);
      const r = await (await upgrades()).start(profileId, target, options, planHash, { confirmPrice, fresh, confirm });
      return { started: r.started, runId: r.runId };
    },
    'upgrade.cancel': async () => (await upgrades()).cancel(),
    'upgrade.status': async ({ profileId }) => (await upgrades()).status(profileId),
    'upgrade.timeline': async ({ profileId, from, to }) => (await upgrades()).timeline(profileId, from, to),
    'upgrade.recognize': async (input) => (await upgrades()).recognize(input),
    'upgrade.setClusterDatabase': async (input) => (await upgrades()).setClusterDatabase(input),
    'upgrade.rollback': async ({ profileId }) => (await upgrades()).rollback(profileId, () => ctx.deploy.registerProfileSecrets(profileId)),
    'upgrade.phase4Confirm': async ({ profileId, item, done }) => (await upgrades()).phase4Confirm(profileId, item, done),
    'upgrade.versions': async ({ profileId }) => {
      await ctx.deploy.registerProfileSecrets(profileId);
      return (await upgrades()).versions(profileId);
    },
  };
}
