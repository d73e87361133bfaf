import { afterEach, describe, expect, it } from 'vitest';
import { getPhase } from '../../../shared/phases';
import { generateEd25519 } from '../../ssh/keys';
import { fakeFlavors, startOvhFake, type OvhFake } from '../../testing/ovh-fake';
import { buildCloudInit } from '../hetzner/cloud-init';
import { OVH_ACCESS_RULES } from './client';
import { OvhProvider, ovhOfferId, parseOvhOfferId } from './provider';

let fake: OvhFake | undefined;
let provider: OvhProvider | undefined;
afterEach(async () => {
  provider?.close();
  await fake?.stop();
  fake = undefined;
});

async function setup(): Promise<{ fake: OvhFake; provider: OvhProvider }> {
  fake = await startOvhFake({ instanceBuildPolls: 0 });
  // Exactly the access the app asks the user for.
  const consumerKey = fake.issueConsumerKey(OVH_ACCESS_RULES.map((r) => ({ ...r })));
  provider = new OvhProvider({ endpoint: 'ovh-eu', baseUrl: fake.url, ca: fake.ca, applicationKey: fake.applicationKey, applicationSecret: fake.applicationSecret, consumerKey, sleep: async () => undefined });
  return { fake, provider };
}

describe('OvhProvider', () => {
  it('offer ids go and come back; anything else is refused', () => {
    expect(parseOvhOfferId(ovhOfferId('d2-4', 'GRA11'))).toEqual({ flavor: 'd2-4', region: 'GRA11' });
    for (const bad of ['d2-4@GRA11', 'ovh:d2-4', 'hetzner:cx22@fsn1', 'ovh:d2 4@GRA11']) expect(() => parseOvhOfferId(bad)).toThrow('provider.offer_unknown');
  });

  it('the VPS route: the cheapest plan of the order catalogue with its price and order page, the roadmap’s plan explained, the account’s VPS with their fit', async () => {
    const { provider } = await setup();
    const choice = await provider.vpsOffers(getPhase(1));
    expect(choice.plan).toEqual({ planCode: 'vps-2025-model1', offer: 'VPS-1', vcpu: 4, ramGb: 8, diskGb: 75, priceMonthly: { net: 4.58, gross: 5.5, currency: 'EUR' }, orderPageUrl: 'https://www.ovhcloud.com/fr/vps/' });
    expect(choice.reason).toEqual({ kind: 'cheapest_meeting_spec', candidates: 6 });
    // The roadmap's "VPS Starter" (1 vCPU, 20 GB) is below phase 1's spec.
    expect(choice.roadmapOffer).toEqual({ offer: 'VPS Starter', inCatalogue: true, lacks: ['vcpu', 'disk'] });
    expect(choice.vps.map((v) => [v.offer, v.ipv4, v.meetsSpec])).toEqual([
      ['VPS Starter', '51.68.10.11', false],
      ['VPS Comfort', '51.75.20.22', true],
    ]);
  });

  it('creates an instance, resizes it, snapshots it once, deletes it (twice is fine), with the app’s access rules only', async () => {
    const { fake, provider } = await setup();
    const host = generateEd25519('h');
    const server = await provider.create({
      profileId: 'p1',
      name: 'koprogo-p1',
      offerId: 'ovh:d2-4@GRA11',
      publicKey: generateEd25519('u').publicKey,
      userData: buildCloudInit(host, { rootLogin: true }).userData,
    });
    expect(server).toMatchObject({ name: 'koprogo-p1', user: 'root', outcome: 'created', location: 'GRA11', offerName: 'd2-4' });
    const instance = () => fake.state.projects[0]!.instances.find((i) => i.id === server.id);
    expect(instance()?.userData).toContain('"disable_root": false');

    await provider.resize(server.id, 'ovh:d2-8@GRA11');
    expect(instance()?.flavorId).toBe(fakeFlavors('GRA11').find((f) => f.name === 'd2-8')!.id);
    expect(instance()?.status).toBe('ACTIVE');

    const snap = await provider.snapshot(server.id, 'koprogo-p1 before phase 2');
    expect(fake.state.projects[0]!.snapshots).toMatchObject([{ id: snap.id, name: 'koprogo-p1-before-phase-2', status: 'active', instanceId: server.id }]);
    await provider.snapshot(server.id, 'koprogo-p1 before phase 2');
    expect(fake.state.projects[0]!.snapshots).toHaveLength(1);

    expect(await provider.findServers('p1')).toMatchObject([{ id: server.id, name: 'koprogo-p1', profileId: 'p1' }]);
    await provider.delete(server.id);
    expect(instance()).toBeUndefined();
    await provider.delete(server.id);
    expect(await provider.findServers('p1')).toEqual([]);
    expect(fake.state.requests.filter((r) => r.auth === 'NOT_GRANTED_CALL')).toEqual([]);
  });
});
