import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from '../components/CopyButton';
import { Busy } from '../components/Spinner';
import { formatDateTime } from '../format';
import { useHealth } from '../stores/health-store';
import { useProfile } from '../stores/profile-store';
import { useSettings } from '../stores/settings-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { useK3s } from './k3s-store';
import './k3s.css';

// "Health" for phases 3–4: what was deployed, the cluster's kubeconfig on this computer (for the user's own
// kubectl), and the way into the cluster dashboard (nodes, pods, the API through the ingress).

export function K3sResult() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const profile = useProfile((s) => s.profile);
  const goTo = useWizard((s) => s.goTo);
  const { outcome, active, statusLoaded, loadStatus } = useK3s();
  useEffect(() => {
    if (profile && !useK3s.getState().statusLoaded && !useK3s.getState().active) void loadStatus(profile.id);
  }, [profile, loadStatus]);
  const succeeded = outcome === 'succeeded' && !active;
  const profileId = profile?.id ?? null;
  useStepAction(
    'health',
    succeeded
      ? { label: t('k3s.result.openDashboard'), run: () => (profileId ? useHealth.getState().open(profileId) : undefined), blocked: profileId ? null : t('common.loading'), testId: 'result-open-dashboard' }
      : { label: t('result.toDeploy'), run: () => goTo('deploy'), blocked: null, testId: 'result-to-deploy' },
  );
  if (!profile) return null;
  if (!statusLoaded && !active && outcome === null) return <Busy text={t('common.loading')} />;
  const s = profile.settings;
  if (outcome !== 'succeeded' || active) {
    return (
      <section className="panel" data-testid="step-health" data-k3s="true">
        <h1>{t('result.notYetTitle')}</h1>
        <div className="notice notice-warn" data-testid="result-not-succeeded">
          <span>{active ? t('result.stillRunning') : t('result.notSucceeded')}</span>
        </div>
      </section>
    );
  }
  const kubeconfig = s['k3s.kubeconfig'] ?? null;
  const exportLine = kubeconfig ? `export KUBECONFIG=${/\s/.test(kubeconfig) ? `"${kubeconfig}"` : kubeconfig}` : null;
  return (
    <section className="panel" data-testid="step-health" data-k3s="true" data-outcome="succeeded">
      <div className="hero" data-testid="result-running">
        <span className="hero-icon" aria-hidden>
          ✓
        </span>
        <div>
          <h1>{t('k3s.result.title')}</h1>
          <p className="lead">{t('k3s.result.intro', { environment: s['k3s.deployedEnvironment'] ?? '' })}</p>
        </div>
      </div>
      <div className="card">
        <dl className="facts">
          <div>
            <dt>{t('k3s.plan.environment')}</dt>
            <dd className="mono">{s['k3s.deployedEnvironment'] ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('result.version')}</dt>
            <dd className="mono" data-testid="result-repo">
              {profile.repo ? `${profile.repo.url} @ ${s['k3s.deployedRef'] ?? profile.repo.ref}` : '—'}
            </dd>
          </div>
          {s['k3s.deployedAt'] && (
            <div>
              <dt>{t('k3s.result.deployedAt')}</dt>
              <dd>{formatDateTime(lang, s['k3s.deployedAt'])}</dd>
            </div>
          )}
        </dl>
        {exportLine && (
          <div className="tunnel">
            <p className="small">{t('k3s.result.kubeconfig')}</p>
            <div className="keybox">
              <code className="mono" data-testid="k3s-result-kubeconfig">
                {exportLine}
              </code>
              <CopyButton text={exportLine} testId="k3s-result-kubeconfig-copy" />
            </div>
          </div>
        )}
      </div>
      <div className="actions">
        <button type="button" className="btn" onClick={() => void goTo('plan')} data-testid="result-rerun">
          {t('result.rerun')}
        </button>
      </div>
    </section>
  );
}
