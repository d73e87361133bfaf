import { useTranslation } from 'react-i18next';
import { WIZARD_STEPS } from '../../../electron/shared/wizard-steps';
import { AVAILABLE_STEPS, canEnter, useWizard } from '../stores/wizard-store';

/** The wizard's path on the left: where you are, what is done, what comes next. */
export function StepRail() {
  const { t } = useTranslation();
  const state = useWizard((s) => s.state);
  const goTo = useWizard((s) => s.goTo);
  const currentIndex = WIZARD_STEPS.indexOf(state.step);
  return (
    <nav className="rail" aria-label={t('steps.label')}>
      <ol>
        {WIZARD_STEPS.map((step, index) => {
          const reachable = AVAILABLE_STEPS.includes(step) || canEnter(step, state);
          const status = index === currentIndex ? 'current' : index < currentIndex ? 'done' : 'todo';
          return (
            <li key={step} className={`rail-step rail-${status}`}>
              <button
                type="button"
                disabled={!reachable}
                aria-current={status === 'current' ? 'step' : undefined}
                onClick={() => void goTo(step)}
                data-testid={`rail-${step}`}
              >
                <span className="rail-index">{index + 1}</span>
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
