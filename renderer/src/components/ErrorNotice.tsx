import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { RAW_PARAMS, systemMessageKey } from '../../../electron/shared/system-messages';
import { CopyButton } from './CopyButton';

/** A raw system or library message in the user's language when it is a known one, and the raw texts for the fold. */
export function useSystemText(): (raw: string) => string {
  const { t } = useTranslation();
  return (raw: string) => {
    const key = systemMessageKey(raw);
    return key ? t(key) : t('system.unknown');
  };
}

/** Parameters with their raw system messages replaced by their translation. */
export function translatedParams(params: Record<string, string | number>, systemText: (raw: string) => string): Record<string, string | number> {
  const out = { ...params };
  for (const k of RAW_PARAMS) if (typeof out[k] === 'string' && String(out[k]).trim() !== '') out[k] = systemText(String(out[k]));
  return out;
}

/** The command a remedy asks the user to run (computed here from the error's own values), or null. */
export function remedyCommand(error: ErrorEnvelope): string | null {
  const user = String(error.params.user ?? '');
  // Allows password-less sudo for that user only; `visudo -c` refuses a broken file before it counts.
  if (error.code === 'ssh.sudo_password' && /^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    const file = `/etc/sudoers.d/90-${user}`;
    return `echo '${user} ALL=(ALL) NOPASSWD: ALL' | sudo tee ${file} && sudo chmod 440 ${file} && sudo visudo -cf ${file}`;
  }
  return null;
}

/** A text whose `backquoted` parts are commands: shown as code. */
export function withCode(text: string): ReactNode[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** Shows a typed failure in the user's language: what happened, and what to do next; raw texts in a fold. */
export function ErrorNotice({ error, onDismiss }: { error: ErrorEnvelope; onDismiss?: () => void }) {
  const { t } = useTranslation();
  const systemText = useSystemText();
  const raw = RAW_PARAMS.flatMap((k) => (typeof error.params[k] === 'string' && String(error.params[k]).trim() !== '' ? [[k, String(error.params[k])] as const] : []));
  const params: Record<string, string | number> = { ...error.params };
  for (const [k, v] of raw) params[k] = systemText(v);
  const cause = error.code === 'network.offline' && typeof error.params.cause === 'string' ? t(`network.causes.${error.params.cause}`, { host: error.params.host ?? '' }) : null;
  const command = remedyCommand(error);
  return (
    <div className="notice notice-error" role="alert" data-testid="error-notice" data-code={error.code}>
      <div>
        <strong>{t(`errors.${error.code}.message`, params)}</strong>
        {cause && <p data-testid="error-cause">{cause}</p>}
        <p>{withCode(t(`remedies.${error.remedy}`, { ...params, defaultValue: t(`remedies.${error.code}`, params) }))}</p>
        {command && (
          <div className="keybox remedy-command" data-testid="remedy-command">
            <code className="mono">{command}</code>
            <CopyButton text={command} testId="remedy-command-copy" />
          </div>
        )}
        {raw.length > 0 && (
          <details className="error-details" data-testid="error-details">
            <summary>{t('common.technicalDetails')}</summary>
            <pre className="mono small">{raw.map(([, v]) => v).join('\n')}</pre>
          </details>
        )}
      </div>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          {t('common.dismiss')}
        </button>
      )}
    </div>
  );
}
