// OVHcloud behind the Provider interface: a Public Cloud instance in the account's first project
// (VPS Starter/Comfort cannot be created through the API without an order, see offers.ts), priced
// from OVH's public order catalogue, one instance per profile found again by its name.
import type { ProviderOffer } from '../../../shared/contract-providers';
import { AppError } from '../../../shared/errors';
import type { Phase } from '../../../shared/phases';
import { sshKeyName, type CreateServerInput, type ManagedServer, type PhaseOffers, type ProvidedServer, type Provider } from '../provider';
import { OvhClient, type OvhClientOptions } from './client';
import { ovhSpecForPhase, roadmapOvhOffer, selectFlavor, selectFlavorForPhase, selectVpsPlanForPhase, type FlavorOffer } from './offers';
import type { MethodOutput } from '../../../shared/contract';

export type VpsChoice = MethodOutput<'provider.ovhVps'>;
import type { CloudProject } from './schemas';

export const OVH_IMAGE_NAME = 'Debian 12';
/** Instances this app creates are named koprogo-<profile id>. */
export const OVH_NAME_PREFIX = 'koprogo-';
const MAX_OFFERS = 12;

/** Between equal prices, regions near the account's endpoint first (region codes without their number). */
const PREFERRED_REGIONS: Record<string, string[]> = {
  'ovh-eu': ['GRA', 'SBG', 'RBX', 'DE', 'UK', 'WAW'],
  'ovh-ca': ['BHS'],
  'ovh-us': ['US-EAST-VA', 'US-WEST-OR'],
};

/** Region codes → city, for the offers table (OVH's region names are codes). */
const REGION_CITIES: Record<string, string> = { GRA: 'Gravelines (FR)', SBG: 'Strasbourg (FR)', RBX: 'Roubaix (FR)', BHS: 'Beauharnois (CA)', WAW: 'Warsaw (PL)', DE: 'Frankfurt (DE)', UK: 'London (UK)', LIM: 'Limburg (DE)', SGP: 'Singapore (SG)', SYD: 'Sydney (AU)' };

export function ovhOfferId(flavorName: string, region: string): string {
  return `ovh:${flavorName}@${region}`;
}

export function parseOvhOfferId(id: string): { flavor: string; region: string } {
  const m = /^ovh:([a-z0-9.-]{1,60})@([A-Z0-9-]{1,20})$/.exec(id);
  if (!m) throw new AppError('provider.offer_unknown', { provider: 'ovh' });
  return { flavor: m[1]!, region: m[2]! };
}

export class OvhProvider implements Provider {
  readonly kind = 'ovh' as const;
  readonly client: OvhClient;

  constructor(opts: OvhClientOptions) {
    this.client = new OvhClient(opts);
  }

  close(): void {
    this.client.close();
  }

  /** A validated consumer key that can read the account (a wrong secret fails here with ovh.signature_invalid). */
  async validate(signal?: AbortSignal): Promise<void> {
    const status = await this.client.credentialStatus(signal);
    if (status === 'pendingValidation') throw new AppError('ovh.credential_pending', {});
    if (status !== 'validated') throw new AppError('ovh.credential_refused', { status });
    await this.client.me(signal);
  }

  private async project(signal?: AbortSignal): Promise<CloudProject> {
    const projects = (await this.client.listCloudProjects(signal)).filter((p) => p.status === 'ok');
    const first = projects[0];
    if (!first) throw new AppError('ovh.no_project', {});
    return first;
  }

  async offers(phase: Phase, signal?: AbortSignal): Promise<PhaseOffers> {
    const me = await this.client.me(signal);
    const project = await this.project(signal);
    const regions = await this.client.listRegions(project.project_id, signal);
    const flavors = (await Promise.all(regions.map((r) => this.client.listFlavors(project.project_id, r, signal)))).flat();
    const { currency, prices } = await this.client.cloudMonthlyPrices(me.ovhSubsidiary, signal);
    const net = Object.fromEntries(Object.entries(prices).map(([k, v]) => [k, v.net]));
    const sel = selectFlavorForPhase(flavors, net, phase);
    // Every flavor × region meeting the spec (the selection's own list keeps one region per flavor),
    // cheapest first, then the regions near the account.
    const preferred = PREFERRED_REGIONS[this.client.endpoint] ?? [];
    const rank = (region: string): number => {
      const i = preferred.indexOf(region.replace(/\d+$/, ''));
      return i < 0 ? preferred.length : i;
    };
    const meeting = flavors
      .map((f) => selectFlavor([f], net, ovhSpecForPhase(phase)).offer)
      .filter((o): o is FlavorOffer => o !== null)
      .sort((a, b) => a.priceMonthly - b.priceMonthly || a.vcpus - b.vcpus || a.ramGb - b.ramGb || rank(a.region) - rank(b.region) || a.name.localeCompare(b.name) || a.region.localeCompare(b.region));
    const toOffer = (f: FlavorOffer): ProviderOffer => {
      const p = prices[f.planCode];
      return {
        id: ovhOfferId(f.name, f.region),
        provider: 'ovh',
        name: f.name,
        location: f.region,
        locationLabel: REGION_CITIES[f.region.replace(/\d+$/, '')] ?? f.region,
        vcpu: f.vcpus,
        ramGb: f.ramGb,
        diskGb: f.diskGb,
        // The catalogue gives the price without VAT and the VAT amount for the subsidiary.
        priceMonthly: { net: f.priceMonthly, gross: p ? round2(p.net + p.tax) : null, currency },
      };
    };
    const offers = meeting.slice(0, MAX_OFFERS).map(toOffer);
    const r = sel.explanation.reason;
    const cheapest = sel.offer?.priceMonthly ?? Infinity;
    return {
      offers,
      chosenId: offers[0]?.id ?? null,
      reason:
        r.kind === 'none_meets_spec'
          ? { kind: 'none_meets_spec', largest: r.largest?.name ?? null, lacks: r.largest?.lacks ?? [] }
          : r.kind === 'cheapest_meeting_spec'
            ? { kind: 'cheapest_meeting_spec', candidates: r.candidates }
            : { kind: 'none_available' },
      tooSmall: dedupe(sel.explanation.tooSmall.filter((t) => t.priceMonthly <= cheapest).map((t) => ({ name: t.name, lacks: t.lacks }))).slice(0, 6),
      roadmapOffer: roadmapOvhOffer(phase),
    };
  }

  async create(input: CreateServerInput): Promise<ProvidedServer> {
    const { flavor, region } = parseOvhOfferId(input.offerId);
    const project = (await this.project(input.signal)).project_id;
    const f = (await this.client.listFlavors(project, region, input.signal)).find((x) => x.name === flavor && x.region === region);
    if (!f || !f.available) throw new AppError('provider.offer_unknown', { provider: 'ovh', offer: `${flavor}@${region}` });
    const image = (await this.client.listImages(project, region, input.signal)).find((i) => i.name === OVH_IMAGE_NAME);
    if (!image) throw new AppError('ovh.not_found', { call: 'GET /cloud/project/{serviceName}/image', status: 404, apiCode: OVH_IMAGE_NAME });
    input.onProgress?.('ssh_key', null);
    const key = await this.client.ensureSshKey(project, sshKeyName(input.name, input.publicKey), input.publicKey, input.signal);
    input.onProgress?.('creating', null);
    const created = await this.client.createInstanceOnce(
      project,
      { name: input.name, region, flavorId: f.id, imageId: image.id, sshKeyId: key.id, userData: input.userData, monthlyBilling: true },
      input.signal,
    );
    input.onProgress?.('booting', null);
    const ready = await this.client.waitForInstance(project, created.instance.id, { signal: input.signal, timeoutMs: 15 * 60_000 });
    return {
      id: ready.instance.id,
      name: ready.instance.name,
      host: ready.ipv4,
      user: 'root',
      outcome: created.recovered ? 'recovered' : created.created ? 'created' : 'reused',
      location: region,
      offerName: flavor,
    };
  }

  /** Another flavor in the instance's region (OpenStack keeps the disk: only flavors with a disk at least as large). */
  async resize(serverId: string, offerId: string, signal?: AbortSignal): Promise<void> {
    const { flavor } = parseOvhOfferId(offerId);
    const project = (await this.project(signal)).project_id;
    const instance = await this.client.getInstance(project, serverId, signal);
    const f = (await this.client.listFlavors(project, instance.region, signal)).find((x) => x.name === flavor);
    if (!f || !f.available) throw new AppError('provider.offer_unknown', { provider: 'ovh', offer: `${flavor}@${instance.region}` });
    await this.client.resizeInstance(project, serverId, f.id, signal);
    await this.client.waitForInstance(project, serverId, { signal, timeoutMs: 30 * 60_000 });
  }

  async snapshot(serverId: string, description: string, signal?: AbortSignal): Promise<{ id: string }> {
    const project = (await this.project(signal)).project_id;
    const name = description.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 120) || `koprogo-${Date.now()}`;
    const snap = await this.client.snapshotInstance(project, serverId, name, { signal });
    return { id: snap.id };
  }

  async delete(serverId: string, signal?: AbortSignal): Promise<void> {
    const project = (await this.project(signal)).project_id;
    await this.client.deleteInstance(project, serverId, signal);
  }

  /**
   * The VPS route: the cheapest VPS plan of OVH's order catalogue meeting the phase (VPS are ordered
   * on OVH's site, not through the API), and the account's VPS, to pick one up once ordered.
   */
  async vpsOffers(phase: Phase, signal?: AbortSignal): Promise<VpsChoice> {
    const me = await this.client.me(signal);
    const { currency, plans } = await this.client.vpsCatalog(me.ovhSubsidiary, signal);
    const sel = selectVpsPlanForPhase(plans, phase, { subsidiary: me.ovhSubsidiary, currency });
    const spec = ovhSpecForPhase(phase);
    const tax = (planCode: string) => plans.find((p) => p.planCode === planCode)?.tax ?? null;
    const r = sel.explanation.reason;
    const vps = await this.client.listVps(signal);
    return {
      plan: sel.offer
        ? {
            planCode: sel.offer.planCode,
            offer: sel.offer.offer,
            vcpu: sel.offer.vcore,
            ramGb: sel.offer.memoryGb,
            diskGb: sel.offer.diskGb,
            priceMonthly: { net: sel.offer.priceMonthly, gross: tax(sel.offer.planCode) === null ? null : round2(sel.offer.priceMonthly + (tax(sel.offer.planCode) ?? 0)), currency },
            orderPageUrl: sel.offer.orderPageUrl,
          }
        : null,
      reason: r.kind === 'none_meets_spec' ? { kind: 'none_meets_spec', largest: r.largest?.offer ?? null, lacks: r.largest?.lacks ?? [] } : r.kind === 'cheapest_meeting_spec' ? { kind: 'cheapest_meeting_spec', candidates: r.candidates } : { kind: 'none_available' },
      roadmapOffer: sel.explanation.roadmapOffer ? { offer: sel.explanation.roadmapOffer.offer, inCatalogue: sel.explanation.roadmapOffer.inCatalogue, lacks: sel.explanation.roadmapOffer.lacks } : null,
      vps: vps.map((v) => ({
        name: v.name,
        displayName: v.displayName,
        offer: v.offer,
        vcpu: v.vcore,
        ramGb: v.memoryGb,
        diskGb: v.diskGb,
        state: v.state,
        ipv4: v.ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)) ?? null,
        meetsSpec: v.vcore >= spec.vcpu && v.memoryGb >= spec.ramGb && (spec.diskGb === null || v.diskGb >= spec.diskGb),
      })),
    };
  }

  async findServers(profileId?: string, signal?: AbortSignal): Promise<ManagedServer[]> {
    const project = (await this.project(signal)).project_id;
    return (await this.client.listInstances(project, signal))
      .filter((i) => i.name.startsWith(OVH_NAME_PREFIX) && (profileId === undefined || i.name === OVH_NAME_PREFIX + profileId))
      .map((i) => ({
        id: i.id,
        name: i.name,
        host: i.ipAddresses.find((a) => a.version === 4 && a.type === 'public')?.ip ?? null,
        status: i.status,
        profileId: i.name.slice(OVH_NAME_PREFIX.length) || null,
      }));
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function dedupe<T extends { name: string }>(items: T[]): T[] {
  return items.filter((t, i) => items.findIndex((u) => u.name === t.name) === i);
}
