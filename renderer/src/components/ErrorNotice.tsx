import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';

/** Shows a typed failure in the user's language: what happened, and what to do next. */
export function ErrorNotice({ error, onDismiss }: { error: ErrorEnvelope; onDismiss?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-error" role="alert" data-testid="error-notice" data-code={error.code}>
      <div>
        <strong>{t(`errors.${error.code}.message`, error.params)}</strong>
        <p>{t(`remedies.${error.remedy}`, { ...error.params, defaultValue: t(`remedies.${error.code}`, error.params) })}</p>
      </div>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          {t('common.dismiss')}
        </button>
      )}
    </div>
  );
}
