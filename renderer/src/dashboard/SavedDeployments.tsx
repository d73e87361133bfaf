import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../electron/shared/contract';
import { api } from '../app-api';
import { formatDateTime } from '../format';
import { ExportProfile, ImportProfile } from '../lifecycle/TransferDialogs';
import { useHealth } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';

type Summary = MethodOutput<'profiles.list'>['profiles'][number];

// Recognising a deployment from its server loads on demand (the start screen stays small).
const RecognizeServer = lazy(() => import('../upgrade/RecognizeServer').then((m) => ({ default: m.RecognizeServer })));

/**
 * On the start screen: the deployments saved on this computer (those with a server: a wizard still at
 * its first steps is not one), each with the way into its live dashboard and its export; and the import
 * of a deployment made on another computer.
 */
export function SavedDeployments() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const [profiles, setProfiles] = useState<Summary[]>([]);
  const [exporting, setExporting] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((r) => r + 1), []);

  useEffect(() => {
    let cancelled = false;
    const list = api()['profiles.list'];
    list({})
      .then((r) => !cancelled && setProfiles(r.profiles.filter((p) => p.host !== null)))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [round]);

  const recognize = (
    <Suspense fallback={null}>
      <RecognizeServer onSaved={() => reload()} />
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
                  <strong>{p.name}</strong> <span className="muted small">· {p.host} · {t('health.saved.phase', { phase: p.phase })} · {formatDateTime(lang, p.updatedAt)}</span>
                </span>
                <span className="saved-actions">
                  <button type="button" className="btn btn-small" onClick={() => setExporting(exporting === p.id ? null : p.id)} data-testid={`export-${p.id}`}>
                    {t('transfer.export')}
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => void useHealth.getState().open(p.id)} data-testid={`open-dashboard-${p.id}`}>
                    {t('health.saved.open')}
                  </button>
                </span>
              </li>
            ))}
          </ul>
          {exporting && <ExportProfile key={exporting} id={exporting} onClose={() => setExporting(null)} />}
        </div>
      )}
      {importing ? (
        <ImportProfile onClose={() => setImporting(false)} onImported={reload} />
      ) : (
        <p className="small muted import-line">
          {t('transfer.importLine')}{' '}
          <button type="button" className="link" onClick={() => setImporting(true)} data-testid="import-open">
            {t('transfer.importOpen')}
          </button>
        </p>
      )}
      <div className="saved-recognize">{recognize}</div>
    </>
  );
}
