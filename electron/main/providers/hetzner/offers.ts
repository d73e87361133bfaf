// Offer selection: the cheapest Hetzner server type that meets a phase's spec (vCPU, RAM, disk from
// the roadmap), from the live catalogue. Offers change, so the result says why: what was chosen,
// which types were too small (and on what), which met the spec but cost more, which were left out.
// Pure: catalogue in, choice and explanation out.
import type { Phase } from '../../../shared/phases';
import type { ServerType } from './schemas';

export interface OfferSpec {
  vcpu: number;
  ramGb: number;
  /** null: no disk requirement. */
  diskGb: number | null;
}

export interface OfferOptions {
  /** Only this location; default: every location the type is priced in. */
  location?: string;
  /** Default 'x86' (the app's images and Compose stack are tested on x86). */
  architecture?: 'x86' | 'arm' | 'any';
  /** Default 'any'. */
  cpuType?: 'shared' | 'dedicated' | 'any';
  /** Tie-break between equal prices: earlier locations first (then alphabetical). */
  preferredLocations?: string[];
}

export interface Offer {
  serverTypeId: number;
  serverType: string;
  description: string;
  location: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  cpuType: string;
  architecture: string;
  /** As returned by the API (decimal strings, the account's VAT in gross). */
  priceMonthly: { net: string; gross: string };
  priceHourly: { net: string; gross: string };
}

export type Shortfall = 'vcpu' | 'ram' | 'disk';
export type ExclusionReason = 'deprecated' | 'architecture' | 'cpu_type' | 'not_in_location';

export interface OfferExplanation {
  spec: OfferSpec;
  location: string | null;
  architecture: OfferOptions['architecture'];
  /** Why the chosen offer (or why none). */
  reason: { kind: 'cheapest_meeting_spec'; candidates: number } | { kind: 'none_meets_spec'; largest: TooSmall | null } | { kind: 'none_available' };
  /** Types below the spec, with what they lack (one entry per type, at its cheapest location). Sorted by price. */
  tooSmall: TooSmall[];
  /** Offers that meet the spec at the chosen price (other locations, equal types). */
  samePrice: Offer[];
  /** Offers that meet the spec but cost more than the chosen one. Sorted by price. */
  moreExpensive: Offer[];
  /** Types left out before comparing specs. */
  excluded: { serverType: string; reason: ExclusionReason }[];
}

export interface TooSmall {
  serverType: string;
  location: string;
  cores: number;
  memoryGb: number;
  diskGb: number;
  lacks: Shortfall[];
  priceMonthly: { net: string; gross: string };
}

export interface OfferSelection {
  offer: Offer | null;
  explanation: OfferExplanation;
}

/** The minimum of the phase's ranges: what the roadmap says the phase needs. */
export function specForPhase(phase: Phase): OfferSpec {
  return { vcpu: phase.vcpu.min, ramGb: phase.ramGb.min, diskGb: phase.diskGb };
}

/** Whether a type can be ordered in a location: priced there, and not deprecated there (newer API field). */
function availableIn(t: ServerType, location: string): boolean {
  if (!t.prices.some((p) => p.location === location)) return false;
  if (t.locations === undefined) return true;
  const l = t.locations.find((x) => x.name === location);
  return l !== undefined && !l.deprecation;
}

function isDeprecated(t: ServerType): boolean {
  return t.deprecated === true || (t.deprecation !== undefined && t.deprecation !== null);
}

function shortfalls(t: ServerType, spec: OfferSpec): Shortfall[] {
  const lacks: Shortfall[] = [];
  if (t.cores < spec.vcpu) lacks.push('vcpu');
  if (t.memory < spec.ramGb) lacks.push('ram');
  if (spec.diskGb !== null && t.disk < spec.diskGb) lacks.push('disk');
  return lacks;
}

/** Decimal strings compared exactly enough for prices (16 decimals, a few digits before the point). */
function amount(s: string): number {
  return Number(s);
}

export function selectOffer(catalogue: readonly ServerType[], spec: OfferSpec, opts: OfferOptions = {}): OfferSelection {
  const architecture = opts.architecture ?? 'x86';
  const cpuType = opts.cpuType ?? 'any';
  const preferred = opts.preferredLocations ?? [];
  const excluded: OfferExplanation['excluded'] = [];
  const meeting: Offer[] = [];
  const tooSmall: TooSmall[] = [];

  for (const t of catalogue) {
    if (isDeprecated(t)) {
      excluded.push({ serverType: t.name, reason: 'deprecated' });
      continue;
    }
    if (architecture !== 'any' && t.architecture !== architecture) {
      excluded.push({ serverType: t.name, reason: 'architecture' });
      continue;
    }
    if (cpuType !== 'any' && t.cpu_type !== cpuType) {
      excluded.push({ serverType: t.name, reason: 'cpu_type' });
      continue;
    }
    const prices = t.prices.filter((p) => (opts.location === undefined || p.location === opts.location) && availableIn(t, p.location));
    if (prices.length === 0) {
      excluded.push({ serverType: t.name, reason: 'not_in_location' });
      continue;
    }
    const lacks = shortfalls(t, spec);
    for (const p of prices) {
      if (lacks.length > 0) {
        tooSmall.push({ serverType: t.name, location: p.location, cores: t.cores, memoryGb: t.memory, diskGb: t.disk, lacks, priceMonthly: p.price_monthly });
        continue;
      }
      meeting.push({
        serverTypeId: t.id,
        serverType: t.name,
        description: t.description,
        location: p.location,
        cores: t.cores,
        memoryGb: t.memory,
        diskGb: t.disk,
        cpuType: t.cpu_type,
        architecture: t.architecture,
        priceMonthly: p.price_monthly,
        priceHourly: p.price_hourly,
      });
    }
  }

  const rank = (loc: string): number => {
    const i = preferred.indexOf(loc);
    return i < 0 ? preferred.length : i;
  };
  // Cheapest net first; then the smaller machine (no paying for nothing), preferred location, name.
  meeting.sort(
    (a, b) =>
      amount(a.priceMonthly.net) - amount(b.priceMonthly.net) ||
      a.cores - b.cores ||
      a.memoryGb - b.memoryGb ||
      a.diskGb - b.diskGb ||
      rank(a.location) - rank(b.location) ||
      a.location.localeCompare(b.location) ||
      a.serverType.localeCompare(b.serverType),
  );
  tooSmall.sort(
    (a, b) => amount(a.priceMonthly.net) - amount(b.priceMonthly.net) || a.serverType.localeCompare(b.serverType) || rank(a.location) - rank(b.location) || a.location.localeCompare(b.location),
  );
  const small = tooSmall.filter((t, i) => tooSmall.findIndex((u) => u.serverType === t.serverType) === i);

  const [offer, ...rest] = meeting;
  const base = { spec, location: opts.location ?? null, architecture, tooSmall: small, excluded };
  if (offer) {
    const price = amount(offer.priceMonthly.net);
    return {
      offer,
      explanation: {
        ...base,
        reason: { kind: 'cheapest_meeting_spec', candidates: meeting.length },
        samePrice: rest.filter((o) => amount(o.priceMonthly.net) === price),
        moreExpensive: rest.filter((o) => amount(o.priceMonthly.net) > price),
      },
    };
  }
  const none = { samePrice: [], moreExpensive: [] };
  if (small.length === 0) return { offer: null, explanation: { ...base, ...none, reason: { kind: 'none_available' } } };
  // The closest miss: the largest type on offer (by RAM, then cores, then disk).
  const largest = [...small].sort((a, b) => b.memoryGb - a.memoryGb || b.cores - a.cores || b.diskGb - a.diskGb)[0] ?? null;
  return { offer: null, explanation: { ...base, ...none, reason: { kind: 'none_meets_spec', largest } } };
}

/** The choice for a roadmap phase. */
export function selectOfferForPhase(catalogue: readonly ServerType[], phase: Phase, opts: OfferOptions = {}): OfferSelection {
  return selectOffer(catalogue, specForPhase(phase), opts);
}
