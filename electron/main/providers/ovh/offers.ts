// Offer selection for OVHcloud, for phases 1–2: the cheapest VPS plan, and the cheapest Public Cloud
// flavor, that meet a phase's spec (vCPU, RAM, disk from the roadmap). Offers change, so the
// catalogue is data (read from OVH's public order catalogue: `/order/catalog/public/vps` and
// `/order/catalog/public/cloud?ovhSubsidiary=FR`) and the result says why: what was chosen, what was
// too small and on what, what met the spec but cost more, and how the roadmap's named offer fares
// (phase 1 names "VPS Starter", phase 2 "VPS Comfort").
//
// A VPS cannot be created through the API without an order (cart, payment): the app shows the exact
// plan and the product page, the user orders it there, and the app picks the new VPS up from `/vps`.
// Pure: catalogue in, choice and explanation out.
import type { Phase } from '../../../shared/phases';

export interface OvhOfferSpec {
  vcpu: number;
  ramGb: number;
  /** null: no disk requirement. */
  diskGb: number | null;
}

/** The minimum of the phase's ranges: what the roadmap says the phase needs. */
export function ovhSpecForPhase(phase: Phase): OvhOfferSpec {
  return { vcpu: phase.vcpu.min, ramGb: phase.ramGb.min, diskGb: phase.diskGb };
}

export type Shortfall = 'vcpu' | 'ram' | 'disk';

function shortfalls(vcpu: number, ramGb: number, diskGb: number, spec: OvhOfferSpec): Shortfall[] {
  const lacks: Shortfall[] = [];
  if (vcpu < spec.vcpu) lacks.push('vcpu');
  if (ramGb < spec.ramGb) lacks.push('ram');
  if (spec.diskGb !== null && diskGb < spec.diskGb) lacks.push('disk');
  return lacks;
}

// ---- VPS ----------------------------------------------------------------------------------------

/** A VPS plan of the order catalogue. */
export interface VpsPlan {
  planCode: string;
  /** Commercial name: "VPS Starter", "VPS Comfort", "VPS-1"... */
  offer: string;
  vcore: number;
  memoryGb: number;
  diskGb: number;
  /** Monthly price without commitment, excl. VAT, as the catalogue gives it for the subsidiary. */
  priceMonthly: number;
}

export interface VpsOffer extends VpsPlan {
  currency: string;
  /** The product page where the user orders this plan (their subsidiary's site). */
  orderPageUrl: string;
}

export interface PlanSummary extends VpsPlan {
  lacks: Shortfall[];
}

export interface VpsExplanation {
  spec: OvhOfferSpec;
  reason: { kind: 'cheapest_meeting_spec'; candidates: number } | { kind: 'none_meets_spec'; largest: PlanSummary | null } | { kind: 'none_available' };
  /** The offer the roadmap names for the phase, and whether it meets the spec (null: not in the catalogue / not named). */
  roadmapOffer: { offer: string; inCatalogue: boolean; lacks: Shortfall[] } | null;
  tooSmall: PlanSummary[];
  moreExpensive: PlanSummary[];
}

export interface VpsSelection {
  offer: VpsOffer | null;
  explanation: VpsExplanation;
}

/** Product pages by OVH subsidiary (language of the site). */
const VPS_PAGES: Record<string, string> = {
  FR: 'https://www.ovhcloud.com/fr/vps/',
  DE: 'https://www.ovhcloud.com/de/vps/',
  ES: 'https://www.ovhcloud.com/es-es/vps/',
  IT: 'https://www.ovhcloud.com/it/vps/',
  NL: 'https://www.ovhcloud.com/nl/vps/',
  PL: 'https://www.ovhcloud.com/pl/vps/',
  PT: 'https://www.ovhcloud.com/pt/vps/',
  GB: 'https://www.ovhcloud.com/en-gb/vps/',
  IE: 'https://www.ovhcloud.com/en-ie/vps/',
  CA: 'https://www.ovhcloud.com/en-ca/vps/',
  QC: 'https://www.ovhcloud.com/fr-ca/vps/',
  US: 'https://us.ovhcloud.com/vps/',
};

export function vpsOrderPageUrl(subsidiary: string): string {
  return VPS_PAGES[subsidiary.toUpperCase()] ?? 'https://www.ovhcloud.com/en/vps/';
}

const summary = (p: VpsPlan, lacks: Shortfall[]): PlanSummary => ({ planCode: p.planCode, offer: p.offer, vcore: p.vcore, memoryGb: p.memoryGb, diskGb: p.diskGb, priceMonthly: p.priceMonthly, lacks });

/** The roadmap's named OVH offer for a phase ("OVH VPS Starter" → "VPS Starter"). */
export function roadmapOvhOffer(phase: Phase): string | null {
  const named = phase.hosting.find((h) => h.startsWith('OVH VPS'));
  return named ? named.slice('OVH '.length) : null;
}

export function selectVpsPlan(
  catalogue: readonly VpsPlan[],
  spec: OvhOfferSpec,
  opts: { subsidiary?: string; currency?: string; roadmapOffer?: string | null } = {},
): VpsSelection {
  const meeting: VpsPlan[] = [];
  const tooSmall: PlanSummary[] = [];
  for (const p of catalogue) {
    const lacks = shortfalls(p.vcore, p.memoryGb, p.diskGb, spec);
    if (lacks.length > 0) tooSmall.push(summary(p, lacks));
    else meeting.push(p);
  }
  // Cheapest first; then the smaller machine; then the plan code (stable).
  meeting.sort((a, b) => a.priceMonthly - b.priceMonthly || a.vcore - b.vcore || a.memoryGb - b.memoryGb || a.diskGb - b.diskGb || a.planCode.localeCompare(b.planCode));
  tooSmall.sort((a, b) => a.priceMonthly - b.priceMonthly || a.planCode.localeCompare(b.planCode));

  const named = opts.roadmapOffer ?? null;
  const namedPlan = named === null ? undefined : catalogue.find((p) => p.offer.toLowerCase() === named.toLowerCase());
  const roadmapOffer = named === null ? null : { offer: named, inCatalogue: namedPlan !== undefined, lacks: namedPlan ? shortfalls(namedPlan.vcore, namedPlan.memoryGb, namedPlan.diskGb, spec) : [] };

  const [best, ...rest] = meeting;
  const base = { spec, roadmapOffer, tooSmall };
  if (best) {
    return {
      offer: { ...best, currency: opts.currency ?? 'EUR', orderPageUrl: vpsOrderPageUrl(opts.subsidiary ?? 'FR') },
      explanation: { ...base, reason: { kind: 'cheapest_meeting_spec', candidates: meeting.length }, moreExpensive: rest.map((p) => summary(p, [])) },
    };
  }
  if (tooSmall.length === 0) return { offer: null, explanation: { ...base, reason: { kind: 'none_available' }, moreExpensive: [] } };
  const largest = [...tooSmall].sort((a, b) => b.memoryGb - a.memoryGb || b.vcore - a.vcore || b.diskGb - a.diskGb)[0] ?? null;
  return { offer: null, explanation: { ...base, reason: { kind: 'none_meets_spec', largest }, moreExpensive: [] } };
}

export function selectVpsPlanForPhase(catalogue: readonly VpsPlan[], phase: Phase, opts: { subsidiary?: string; currency?: string } = {}): VpsSelection {
  return selectVpsPlan(catalogue, ovhSpecForPhase(phase), { ...opts, roadmapOffer: roadmapOvhOffer(phase) });
}

// ---- Public Cloud -------------------------------------------------------------------------------

/** The fields of a `/cloud/project/{id}/flavor` entry used here (RAM in MB, disk in GB). */
export interface FlavorInput {
  id: string;
  name: string;
  region: string;
  ram: number;
  disk: number;
  vcpus: number;
  osType: string;
  available: boolean;
  planCodes: { monthly: string | null; hourly: string | null };
}

export interface FlavorOffer {
  flavorId: string;
  name: string;
  region: string;
  vcpus: number;
  ramGb: number;
  diskGb: number;
  planCode: string;
  /** Monthly price excl. VAT from the public cloud catalogue. */
  priceMonthly: number;
}

export type FlavorExclusion = 'unavailable' | 'os_type' | 'no_monthly_plan' | 'no_price' | 'other_region';

export interface FlavorSelection {
  offer: FlavorOffer | null;
  explanation: {
    spec: OvhOfferSpec;
    region: string | null;
    reason: { kind: 'cheapest_meeting_spec'; candidates: number } | { kind: 'none_meets_spec'; largest: { name: string; lacks: Shortfall[] } | null } | { kind: 'none_available' };
    tooSmall: { name: string; region: string; vcpus: number; ramGb: number; diskGb: number; lacks: Shortfall[]; priceMonthly: number }[];
    moreExpensive: FlavorOffer[];
    excluded: { name: string; region: string; reason: FlavorExclusion }[];
  };
}

/**
 * The cheapest Linux flavor with a monthly plan that meets the spec. `prices` maps monthly plan codes
 * (e.g. "d2-4.monthly.postpaid") to their monthly price from the public cloud catalogue. OVH counts
 * RAM in MB with 1 GB = 1000 MB in flavor names (d2-4: 4000 MB), so RAM is compared in GB of 1000 MB.
 */
export function selectFlavor(flavors: readonly FlavorInput[], prices: Readonly<Record<string, number>>, spec: OvhOfferSpec, opts: { region?: string } = {}): FlavorSelection {
  const excluded: FlavorSelection['explanation']['excluded'] = [];
  const meeting: FlavorOffer[] = [];
  const tooSmall: FlavorSelection['explanation']['tooSmall'] = [];
  for (const f of flavors) {
    const ex = (reason: FlavorExclusion): void => void excluded.push({ name: f.name, region: f.region, reason });
    if (opts.region !== undefined && f.region !== opts.region) {
      ex('other_region');
      continue;
    }
    if (f.osType !== 'linux') {
      ex('os_type');
      continue;
    }
    if (!f.available) {
      ex('unavailable');
      continue;
    }
    const plan = f.planCodes.monthly;
    if (plan === null) {
      ex('no_monthly_plan');
      continue;
    }
    const price = prices[plan];
    if (price === undefined) {
      ex('no_price');
      continue;
    }
    const ramGb = f.ram / 1000;
    const lacks = shortfalls(f.vcpus, ramGb, f.disk, spec);
    if (lacks.length > 0) {
      tooSmall.push({ name: f.name, region: f.region, vcpus: f.vcpus, ramGb, diskGb: f.disk, lacks, priceMonthly: price });
      continue;
    }
    meeting.push({ flavorId: f.id, name: f.name, region: f.region, vcpus: f.vcpus, ramGb, diskGb: f.disk, planCode: plan, priceMonthly: price });
  }
  meeting.sort((a, b) => a.priceMonthly - b.priceMonthly || a.vcpus - b.vcpus || a.ramGb - b.ramGb || a.diskGb - b.diskGb || a.name.localeCompare(b.name) || a.region.localeCompare(b.region));
  tooSmall.sort((a, b) => a.priceMonthly - b.priceMonthly || a.name.localeCompare(b.name));
  const [best, ...rest] = meeting;
  const base = { spec, region: opts.region ?? null, tooSmall, excluded };
  if (best) return { offer: best, explanation: { ...base, reason: { kind: 'cheapest_meeting_spec', candidates: meeting.length }, moreExpensive: rest.filter((o) => o.priceMonthly > best.priceMonthly || o.name !== best.name) } };
  if (tooSmall.length === 0) return { offer: null, explanation: { ...base, reason: { kind: 'none_available' }, moreExpensive: [] } };
  const largest = [...tooSmall].sort((a, b) => b.ramGb - a.ramGb || b.vcpus - a.vcpus || b.diskGb - a.diskGb)[0];
  return { offer: null, explanation: { ...base, reason: { kind: 'none_meets_spec', largest: largest ? { name: largest.name, lacks: largest.lacks } : null }, moreExpensive: [] } };
}

export function selectFlavorForPhase(flavors: readonly FlavorInput[], prices: Readonly<Record<string, number>>, phase: Phase, opts: { region?: string } = {}): FlavorSelection {
  return selectFlavor(flavors, prices, ovhSpecForPhase(phase), opts);
}
