// Hetzner Cloud behind the Provider interface: the typed client (client.ts), the offer selection
// (offers.ts) and one server per profile, found again by its labels.
import type { ProviderOffer } from '../../../shared/contract-providers';
import { AppError } from '../../../shared/errors';
import type { Phase } from '../../../shared/phases';
import { sshKeyName, type CreateServerInput, type ManagedServer, type PhaseOffers, type ProvidedServer, type Provider } from '../provider';
import { HetznerClient, PROFILE_LABEL, type HetznerClientOptions } from './client';
import { selectOfferForPhase, type Offer } from './offers';
import type { Location, Server } from './schemas';

/** Tie-break between equal prices: the EU locations first (the app's users are in Belgium and France). */
export const PREFERRED_LOCATIONS = ['fsn1', 'nbg1', 'hel1'];
export const FIREWALL_NAME = 'koprogo-web';
export const IMAGE_NAME = 'debian-12';
/** How many offers meeting the spec are listed (the cheapest first). */
const MAX_OFFERS = 12;

export function hetznerOfferId(serverType: string, location: string): string {
  return `hetzner:${serverType}@${location}`;
}

export function parseHetznerOfferId(id: string): { serverType: string; location: string } {
  const m = /^hetzner:([a-z0-9-]{1,40})@([a-z0-9-]{1,40})$/.exec(id);
  if (!m) throw new AppError('provider.offer_unknown', { provider: 'hetzner' });
  return { serverType: m[1]!, location: m[2]! };
}

/** "Hetzner CPX11" → "CPX11". */
export function roadmapHetznerOffer(phase: Phase): string | null {
  const named = phase.hosting.find((h) => h.startsWith('Hetzner '));
  return named ? named.slice('Hetzner '.length) : null;
}

export class HetznerProvider implements Provider {
  readonly kind = 'hetzner' as const;
  readonly client: HetznerClient;

  constructor(opts: HetznerClientOptions) {
    this.client = new HetznerClient(opts);
  }

  async validate(signal?: AbortSignal): Promise<void> {
    await this.client.validateToken(signal);
  }

  async offers(phase: Phase, signal?: AbortSignal): Promise<PhaseOffers> {
    const [types, locations] = await Promise.all([this.client.listServerTypes(signal), this.client.listLocations(signal)]);
    const sel = selectOfferForPhase(types, phase, { preferredLocations: PREFERRED_LOCATIONS });
    const toOffer = (o: Offer): ProviderOffer => toProviderOffer(o, locations);
    const offers = sel.offer ? [sel.offer, ...sel.explanation.samePrice, ...sel.explanation.moreExpensive].slice(0, MAX_OFFERS).map(toOffer) : [];
    const r = sel.explanation.reason;
    const reason =
      r.kind === 'none_meets_spec'
        ? { kind: 'none_meets_spec' as const, largest: r.largest?.serverType ?? null, lacks: r.largest?.lacks ?? [] }
        : r.kind === 'cheapest_meeting_spec'
          ? { kind: 'cheapest_meeting_spec' as const, candidates: r.candidates }
          : { kind: 'none_available' as const };
    const cheapest = sel.offer ? Number(sel.offer.priceMonthly.net) : Infinity;
    return {
      offers,
      chosenId: offers[0]?.id ?? null,
      reason,
      tooSmall: sel.explanation.tooSmall
        .filter((t) => Number(t.priceMonthly.net) <= cheapest)
        .slice(0, 6)
        .map((t) => ({ name: t.serverType, lacks: t.lacks })),
      roadmapOffer: roadmapHetznerOffer(phase),
    };
  }

  async create(input: CreateServerInput): Promise<ProvidedServer> {
    const { serverType, location } = parseHetznerOfferId(input.offerId);
    const types = await this.client.listServerTypes(input.signal);
    const type = types.find((t) => t.name === serverType);
    if (!type || !type.prices.some((p) => p.location === location)) throw new AppError('provider.offer_unknown', { provider: 'hetzner', offer: `${serverType}@${location}` });
    input.onProgress?.('ssh_key', null);
    const key = await this.client.ensureSshKey({ name: sshKeyName(input.name, input.publicKey), publicKey: input.publicKey, labels: { [PROFILE_LABEL]: input.profileId } }, input.signal);
    const firewall = await this.client.ensureFirewall({ name: FIREWALL_NAME }, input.signal);
    const image = await this.client.findSystemImage(IMAGE_NAME, type.architecture === 'arm' ? 'arm' : 'x86', input.signal);
    input.onProgress?.('creating', null);
    let booting = false;
    const res = await this.client.createServerAndWait(
      { name: input.name, profileId: input.profileId, serverType, location, image: image.id, sshKeyIds: [key.id], userData: input.userData, firewallIds: [firewall.id] },
      {
        signal: input.signal,
        timeoutMs: 15 * 60_000,
        onProgress: (action) => {
          booting = true;
          input.onProgress?.('booting', action.progress);
        },
      },
    );
    if (!booting) input.onProgress?.('booting', 100);
    const host = res.server.public_net.ipv4?.ip;
    if (!host) throw new AppError('hetzner.response_invalid', { httpMethod: 'GET', path: '/servers/{id}', field: 'public_net.ipv4' });
    return { id: String(res.server.id), name: res.server.name, host, user: 'root', outcome: res.outcome, location: res.server.datacenter.location.name, offerName: res.server.server_type.name };
  }

  async resize(serverId: string, offerId: string, signal?: AbortSignal): Promise<void> {
    const { serverType } = parseHetznerOfferId(offerId);
    // Keep the disk: a later downgrade stays possible (the roadmap's 1 → 2 is a resize in place).
    await this.client.resizeServer(Number(serverId), serverType, { upgradeDisk: false, signal });
  }

  async snapshot(serverId: string, description: string, signal?: AbortSignal): Promise<{ id: string }> {
    const image = await this.client.createSnapshot(Number(serverId), { description }, { signal });
    return { id: String(image.id) };
  }

  async delete(serverId: string, signal?: AbortSignal): Promise<void> {
    await this.client.deleteServer(Number(serverId), { signal });
  }

  async findServers(profileId?: string, signal?: AbortSignal): Promise<ManagedServer[]> {
    return (await this.client.findManagedServers(profileId, signal)).map(managed);
  }
}

function managed(s: Server): ManagedServer {
  return { id: String(s.id), name: s.name, host: s.public_net.ipv4?.ip ?? null, status: s.status, profileId: s.labels[PROFILE_LABEL] ?? null };
}

function toProviderOffer(o: Offer, locations: Location[]): ProviderOffer {
  const loc = locations.find((l) => l.name === o.location);
  return {
    id: hetznerOfferId(o.serverType, o.location),
    provider: 'hetzner',
    name: o.serverType,
    location: o.location,
    locationLabel: loc ? `${loc.city} (${loc.country})` : o.location,
    vcpu: o.cores,
    ramGb: o.memoryGb,
    diskGb: o.diskGb,
    // Hetzner bills in euros; gross includes the VAT of the account's country, as the API returns it.
    priceMonthly: { net: Number(o.priceMonthly.net), gross: Number(o.priceMonthly.gross), currency: 'EUR' },
  };
}
