import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../electron/shared/contract';
import { api } from '../app-api';
import { formatDateTime } from '../format';
import { useHealth } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';

type Summary = MethodOutput<'profiles.list'>['profiles'][number];

// Recognising a deployment from its server loads on demand (the start screen stays small).
const RecognizeServer = lazy(() => import('../upgrade/RecognizeServer').then((m) => ({ default: m.RecognizeServer })));

/** On the start screen: the deployments saved on this computer, each with the way into its live dashboard. */
export function SavedDeployments() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const [profiles, setProfiles] = useState<Summary[]>([]);
  const [round, setRound] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const list = api()['profiles.list'];
    list({})
      .then((r) => !cancelled && setProfiles(r.profiles))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [round]);

  const recognize = (
    <Suspense fallback={null}>
      <RecognizeServer onSaved={() => setRound((n) => n + 1)} />
    </Suspense>
  );
  // The recognition form keeps its place (and its state) whether the list is empty or not.
  return (
    <>
      {profiles.length > 0 && (
        <div className="card saved" data-testid="saved-deployments">
          <h2>{t('health.saved.title')}</h2>
          <ul>
            {profiles.map((p) => (
              <li key={p.id} data-testid={`saved-${p.id}`}>
                <span>
                  <strong>{p.name}</strong> <span className="muted small">· {t('health.saved.phase', { phase: p.phase })} · {formatDateTime(lang, p.updatedAt)}</span>
                </span>
                <button type="button" className="btn btn-small" onClick={() => void useHealth.getState().open(p.id)} data-testid={`open-dashboard-${p.id}`}>
                  {t('health.saved.open')}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="saved-recognize">{recognize}</div>
    </>
  );
}
