import { useTranslation } from 'react-i18next';
import type { K3sPlanStep } from '../../../electron/shared/contract-k3s';
import './k3s.css';

/** The K3s steps in order: each title, where it runs, and the command as one would type it. */
export function StepCommands({ steps, title }: { steps: K3sPlanStep[]; title: (id: string) => string }) {
  const { t } = useTranslation();
  return (
    <ol className="k3s-steps" data-testid="k3s-steps">
      {steps.map((s, i) => (
        <li key={s.id} className="k3s-step" data-testid={`k3s-step-${s.id}`}>
          <span className="plan-index">{i + 1}</span>
          <div>
            <div className="k3s-step-head">
              <strong>{title(s.id)}</strong>
              {s.terminal ? <span className="tag tag-teal">{t('k3s.plan.inTerminal')}</span> : <span className="tag">{t('k3s.plan.byTheApp')}</span>}
              {s.interactive && <span className="tag">{t('k3s.plan.asks')}</span>}
            </div>
            <code className="k3s-command">{s.cwd ? `${s.cwd}$ ${s.command}` : s.command}</code>
          </div>
        </li>
      ))}
    </ol>
  );
}
