import { useTranslation } from 'react-i18next';
import { localParams } from '../format';
import { useHealth } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';

/**
 * An upgrade signal that started on a deployment whose dashboard is not open, on every screen: the in-app twin
 * of the desktop notification (the only one in web mode).
 */
export function SignalAlerts() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const alerts = useHealth((s) => s.alerts);
  const dashboardOpen = useHealth((s) => s.profileId !== null);
  if (dashboardOpen || alerts.length === 0) return null;
  return (
    <div className="notice notice-warn" role="alert" data-testid="signal-alerts">
      <span>
        {alerts.map((a) => (
          <span key={a.profileId} className="alert-line">
            {t('health.alert', { profile: a.profileName, text: a.started.map((s) => t(s.message.code, localParams(lang, s.message.params))).join(' ') })}{' '}
            <button type="button" className="link" onClick={() => void useHealth.getState().open(a.profileId)} data-testid={`signal-alert-open-${a.profileId}`}>
              {t('health.saved.open')}
            </button>
          </span>
        ))}
      </span>
      <button type="button" className="link" onClick={() => useHealth.getState().dismissAlerts()}>
        {t('common.dismiss')}
      </button>
    </div>
  );
}
