import type { Money, UpgradeOffer } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import type { Phase } from '../../shared/phases';
import type { Profile } from '../../shared/profile';
import { selectOffer } from '../providers/hetzner/offers';
import { hetznerOfferId, HetznerProvider } from '../providers/hetzner/provider';
import { selectFlavor } from '../providers/ovh/offers';
import { ovhOfferId, OvhProvider } from '../providers/ovh/provider';
import type { Provider } from '../providers/provider';
import type { ProviderFacts } from './plan';

// What the provider says about the deployment's server before an upgrade is planned: its offer now,
// the offers it can move to in place (same location; never a disk smaller than today's) and their live
// prices, the snapshot price; for an OVH VPS, the upgrade models and the order's price from OVH's order API.

/** Non-secret profile setting naming the provider's server (written by the provider service). */
export const SERVER_ID_SETTING = 'providerServerId';

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function hetznerFacts(provider: HetznerProvider, profile: Profile, phase: Phase, signal?: AbortSignal): Promise<ProviderFacts> {
  const id = Number(profile.settings[SERVER_ID_SETTING]);
  if (!Number.isInteger(id) || id <= 0) throw new AppError('upgrade.server_unknown', { provider: 'hetzner' });
  const [server, types, pricing] = await Promise.all([provider.client.getServer(id, signal), provider.client.listServerTypes(signal), provider.client.getPricing(signal).catch(() => null)]);
  const location = server.datacenter.location.name;
  const disk = server.primary_disk_size ?? server.server_type.disk;
  const priceAt = (name: string): Money | null => {
    const p = types.find((t) => t.name === name)?.prices.find((x) => x.location === location);
    return p ? { net: round2(Number(p.price_monthly.net)), gross: round2(Number(p.price_monthly.gross)), currency: pricing?.currency ?? 'EUR' } : null;
  };
  const current: UpgradeOffer = {
    id: hetznerOfferId(server.server_type.name, location),
    name: server.server_type.name,
    vcpu: server.server_type.cores,
    ramGb: server.server_type.memory,
    diskGb: disk,
    priceMonthly: priceAt(server.server_type.name) ?? { net: 0, gross: null, currency: 'EUR' },
  };
  const sel = selectOffer(types, { vcpu: phase.vcpu.min, ramGb: phase.ramGb.min, diskGb: disk }, { location, architecture: server.server_type.architecture === 'arm' ? 'arm' : 'x86' });
  const choices = (sel.offer ? [sel.offer, ...sel.explanation.samePrice, ...sel.explanation.moreExpensive] : [])
    .filter((o) => o.location === location && o.serverType !== server.server_type.name)
    .slice(0, 8)
    .map((o) => ({ id: hetznerOfferId(o.serverType, location), name: o.serverType, vcpu: o.cores, ramGb: o.memoryGb, diskGb: o.diskGb, priceMonthly: { net: round2(Number(o.priceMonthly.net)), gross: round2(Number(o.priceMonthly.gross)), currency: pricing?.currency ?? 'EUR' } }));
  const perGb = pricing?.image ? { net: Number(pricing.image.price_per_gb_month.net), gross: Number(pricing.image.price_per_gb_month.gross), currency: pricing.currency } : null;
  return { route: 'hetzner-resize', serverId: String(id), location, current, choices, snapshotPerGbMonth: perGb };
}

async function ovhProject(provider: OvhProvider, signal?: AbortSignal): Promise<string> {
  const first = (await provider.client.listCloudProjects(signal)).find((p) => p.status === 'ok');
  if (!first) throw new AppError('ovh.no_project', {});
  return first.project_id;
}

export async function ovhFacts(provider: OvhProvider, profile: Profile, phase: Phase, signal?: AbortSignal): Promise<ProviderFacts> {
  const instanceId = profile.settings[SERVER_ID_SETTING];
  const me = await provider.client.me(signal);
  if (instanceId) {
    const projectId = await ovhProject(provider, signal);
    const instance = await provider.client.getInstance(projectId, instanceId, signal);
    const flavors = await provider.client.listFlavors(projectId, instance.region, signal);
    const { currency, prices } = await provider.client.cloudMonthlyPrices(me.ovhSubsidiary, signal);
    const net = Object.fromEntries(Object.entries(prices).map(([k, v]) => [k, v.net]));
    const gross = (planCode: string) => (prices[planCode] ? round2(prices[planCode]!.net + prices[planCode]!.tax) : null);
    const now = flavors.find((f) => f.id === instance.flavorId);
    if (!now) throw new AppError('upgrade.server_unknown', { provider: 'ovh' });
    const offerOf = (f: (typeof flavors)[number]): UpgradeOffer => {
      const planCode = f.planCodes.monthly ?? '';
      return { id: ovhOfferId(f.name, f.region), name: f.name, vcpu: f.vcpus, ramGb: f.ram / 1000, diskGb: f.disk, priceMonthly: { net: round2(net[planCode] ?? 0), gross: gross(planCode), currency } };
    };
    const choices = flavors
      .filter((f) => f.id !== now.id && f.disk >= now.disk)
      .map((f) => ({ f, o: selectFlavor([f], net, { vcpu: phase.vcpu.min, ramGb: phase.ramGb.min, diskGb: now.disk }, { region: instance.region }).offer }))
      .filter((x) => x.o !== null)
      .sort((a, b) => a.o!.priceMonthly - b.o!.priceMonthly || a.f.name.localeCompare(b.f.name))
      .slice(0, 8)
      .map((x) => offerOf(x.f));
    const snap = prices['snapshot.monthly.postpaid'];
    return { route: 'ovh-cloud-resize', projectId, instanceId, region: instance.region, current: offerOf(now), choices, snapshotPerGbMonth: snap ? { net: snap.net, gross: round2(snap.net + snap.tax), currency } : null };
  }
  // A VPS: the one whose address the deployment uses.
  const vps = (await provider.client.listVps(signal)).find((v) => v.ips.includes(profile.server?.host ?? ''));
  if (!vps) throw new AppError('upgrade.server_unknown', { provider: 'ovh' });
  const { currency, plans } = await provider.client.vpsCatalog(me.ovhSubsidiary, signal);
  const specOf = (planCode: string) => plans.find((p) => p.planCode === planCode);
  const monthly = (planCode: string): Money => {
    const p = specOf(planCode);
    return { net: round2(p?.priceMonthly ?? 0), gross: p ? round2(p.priceMonthly + p.tax) : null, currency };
  };
  const offers = await provider.client.vpsUpgradeOffers(vps.name, signal);
  const choices = offers
    .map((o) => ({ o, spec: specOf(o.planCode) }))
    .filter((x) => x.spec && x.spec.vcore >= phase.vcpu.min && x.spec.memoryGb >= phase.ramGb.min)
    .sort((a, b) => a.spec!.priceMonthly - b.spec!.priceMonthly)
    .slice(0, 8)
    .map(({ o, spec }) => ({ id: `ovh-vps:${o.planCode}`, name: o.planCode, vcpu: spec!.vcore, ramGb: spec!.memoryGb, diskGb: spec!.diskGb, priceMonthly: monthly(o.planCode) }));
  const current: UpgradeOffer = { id: `ovh-vps:${vps.planCode}`, name: vps.planCode, vcpu: vps.vcore, ramGb: vps.memoryGb, diskGb: vps.diskGb, priceMonthly: monthly(vps.planCode) };
  const first = choices[0];
  const q = first ? await provider.client.vpsUpgradeQuote(vps.name, first.name, signal) : null;
  return { route: 'ovh-vps-order', serviceName: vps.name, current, choices, quote: q && first ? { planCode: first.name, priceNet: q.net, priceGross: q.gross, currency: q.currency, duration: 'P1M' } : null };
}

/** Facts for a chosen VPS model other than the cheapest: its own order price. */
export async function requote(provider: OvhProvider, facts: Extract<ProviderFacts, { route: 'ovh-vps-order' }>, offerId: string | undefined, signal?: AbortSignal): Promise<ProviderFacts> {
  const chosen = facts.choices.find((c) => c.id === offerId);
  if (!chosen || chosen.name === facts.quote?.planCode) return facts;
  const q = await provider.client.vpsUpgradeQuote(facts.serviceName, chosen.name, signal);
  return { ...facts, quote: { planCode: chosen.name, priceNet: q.net, priceGross: q.gross, currency: q.currency, duration: 'P1M' } };
}

export async function providerFacts(provider: Provider | null, profile: Profile, phase: Phase, offerId: string | undefined, memoryGb: () => Promise<number | null>, signal?: AbortSignal): Promise<ProviderFacts> {
  if (provider instanceof HetznerProvider) return hetznerFacts(provider, profile, phase, signal);
  if (provider instanceof OvhProvider) {
    const facts = await ovhFacts(provider, profile, phase, signal);
    return facts.route === 'ovh-vps-order' ? requote(provider, facts, offerId, signal) : facts;
  }
  return { route: 'in-place', memoryGb: await memoryGb().catch(() => null), cpus: null };
}
