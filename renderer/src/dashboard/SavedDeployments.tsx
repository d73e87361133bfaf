import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../electron/shared/contract';
import { api } from '../app-api';
import { formatDateTime } from '../format';
import { useHealth } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';

type Summary = MethodOutput<'profiles.list'>['profiles'][number];

/** On the start screen: the deployments saved on this computer, each with the way into its live dashboard. */
export function SavedDeployments() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const [profiles, setProfiles] = useState<Summary[]>([]);

  useEffect(() => {
    let cancelled = false;
    const list = api()['profiles.list'];
    list({})
      // A profile without a server is a wizard in progress, not a deployment to watch.
      .then((r) => !cancelled && setProfiles(r.profiles.filter((p) => p.host !== null)))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, []);

  if (profiles.length === 0) return null;
  return (
    <div className="card saved" data-testid="saved-deployments">
      <h2>{t('health.saved.title')}</h2>
      <ul>
        {profiles.map((p) => (
          <li key={p.id} data-testid={`saved-${p.id}`}>
            <span>
              <strong>{p.name}</strong> <span className="muted small">· {p.host} · {t('health.saved.phase', { phase: p.phase })} · {formatDateTime(lang, p.updatedAt)}</span>
            </span>
            <button type="button" className="btn btn-small" onClick={() => void useHealth.getState().open(p.id)} data-testid={`open-dashboard-${p.id}`}>
              {t('health.saved.open')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
