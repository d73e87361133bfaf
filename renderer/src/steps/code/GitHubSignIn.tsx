import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { EventPayload } from '../../../../electron/shared/contract';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import { api } from '../../app-api';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { openLink } from '../../open-link';
import { toEnvelope } from '../../stores/profile-store';

type SignInState = EventPayload<'github.signIn'>['state'];

/**
 * Sign-in to GitHub for private repositories: the device flow (a code to enter on github.com, the app waits), or a
 * fine-grained token pasted here. The token goes to the keychain on the main side; this screen never sees it again.
 */
export function GitHubSignIn({ onSignedIn, reason, url }: { onSignedIn: () => void; reason: 'private' | 'optional'; url: string }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<{ signedIn: boolean; persistent: boolean } | null>(null);
  const [device, setDevice] = useState<{ userCode: string; verificationUri: string } | null>(null);
  const [state, setState] = useState<SignInState | null>(null);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);

  useEffect(() => {
    void api()['github.status']({}).then(setStatus).catch((e: unknown) => setFailure(toEnvelope(e, 'github.status')));
    return api().on('github.signIn', (p) => {
      setState(p.state);
      if (p.state === 'signed_in') {
        setDevice(null);
        setStatus((s) => ({ signedIn: true, persistent: s?.persistent ?? false }));
        onSignedIn();
      }
    });
  }, [onSignedIn]);

  const startDevice = async () => {
    setFailure(null);
    setBusy(true);
    try {
      const code = await api()['github.deviceStart'](url.trim() ? { url: url.trim() } : {});
      setDevice(code);
      setState('pending');
    } catch (e) {
      setFailure(toEnvelope(e, 'github.deviceStart'));
    } finally {
      setBusy(false);
    }
  };
  const cancelDevice = async () => {
    await api()['github.deviceCancel']({});
    setDevice(null);
    setState(null);
  };
  const submitToken = async () => {
    setFailure(null);
    setBusy(true);
    try {
      const r = await api()['github.setToken']({ token, ...(url.trim() ? { url: url.trim() } : {}) });
      setToken('');
      setStatus({ signedIn: true, persistent: r.persistent });
      onSignedIn();
    } catch (e) {
      setFailure(toEnvelope(e, 'github.setToken'));
    } finally {
      setBusy(false);
    }
  };
  const forget = async () => {
    await api()['github.forget']({});
    setStatus((s) => ({ signedIn: false, persistent: s?.persistent ?? false }));
    setState(null);
  };

  if (status?.signedIn) {
    return (
      <div className="notice notice-ok" data-testid="github-signed-in">
        <span>{status.persistent ? t('code.github.signedIn') : t('code.github.signedInSession')}</span>
        <button type="button" className="link" onClick={() => void forget()} data-testid="github-forget">
          {t('code.github.forget')}
        </button>
      </div>
    );
  }

  return (
    <div className="card" data-testid="github-sign-in">
      <h2>{t('code.github.title')}</h2>
      <p className="muted">{reason === 'private' ? t('code.github.introPrivate') : t('code.github.intro')}</p>
      {device ? (
        <div className="device-code" data-testid="github-device">
          <p>{t('code.github.enterCode')}</p>
          <div className="row">
            <code className="user-code" data-testid="github-user-code">
              {device.userCode}
            </code>
            <CopyButton text={device.userCode} testId="github-copy-code" />
            <button type="button" className="btn btn-primary" onClick={() => void openLink(device.verificationUri)} data-testid="github-open">
              {t('code.github.open')}
            </button>
          </div>
          {state === 'expired' || state === 'denied' || state === 'failed' ? (
            <div className="notice notice-error" role="alert" data-testid="github-device-failed" data-state={state}>
              <span>{t(`code.github.state.${state}`)}</span>
              <button type="button" className="link" onClick={() => void startDevice()}>
                {t('code.github.again')}
              </button>
            </div>
          ) : (
            <Busy text={t(state === 'slow_down' ? 'code.github.state.slow_down' : 'code.github.state.pending')} testId="github-waiting" />
          )}
          <button type="button" className="link" onClick={() => void cancelDevice()} data-testid="github-cancel">
            {t('common.cancel')}
          </button>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void startDevice()} data-testid="github-device-start">
            {t('code.github.signIn')}
          </button>
        </div>
      )}
      <details className="disclosure">
        <summary>{t('code.github.tokenTitle')}</summary>
        <p className="muted small">{t('code.github.tokenHelp')}</p>
        <div className="row">
          <input
            type="password"
            className="mono"
            autoComplete="off"
            spellCheck={false}
            value={token}
            maxLength={300}
            aria-label={t('code.github.token')}
            onChange={(e) => setToken(e.target.value)}
            data-testid="github-token-input"
          />
          <button type="button" className="btn" disabled={busy || token.trim() === ''} onClick={() => void submitToken()} data-testid="github-token-save">
            {t('code.github.useToken')}
          </button>
        </div>
      </details>
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
    </div>
  );
}
