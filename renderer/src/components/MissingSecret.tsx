import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MissingSecretKind } from '../../../electron/shared/secret-kinds';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { useSessionOnlySecrets } from '../stores/app-info-store';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useWizard } from '../stores/wizard-store';
import { ErrorNotice } from './ErrorNotice';
import { Busy } from './Spinner';

// "One cause, one remedy, one button": a secret this app no longer holds (kept for the last session
// only) is named as the cause, with the button that asks for it — a file picker, or a paste — and,
// once given, the caller resumes what it was doing (the deployment, the dashboard, the plan).

/** Which secrets of this profile are gone, asked again when `refresh` is called or `asAgainWhen` changes. */
export function useMissingSecrets(profileId: string | null, asAgainWhen = ''): { missing: MissingSecretKind[] | null; refresh: () => Promise<MissingSecretKind[]> } {
  const [missing, setMissing] = useState<MissingSecretKind[] | null>(null);
  const refresh = useCallback(async () => {
    if (!profileId) return [];
    const r = await api()['deploy.secrets']({ profileId }).catch(() => ({ missing: [] as MissingSecretKind[] }));
    setMissing(r.missing);
    return r.missing;
  }, [profileId]);
  useEffect(() => {
    if (!profileId) return;
    let live = true;
    const ask = api()['deploy.secrets'];
    ask({ profileId }).then(
      (r) => live && setMissing(r.missing),
      () => live && setMissing([]),
    );
    return () => {
      live = false;
    };
    // `asAgainWhen`: asked again when it changes (a run started or ended: a secret may have been given since).
  }, [profileId, asAgainWhen]);
  return { missing, refresh };
}

/** Reads a file the user picked (a key, a `.env`) as text, in this page only. */
function readPicked(input: HTMLInputElement): Promise<string | null> {
  const file = input.files?.[0];
  input.value = '';
  if (!file) return Promise.resolve(null);
  // Keys and .env files are small; anything big is not one.
  if (file.size > 20_000) return Promise.resolve('');
  return file.text();
}

export function MissingSecret({ profileId, secret, onProvided, resumeLabel }: { profileId: string; secret: MissingSecretKind; onProvided: () => void | Promise<void>; resumeLabel?: string }) {
  const { t } = useTranslation();
  const sessionOnly = useSessionOnlySecrets();
  const goTo = useWizard((s) => s.goTo);
  const setPublicKey = useProfile((s) => s.setPublicKey);
  const setEnv = useProfile((s) => s.setEnv);
  const file = useRef<HTMLInputElement>(null);
  const [pasting, setPasting] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [notOnServer, setNotOnServer] = useState(false);

  const give = async (value: string | null) => {
    if (value === null) return;
    setBusy(true);
    setFailure(null);
    try {
      if (secret === 'sshKey') {
        const { publicKey } = await api()['server.provideKey']({ profileId, privateKey: value });
        setPublicKey(publicKey);
      } else {
        await api()['deploy.setEnv']({ profileId, content: value });
        setEnv(await api()['deploy.hasEnv']({ profileId }));
      }
      setText('');
      setPasting(false);
      await onProvided();
    } catch (error) {
      setFailure(toEnvelope(error, secret === 'sshKey' ? 'server.provideKey' : 'deploy.setEnv'));
    } finally {
      setBusy(false);
    }
  };

  const fromServer = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const r = await api()['deploy.envFromServer']({ profileId });
      if (!r.found) {
        setNotOnServer(true);
        setPasting(true);
        return;
      }
      setEnv(await api()['deploy.hasEnv']({ profileId }));
      await onProvided();
    } catch (error) {
      setFailure(toEnvelope(error, 'deploy.envFromServer'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="notice notice-warn missing-secret" role="alert" data-testid="missing-secret" data-secret={secret}>
      <div className="missing-body">
        <strong>{t(`secrets.missing.${secret}.title`)}</strong>
        <p>{t(sessionOnly ? 'secrets.missing.whySession' : 'secrets.missing.whyGone', { what: t(`secrets.kinds.${secret}`) })}</p>
        <p className="small">{t(`secrets.missing.${secret}.how`)}</p>
        {secret === 'repoKey' ? (
          <div className="actions">
            <button type="button" className="btn btn-primary" onClick={() => void goTo('code')} data-testid="missing-secret-action">
              {t('secrets.missing.repoKey.button')}
            </button>
          </div>
        ) : (
          <>
            <div className="actions">
              {secret === 'env' && (
                <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void fromServer()} data-testid="missing-secret-action">
                  {resumeLabel ? t('secrets.missing.env.fromServerResume') : t('secrets.missing.env.fromServer')}
                </button>
              )}
              <button
                type="button"
                className={secret === 'sshKey' ? 'btn btn-primary' : 'btn'}
                disabled={busy}
                onClick={() => file.current?.click()}
                data-testid={secret === 'sshKey' ? 'missing-secret-action' : 'missing-secret-file'}
              >
                {secret === 'sshKey' ? (resumeLabel ?? t('secrets.missing.sshKey.button')) : t('secrets.missing.env.file')}
              </button>
              <input ref={file} type="file" hidden onChange={(e) => void readPicked(e.currentTarget).then(give)} data-testid="missing-secret-input" />
              <button type="button" className="link" onClick={() => setPasting((p) => !p)} data-testid="missing-secret-paste">
                {t('secrets.missing.paste')}
              </button>
            </div>
            {notOnServer && <p className="small" data-testid="missing-env-not-on-server">{t('secrets.missing.env.notOnServer')}</p>}
            {pasting && (
              <form
                className="paste"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (text.trim()) void give(text);
                }}
              >
                <textarea className="mono" rows={secret === 'sshKey' ? 6 : 8} spellCheck={false} autoComplete="off" value={text} onChange={(e) => setText(e.target.value)} aria-label={t(`secrets.kinds.${secret}`)} maxLength={20_000} data-testid="missing-secret-text" />
                <button type="submit" className="btn" disabled={busy || !text.trim()} data-testid="missing-secret-submit">
                  {t('secrets.missing.use')}
                </button>
              </form>
            )}
          </>
        )}
        {busy && <Busy text={t('common.loading')} />}
        {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      </div>
    </div>
  );
}
