import { afterEach, describe, expect, it } from 'vitest';
import { getPhase } from '../../../shared/phases';
import { generateEd25519 } from '../../ssh/keys';
import { createVirtualClock, startHetznerFake, type HetznerFake } from '../../testing/hetzner-fake';
import { buildCloudInit } from './cloud-init';
import { HetznerProvider, hetznerOfferId, parseHetznerOfferId } from './provider';

let fake: HetznerFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

describe('HetznerProvider', () => {
  it('offer ids go and come back; anything else is refused', () => {
    expect(parseHetznerOfferId(hetznerOfferId('cpx11', 'fsn1'))).toEqual({ serverType: 'cpx11', location: 'fsn1' });
    for (const bad of ['cpx11@fsn1', 'hetzner:cpx11', 'ovh:d2-4@GRA11', 'hetzner:a b@fsn1']) expect(() => parseHetznerOfferId(bad)).toThrow('provider.offer_unknown');
  });

  it('phase 4 has no single server here: none meets the spec, and says what the largest lacks', async () => {
    fake = await startHetznerFake();
    const { offers, chosenId, reason } = await new HetznerProvider({ token: fake.token, baseUrl: fake.url }).offers(getPhase(4));
    expect(offers).toEqual([]);
    expect(chosenId).toBeNull();
    expect(reason).toEqual({ kind: 'none_meets_spec', largest: 'cpx41', lacks: ['vcpu', 'ram'] }); // 8 vCPU, 16 GB (largest by RAM, then disk)
  });

  it('a 90 s create costs at most 30 requests, polls included (backoff)', async () => {
    const clock = createVirtualClock();
    fake = await startHetznerFake({ actionDurationMs: 90_000, now: clock.now });
    const provider = new HetznerProvider({ token: fake.token, baseUrl: fake.url, now: clock.now, sleep: clock.sleep });
    const server = await provider.create({
      profileId: 'p1',
      name: 'koprogo-p1',
      offerId: 'hetzner:cx22@fsn1',
      publicKey: generateEd25519('u').publicKey,
      userData: buildCloudInit(generateEd25519('h')).userData,
    });
    expect(server).toMatchObject({ name: 'koprogo-p1', user: 'root', outcome: 'created', location: 'fsn1', offerName: 'cx22' });
    expect(fake.state.servers[0]!.status).toBe('running');
    expect(fake.state.requests.length).toBeLessThanOrEqual(30);
    expect(clock.now() - Date.UTC(2025, 0, 1)).toBeGreaterThanOrEqual(90_000);
  });
});
