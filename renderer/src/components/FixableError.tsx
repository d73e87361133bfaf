import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { stepThatFixes, useLocalizeError } from '../error-text';
import { useWizard } from '../stores/wizard-store';
import { ErrorNotice } from './ErrorNotice';

/** A failure with a button to the wizard step that fixes it, when there is one. */
export function FixableError({ error, testId }: { error: ErrorEnvelope; testId?: string }) {
  const { t } = useTranslation();
  const goTo = useWizard((s) => s.goTo);
  const localize = useLocalizeError();
  const fix = stepThatFixes(error);
  return (
    <div data-testid={testId}>
      <ErrorNotice error={localize(error)} />
      {fix && (
        <button type="button" className="btn" onClick={() => void goTo(fix)} data-testid="fix-step" data-step={fix}>
          {t('plan.goFix', { step: t(`steps.${fix}.title`) })}
        </button>
      )}
    </div>
  );
}

