import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { CopyButton } from '../components/CopyButton';
import { ErrorNotice } from '../components/ErrorNotice';
import { toEnvelope } from '../stores/profile-store';

/** An SSH repository URL (`ssh://…` or `user@host:path`) means a private repository with a deploy key. */
export function isSshRepoUrl(url: string): boolean {
  return /^ssh:\/\//.test(url.trim()) || /^[\w.-]+@[\w.-]+:/.test(url.trim());
}

/**
 * A private repository: a read-only deploy key made by the app (the private half stays in the
 * keychain and goes only to the server) and the Git host's SSH keys, so the server verifies it.
 * A later version creates the key through GitHub's API; for now the user adds the public key.
 */
export function PrivateRepoCard(props: { profileId: string; url: string; installedFor: string | null; knownHosts: string; onKnownHosts: (v: string) => void; knownHostsIssue: string | null }) {
  const { t } = useTranslation();
  const [publicKey, setPublicKey] = useState<string | null>(null);
  const [signedIn, setSignedIn] = useState(false);
  // The key the app added to this repository earlier (kept in the profile), or just now.
  const [installed, setInstalled] = useState(props.installedFor !== null && props.installedFor === props.url.trim());
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);

  useEffect(() => {
    const repoKey = api()['deploy.repoKey'];
    repoKey({ profileId: props.profileId, action: 'get' })
      .then((r) => setPublicKey(r.publicKey))
      .catch((e: unknown) => setFailure(toEnvelope(e, 'deploy.repoKey')));
    const status = api()['github.status'];
    status({})
      .then((r) => setSignedIn(r.signedIn))
      .catch(() => setSignedIn(false));
  }, [props.profileId]);

  // Signed in to GitHub: the app adds the key to the repository itself and pins GitHub's SSH host keys.
  const { onKnownHosts } = props;
  const install = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const r = await api()['github.installDeployKey']({ profileId: props.profileId, url: props.url.trim() });
      setPublicKey(r.publicKey);
      onKnownHosts(r.knownHosts);
      setInstalled(true);
    } catch (e) {
      setFailure(toEnvelope(e, 'github.installDeployKey'));
    } finally {
      setBusy(false);
    }
  };

  const act = async (action: 'generate' | 'forget') => {
    setBusy(true);
    setFailure(null);
    try {
      setPublicKey((await api()['deploy.repoKey']({ profileId: props.profileId, action })).publicKey);
    } catch (e) {
      setFailure(toEnvelope(e, 'deploy.repoKey'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card" data-testid="private-repo">
      <h2>{t('code.private.title')}</h2>
      <p className="muted small">{t('code.private.intro')}</p>
      {publicKey ? (
        <>
          <div className="keybox">
            <textarea readOnly className="mono" rows={2} value={publicKey} aria-label={t('code.private.publicKey')} data-testid="repo-public-key" />
            <CopyButton text={publicKey} testId="repo-public-key-copy" />
          </div>
          {installed ? (
            <p className="notice notice-ok small" data-testid="repo-key-installed">
              {t('code.private.installed')}
            </p>
          ) : (
            <p className="small">{t('code.private.addIt')}</p>
          )}
          <div className="actions">
            {signedIn && !installed && (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void install()} data-testid="repo-key-install">
                {t('code.private.install')}
              </button>
            )}
            <button type="button" className="link" disabled={busy} onClick={() => void act('forget')} data-testid="repo-key-forget">
              {t('code.private.forget')}
            </button>
          </div>
        </>
      ) : (
        <div className="actions">
          {signedIn && (
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void install()} data-testid="repo-key-install">
              {t('code.private.install')}
            </button>
          )}
          <button type="button" className="btn" disabled={busy} onClick={() => void act('generate')} data-testid="repo-key-generate">
            {t('code.private.generate')}
          </button>
        </div>
      )}
      <label className="field" htmlFor="knownHosts">
        <span className="field-label">{t('code.private.knownHosts')}</span>
        <textarea
          id="knownHosts"
          className="mono"
          rows={3}
          maxLength={10_000}
          value={props.knownHosts}
          onChange={(e) => props.onKnownHosts(e.target.value)}
          aria-invalid={props.knownHostsIssue ? true : undefined}
          data-testid="knownHosts-input"
        />
        {props.knownHostsIssue ? (
          <span className="field-error" role="alert" data-testid="knownHosts-error">
            {props.knownHostsIssue}
          </span>
        ) : (
          <span className="field-help">{t('code.private.knownHostsHelp')}</span>
        )}
      </label>
      {failure && <ErrorNotice error={failure} />}
    </div>
  );
}
