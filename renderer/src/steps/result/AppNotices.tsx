import { useTranslation } from 'react-i18next';
import { useDeploy } from '../../stores/deploy-store';
import { useProfile } from '../../stores/profile-store';

// After a deployment (issue 11): accounts the repository seeds with a known password, to change now, and what each
// monitoring script said when the deployment ran it once (a warning is a report; a broken script says why).

interface Credential {
  file: string;
  user: string;
  password: string;
}

function credentialsOf(text: string | undefined): Credential[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((c): c is Credential => typeof c?.user === 'string' && typeof c?.password === 'string' && typeof c?.file === 'string') : [];
  } catch {
    return [];
  }
}

export function AppNotices() {
  const { t } = useTranslation();
  const credentials = credentialsOf(useProfile((s) => s.profile?.settings['app.defaultCredentials']));
  const monitoring = useDeploy((s) => s.monitoring);
  return (
    <>
      {credentials.length > 0 && (
        <div className="notice notice-warn" data-testid="result-default-credentials">
          <div>
            <strong>{t('result.credentials.title')}</strong>
            <ul className="small">
              {credentials.map((c) => (
                <li key={`${c.user}-${c.file}`}>{t('result.credentials.account', { user: c.user, password: c.password, file: c.file })}</li>
              ))}
            </ul>
            <p className="small">{t('result.credentials.change')}</p>
          </div>
        </div>
      )}
      {monitoring && monitoring.length > 0 && (
        <div className="card" data-testid="result-monitoring-runs">
          <h2>{t('result.monitoringRun.title')}</h2>
          <ul className="recipe-missing">
            {monitoring.map((m) => (
              <li key={m.name} className={m.status === 'ok' ? 'sev-info' : m.status === 'warning' || m.status === 'critical' ? 'sev-warning' : 'sev-blocking'} data-testid={`result-monitor-${m.name}`} data-status={m.status}>
                <span className="sev-label">{t(`result.monitoringRun.status.${m.status}`)}</span> {t(`result.monitoringRun.name.${m.name}`, { defaultValue: m.name })}
                {m.detail && <span className="muted small"> — {m.detail}</span>}
                {(m.status === 'broken' || m.status === 'failed' || m.status === 'timeout') && <span className="small"> {t('result.monitoringRun.fix')}</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
