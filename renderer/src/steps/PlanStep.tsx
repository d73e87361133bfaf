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
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { AdoptionCard, needsExposureChoice, PlanReview } from './plan/PlanReview';
import { formatMoney } from './where/provider-ui';
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
  const { plan, review, planLoading, planError, loadPlan, start, busy, actionError, active, planWarnings, planCost } = useDeploy(
    useShallow((s) => ({ plan: s.plan, review: s.review, planLoading: s.planLoading, planError: s.planError, loadPlan: s.loadPlan, start: s.start, busy: s.busy, actionError: s.actionError, active: s.active, planWarnings: s.planWarnings, planCost: s.planCost })),
  );
  const mustChoose = needsExposureChoice(review);
  const profilePhase = useProfile((s) => s.profile?.phase);
  const ownServer = useProfile((s) => s.profile?.provider?.kind === 'existing' || !s.profile?.provider);

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

  // The chosen offer's price when the app bought the server; the roadmap's estimate only otherwise (said so).
  const estimate = phase
    ? phase.costMonthly.max !== null && phase.costMonthly.max !== phase.costMonthly.min
      ? t('phase.values.costRange', { min: formatEuros(lang, phase.costMonthly.min), max: formatEuros(lang, phase.costMonthly.max) })
      : t('phase.values.cost', { amount: formatEuros(lang, phase.costMonthly.min) })
    : '';
  const cost = planCost
    ? t('plan.costOffer', { offer: planCost.offer, gross: formatMoney(lang, planCost.gross, planCost.currency), net: formatMoney(lang, planCost.net, planCost.currency) })
    : ownServer
      ? t('plan.costOwn')
      : t('plan.costEstimate', { amount: t('economics.perMonth', { amount: estimate }) });
  useStepAction('plan', {
    label: t('plan.deploy'),
    run: () => deploy(),
    blocked: !supported ? t('plan.blocked.phase') : active ? t('plan.blocked.running') : planError ? t('plan.blocked.error') : !plan ? t('plan.loading') : mustChoose ? t('plan.review.chooseFirst') : null,
    busy: planLoading || busy === 'starting',
    busyLabel: busy === 'starting' ? t('plan.starting') : t('plan.loading'),
    testId: 'plan-deploy',
    // The Deploy step stays open while a run goes on (or when the plan cannot be made now).
    holds: null,
  });

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
            <dd data-testid="plan-cost" data-source={planCost ? 'offer' : ownServer ? 'own' : 'estimate'}>
              {cost}
            </dd>
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
      {supported && planError && <FixableError error={planError} testId="plan-error" onResolved={() => (profileId ? loadPlan(profileId) : undefined)} />}
      {supported && plan && planWarnings.length > 0 && (
        <div className="notice notice-warn" role="alert" data-testid="plan-warnings">
          <div>
            <strong>{t('plan.warningsTitle', { count: planWarnings.length })}</strong>
            <ul>
              {planWarnings.map((w, i) => (
                <li key={i} data-testid="plan-warning" data-code={w.code}>
                  {t(w.code, w.params)}
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}

      {supported && profileId && <AdoptionCard profileId={profileId} onAdopted={() => void loadPlan(profileId)} />}
      {supported && plan && review && <PlanReview key={review.bindLocal ?? 'none'} review={review} onChanged={() => profileId && void loadPlan(profileId)} />}

      {supported && plan && (
        <ol className="plan-list" data-testid="plan-list">
          {plan.map((entry, index) => (
            <PlanItem key={entry.stepId} entry={entry} index={index} />
          ))}
        </ol>
      )}

      {actionError && <FixableError error={actionError} testId="plan-start-error" />}

      {mustChoose && <p className="muted small" data-testid="plan-choose-first">{t('plan.review.chooseFirst')}</p>}
      {active && (
        <div className="actions">
          <button type="button" className="link" onClick={() => void goTo('deploy')} data-testid="plan-follow-run">
            {t('plan.running')}
          </button>
        </div>
      )}
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
