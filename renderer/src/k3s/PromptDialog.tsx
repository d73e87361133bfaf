import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { K3sPrompt } from '../../../electron/shared/contract-k3s';
import { TopologyLine } from './K3sPlan';

// A question the run asks (Terraform's approval, a script's `(yes/no)`), as a dialog: the question as printed, what
// the plan will do (resources to add, change, destroy), the monthly cost of the roadmap's topology; the answer is
// typed into the terminal for the user. Nothing is decided without an explicit click.

export function PromptDialog({ prompt, busy, onAnswer }: { prompt: K3sPrompt; busy: boolean; onAnswer: (answer: 'yes' | 'no') => void }) {
  const { t } = useTranslation();
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), [prompt.id]);
  const s = prompt.summary;
  return (
    <div className="k3s-dialog-backdrop">
      <div className="k3s-dialog card" role="dialog" aria-modal="true" aria-labelledby="k3s-prompt-title" data-testid="k3s-prompt" data-kind={prompt.kind}>
        <h2 id="k3s-prompt-title">{t(prompt.kind === 'terraform-approve' ? 'k3s.prompt.titleApprove' : 'k3s.prompt.titleYesNo')}</h2>
        <p className="k3s-question">
          <code data-testid="k3s-prompt-question">{prompt.question}</code>
        </p>
        {s ? (
          <p className="k3s-summary" data-testid="k3s-prompt-summary">
            {s.noChanges ? (
              <span className="badge badge-ok">{t('k3s.prompt.noChanges')}</span>
            ) : (
              <>
                <span className="badge badge-ok">{t('k3s.prompt.add', { count: s.add })}</span> <span className="badge badge-later">{t('k3s.prompt.change', { count: s.change })}</span>{' '}
                <span className={`badge ${s.destroy > 0 ? 'badge-danger' : 'badge-off'}`}>{t('k3s.prompt.destroy', { count: s.destroy })}</span>
              </>
            )}
          </p>
        ) : (
          <p className="muted small">{t('k3s.prompt.noSummary')}</p>
        )}
        {s && s.destroy > 0 && <p className="notice notice-warn small">{t('k3s.prompt.destroyWarning', { count: s.destroy })}</p>}
        {prompt.topology && (
          <p className="small" data-testid="k3s-prompt-cost">
            <TopologyLine topology={prompt.topology} />
          </p>
        )}
        {prompt.context && (
          <details className="disclosure">
            <summary>{t('k3s.prompt.context')}</summary>
            <pre className="code">{prompt.context}</pre>
          </details>
        )}
        <p className="muted small">{t('k3s.prompt.typed')}</p>
        <div className="actions">
          <button ref={yes} type="button" className="btn btn-primary" disabled={busy} onClick={() => onAnswer('yes')} data-testid="k3s-prompt-yes">
            {t(prompt.kind === 'terraform-approve' ? 'k3s.prompt.apply' : 'k3s.prompt.yes')}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={() => onAnswer('no')} data-testid="k3s-prompt-no">
            {t('k3s.prompt.no')}
          </button>
        </div>
      </div>
    </div>
  );
}
