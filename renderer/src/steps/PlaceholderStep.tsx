import { useTranslation } from 'react-i18next';
import type { WizardStepId } from '../../../electron/shared/wizard-steps';

/** Steps that later versions build; the rail shows the whole path from the start. */
export function PlaceholderStep({ step }: { step: WizardStepId }) {
  const { t } = useTranslation();
  return (
    <section className="panel" data-testid={`step-${step}`}>
      <h1>{t(`steps.${step}.title`)}</h1>
      <p className="lead">{t(`steps.${step}.hint`)}</p>
      <div className="notice notice-info">{t('steps.notYet')}</div>
    </section>
  );
}
