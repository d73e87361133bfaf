import type { TFunction } from 'i18next';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope, FieldIssue } from '../../electron/shared/errors';
import { formatNumber } from '../../electron/shared/i18n/format';
import type { WizardStepId } from '../../electron/shared/wizard-steps';
import { formatDateTime } from './format';
import { useSettings } from './stores/settings-store';

// Error envelopes carry raw values (a step id, a setting name, an ISO date); before they are shown,
// those become words in the user's language. The envelope's code and remedy stay as they are.

/** Title of a deployment step (`deploy.steps.<id>`), or its id when the app does not know it. */
export function stepTitle(t: TFunction, stepId: string, params: Record<string, string | number> = {}): string {
  return t(`deploy.steps.${stepId}`, { ...params, defaultValue: stepId });
}

type MissingKind = 'server' | 'sshKey' | 'repository' | 'env' | 'phase' | 'setting';

const CODE_SETTINGS = /^(composeFiles|composeProject|envFile|checkoutName|healthUrl|healthTimeoutSec|postgres\.|monitoring\.|tuning\.|layout\.)/;

/** What `deploy.not_ready` says is missing, and the wizard step where the user provides it. */
export function missingOf(missing: string): { kind: MissingKind; step: WizardStepId } {
  if (missing === 'server') return { kind: 'server', step: 'where' };
  if (/ssh/i.test(missing)) return { kind: 'sshKey', step: 'where' };
  if (missing === 'repository') return { kind: 'repository', step: 'code' };
  if (missing === '.env') return { kind: 'env', step: 'configuration' };
  if (/^phase/.test(missing)) return { kind: 'phase', step: 'phase' };
  return { kind: 'setting', step: CODE_SETTINGS.test(missing) ? 'code' : 'configuration' };
}

/** The wizard step that fixes this failure, when there is one. */
export function stepThatFixes(error: ErrorEnvelope): WizardStepId | null {
  switch (error.code) {
    case 'deploy.not_ready':
      return missingOf(String(error.params.missing ?? '')).step;
    case 'ssh.auth_failed':
    case 'ssh.key_invalid':
    case 'ssh.host_key_mismatch':
    case 'ssh.host_key_unknown':
    case 'ssh.sudo_missing':
    case 'ssh.sudo_password':
    case 'ssh.host_not_found':
    case 'ssh.connection_refused':
    case 'k3s.control_host_missing':
    case 'k3s.no_runner':
    case 'k3s.pty_unavailable':
    case 'ovh.credential_pending':
      return 'where';
    case 'k3s.no_entry_point':
    case 'k3s.environment_unknown':
      return 'code';
    case 'k3s.not_configured':
      return error.params.missing === 'repository' ? 'code' : error.params.missing === 'runner' ? 'where' : error.params.missing === 'phase' ? 'phase' : null;
    default:
      return null;
  }
}

export function localizeError(error: ErrorEnvelope, t: TFunction, lang: 'fr' | 'nl' | 'en'): ErrorEnvelope {
  const params = { ...error.params };
  if (typeof params.step === 'string') params.step = stepTitle(t, params.step);
  if (typeof params.since === 'string') params.since = formatDateTime(lang, params.since);
  if (error.code === 'deploy.not_ready' && params.missing !== undefined) {
    const missing = String(params.missing);
    const { kind } = missingOf(missing);
    params.missing = t(`plan.missing.${kind}`, { key: missing });
  }
  if (error.code === 'k3s.not_configured' && typeof params.missing === 'string') params.missing = t(`k3s.missing.${params.missing}`, { defaultValue: params.missing });
  return { ...error, params };
}

/** `localizeError` bound to the current language. */
export function useLocalizeError(): (error: ErrorEnvelope) => ErrorEnvelope {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  return useCallback((error: ErrorEnvelope) => localizeError(error, t, lang), [t, lang]);
}

/** Text of a schema problem on a text field. */
export function useIssueText(): (issue: FieldIssue) => string {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  return useCallback(
    (issue: FieldIssue) => {
      const params = Object.fromEntries(Object.entries(issue.params).map(([k, v]) => [k, typeof v === 'number' ? formatNumber(lang, v) : v]));
      if (issue.params.origin === 'string' && issue.issue === 'too_small') return t('validation.required');
      if (issue.params.origin === 'string' && issue.issue === 'too_big') return t('validation.tooLong', params);
      return t(`validation.${issue.issue}`, { ...params, defaultValue: t('validation.invalid') });
    },
    [t, lang],
  );
}
