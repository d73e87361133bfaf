import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FixableError } from '../components/FixableError';
import { Busy, Spinner } from '../components/Spinner';
import { stepTitle } from '../error-text';
import { formatDuration } from '../format';
import { useProfile } from '../stores/profile-store';
import { useSettings } from '../stores/settings-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { useK3s, type K3sStepState } from './k3s-store';
import { PromptDialog } from './PromptDialog';
import './k3s.css';

// "Deploy" for phases 3–4: the run's steps, the terminal (xterm.js, loaded here only), the question the run asks as
// a dialog (with the plan summary and the topology's monthly cost), a terminal input when a command waits for
// something the app does not know, cancel (Ctrl-C, then stop), retry or resume, and a run that goes on on a
// control host while the connection is down.

const RunTerminal = lazy(() => import('./Terminal'));

const ICONS: Record<K3sStepState, string> = { pending: '○', checking: '…', skipped: '↷', running: '', done: '✓', failed: '✕', cancelled: '⊘' };

export function K3sDeploy() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const profile = useProfile((s) => s.profile);
  const goTo = useWizard((s) => s.goTo);
  const k = useK3s();
  const { loadStatus, loadPlan } = k;
  const profileId = profile?.id ?? null;

  useEffect(() => {
    if (!profileId) return;
    if (!useK3s.getState().active) void loadStatus(profileId);
    if (!useK3s.getState().plan) void loadPlan(profileId);
  }, [profileId, loadStatus, loadPlan]);

  const order = k.plan?.steps.map((s) => s.id) ?? Object.keys(k.steps);
  const done = order.filter((id) => k.steps[id]?.state === 'done' || k.steps[id]?.state === 'skipped').length;
  const outcome = k.active ? 'running' : (k.outcome ?? 'none');
  const interrupted = k.outcome === 'running' && !k.active;
  const start = () => {
    if (profileId) void k.start(profileId);
  };
  // The step's one primary action (in the footer): see the result, reattach or resume, retry, or go to the plan.
  const primary = k.active
    ? { label: t('deploy.toResult'), run: () => undefined, blocked: t('deploy.blocked.running'), testId: 'nav-next' }
    : k.outcome === 'succeeded'
      ? { label: t('deploy.toResult'), run: () => goTo('health'), blocked: null, testId: 'deploy-to-result' }
      : interrupted
        ? { label: k.detached ? t('k3s.deploy.reattach') : t('deploy.resume'), run: start, blocked: null, testId: 'deploy-resume', busy: k.busy === 'starting' }
        : k.outcome === 'failed' || k.outcome === 'cancelled'
          ? { label: t('deploy.retry'), run: start, blocked: null, testId: 'deploy-retry', busy: k.busy === 'starting' }
          : { label: t('deploy.toPlan'), run: () => goTo('plan'), blocked: k.statusLoaded ? null : t('common.loading'), testId: 'deploy-to-plan' };
  useStepAction('deploy', { ...primary, busyLabel: t('plan.starting'), holds: null });

  if (!profile) return null;

  return (
    <section className="panel" data-testid="step-deploy" data-k3s="true" data-outcome={outcome}>
      <h1>{t('deploy.title')}</h1>
      <p className="lead">{t('k3s.deploy.intro')}</p>
      <div className="card run-status" data-testid="deploy-status">
        {k.active && (
          <div className="run-line">
            <Busy text={t('deploy.running', { done, total: order.length })} testId="deploy-running" />
            <button type="button" className="btn" disabled={k.busy === 'cancelling'} onClick={() => void k.cancel()} data-testid="deploy-cancel">
              {k.busy === 'cancelling' ? t('deploy.cancelling') : t('common.cancel')}
            </button>
          </div>
        )}
        {!k.active && k.outcome === 'succeeded' && (
          <div className="notice notice-ok run-line" data-testid="deploy-succeeded">
            <strong>{t('k3s.deploy.succeeded')}</strong>
          </div>
        )}
        {interrupted && (
          <div className="notice notice-warn run-line" data-testid={k.detached ? 'k3s-detached' : 'deploy-interrupted'}>
            <span>{k.detached ? t('k3s.deploy.detached') : t('deploy.interrupted')}</span>
          </div>
        )}
        {!k.active && (k.outcome === 'failed' || k.outcome === 'cancelled') && (
          <>
            {k.runError ? <FixableError error={k.runError} testId="deploy-error" /> : <p className="notice notice-warn" data-testid="deploy-error">{k.outcome === 'cancelled' ? t('deploy.wasCancelled') : t('deploy.failedNoDetail')}</p>}
            <div className="actions">
              <button type="button" className="btn" disabled={k.busy === 'starting'} onClick={() => void k.start(profile.id, true)} data-testid="k3s-start-over">
                {t('k3s.deploy.startOver')}
              </button>
              <span className="muted small">{t('k3s.deploy.retryHelp')}</span>
            </div>
          </>
        )}
        {!k.active && k.outcome === null && k.statusLoaded && (
          <div className="notice notice-info run-line" data-testid="deploy-none">
            <span>{t('deploy.none')}</span>
          </div>
        )}
        {k.actionError && <FixableError error={k.actionError} testId="deploy-action-error" />}
      </div>

      {order.length > 0 && (
        <ol className="run-steps" data-testid="deploy-steps" aria-label={t('deploy.stepsLabel')}>
          {order.map((id) => {
            const v = k.steps[id] ?? { state: 'pending' as const };
            const shown = v.state === 'running' && !k.active && !k.detached ? 'interrupted' : v.state;
            return (
              <li key={id} className={`run-step run-${shown}`} data-testid={`run-step-${id}`} data-state={shown}>
                <span className="run-icon" aria-hidden>
                  {shown === 'running' ? <Spinner /> : shown === 'interrupted' ? '‖' : ICONS[v.state]}
                </span>
                <span className="run-title">{stepTitle(t, id)}</span>
                <span className="run-state">{t(`deploy.state.${shown}`)}</span>
                <span className="run-duration muted small">{v.durationMs !== undefined ? formatDuration(t, lang, v.durationMs) : ''}</span>
              </li>
            );
          })}
        </ol>
      )}

      {k.prompt && k.prompt.kind !== 'unknown' && <PromptDialog prompt={k.prompt} busy={k.busy === 'answering'} onAnswer={(a) => void k.answer(a)} />}

      <div className="log-wrap">
        <div className="log-head">
          <h2>{t('k3s.deploy.terminal')}</h2>
          <span className="muted small">{t('k3s.deploy.terminalHelp')}</span>
        </div>
        {k.runId || k.active ? (
          <Suspense fallback={<Busy text={t('common.loading')} />}>
            <RunTerminal profileId={profile.id} runId={k.runId} />
          </Suspense>
        ) : (
          <p className="log-empty">{t('deploy.log.empty')}</p>
        )}
        {k.prompt?.kind === 'unknown' && <TerminalInput question={k.prompt.question} />}
      </div>
    </section>
  );
}

/** A command waits for something the app does not know: what the user types goes to the terminal. */
function TerminalInput({ question }: { question: string }) {
  const { t } = useTranslation();
  const input = useK3s((s) => s.input);
  const [text, setText] = useState('');
  const [hidden, setHidden] = useState(false);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const send = async (value: string) => {
    if (await input(value)) setText('');
  };
  return (
    <form
      className="k3s-input notice notice-warn"
      onSubmit={(e) => {
        e.preventDefault();
        void send(`${text}\r`);
      }}
      data-testid="k3s-input"
    >
      <label className="field field-wide">
        <span className="field-label">{t('k3s.deploy.inputLabel', { question })}</span>
        <input ref={ref} type={hidden ? 'password' : 'text'} className="mono" autoComplete="off" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} data-testid="k3s-input-text" />
        <span className="field-help">{t('k3s.deploy.inputHelp')}</span>
      </label>
      <div className="actions">
        <button type="submit" className="btn btn-primary" data-testid="k3s-input-send">
          {t('k3s.deploy.send')}
        </button>
        <label className="check">
          <input type="checkbox" checked={hidden} onChange={(e) => setHidden(e.target.checked)} data-testid="k3s-input-hidden" />
          {t('k3s.deploy.hideTyping')}
        </label>
        <button type="button" className="btn" onClick={() => void send('\x03')} data-testid="k3s-input-ctrlc">
          {t('k3s.deploy.ctrlC')}
        </button>
      </div>
    </form>
  );
}
