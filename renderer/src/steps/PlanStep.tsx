import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import type { PlanEntry } from '../../../electron/shared/deploy';
import { formatEuros } from '../../../electron/shared/i18n/format';
import { getPhase } from '../../../electron/shared/phases';
import { FixableError } from '../components/FixableError';
import { Busy } from '../components/Spinner';
import { stepTitle } from '../error-text';
import { useDeploy } from '../stores/deploy-store';
import { useProfile } from '../stores/profile-store';
import { useSettings } from '../stores/settings-store';
import { useWizard } from '../stores/wizard-store';
import { K3sPlan } from '../k3s/K3sPlan';

// "Plan": every command and file the deployment will use, in order, secrets masked, with the
// monthly cost. Nothing happens on the server before the user clicks Deploy.

export function PlanStep() {
  const phaseId = useWizard((s) => s.state.phase);
  // Phases 3–4: the K3s plan (k3s/K3sPlan.tsx).
  return phaseId !== null && getPhase(phaseId).runtime === 'k3s' ? <K3sPlan /> : <ComposePlanStep />;
}

function ComposePlanStep() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const profileId = useWizard((s) => s.state.profileId);
  const phaseId = useWizard((s) => s.state.phase);
  const goTo = useWizard((s) => s.goTo);
  const { plan, planLoading, planError, loadPlan, start, busy, actionError, active } = useDeploy(
    useShallow((s) => ({ plan: s.plan, planLoading: s.planLoading, planError: s.planError, loadPlan: s.loadPlan, start: s.start, busy: s.busy, actionError: s.actionError, active: s.active })),
  );
  const profilePhase = useProfile((s) => s.profile?.phase);

  const phase = phaseId === null ? null : getPhase(phaseId);
  const supported = phase?.runtime === 'compose';

  useEffect(() => {
    // Reload whenever the phase changes: the profile follows it, and so does the plan.
    if (profileId && supported) void loadPlan(profileId);
  }, [profileId, supported, profilePhase, loadPlan]);

  const deploy = async () => {
    if (!profileId) return;
    if (await start(profileId)) await goTo('deploy');
  };

  const cost = phase
    ? phase.costMonthly.max !== null && phase.costMonthly.max !== phase.costMonthly.min
      ? t('phase.values.costRange', { min: formatEuros(lang, phase.costMonthly.min), max: formatEuros(lang, phase.costMonthly.max) })
      : t('phase.values.cost', { amount: formatEuros(lang, phase.costMonthly.min) })
    : '';

  return (
    <section className="panel" data-testid="step-plan">
      <h1>{t('plan.title')}</h1>
      <p className="lead">{t('plan.intro')}</p>

      <div className="card plan-summary">
        <dl className="economics">
          <div>
            <dt>{t('plan.phase')}</dt>
            <dd>{phaseId !== null ? t(`phase.names.${phaseId}`) : '—'}</dd>
          </div>
          <div>
            <dt>{t('plan.cost')}</dt>
            <dd data-testid="plan-cost">{t('economics.perMonth', { amount: cost })}</dd>
          </div>
          {plan && (
            <div>
              <dt>{t('plan.stepCount')}</dt>
              <dd data-testid="plan-count">{plan.length}</dd>
            </div>
          )}
        </dl>
        <p className="plan-promise" data-testid="plan-promise">
          {t('plan.nothingChanges')}
        </p>
      </div>

      {!supported && phaseId !== null && (
        <div className="notice notice-info" data-testid="plan-k3s-later">
          <span>{t('plan.k3sLater', { phase: t(`phase.names.${phaseId}`) })}</span>
          <button type="button" className="link" onClick={() => void goTo('phase')} data-testid="plan-change-phase">
            {t('plan.changePhase')}
          </button>
        </div>
      )}

      {supported && planLoading && !plan && <Busy text={t('plan.loading')} testId="plan-loading" />}
      {supported && planError && <FixableError error={planError} testId="plan-error" />}

      {supported && plan && (
        <ol className="plan-list" data-testid="plan-list">
          {plan.map((entry, index) => (
            <PlanItem key={entry.stepId} entry={entry} index={index} />
          ))}
        </ol>
      )}

      {actionError && <FixableError error={actionError} testId="plan-start-error" />}

      <div className="actions deploy-bar">
        <button
          type="button"
          className="btn btn-primary btn-large"
          disabled={!supported || !plan || planLoading || busy === 'starting' || active}
          onClick={() => void deploy()}
          data-testid="plan-deploy"
        >
          {t('plan.deploy')}
        </button>
        {busy === 'starting' && <Busy text={t('plan.starting')} />}
        {active && (
          <button type="button" className="link" onClick={() => void goTo('deploy')} data-testid="plan-follow-run">
            {t('plan.running')}
          </button>
        )}
      </div>
    </section>
  );
}

function PlanItem({ entry, index }: { entry: PlanEntry; index: number }) {
  const { t } = useTranslation();
  const user = useProfile((s) => s.profile?.server?.user ?? '');
  const params = Object.values(entry.titleParams).join(' · ');
  const commands = entry.actions.filter((a) => a.kind === 'run').length;
  const files = entry.actions.length - commands;
  return (
    <li className="plan-item" data-testid={`plan-step-${entry.stepId}`}>
      <details>
        <summary>
          <span className="plan-index">{index + 1}</span>
          <span className="plan-title">
            {stepTitle(t, entry.stepId, entry.titleParams)}
            {params && <span className="plan-params"> · {params}</span>}
          </span>
          <span className="plan-counts muted small">
            {commands > 0 && t('plan.commands', { count: commands })}
            {commands > 0 && files > 0 && ' · '}
            {files > 0 && t('plan.files', { count: files })}
          </span>
        </summary>
        <div className="plan-body">
          {entry.check && (
            <div className="plan-block">
              <h4>{t('plan.check')}</h4>
              <pre className="code">{entry.check}</pre>
            </div>
          )}
          {entry.actions.map((action, i) =>
            action.kind === 'run' ? (
              <div className="plan-block" key={i}>
                <h4>
                  {t('plan.command')} <span className="tag">{action.as === 'root' ? t('plan.asRoot') : t('plan.asUser', { user })}</span>
                  {action.detached && <span className="tag tag-teal">{t('plan.detached')}</span>}
                </h4>
                <pre className="code">{action.script}</pre>
              </div>
            ) : (
              <div className="plan-block" key={i}>
                <h4>
                  {t('plan.file')} <code>{action.path}</code>
                  <span className="tag">{t('plan.fileMeta', { mode: action.mode, owner: action.owner })}</span>
                  {action.secret && <span className="tag tag-secret">{t('plan.secret')}</span>}
                </h4>
                <pre className="code">{action.content}</pre>
              </div>
            ),
          )}
          {entry.verify && (
            <div className="plan-block">
              <h4>{t('plan.verify')}</h4>
              <pre className="code">{entry.verify}</pre>
            </div>
          )}
          {!entry.check && entry.actions.length === 0 && !entry.verify && <p className="muted small">{t('plan.empty')}</p>}
        </div>
      </details>
    </li>
  );
}
