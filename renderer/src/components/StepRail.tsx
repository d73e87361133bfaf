import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS } from '../../../electron/shared/wizard-steps';
import { useHealth } from '../stores/health-store';
import { useStepActions } from '../stores/step-action';
import { canEnter, isComplete, useProgress, useWizard } from '../stores/wizard-store';

/** The wizard's path on the left: where you are, what is done, what comes next. */
export function StepRail() {
  const { t } = useTranslation();
  const state = useWizard((s) => s.state);
  const goTo = useWizard((s) => s.goTo);
  const progress = useProgress();
  const blocks = useStepActions((s) => s.blocks);
  // A screen opened from the wizard (the dashboard) is where the user is: no wizard step is "current" then.
  const dashboard = useHealth((s) => s.profileId !== null);
  const currentIndex = dashboard ? -1 : WIZARD_STEPS.indexOf(state.step);
  const wizardIndex = WIZARD_STEPS.indexOf(state.step);
  return (
    <nav className="rail" aria-label={t('steps.label')}>
      <ol>
        {WIZARD_STEPS.map((step, index) => {
          const reachable = index <= wizardIndex || canEnter(step, state, progress, blocks);
          const status = index === currentIndex ? 'current' : step !== 'health' && isComplete(step, state, progress) && reachable ? 'done' : 'todo';
          return (
            <li key={step} className={`rail-step rail-${status}`}>
              <button
                type="button"
                disabled={!reachable}
                aria-current={status === 'current' ? 'step' : undefined}
                onClick={() => {
                  void useHealth.getState().close();
                  void goTo(step);
                }}
                data-testid={`rail-${step}`}
                data-status={status}
              >
                <span className="rail-index">{status === 'done' ? '✓' : index + 1}</span>
                <span className="rail-text">
                  <span className="rail-title">{t(`steps.${step}.title`)}</span>
                  <span className="rail-hint">{t(`steps.${step}.hint`)}</span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      {dashboard && (
        <p className="rail-screen" aria-current="page" data-testid="rail-dashboard">
          <span className="rail-index" aria-hidden>
            ◉
          </span>
          <span className="rail-text">
            <span className="rail-title">{t('health.dashboard.title')}</span>
            <span className="rail-hint">{t('steps.dashboardHint')}</span>
          </span>
        </p>
      )}
    </nav>
  );
}
