import { describe, expect, it } from 'vitest';
import { getPhase, type PhaseId } from '../../../shared/phases';
import { FAKE_CLOUD_PRICES, FAKE_REGIONS, FAKE_VPS_PLANS, fakeFlavors } from '../../testing/ovh-fake';
import { roadmapOvhOffer, selectFlavor, selectFlavorForPhase, selectVpsPlan, selectVpsPlanForPhase, vpsOrderPageUrl, type VpsPlan } from './offers';

const LINE_2023 = FAKE_VPS_PLANS.filter((p) => !p.offer.startsWith('VPS-'));
const ALL_FLAVORS = FAKE_REGIONS.flatMap(fakeFlavors);

describe('selectVpsPlanForPhase', () => {
  it.each<[string, readonly VpsPlan[], PhaseId, string, string[]]>([
    // [catalogue, plans, phase, chosen offer, too small]
    ['2023 line', LINE_2023, 1, 'VPS Essential', ['VPS Starter', 'VPS Value']],
    ['2023 line', LINE_2023, 2, 'VPS Comfort', ['VPS Starter', 'VPS Value', 'VPS Essential']],
    ['2023 + 2025 lines', FAKE_VPS_PLANS, 1, 'VPS-1', ['VPS Starter', 'VPS Value']],
    ['2023 + 2025 lines', FAKE_VPS_PLANS, 2, 'VPS-2', ['VPS Starter', 'VPS-1', 'VPS Value', 'VPS Essential']],
  ])('%s, phase %i → %s', (_name, plans, phase, offer, tooSmall) => {
    const r = selectVpsPlanForPhase(plans, getPhase(phase));
    expect(r.offer?.offer).toBe(offer);
    expect(r.offer?.orderPageUrl).toBe('https://www.ovhcloud.com/fr/vps/');
    expect(r.explanation.reason.kind).toBe('cheapest_meeting_spec');
    expect(r.explanation.tooSmall.map((p) => p.offer)).toEqual(tooSmall);
    const price = r.offer?.priceMonthly ?? 0;
    expect(r.explanation.moreExpensive.every((p) => p.priceMonthly >= price)).toBe(true);
  });

  it('explains how the roadmap-named offer fares: VPS Starter is below the phase 1 spec, VPS Comfort meets phase 2', () => {
    expect(roadmapOvhOffer(getPhase(1))).toBe('VPS Starter');
    expect(selectVpsPlanForPhase(FAKE_VPS_PLANS, getPhase(1)).explanation.roadmapOffer).toEqual({ offer: 'VPS Starter', inCatalogue: true, lacks: ['vcpu', 'disk'] });
    expect(selectVpsPlanForPhase(FAKE_VPS_PLANS, getPhase(2)).explanation.roadmapOffer).toEqual({ offer: 'VPS Comfort', inCatalogue: true, lacks: [] });
    const withoutComfort = FAKE_VPS_PLANS.filter((p) => p.offer !== 'VPS Comfort');
    expect(selectVpsPlanForPhase(withoutComfort, getPhase(2)).explanation.roadmapOffer).toEqual({ offer: 'VPS Comfort', inCatalogue: false, lacks: [] });
  });

  it('no plan meets the spec: says so, with the closest miss', () => {
    const r = selectVpsPlanForPhase(LINE_2023.slice(0, 2), getPhase(2));
    expect(r.offer).toBeNull();
    expect(r.explanation.reason).toEqual({ kind: 'none_meets_spec', largest: expect.objectContaining({ offer: 'VPS Value', lacks: ['vcpu', 'ram', 'disk'] }) });
    expect(selectVpsPlan([], { vcpu: 1, ramGb: 1, diskGb: null }).explanation.reason).toEqual({ kind: 'none_available' });
  });

  it('order page by subsidiary', () => {
    expect(vpsOrderPageUrl('de')).toBe('https://www.ovhcloud.com/de/vps/');
    expect(vpsOrderPageUrl('US')).toBe('https://us.ovhcloud.com/vps/');
    expect(vpsOrderPageUrl('ZZ')).toBe('https://www.ovhcloud.com/en/vps/');
  });
});

describe('selectFlavorForPhase', () => {
  it.each<[PhaseId, string, string, number]>([
    // [phase, region, flavor, price]
    [1, 'GRA11', 'd2-4', 12.06],
    [2, 'GRA11', 'b2-15', 52.8],
    [2, 'BHS5', 'b2-15', 52.8],
    [1, 'WAW1', 'd2-4', 12.06],
  ])('phase %i in %s → %s (%f €/month)', (phase, region, name, price) => {
    const r = selectFlavorForPhase(fakeFlavors(region), FAKE_CLOUD_PRICES, getPhase(phase), { region });
    expect(r.offer).toMatchObject({ name, region, priceMonthly: price, planCode: `${name}.monthly.postpaid` });
    expect(r.explanation.excluded).toContainEqual({ name: 'win-b2-7', region, reason: 'os_type' });
  });

  it('leaves out flavors not available in the region, without a monthly plan or without a price', () => {
    const bhs = fakeFlavors('BHS5');
    const r = selectFlavorForPhase(bhs, FAKE_CLOUD_PRICES, getPhase(2));
    expect(r.explanation.excluded).toContainEqual({ name: 'b3-16', region: 'BHS5', reason: 'unavailable' });
    const noPlan = bhs.map((f) => (f.name === 'd2-4' ? { ...f, planCodes: { monthly: null, hourly: 'd2-4.consumption' } } : f));
    const p1 = selectFlavorForPhase(noPlan, { ...FAKE_CLOUD_PRICES, 'd2-8.monthly.postpaid': 99 }, getPhase(1));
    expect(p1.explanation.excluded).toContainEqual({ name: 'd2-4', region: 'BHS5', reason: 'no_monthly_plan' });
    expect(p1.offer?.name).toBe('b2-7');
    const noPrice = selectFlavorForPhase(bhs, {}, getPhase(1));
    expect(noPrice.offer).toBeNull();
    expect(noPrice.explanation.reason).toEqual({ kind: 'none_available' });
  });

  it('across regions: the cheapest wins, equal offers elsewhere listed after it', () => {
    const r = selectFlavor(ALL_FLAVORS, FAKE_CLOUD_PRICES, { vcpu: 2, ramGb: 2, diskGb: 40 });
    expect(r.offer?.name).toBe('d2-4');
    expect(r.explanation.reason).toMatchObject({ kind: 'cheapest_meeting_spec' });
  });

  it('no flavor meets the spec: the closest miss', () => {
    const r = selectFlavor(fakeFlavors('GRA11'), FAKE_CLOUD_PRICES, { vcpu: 64, ramGb: 512, diskGb: 2000 });
    expect(r.offer).toBeNull();
    expect(r.explanation.reason).toEqual({ kind: 'none_meets_spec', largest: { name: 'b3-16', lacks: ['vcpu', 'ram', 'disk'] } });
  });
});
