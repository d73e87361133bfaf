import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AppError, type ErrorEnvelope } from '../../../../electron/shared/errors';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { TextField } from '../../components/TextField';
import { toEnvelope } from '../../stores/profile-store';
import { openLink, type ProviderStatus } from './provider-ui';

// The Hetzner Cloud API token: pasted (masked), checked with Hetzner (wrong, revoked and read-only
// tokens are told apart), then kept by the main side; it never comes back to the screen.

const CONSOLE_URL = 'https://console.hetzner.cloud/projects';

export function HetznerCredentials({ status, onChange }: { status: ProviderStatus; onChange: () => Promise<void> }) {
  const { t } = useTranslation();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [fieldIssue, setFieldIssue] = useState<string | undefined>(undefined);

  const save = async () => {
    setBusy(true);
    setFailure(null);
    setFieldIssue(undefined);
    try {
      await api()['provider.saveCredentials']({ kind: 'hetzner', token: token.trim() });
      setToken('');
      await onChange();
    } catch (error) {
      if (error instanceof AppError && error.code === 'ipc.invalid_input') setFieldIssue(t('where.hetzner.tokenInvalidFormat'));
      else setFailure(toEnvelope(error, 'provider.saveCredentials'));
    } finally {
      setBusy(false);
    }
  };

  const forget = async () => {
    setBusy(true);
    try {
      await api()['provider.forget']({ provider: 'hetzner' });
      await onChange();
    } catch (error) {
      setFailure(toEnvelope(error, 'provider.forget'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card" data-testid="hetzner-credentials">
      <h2>{t('where.hetzner.title')}</h2>
      {status.hetzner.configured ? (
        <>
          <p className="notice notice-ok" data-testid="hetzner-saved">
            {t(status.persistent ? 'where.cloud.savedKeychain' : 'where.cloud.savedSession', { provider: t('where.providers.hetzner.title') })}
          </p>
          <div className="actions">
            <button type="button" className="btn" disabled={busy} onClick={() => void forget()} data-testid="provider-forget">
              {t('where.cloud.forget')}
            </button>
            <span className="muted small">{t('where.cloud.forgetHelp')}</span>
          </div>
        </>
      ) : (
        <>
          <p className="muted">{t('where.hetzner.intro')}</p>
          <ol className="small steps-list">
            <li>
              {t('where.hetzner.step1')}{' '}
              <button type="button" className="link" onClick={() => void openLink(CONSOLE_URL)} data-testid="hetzner-console">
                {t('where.hetzner.openConsole')}
              </button>
            </li>
            <li>{t('where.hetzner.step2')}</li>
            <li>{t('where.hetzner.step3')}</li>
          </ol>
          <div className="fields fields-inline">
            <TextField id="hetznerToken" type="password" label={t('where.hetzner.token')} help={t('where.hetzner.tokenHelp')} value={token} onChange={(v) => { setToken(v); setFieldIssue(undefined); }} issue={fieldIssue} mono wide maxLength={200} disabled={busy} />
            <button type="button" className="btn btn-primary" disabled={busy || token.trim() === ''} onClick={() => void save()} data-testid="hetzner-save">
              {t('where.hetzner.save')}
            </button>
          </div>
          {busy && <Busy text={t('where.hetzner.checking')} testId="hetzner-busy" />}
        </>
      )}
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
    </div>
  );
}
