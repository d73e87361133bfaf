import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS } from '../../electron/shared/wizard-steps';
import { ErrorNotice } from './components/ErrorNotice';
import { LanguageSwitcher } from './components/LanguageSwitcher';
import { StepRail } from './components/StepRail';
import { PhaseStep } from './steps/PhaseStep';
import { PlaceholderStep } from './steps/PlaceholderStep';
import { canEnter, useWizard } from './stores/wizard-store';

export function App() {
  const { t } = useTranslation();
  const { state, loadProblem, saveError, next, back, dismissLoadProblem } = useWizard();
  const index = WIZARD_STEPS.indexOf(state.step);
  const nextStep = WIZARD_STEPS[index + 1];
  const canGoNext = nextStep !== undefined && canEnter(nextStep, state);

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
          {state.step === 'phase' ? <PhaseStep /> : <PlaceholderStep step={state.step} />}
        </main>
      </div>
      <footer className="navbar">
        <button type="button" className="btn" disabled={index === 0} onClick={() => void back()} data-testid="nav-back">
          {t('nav.back')}
        </button>
        <span className="muted">
          {state.step === 'phase' && state.phase === null ? t('nav.choosePhaseFirst') : t('nav.stepOf', { n: index + 1, total: WIZARD_STEPS.length })}
        </span>
        <button type="button" className="btn btn-primary" disabled={!canGoNext} onClick={() => void next()} data-testid="nav-next">
          {t('nav.next')}
        </button>
      </footer>
    </div>
  );
}
