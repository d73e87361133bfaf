import { lazy, Suspense, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS, type WizardStepId } from '../../electron/shared/wizard-steps';
import { ErrorNotice } from './components/ErrorNotice';
import { LanguageSwitcher } from './components/LanguageSwitcher';
import { Busy } from './components/Spinner';
import { StepRail } from './components/StepRail';
import { SignalAlerts } from './dashboard/SignalAlerts';
import { DiagnosticsButton } from './lifecycle/TransferDialogs';
import { UpdateBanner } from './lifecycle/UpdateBanner';
import { PhaseStep } from './steps/PhaseStep';
import { useHealth } from './stores/health-store';
import { useStepActions } from './stores/step-action';
import { canEnter, useProgress, useWizard } from './stores/wizard-store';

// The later steps load on demand: the first screen (Phase) stays small.
const LATER_STEPS: Record<Exclude<WizardStepId, 'phase'>, ComponentType> = {
  where: lazy(() => import('./steps/WhereStep').then((m) => ({ default: m.WhereStep }))),
  code: lazy(() => import('./steps/CodeStep').then((m) => ({ default: m.CodeStep }))),
  configuration: lazy(() => import('./steps/ConfigurationStep').then((m) => ({ default: m.ConfigurationStep }))),
  plan: lazy(() => import('./steps/PlanStep').then((m) => ({ default: m.PlanStep }))),
  deploy: lazy(() => import('./steps/DeployStep').then((m) => ({ default: m.DeployStep }))),
  health: lazy(() => import('./steps/ResultStep').then((m) => ({ default: m.ResultStep }))),
};

// The live dashboard (and uPlot) load on demand too.
const Dashboard = lazy(() => import('./dashboard/Dashboard').then((m) => ({ default: m.Dashboard })));

export function App() {
  const { t } = useTranslation();
  const { state, loadProblem, saveError, next, back, dismissLoadProblem } = useWizard();
  const progress = useProgress();
  const blocks = useStepActions((s) => s.blocks);
  const dashboardOpen = useHealth((s) => s.profileId !== null);
  // The screen on display: a wizard step, or a screen opened over it (the dashboard; an upgrade…).
  const screen = dashboardOpen ? 'dashboard' : state.step;
  const declared = useStepActions((s) => (s.current?.screen === screen ? s.current.action : null));
  const index = WIZARD_STEPS.indexOf(state.step);
  const nextStep = WIZARD_STEPS[index + 1];
  const canGoNext = nextStep !== undefined && canEnter(nextStep, state, progress, blocks);
  // The step's own primary action when it declares one (stores/step-action.ts), else "Next".
  const action = declared ?? {
    label: t('nav.next'),
    run: () => next(),
    blocked: canGoNext ? null : state.step === 'phase' && state.phase === null ? t('nav.choosePhaseFirst') : nextStep !== undefined ? t(`nav.blocked.${state.step}`) : t('nav.lastStep'),
    testId: 'nav-next',
  };
  const Step = dashboardOpen ? Dashboard : state.step === 'phase' ? PhaseStep : LATER_STEPS[state.step];

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <img src="./icon.svg" alt="" width={28} height={28} />
          <span>{t('app.title')}</span>
        </div>
        <span className="topbar-tools">
          <DiagnosticsButton />
          <LanguageSwitcher />
        </span>
      </header>
      <div className="body">
        <StepRail />
        <main className="content">
          {loadProblem && (
            <div className="notice notice-warn" role="alert" data-testid="load-problem">
              <span>{t('store.problem', { file: loadProblem.file, keptAs: loadProblem.keptAs })}</span>
              <button type="button" className="link" onClick={dismissLoadProblem}>
                {t('common.dismiss')}
              </button>
            </div>
          )}
          {saveError && <ErrorNotice error={saveError} />}
          <UpdateBanner />
          <SignalAlerts />
          <Suspense fallback={<Busy text={t('common.loading')} testId="step-loading" />}>
            <Step />
          </Suspense>
        </main>
      </div>
      {/* Over the wizard, a screen that declares no action (the dashboard) has no footer. */}
      <footer className="navbar" hidden={dashboardOpen && !declared}>
        {/* Over the wizard (the dashboard's screens), the wizard's "Back" and step count mean nothing: their places stay empty. */}
        {dashboardOpen ? (
          <span aria-hidden />
        ) : (
          <button type="button" className="btn" disabled={index === 0} onClick={() => void back()} data-testid="nav-back">
            {t('nav.back')}
          </button>
        )}
        <span className={action.blocked ? 'nav-reason' : 'muted'} data-testid="nav-status" id="nav-status">
          {action.busy && action.busyLabel ? action.busyLabel : (action.blocked ?? (dashboardOpen ? '' : t('nav.stepOf', { n: index + 1, total: WIZARD_STEPS.length })))}
        </span>
        <button
          type="button"
          className={`btn ${action.tone === 'danger' ? 'btn-danger' : 'btn-primary'}`}
          disabled={!!action.blocked || !!action.busy}
          aria-describedby="nav-status"
          onClick={() => void action.run()}
          data-testid={action.testId ?? 'nav-next'}
          data-blocked={action.blocked ? 'true' : undefined}
        >
          {action.label}
        </button>
      </footer>
    </div>
  );
}
