import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AppError, type ErrorEnvelope } from '../../../../electron/shared/errors';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { TextField } from '../../components/TextField';
import { toEnvelope } from '../../stores/profile-store';
import { openLink, type ProviderStatus } from './provider-ui';

// OVHcloud's credential flow: the user's application key and secret (made once on OVH's createApp
// page), then a consumer key the user validates on OVH's page (opened in the browser), while this
// screen waits and polls until it is validated or refused.

const ENDPOINTS = ['ovh-eu', 'ovh-ca', 'ovh-us'] as const;
type Endpoint = (typeof ENDPOINTS)[number];
const CREATE_APP: Record<Endpoint, string> = {
  'ovh-eu': 'https://eu.api.ovh.com/createApp/',
  'ovh-ca': 'https://ca.api.ovh.com/createApp/',
  'ovh-us': 'https://api.us.ovhcloud.com/createApp/',
};
const POLL_MS = 2000;

type Flow =
  | { kind: 'form' }
  | { kind: 'saved' }
  | { kind: 'waiting'; url: string | null; since: number }
  | { kind: 'validated'; account: string | null }
  | { kind: 'refused'; state: string };

function initialFlow(status: ProviderStatus): Flow {
  if (status.ovh.credential === 'validated') return { kind: 'validated', account: null };
  if (status.ovh.credential === 'pendingValidation') return { kind: 'waiting', url: null, since: Date.now() };
  return status.ovh.configured ? { kind: 'saved' } : { kind: 'form' };
}

export function OvhCredentials({ status, onChange }: { status: ProviderStatus; onChange: () => Promise<void> }) {
  const { t } = useTranslation();
  const [flow, setFlow] = useState<Flow>(() => initialFlow(status));
  const [endpoint, setEndpoint] = useState<Endpoint>(status.ovh.endpoint ?? 'ovh-eu');
  const [appKey, setAppKey] = useState('');
  const [appSecret, setAppSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  // The field that is wrong turns red: the key (unknown to OVH, bad format) or the secret (bad signature).
  const [fieldIssues, setFieldIssues] = useState<{ key?: string; secret?: string }>({});
  const [now, setNow] = useState(() => Date.now());

  const requestKey = async () => {
    const { validationUrl, openedBy } = await api()['provider.ovhRequestConsumerKey']({});
    if (openedBy === 'client') window.open(validationUrl, '_blank', 'noopener,noreferrer');
    setFlow({ kind: 'waiting', url: validationUrl, since: Date.now() });
    await onChange();
  };

  const run = async (what: () => Promise<void>, method: string) => {
    setBusy(true);
    // A new attempt: the last one's problems no longer apply.
    setFailure(null);
    setFieldIssues({});
    try {
      await what();
    } catch (error) {
      if (error instanceof AppError && error.code === 'ipc.invalid_input') {
        const secret = error.fields?.some((f) => f.path === 'applicationSecret') && !error.fields.some((f) => f.path === 'applicationKey');
        setFieldIssues(secret ? { secret: t('where.ovh.keysInvalidFormat') } : { key: t('where.ovh.keysInvalidFormat') });
      } else {
        if (error instanceof AppError && error.code === 'ovh.invalid_application_key') setFieldIssues({ key: t('where.ovh.keyUnknown') });
        setFailure(toEnvelope(error, method));
      }
    } finally {
      setBusy(false);
    }
  };

  const connect = () =>
    run(async () => {
      // Kept only once OVH knows the key (an unknown key or no network keeps nothing, the form stays).
      await api()['provider.saveCredentials']({ kind: 'ovh', endpoint, applicationKey: appKey.trim(), applicationSecret: appSecret.trim() });
      setFlow({ kind: 'saved' });
      await requestKey();
      setAppKey('');
      setAppSecret('');
    }, 'provider.saveCredentials');

  const forget = () =>
    run(async () => {
      await api()['provider.forget']({ provider: 'ovh' });
      setFlow({ kind: 'form' });
      await onChange();
    }, 'provider.forget');

  // While waiting: one look every 2 s until OVH says validated or refused.
  const waiting = flow.kind === 'waiting';
  useEffect(() => {
    if (!waiting) return;
    let stopped = false;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const poll = async () => {
      if (stopped) return;
      try {
        const r = await api()['provider.ovhStatus']({});
        if (stopped) return;
        if (r.state === 'validated') {
          setFlow({ kind: 'validated', account: r.account });
          await onChange();
          return;
        }
        if (r.state === 'refused' || r.state === 'expired') {
          setFlow({ kind: 'refused', state: r.state });
          await onChange();
          return;
        }
      } catch (error) {
        if (!stopped) {
          setFailure(toEnvelope(error, 'provider.ovhStatus'));
          // OVH's first signed answer says the secret is wrong: those keys are useless, type them again.
          if (error instanceof AppError && error.code === 'ovh.signature_invalid') {
            await api()['provider.forget']({ provider: 'ovh' }).catch(() => undefined);
            setFieldIssues({ secret: t('where.ovh.secretWrong') });
            setFlow({ kind: 'form' });
            await onChange();
          } else setFlow({ kind: 'saved' });
        }
        return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    let timer = setTimeout(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(tick);
    };
  }, [waiting, onChange, t]);

  return (
    <div className="card" data-testid="ovh-credentials">
      <h2>{t('where.ovh.title')}</h2>
      {flow.kind === 'form' && (
        <>
          <p className="muted">{t('where.ovh.intro')}</p>
          <div className="segmented" role="radiogroup" aria-label={t('where.ovh.endpoint')}>
            {ENDPOINTS.map((e) => (
              <label key={e} className={`segment${endpoint === e ? ' is-selected' : ''}`}>
                <input type="radio" name="ovh-endpoint" value={e} checked={endpoint === e} onChange={() => setEndpoint(e)} data-testid={`ovh-endpoint-${e}`} />
                {t(`where.ovh.endpoints.${e}`)}
              </label>
            ))}
          </div>
          <ol className="small steps-list">
            <li>
              {t('where.ovh.step1')}{' '}
              <button type="button" className="link" onClick={() => void openLink(CREATE_APP[endpoint])} data-testid="ovh-create-app">
                {t('where.ovh.openCreateApp')}
              </button>
            </li>
            <li>{t('where.ovh.step2')}</li>
            <li>{t('where.ovh.step3')}</li>
          </ol>
          <div className="fields">
            <TextField id="ovhAppKey" label={t('where.ovh.appKey')} value={appKey} onChange={(v) => { setAppKey(v); setFieldIssues((f) => ({ ...f, key: undefined })); }} issue={fieldIssues.key} mono maxLength={64} disabled={busy} />
            <TextField id="ovhAppSecret" type="password" label={t('where.ovh.appSecret')} value={appSecret} onChange={(v) => { setAppSecret(v); setFieldIssues((f) => ({ ...f, secret: undefined })); }} issue={fieldIssues.secret} mono maxLength={128} disabled={busy} />
          </div>
          <div className="actions">
            <button type="button" className="btn btn-primary" disabled={busy || !appKey.trim() || !appSecret.trim()} onClick={() => void connect()} data-testid="ovh-connect">
              {t('where.ovh.connect')}
            </button>
            <span className="muted small">{t('where.ovh.connectHelp')}</span>
          </div>
        </>
      )}
      {(flow.kind === 'saved' || flow.kind === 'refused') && (
        <>
          {flow.kind === 'refused' ? (
            <div className="notice notice-error" role="alert" data-testid="ovh-refused">
              <div>
                <strong>{t(flow.state === 'expired' ? 'where.ovh.expired' : 'where.ovh.refused')}</strong>
                <p>{t('where.ovh.refusedRemedy')}</p>
              </div>
            </div>
          ) : (
            <p className="muted" data-testid="ovh-keys-saved">{t('where.ovh.keysSaved', { endpoint: t(`where.ovh.endpoints.${status.ovh.endpoint ?? endpoint}`) })}</p>
          )}
          <div className="actions">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void run(requestKey, 'provider.ovhRequestConsumerKey')} data-testid="ovh-request">
              {t('where.ovh.validateAgain')}
            </button>
            <button type="button" className="btn" disabled={busy} onClick={() => void forget()} data-testid="provider-forget">
              {t('where.cloud.forget')}
            </button>
          </div>
        </>
      )}
      {flow.kind === 'waiting' && (
        <div data-testid="ovh-waiting">
          <Busy text={t('where.ovh.waiting', { seconds: Math.max(0, Math.round((now - flow.since) / 1000)) })} />
          <p className="muted small">{t('where.ovh.waitingHelp')}</p>
          <div className="actions">
            {flow.url && (
              <button type="button" className="btn" onClick={() => window.open(flow.url ?? '', '_blank', 'noopener,noreferrer')} data-testid="ovh-open-again">
                {t('where.ovh.openAgain')}
              </button>
            )}
            <button type="button" className="btn" disabled={busy} onClick={() => void run(requestKey, 'provider.ovhRequestConsumerKey')} data-testid="ovh-request">
              {t('where.ovh.startAgain')}
            </button>
          </div>
        </div>
      )}
      {flow.kind === 'validated' && (
        <>
          <p className="notice notice-ok" data-testid="ovh-validated">
            {flow.account ? t('where.ovh.validatedAs', { account: flow.account }) : t('where.ovh.validated')}{' '}
            {t(status.persistent ? 'where.cloud.keptKeychain' : 'where.cloud.keptSession')}
          </p>
          <div className="actions">
            <button type="button" className="btn" disabled={busy} onClick={() => void forget()} data-testid="provider-forget">
              {t('where.cloud.forget')}
            </button>
            <span className="muted small">{t('where.cloud.forgetHelp')}</span>
          </div>
        </>
      )}
      {busy && <Busy text={t('common.loading')} />}
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
    </div>
  );
}
