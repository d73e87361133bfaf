import { useTranslation } from 'react-i18next';
import { MISSING_SECRETS, type MissingSecretKind } from '../../../electron/shared/secret-kinds';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { stepThatFixes, useLocalizeError } from '../error-text';
import { useWizard } from '../stores/wizard-store';
import { ErrorNotice } from './ErrorNotice';
import { MissingSecret } from './MissingSecret';

/**
 * A failure with the way to fix it: a secret lost with the session is asked for right here (and
 * `onResolved` resumes); otherwise a button to the wizard step that fixes it, when there is one.
 */
export function FixableError({ error, testId, onResolved, resumeLabel }: { error: ErrorEnvelope; testId?: string; onResolved?: () => void | Promise<void>; resumeLabel?: string }) {
  const { t } = useTranslation();
  const goTo = useWizard((s) => s.goTo);
  const profileId = useWizard((s) => s.state.profileId);
  const localize = useLocalizeError();
  const secret = error.code === 'secret.missing' ? (MISSING_SECRETS as readonly string[]).find((k) => k === error.params.secret) : undefined;
  if (secret && profileId) {
    return (
      <div data-testid={testId} data-code={error.code}>
        <MissingSecret profileId={profileId} secret={secret as MissingSecretKind} onProvided={onResolved ?? (() => undefined)} resumeLabel={resumeLabel} />
      </div>
    );
  }
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
