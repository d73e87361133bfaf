import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import type { UpgradePlan } from '../../../electron/shared/contract-upgrade';
import { formatNumber } from '../../../electron/shared/i18n/format';

/** Seconds as whole minutes (at least 1), for the downtime range. */
export function minutes(lang: Language, sec: number): string {
  return formatNumber(lang, Math.max(1, Math.round(sec / 60)));
}

/** The three facts at the top of an upgrade plan: what it changes in the monthly cost, the downtime, the backup. */
export function PlanFacts({ plan, cost, lang, t }: { plan: UpgradePlan; cost: string; lang: Language; t: TFunction }) {
  return (
    <dl className="facts upgrade-facts">
      <div>
        <dt>{t('upgrade.cost.title')}</dt>
        <dd data-testid="upgrade-cost-change">{cost}</dd>
      </div>
      <div>
        <dt>{t('upgrade.downtime.title')}</dt>
        <dd data-testid="upgrade-downtime">{t('upgrade.downtime.range', { min: minutes(lang, plan.downtime.minSec), max: minutes(lang, plan.downtime.maxSec) })}</dd>
      </div>
      <div>
        <dt>{t('upgrade.backup.title')}</dt>
        <dd>{t(`upgrade.backup.${plan.verify}`)}</dd>
      </div>
    </dl>
  );
}
