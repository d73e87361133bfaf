// The roadmap's four phases as data (seed/ROADMAP.md), and the recommender built on its capacity
// figures and upgrade signals. Pure: no zod, no Node, no DOM, so the renderer can import it cheaply.

export const PHASE_IDS = [1, 2, 3, 4] as const;
export type PhaseId = (typeof PHASE_IDS)[number];

export type Level = 'low' | 'medium' | 'high';
export type Support = 'no' | 'partial' | 'yes';

export interface Range {
  min: number;
  /** null: open-ended ("2,000+"). */
  max: number | null;
}

export interface Phase {
  id: PhaseId;
  /** Monthly infrastructure cost in euros (roadmap, "~"). Phase 3 is dev (min) to staging (max). */
  costMonthly: Range;
  copros: Range;
  vcpu: Range;
  /** GB */
  ramGb: Range;
  /** GB of SSD; null when the roadmap gives none (object storage for backups in phase 4). */
  diskGb: number | null;
  /** Phase 4 keeps backups in object storage. */
  objectStorageBackups: boolean;
  highAvailability: Support;
  autoscaling: boolean;
  /** Percent; null is "best effort". */
  slaPercent: number | null;
  complexity: Level;
  /** People, and which kind. */
  team: { min: number; max: number; kind: 'dev' | 'devops' };
  /** Suggested offers, by provider, as the roadmap names them. */
  hosting: string[];
  /** Component names (not translated). */
  stack: string[];
  /** Revenue per copro per month in euros used by the roadmap's business example. */
  pricePerCopro: number;
  /** Deployment method the app uses for this phase. */
  runtime: 'compose' | 'k3s';
}

export const PHASES: readonly Phase[] = [
  {
    id: 1,
    costMonthly: { min: 5, max: 5 },
    copros: { min: 0, max: 100 },
    vcpu: { min: 2, max: 2 },
    ramGb: { min: 2, max: 2 },
    diskGb: 40,
    objectStorageBackups: false,
    highAvailability: 'no',
    autoscaling: false,
    slaPercent: null,
    complexity: 'low',
    team: { min: 1, max: 1, kind: 'dev' },
    hosting: ['Hetzner CPX11', 'OVH VPS Starter'],
    stack: ['Docker Compose', 'Traefik (TLS)', 'PostgreSQL 15', 'Rust backend', 'Vercel frontend'],
    pricePerCopro: 15,
    runtime: 'compose',
  },
  {
    id: 2,
    costMonthly: { min: 15, max: 15 },
    copros: { min: 100, max: 500 },
    vcpu: { min: 4, max: 4 },
    ramGb: { min: 4, max: 8 },
    diskGb: 80,
    objectStorageBackups: false,
    highAvailability: 'no',
    autoscaling: false,
    slaPercent: null,
    complexity: 'low',
    team: { min: 1, max: 1, kind: 'dev' },
    hosting: ['Hetzner CPX21', 'OVH VPS Comfort'],
    stack: ['Docker Compose', 'Traefik (TLS)', 'PostgreSQL 15', 'Rust backend', 'Vercel frontend'],
    pricePerCopro: 15,
    runtime: 'compose',
  },
  {
    id: 3,
    costMonthly: { min: 30, max: 90 },
    copros: { min: 500, max: 2000 },
    vcpu: { min: 6, max: 12 },
    ramGb: { min: 22, max: 60 },
    diskGb: null,
    objectStorageBackups: false,
    highAvailability: 'partial',
    autoscaling: true,
    slaPercent: 99.5,
    complexity: 'medium',
    team: { min: 1, max: 2, kind: 'devops' },
    hosting: ['OVH Cloud'],
    stack: ['K3s', 'Helm', 'PostgreSQL HA (Patroni)', 'DragonflyDB', 'Prometheus + Grafana'],
    pricePerCopro: 15,
    runtime: 'k3s',
  },
  {
    id: 4,
    costMonthly: { min: 270, max: 270 },
    copros: { min: 2000, max: null },
    vcpu: { min: 36, max: null },
    ramGb: { min: 180, max: null },
    diskGb: null,
    objectStorageBackups: true,
    highAvailability: 'yes',
    autoscaling: true,
    slaPercent: 99.95,
    complexity: 'high',
    team: { min: 2, max: 3, kind: 'devops' },
    hosting: ['OVH Cloud'],
    stack: ['K3s HA (3 + 3)', 'OVH Load Balancer', 'Patroni + HAProxy', 'DragonflyDB HA', 'Longhorn', 'Kepler (CO2)'],
    pricePerCopro: 20,
    runtime: 'k3s',
  },
];

export function getPhase(id: PhaseId): Phase {
  const phase = PHASES.find((p) => p.id === id);
  if (!phase) throw new Error(`unknown phase ${String(id)}`);
  return phase;
}

/** Rows of the roadmap's comparison table, in its order; the renderer renders one line per row. */
export const COMPARISON_ROWS = [
  'cost',
  'copros',
  'vcpu',
  'ram',
  'disk',
  'highAvailability',
  'autoscaling',
  'sla',
  'complexity',
  'team',
  'hosting',
  'stack',
] as const;
export type ComparisonRow = (typeof COMPARISON_ROWS)[number];

// ---- Recommender -------------------------------------------------------------------------------

/** Input bounds, shared by the form and the contract's zod schema. */
export const COPROS_MAX = 1_000_000;
export const LOTS_PER_COPRO_MAX = 10_000;

/**
 * Upgrade signals on the number of active copros: phase 1 → 2 above 100, 2 → 3 above 500,
 * 3 → 4 above 2,000 (roadmap "When to upgrade").
 */
export const COPRO_SIGNALS: Record<Exclude<PhaseId, 4>, number> = { 1: 100, 2: 500, 3: 2000 };

/**
 * The roadmap sizes capacity with "medium" copros of 20–30 lots (phase 1: 100–500 medium copros).
 * We count lots against the copro signal times the upper bound of a medium copro, so a few very
 * large copros move the recommendation up as many average ones would. Conservative on purpose.
 */
export const LOTS_PER_MEDIUM_COPRO = 30;

/** Share of a phase's limit from which we warn that the next upgrade signal is near. */
export const HEADROOM_WARNING = 0.8;

export interface RecommendationInput {
  copros: number;
  lotsPerCopro: number;
}

export type RecommendationReason =
  | { kind: 'within'; phase: PhaseId; copros: number; coproLimit: number; lots: number; lotsLimit: number }
  | { kind: 'copros'; phase: PhaseId; copros: number; previousLimit: number }
  | { kind: 'lots'; phase: PhaseId; lots: number; previousLotsLimit: number; lotsPerCopro: number };

export interface Recommendation {
  phase: PhaseId;
  reason: RecommendationReason;
  totalLots: number;
  /** Set when the input is at or above HEADROOM_WARNING of the recommended phase's limit. */
  nearNextSignal: { nextPhase: PhaseId; at: number } | null;
}

export function coproLimit(phase: PhaseId): number | null {
  return phase === 4 ? null : COPRO_SIGNALS[phase];
}

export function lotsLimit(phase: PhaseId): number | null {
  const limit = coproLimit(phase);
  return limit === null ? null : limit * LOTS_PER_MEDIUM_COPRO;
}

export function recommendPhase(input: RecommendationInput): Recommendation {
  const copros = Math.trunc(input.copros);
  const lotsPerCopro = input.lotsPerCopro;
  const totalLots = Math.round(copros * lotsPerCopro);

  for (const id of PHASE_IDS) {
    const cl = coproLimit(id);
    const ll = lotsLimit(id);
    if (cl === null || ll === null) break;
    if (copros <= cl && totalLots <= ll) {
      const reason = explain(id, copros, totalLots, lotsPerCopro);
      const ratio = Math.max(copros / cl, totalLots / ll);
      const nearNextSignal =
        ratio >= HEADROOM_WARNING ? { nextPhase: (id + 1) as PhaseId, at: cl } : null;
      return { phase: id, reason, totalLots, nearNextSignal };
    }
  }
  return { phase: 4, reason: explain(4, copros, totalLots, lotsPerCopro), totalLots, nearNextSignal: null };
}

function explain(id: PhaseId, copros: number, lots: number, lotsPerCopro: number): RecommendationReason {
  if (id === 1) {
    return { kind: 'within', phase: 1, copros, coproLimit: COPRO_SIGNALS[1], lots, lotsLimit: COPRO_SIGNALS[1] * LOTS_PER_MEDIUM_COPRO };
  }
  const previous = (id - 1) as Exclude<PhaseId, 4>;
  const previousLimit = COPRO_SIGNALS[previous];
  if (copros > previousLimit) return { kind: 'copros', phase: id, copros, previousLimit };
  return {
    kind: 'lots',
    phase: id,
    lots,
    previousLotsLimit: previousLimit * LOTS_PER_MEDIUM_COPRO,
    lotsPerCopro,
  };
}

// ---- Business example ---------------------------------------------------------------------------

export interface Economics {
  phase: PhaseId;
  copros: number;
  revenueMonthly: number;
  costMonthly: Range;
  /** Margin in percent against the highest cost of the phase (conservative); null without revenue. */
  marginPercent: number | null;
}

export function economics(phase: PhaseId, copros: number): Economics {
  const p = getPhase(phase);
  const revenueMonthly = Math.max(0, Math.trunc(copros)) * p.pricePerCopro;
  const cost = p.costMonthly.max ?? p.costMonthly.min;
  const marginPercent = revenueMonthly > 0 ? ((revenueMonthly - cost) / revenueMonthly) * 100 : null;
  return { phase, copros: Math.trunc(copros), revenueMonthly, costMonthly: p.costMonthly, marginPercent };
}
