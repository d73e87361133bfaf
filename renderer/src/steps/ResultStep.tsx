import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from '../components/CopyButton';
import { Busy } from '../components/Spinner';
import { CODE_DEFAULTS, LAYOUT_DEFAULTS } from '../defaults';
import { useDeploy } from '../stores/deploy-store';
import { useHealth } from '../stores/health-store';
import { useProfile } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { AppNotices } from './result/AppNotices';
import { getPhase } from '../../../electron/shared/phases';
import { K3sResult } from '../k3s/K3sResult';

// "Health": what was deployed where, what the user does next, and the way into the live dashboard.

export function ResultStep() {
  const phase = useWizard((s) => s.state.phase);
  return phase !== null && getPhase(phase).runtime === 'k3s' ? <K3sResult /> : <ComposeResultStep />;
}

function ComposeResultStep() {
  const { t } = useTranslation();
  const profileId = useWizard((s) => s.state.profileId);
  const goTo = useWizard((s) => s.goTo);
  const profile = useProfile((s) => s.profile);
  const outcome = useDeploy((s) => s.outcome);
  const active = useDeploy((s) => s.active);
  const statusLoaded = useDeploy((s) => s.statusLoaded);
  const loadStatus = useDeploy((s) => s.loadStatus);
  const order = useDeploy((s) => s.order);
  const publicHealth = useDeploy((s) => s.publicHealth);

  useEffect(() => {
    if (profileId && !useDeploy.getState().statusLoaded && !useDeploy.getState().active) void loadStatus(profileId);
  }, [profileId, loadStatus]);

  const server = profile?.server ?? null;
  const healthUrl = profile?.settings.healthUrl ?? CODE_DEFAULTS.healthUrl;
  const cronDir = profile?.settings['layout.cronDir'] ?? LAYOUT_DEFAULTS.cronDir;
  const backupDir = profile?.settings['layout.backupDir'] ?? LAYOUT_DEFAULTS.backupDir;
  const succeeded = outcome === 'succeeded' && !active;
  const tunnel = tunnelCommand(healthUrl, server);
  useStepAction(
    'health',
    succeeded
      ? { label: t('result.next.openDashboard'), run: () => (profileId ? useHealth.getState().open(profileId) : undefined), blocked: profileId ? null : t('common.loading'), testId: 'result-open-dashboard' }
      : { label: t('result.toDeploy'), run: () => goTo('deploy'), blocked: null, testId: 'result-to-deploy' },
  );

  if (!statusLoaded && !active && outcome === null) {
    return (
      <section className="panel" data-testid="step-health">
        <Busy text={t('common.loading')} />
      </section>
    );
  }

  if (!succeeded) {
    return (
      <section className="panel" data-testid="step-health" data-outcome={active ? 'running' : (outcome ?? 'none')}>
        <h1>{t('result.notYetTitle')}</h1>
        <div className="notice notice-warn" data-testid="result-not-succeeded">
          <span>{active ? t('result.stillRunning') : t('result.notSucceeded')}</span>
        </div>
      </section>
    );
  }

  return (
    <section className="panel" data-testid="step-health" data-outcome="succeeded">
      <div className="hero" data-testid="result-running">
        <span className="hero-icon" aria-hidden>
          ✓
        </span>
        <div>
          <h1>{t('result.title')}</h1>
          <p className="lead">{t('result.intro')}</p>
        </div>
      </div>

      <div className="card">
        <dl className="facts">
          <div>
            <dt>{t('result.server')}</dt>
            <dd className="mono" data-testid="result-server">
              {server ? `${server.user}@${server.host}${server.port !== 22 ? `:${server.port}` : ''}` : '—'}
            </dd>
          </div>
          <div>
            <dt>{t('result.health')}</dt>
            <dd className="mono" data-testid="result-health-url">
              {healthUrl}
            </dd>
          </div>
          {publicHealth && (
            <div>
              <dt>{t('result.public.title')}</dt>
              <dd data-testid="result-public-health" data-status={publicHealth.status}>
                {t(`result.public.${publicHealth.status}`, {
                  url: publicHealth.url,
                  ms: publicHealth.latencyMs ?? 0,
                  status: publicHealth.httpStatus ?? 0,
                  addresses: publicHealth.addresses.join(', ') || '—',
                })}
              </dd>
            </div>
          )}
          {profile?.repo && (
            <div>
              <dt>{t('result.version')}</dt>
              <dd className="mono" data-testid="result-repo">
                {profile.repo.url} @ {profile.repo.ref}
              </dd>
            </div>
          )}
        </dl>
        {tunnel && (
          <div className="tunnel">
            <p className="small">{t('result.tunnel')}</p>
            <div className="keybox">
              <code className="mono" data-testid="result-tunnel">
                {tunnel}
              </code>
              <CopyButton text={tunnel} testId="result-tunnel-copy" />
            </div>
          </div>
        )}
      </div>

      <AppNotices />

      <div className="card">
        <h2>{t('result.next.title')}</h2>
        <ol className="next-steps" data-testid="result-next">
          <li>
            <strong>{t('result.next.dnsTitle')}</strong>
            <p>{t('result.next.dns', { host: server?.host ?? '—' })}</p>
          </li>
          <li>
            <strong>{t('result.next.monitoringTitle')}</strong>
            <p data-testid="result-monitoring">
              {order.includes('monitoring-cron') ? t('result.next.monitoringOn', { cronDir }) : t('result.next.monitoringOff')}{' '}
              {order.includes('backup-cron') ? t('result.next.backupOn', { backupDir }) : t('result.next.backupOff')}
            </p>
          </li>
          <li>
            <strong>{t('result.next.dashboardTitle')}</strong>
            <p>{t('result.next.dashboard')}</p>
          </li>
        </ol>
      </div>

      <div className="actions">
        <button type="button" className="btn" onClick={() => void goTo('plan')} data-testid="result-rerun">
          {t('result.rerun')}
        </button>
      </div>
    </section>
  );
}

/** `ssh -L` command that makes a health URL on the server's loopback reachable from this computer. */
function tunnelCommand(healthUrl: string, server: { host: string; port: number; user: string } | null): string | null {
  if (!server) return null;
  let url: URL;
  try {
    url = new URL(healthUrl);
  } catch {
    return null;
  }
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') return null;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const portFlag = server.port !== 22 ? ` -p ${server.port}` : '';
  return `ssh -N -L ${port}:127.0.0.1:${port}${portFlag} ${server.user}@${server.host}`;
}
