import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import { formatEuros, formatNumber } from '../../../electron/shared/i18n/format';
import type { ComparisonRow, Phase, Range } from '../../../electron/shared/phases';

/** Text of one cell of the comparison table, in the user's language and number format. */
export function phaseCell(row: ComparisonRow, phase: Phase, t: TFunction, lang: Language): string {
  const n = (v: number) => formatNumber(lang, v, 2);
  const range = (r: Range, unit = '') => {
    const u = unit ? `\u00a0${unit}` : '';
    if (r.max === null) return `${n(r.min)}${u}+`;
    if (r.max === r.min) return `${n(r.min)}${u}`;
    return `${n(r.min)}–${n(r.max)}${u}`;
  };
  switch (row) {
    case 'cost':
      return phase.costMonthly.max !== null && phase.costMonthly.max !== phase.costMonthly.min
        ? t('phase.values.costRange', { min: formatEuros(lang, phase.costMonthly.min), max: formatEuros(lang, phase.costMonthly.max) })
        : t('phase.values.cost', { amount: formatEuros(lang, phase.costMonthly.min) });
    case 'copros':
      return range(phase.copros);
    case 'vcpu':
      return range(phase.vcpu);
    case 'ram':
      return range(phase.ramGb, t('units.gb'));
    case 'disk':
      if (phase.diskGb !== null) return t('phase.values.diskSsd', { size: n(phase.diskGb) });
      return phase.objectStorageBackups ? t('phase.values.objectStorage') : t('phase.values.notSpecified');
    case 'highAvailability':
      return t(`phase.values.support.${phase.highAvailability}`);
    case 'autoscaling':
      return t(phase.autoscaling ? 'phase.values.yes' : 'phase.values.no');
    case 'sla':
      return phase.slaPercent === null ? t('phase.values.bestEffort') : `${n(phase.slaPercent)}\u00a0%`;
    case 'complexity':
      return t(`phase.values.complexity.${phase.complexity}`);
    case 'team':
      return t(`phase.values.team.${phase.team.kind}`, {
        count: phase.team.max,
        range: phase.team.min === phase.team.max ? n(phase.team.min) : `${n(phase.team.min)}–${n(phase.team.max)}`,
      });
    case 'hosting':
      return phase.hosting.join(t('phase.values.or'));
    case 'stack':
      return phase.stack.join(' · ');
  }
}
