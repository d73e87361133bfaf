import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpdateState } from '../../../electron/shared/contract-lifecycle';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { toEnvelope } from '../stores/profile-store';
import type { ErrorEnvelope } from '../../../electron/shared/errors';

/** "A new version is available": its notes, and the button that downloads and installs it (after a running deployment). */
export function UpdateBanner() {
  const { t } = useTranslation();
  const [state, setState] = useState<UpdateState | null>(null);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [dismissed, setDismissed] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const off = api().on('update.state', (s) => live && setState(s));
    const status = api()['update.status'];
    const check = api()['update.check'];
    void status({}).then(async (s) => {
      if (!live) return;
      setState(s);
      // Once at start-up: GitHub Releases is asked whether a newer version exists.
      if (s.status === 'idle') setState(await check({}));
    });
    return () => {
      live = false;
      off();
    };
  }, []);

  if (!state || !state.available || !['available', 'downloading', 'ready', 'error'].includes(state.status) || dismissed === state.available.version) return null;
  const install = async () => {
    setFailure(null);
    try {
      await api()['update.install']({});
    } catch (error) {
      setFailure(toEnvelope(error, 'update.install'));
    }
  };
  return (
    <div className="notice notice-info update-banner" role="status" data-testid="update-banner" data-status={state.status}>
      <div>
        <strong>{t('update.available', { version: state.available.version, current: state.current })}</strong>
        {state.available.notes && (
          <details className="update-notes" data-testid="update-notes">
            <summary>{t('update.notes')}</summary>
            <pre>{state.available.notes}</pre>
          </details>
        )}
        {state.status === 'downloading' && <p data-testid="update-progress">{t('update.downloading', { percent: state.percent ?? 0 })}</p>}
        {state.status === 'ready' && state.waitingForDeployment && <p data-testid="update-waiting">{t('update.waiting')}</p>}
        {failure && <ErrorNotice error={failure} />}
        {state.error && !failure && <ErrorNotice error={state.error as ErrorEnvelope} />}
      </div>
      <div className="update-actions">
        {!(state.status === 'ready' && state.waitingForDeployment) && (
          <button type="button" className="btn" disabled={state.status === 'downloading'} onClick={() => void install()} data-testid="update-install">
            {state.status === 'ready' ? t('update.restart') : t('update.install')}
          </button>
        )}
        <button type="button" className="link" onClick={() => setDismissed(state.available?.version ?? null)} data-testid="update-later">
          {t('update.later')}
        </button>
      </div>
    </div>
  );
}
