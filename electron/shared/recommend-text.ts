import { formatNumber } from './i18n/format';
import type { Language } from './contract-languages';
import type { PhaseId } from './phases';

// The recommender's reason in words, shared by the Phase step and `cli recommend` (same sentence in both).

type T = (key: string, params?: Record<string, unknown>) => string;

export type RecommendReason =
  | { kind: 'within'; phase: PhaseId; copros: number; coproLimit: number; lots: number; lotsLimit: number }
  | { kind: 'copros'; phase: PhaseId; copros: number; previousLimit: number }
  | { kind: 'lots'; phase: PhaseId; lots: number; previousLotsLimit: number; lotsPerCopro: number };

export function reasonText(t: T, lang: Language, r: RecommendReason): string {
  const num = (v: number) => formatNumber(lang, v);
  switch (r.kind) {
    case 'within':
      return t('recommender.reason.within', { copros: num(r.copros), limit: num(r.coproLimit), lots: num(r.lots), lotsLimit: num(r.lotsLimit) });
    case 'copros':
      return t('recommender.reason.copros', { copros: num(r.copros), limit: num(r.previousLimit), previous: r.phase - 1 });
    case 'lots':
      return t('recommender.reason.lots', { lots: num(r.lots), limit: num(r.previousLotsLimit), previous: r.phase - 1, perCopro: num(r.lotsPerCopro) });
  }
}
