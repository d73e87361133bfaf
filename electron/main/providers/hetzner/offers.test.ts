import { describe, expect, it } from 'vitest';
import { getPhase, type PhaseId } from '../../../shared/phases';
import { FAKE_SERVER_TYPES, startHetznerFake } from '../../testing/hetzner-fake';
import { HetznerClient } from './client';
import { selectOffer, selectOfferForPhase, specForPhase, type OfferOptions } from './offers';
import { serverType, type ServerType } from './schemas';

// The fake's catalogue, read through the client's schema: the same shape the live API returns.
const CATALOGUE: ServerType[] = FAKE_SERVER_TYPES.map((t) => serverType.parse(t));

describe('specForPhase', () => {
  it('takes the minimum of the roadmap ranges', () => {
    expect(specForPhase(getPhase(1))).toEqual({ vcpu: 2, ramGb: 2, diskGb: 40 });
    expect(specForPhase(getPhase(2))).toEqual({ vcpu: 4, ramGb: 4, diskGb: 80 });
    expect(specForPhase(getPhase(3))).toEqual({ vcpu: 6, ramGb: 22, diskGb: null });
  });
});

describe('selectOfferForPhase', () => {
  const cases: { phase: PhaseId; opts: OfferOptions; type: string | null; location?: string; net?: string; gross?: string }[] = [
    // Phase 1: the roadmap names CPX11, but CX22 (2 vCPU, 4 GB, 40 GB) costs less where it is sold.
    { phase: 1, opts: { location: 'fsn1' }, type: 'cx22', location: 'fsn1', net: '3.7900000000000000', gross: '4.5101000000000000' },
    { phase: 1, opts: { location: 'ash' }, type: 'cpx11', location: 'ash', net: '4.9900000000000000', gross: '5.9381000000000000' },
    { phase: 1, opts: { location: 'sin' }, type: 'cpx11', location: 'sin', net: '6.4900000000000000' },
    { phase: 1, opts: {}, type: 'cx22', location: 'fsn1' },
    { phase: 1, opts: { preferredLocations: ['nbg1'] }, type: 'cx22', location: 'nbg1' },
    { phase: 1, opts: { location: 'fsn1', architecture: 'arm' }, type: 'cax11', location: 'fsn1' },
    { phase: 1, opts: { location: 'fsn1', cpuType: 'dedicated' }, type: 'ccx13', net: '12.4900000000000000' },
    // Phase 2: CPX21 has 3 vCPU, below the 4 the roadmap asks; CX32 meets it for less.
    { phase: 2, opts: { location: 'fsn1' }, type: 'cx32', net: '6.8000000000000000', gross: '8.0920000000000000' },
    { phase: 2, opts: { location: 'ash' }, type: 'cpx31', net: '15.4900000000000000' },
    { phase: 2, opts: { location: 'hel1', architecture: 'arm' }, type: 'cax21', net: '6.4900000000000000' },
    { phase: 2, opts: { architecture: 'any' }, type: 'cax21', location: 'fsn1' },
    // Phases 3 and 4 need more than any type of this catalogue.
    { phase: 3, opts: { location: 'fsn1' }, type: null },
    { phase: 4, opts: {}, type: null },
  ];

  it.each(cases)('phase $phase with $opts → $type', ({ phase, opts, type, location, net, gross }) => {
    const { offer, explanation } = selectOfferForPhase(CATALOGUE, getPhase(phase), opts);
    expect(offer?.serverType ?? null).toBe(type);
    if (location) expect(offer?.location).toBe(location);
    if (net) expect(offer?.priceMonthly.net).toBe(net);
    if (gross) expect(offer?.priceMonthly.gross).toBe(gross);
    expect(explanation.reason.kind).toBe(type ? 'cheapest_meeting_spec' : 'none_meets_spec');
    if (offer) {
      // Everything that met the spec costs at least as much.
      for (const o of [...explanation.samePrice, ...explanation.moreExpensive]) expect(Number(o.priceMonthly.net)).toBeGreaterThanOrEqual(Number(offer.priceMonthly.net));
      expect(offer.cores).toBeGreaterThanOrEqual(getPhase(phase).vcpu.min);
      expect(offer.memoryGb).toBeGreaterThanOrEqual(getPhase(phase).ramGb.min);
    }
  });

  it('explains phase 2 in fsn1: what was too small and why, what cost more, what was left out', () => {
    const { offer, explanation } = selectOfferForPhase(CATALOGUE, getPhase(2), { location: 'fsn1' });
    expect(offer?.serverType).toBe('cx32');
    expect(explanation.spec).toEqual({ vcpu: 4, ramGb: 4, diskGb: 80 });
    expect(explanation.reason).toEqual({ kind: 'cheapest_meeting_spec', candidates: 4 });
    expect(explanation.tooSmall.map((t) => [t.serverType, t.lacks])).toEqual([
      ['cx22', ['vcpu', 'disk']],
      ['cpx11', ['vcpu', 'ram', 'disk']],
      ['cpx21', ['vcpu']],
      ['ccx13', ['vcpu']],
    ]);
    expect(explanation.moreExpensive.map((o) => o.serverType)).toEqual(['cpx31', 'cx42', 'cpx41']);
    expect(explanation.samePrice).toEqual([]);
    expect(explanation.excluded).toEqual([
      { serverType: 'cx11', reason: 'deprecated' },
      { serverType: 'cax11', reason: 'architecture' },
      { serverType: 'cax21', reason: 'architecture' },
    ]);
  });

  it('lists the roadmap’s CPX11 among the dearer offers for phase 1, and types not sold in the location', () => {
    const { explanation } = selectOfferForPhase(CATALOGUE, getPhase(1), { location: 'ash' });
    expect(explanation.excluded).toEqual(
      expect.arrayContaining([
        { serverType: 'cx22', reason: 'not_in_location' },
        { serverType: 'cx32', reason: 'not_in_location' },
      ]),
    );
    const eu = selectOfferForPhase(CATALOGUE, getPhase(1), { location: 'fsn1' }).explanation;
    expect(eu.moreExpensive[0]).toMatchObject({ serverType: 'cpx11', priceMonthly: { net: '4.3500000000000000' } });
  });

  it('over all locations, equal prices elsewhere are listed as such', () => {
    const { offer, explanation } = selectOfferForPhase(CATALOGUE, getPhase(1));
    expect(offer).toMatchObject({ serverType: 'cx22', location: 'fsn1' });
    expect(explanation.samePrice.map((o) => `${o.serverType}@${o.location}`)).toEqual(['cx22@hel1', 'cx22@nbg1']);
    expect(explanation.location).toBeNull();
  });

  it('no offer meets the spec: an explanation with the closest miss, not a crash', () => {
    const { offer, explanation } = selectOfferForPhase(CATALOGUE, getPhase(3), { location: 'fsn1' });
    expect(offer).toBeNull();
    expect(explanation.reason).toMatchObject({ kind: 'none_meets_spec', largest: { serverType: 'cpx41', memoryGb: 16, lacks: ['ram'] } });
    expect(explanation.tooSmall.length).toBeGreaterThan(3);
    expect(explanation.moreExpensive).toEqual([]);
  });

  it('an empty catalogue or an unknown location: none available', () => {
    expect(selectOffer([], { vcpu: 1, ramGb: 1, diskGb: null }).explanation.reason).toEqual({ kind: 'none_available' });
    const r = selectOffer(CATALOGUE, { vcpu: 1, ramGb: 1, diskGb: null }, { location: 'mars1' });
    expect(r.offer).toBeNull();
    expect(r.explanation.reason.kind).toBe('none_available');
  });

  it('honours per-location deprecation (newer API field) and the deprecation object', () => {
    const cx22 = CATALOGUE.find((t) => t.name === 'cx22')!;
    const deprecatedInFsn = {
      ...cx22,
      locations: [
        { id: 1, name: 'fsn1', deprecation: { announced: '2025-01-01T00:00:00+00:00', unavailable_after: '2025-04-01T00:00:00+00:00' } },
        { id: 2, name: 'nbg1', deprecation: null },
      ],
    };
    const catalogue = [deprecatedInFsn, ...CATALOGUE.filter((t) => t.name !== 'cx22')];
    expect(selectOfferForPhase(catalogue, getPhase(1), { location: 'fsn1' }).offer?.serverType).toBe('cpx11');
    expect(selectOfferForPhase(catalogue, getPhase(1), { location: 'nbg1' }).offer?.serverType).toBe('cx22');
    const gone = { ...cx22, deprecated: null, deprecation: { announced: 'x', unavailable_after: 'y' } };
    expect(selectOfferForPhase([gone], getPhase(1)).explanation.excluded).toEqual([{ serverType: 'cx22', reason: 'deprecated' }]);
  });

  it('works on the catalogue read from the API (fake)', async () => {
    const fake = await startHetznerFake();
    try {
      const client = new HetznerClient({ token: fake.token, baseUrl: fake.url });
      const { offer } = selectOfferForPhase(await client.listServerTypes(), getPhase(1), { location: 'nbg1' });
      expect(offer).toMatchObject({ serverType: 'cx22', location: 'nbg1', cores: 2, memoryGb: 4, diskGb: 40 });
    } finally {
      await fake.stop();
    }
  });
});
