import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Recognized } from '../../../electron/shared/contract-upgrade';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { TextField } from '../components/TextField';
import { useLocalizeError } from '../error-text';
import { toEnvelope } from '../stores/profile-store';
import { useHealth } from '../stores/health-store';

// "I have a server this app deployed, from another computer": its address, user and SSH key; the host
// key's fingerprint shown to be compared and accepted (trust on first use); then the app reads its own
// journal and description there and makes the deployment here (secrets stay on the server: the
// configuration step reads its .env when needed).

export function RecognizeServer({ onSaved }: { onSaved: () => void }) {
  const { t } = useTranslation();
  const localize = useLocalizeError();
  const [open, setOpen] = useState(false);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('22');
  const [user, setUser] = useState('root');
  const [keyPath, setKeyPath] = useState('');
  const [stateDir, setStateDir] = useState('');
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorEnvelope | null>(null);
  const [found, setFound] = useState<Recognized | null>(null);

  if (!open) {
    return (
      <button type="button" className="link" onClick={() => setOpen(true)} data-testid="recognize-open">
        {t('upgrade.recognize.open')}
      </button>
    );
  }
  const target = { host: host.trim(), port: Number(port), user: user.trim() };
  const probe = async () => {
    setBusy(true);
    setError(null);
    try {
      setFingerprint((await api()['server.probe'](target)).fingerprint);
    } catch (e) {
      setError(toEnvelope(e, 'server.probe'));
    } finally {
      setBusy(false);
    }
  };
  const recognize = async () => {
    if (!fingerprint) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api()['upgrade.recognize']({ ...target, hostKeySha256: fingerprint, keyPath: keyPath.trim(), ...(stateDir.trim() ? { stateDir: stateDir.trim() } : {}), save: true });
      setFound(r);
      onSaved();
    } catch (e) {
      setError(toEnvelope(e, 'upgrade.recognize'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card" data-testid="recognize">
      <h3>{t('upgrade.recognize.title')}</h3>
      <p className="small muted">{t('upgrade.recognize.intro')}</p>
      <div className="actions">
        <TextField id="recognize-host" label={t('upgrade.recognize.host')} value={host} onChange={(v) => (setHost(v), setFingerprint(null))} mono />
        <TextField id="recognize-port" label={t('upgrade.recognize.port')} value={port} onChange={(v) => (setPort(v), setFingerprint(null))} inputMode="numeric" />
        <TextField id="recognize-user" label={t('upgrade.recognize.user')} value={user} onChange={(v) => (setUser(v), setFingerprint(null))} mono />
        <TextField id="recognize-key" label={t('upgrade.recognize.key')} value={keyPath} onChange={setKeyPath} mono wide help={t('upgrade.recognize.keyHelp')} />
      </div>
      <details>
        <summary className="small">{t('upgrade.recognize.advanced')}</summary>
        <TextField id="recognize-state" label={t('upgrade.recognize.stateDir')} value={stateDir} onChange={setStateDir} mono wide placeholder="/var/lib/koprogo-deploy" help={t('upgrade.recognize.stateDirHelp')} />
      </details>
      {!fingerprint ? (
        <button type="button" className="btn" disabled={busy || !target.host || !target.user} onClick={() => void probe()} data-testid="recognize-probe">
          {t('upgrade.recognize.probe')}
        </button>
      ) : (
        <div className="notice notice-info" data-testid="recognize-fingerprint">
          <span>
            {t('upgrade.recognize.fingerprint')} <code>{fingerprint}</code>
          </span>
          <button type="button" className="btn btn-primary" disabled={busy || !keyPath.trim()} onClick={() => void recognize()} data-testid="recognize-accept">
            {t('upgrade.recognize.accept')}
          </button>
        </div>
      )}
      {error && <ErrorNotice error={localize(error)} />}
      {found && (
        <p className="notice notice-ok" role="status" data-testid="recognize-found">
          <span>{t('upgrade.recognize.found', { profile: found.profileId, phase: found.phase, project: found.composeProject ?? '—' })}</span>
          <button type="button" className="btn btn-small" onClick={() => void useHealth.getState().open(found.profileId)} data-testid="recognize-dashboard">
            {t('health.saved.open')}
          </button>
        </p>
      )}
    </div>
  );
}
