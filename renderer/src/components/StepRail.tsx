import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS } from '../../../electron/shared/wizard-steps';
import { useHealth } from '../stores/health-store';
import { canEnter, isComplete, useProgress, useWizard } from '../stores/wizard-store';

/** The wizard's path on the left: where you are, what is done, what comes next. */
export function StepRail() {
  const { t } = useTranslation();
  const state = useWizard((s) => s.state);
  const goTo = useWizard((s) => s.goTo);
  const progress = useProgress();
  const currentIndex = WIZARD_STEPS.indexOf(state.step);
  return (
    <nav className="rail" aria-label={t('steps.label')}>
      <ol>
        {WIZARD_STEPS.map((step, index) => {
          const reachable = index <= currentIndex || canEnter(step, state, progress);
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
    </nav>
  );
}
