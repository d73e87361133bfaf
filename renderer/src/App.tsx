import { lazy, Suspense, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS, type WizardStepId } from '../../electron/shared/wizard-steps';
import { ErrorNotice } from './components/ErrorNotice';
import { LanguageSwitcher } from './components/LanguageSwitcher';
import { Busy } from './components/Spinner';
import { StepRail } from './components/StepRail';
import { SignalAlerts } from './dashboard/SignalAlerts';
import { PhaseStep } from './steps/PhaseStep';
import { useHealth } from './stores/health-store';
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
  const index = WIZARD_STEPS.indexOf(state.step);
  const nextStep = WIZARD_STEPS[index + 1];
  const canGoNext = nextStep !== undefined && canEnter(nextStep, state, progress);
  const dashboardOpen = useHealth((s) => s.profileId !== null);
  const Step = dashboardOpen ? Dashboard : state.step === 'phase' ? PhaseStep : LATER_STEPS[state.step];

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <img src="./icon.svg" alt="" width={28} height={28} />
          <span>{t('app.title')}</span>
        </div>
        <LanguageSwitcher />
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
          <SignalAlerts />
          <Suspense fallback={<Busy text={t('common.loading')} testId="step-loading" />}>
            <Step />
          </Suspense>
        </main>
      </div>
      <footer className="navbar" hidden={dashboardOpen}>
        <button type="button" className="btn" disabled={index === 0} onClick={() => void back()} data-testid="nav-back">
          {t('nav.back')}
        </button>
        <span className="muted" data-testid="nav-status">
          {state.step === 'phase' && state.phase === null
            ? t('nav.choosePhaseFirst')
            : nextStep !== undefined && !canGoNext
              ? t(`nav.blocked.${state.step}`)
              : t('nav.stepOf', { n: index + 1, total: WIZARD_STEPS.length })}
        </span>
        <button type="button" className="btn btn-primary" disabled={!canGoNext} onClick={() => void next()} data-testid="nav-next">
          {t('nav.next')}
        </button>
      </footer>
    </div>
  );
}
