import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import { CopyButton } from '../components/CopyButton';
import { FixableError } from '../components/FixableError';
import { MissingSecret, useMissingSecrets } from '../components/MissingSecret';
import { downloadFile } from '../download';
import { Busy, Spinner } from '../components/Spinner';
import { stepTitle } from '../error-text';
import { formatDateTime, formatDuration } from '../format';
import { useDeploy, type StepState, type StepView } from '../stores/deploy-store';
import { useSettings } from '../stores/settings-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { getPhase } from '../../../electron/shared/phases';
import { K3sDeploy } from '../k3s/K3sDeploy';

// "Deploy": live progress of the run, step by step, with the streamed (already redacted) log.
// Cancel while it runs; retry or resume after a failure, a cancel or a restart of the app (the
// engine resumes where it stopped); a lock held by another run can be broken after confirmation.

const ICONS: Record<StepState, string> = {
  pending: '○',
  checking: '…',
  skipped: '↷',
  running: '',
  done: '✓',
  failed: '✕',
  cancelled: '⊘',
};

export function DeployStep() {
  const phase = useWizard((s) => s.state.phase);
  // Phases 3–4: the K3s run in its terminal (k3s/K3sDeploy.tsx).
  return phase !== null && getPhase(phase).runtime === 'k3s' ? <K3sDeploy /> : <ComposeDeployStep />;
}

function ComposeDeployStep() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const profileId = useWizard((s) => s.state.profileId);
  const goTo = useWizard((s) => s.goTo);
  const d = useDeploy(
    useShallow((s) => ({
      order: s.order,
      steps: s.steps,
      outcome: s.outcome,
      active: s.active,
      runError: s.runError,
      actionError: s.actionError,
      busy: s.busy,
      lockBroken: s.lockBroken,
      statusLoaded: s.statusLoaded,
      plan: s.plan,
      start: s.start,
      cancel: s.cancel,
      breakLock: s.breakLock,
      loadStatus: s.loadStatus,
      loadPlan: s.loadPlan,
    })),
  );
  const { loadStatus, loadPlan } = d;
  const [confirmBreak, setConfirmBreak] = useState(false);
  // Secrets lost with the last session: named first, asked for, then the run resumes by itself.
  const { missing, refresh: refreshMissing } = useMissingSecrets(profileId, `${d.active}-${d.outcome}`);
  const needs = !d.active && missing && missing.length > 0 ? missing[0]! : null;

  useEffect(() => {
    if (!profileId) return;
    const { active, plan } = useDeploy.getState();
    // After a restart: the last run from the journal, and the full list of steps from the plan.
    if (!active) void loadStatus(profileId);
    if (!plan) void loadPlan(profileId);
  }, [profileId, loadStatus, loadPlan]);

  const states = d.order.map((id) => d.steps[id]?.state ?? 'pending');
  const finished = states.filter((s) => s === 'done' || s === 'skipped').length;
  const interrupted = d.outcome === 'running' && !d.active;
  const locked = d.runError?.code === 'deploy.locked' && !d.lockBroken;
  const start = () => {
    setConfirmBreak(false);
    if (profileId) void d.start(profileId);
  };
  const resumable = interrupted || d.outcome === 'failed' || d.outcome === 'cancelled';
  // The step's one primary action (in the footer): resume, retry, see the result, or go to the plan.
  const primary = d.active
    ? { label: t('deploy.toResult'), run: () => undefined, blocked: t('deploy.blocked.running'), testId: 'nav-next' }
    : d.outcome === 'succeeded'
      ? { label: t('deploy.toResult'), run: () => goTo('health'), blocked: null, testId: 'deploy-to-result' }
      : interrupted
        ? { label: t('deploy.resume'), run: start, blocked: needs ? t(`secrets.missing.${needs}.title`) : null, testId: 'deploy-resume', busy: d.busy === 'starting' }
        : d.outcome === 'failed' || d.outcome === 'cancelled'
          ? { label: t('deploy.retry'), run: start, blocked: needs ? t(`secrets.missing.${needs}.title`) : null, testId: 'deploy-retry', busy: d.busy === 'starting' }
          : { label: t('deploy.toPlan'), run: () => goTo('plan'), blocked: d.statusLoaded ? null : t('common.loading'), testId: 'deploy-to-plan' };
  useStepAction('deploy', { ...primary, busyLabel: t('plan.starting'), holds: null });
  const onSecretGiven = async () => {
    const left = await refreshMissing();
    if (left.length > 0 || !profileId) return;
    if (!useDeploy.getState().plan) await loadPlan(profileId);
    if (resumable) start();
  };

  return (
    <section className="panel" data-testid="step-deploy" data-outcome={d.active ? 'running' : (d.outcome ?? 'none')}>
      <h1>{t('deploy.title')}</h1>
      <p className="lead">{t('deploy.intro')}</p>

      <div className="card run-status" data-testid="deploy-status">
        {needs && profileId && <MissingSecret profileId={profileId} secret={needs} onProvided={onSecretGiven} resumeLabel={resumable ? t(`secrets.missing.${needs}.resume`) : undefined} />}
        {d.active && (
          <div className="run-line">
            <Busy text={t('deploy.running', { done: finished, total: d.order.length })} testId="deploy-running" />
            <button type="button" className="btn" disabled={d.busy === 'cancelling'} onClick={() => void d.cancel()} data-testid="deploy-cancel">
              {d.busy === 'cancelling' ? t('deploy.cancelling') : t('common.cancel')}
            </button>
          </div>
        )}
        {!d.active && d.outcome === 'succeeded' && (
          <div className="notice notice-ok run-line" data-testid="deploy-succeeded">
            <strong>{t('deploy.succeeded')}</strong>
          </div>
        )}
        {interrupted && (
          <div className="notice notice-warn run-line" data-testid="deploy-interrupted">
            <span>{t('deploy.interrupted')}</span>
          </div>
        )}
        {!d.active && (d.outcome === 'failed' || d.outcome === 'cancelled') && (
          <>
            {d.runError ? (
              needs && d.runError.code === 'secret.missing' ? null : <FixableError error={d.runError} testId="deploy-error" onResolved={onSecretGiven} />
            ) : (
              <p className="notice notice-warn" data-testid="deploy-error">
                {d.outcome === 'cancelled' ? t('deploy.wasCancelled') : t('deploy.failedNoDetail')}
              </p>
            )}
            {locked && (
              <div className="lock" data-testid="deploy-lock">
                {!confirmBreak ? (
                  <button type="button" className="btn btn-danger" onClick={() => setConfirmBreak(true)} data-testid="deploy-break-lock">
                    {t('deploy.lock.break')}
                  </button>
                ) : (
                  <div className="confirm" role="alertdialog" aria-labelledby="confirm-break-title" data-testid="deploy-break-confirm">
                    <p id="confirm-break-title">
                      <strong>{t('deploy.lock.confirmTitle')}</strong>
                    </p>
                    <p>{t('deploy.lock.confirmText', { owner: d.runError?.params.owner ?? '?', machine: d.runError?.params.machine ?? '?', since: formatDateTime(lang, String(d.runError?.params.since ?? '')) })}</p>
                    <div className="actions">
                      <button type="button" className="btn btn-danger" disabled={d.busy === 'breakingLock'} onClick={() => profileId && void d.breakLock(profileId).then(() => setConfirmBreak(false))} data-testid="deploy-break-lock-confirm">
                        {t('deploy.lock.confirm')}
                      </button>
                      <button type="button" className="btn" onClick={() => setConfirmBreak(false)} data-testid="deploy-break-lock-cancel">
                        {t('common.cancel')}
                      </button>
                      {d.busy === 'breakingLock' && <Spinner label={t('deploy.lock.breaking')} />}
                    </div>
                  </div>
                )}
              </div>
            )}
            {d.lockBroken && (
              <p className="notice notice-ok" data-testid="deploy-lock-broken">
                {t('deploy.lock.broken')}
              </p>
            )}
            {!needs && <p className="muted small">{t('deploy.retryHelp')}</p>}
          </>
        )}
        {!d.active && d.outcome === null && d.statusLoaded && (
          <div className="notice notice-info run-line" data-testid="deploy-none">
            <span>{t('deploy.none')}</span>
          </div>
        )}
        {d.busy === 'starting' && <Busy text={t('plan.starting')} />}
        {d.actionError && !(needs && d.actionError.code === 'secret.missing') && <FixableError error={d.actionError} testId="deploy-action-error" onResolved={onSecretGiven} />}
      </div>

      {d.order.length > 0 && (
        <ol className="run-steps" data-testid="deploy-steps" aria-label={t('deploy.stepsLabel')}>
          {d.order.map((id) => (
            <RunStep key={id} id={id} view={d.steps[id] ?? { state: 'pending' }} active={d.active} />
          ))}
        </ol>
      )}

      <LogPane />
    </section>
  );
}

function RunStep({ id, view, active }: { id: string; view: StepView; active: boolean }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const params = useDeploy((s) => s.plan?.find((e) => e.stepId === id)?.titleParams);
  const started = view.state === 'running' || view.state === 'checking';
  // A step the journal left mid-way while no run is going on was interrupted, not running.
  const shown = started && !active ? 'interrupted' : view.state;
  const live = started && active;
  const now = useNow(live);
  const duration = view.durationMs ?? (live && view.startedAtMs ? now - view.startedAtMs : undefined);
  return (
    <li className={`run-step run-${shown}`} data-testid={`run-step-${id}`} data-state={shown}>
      <span className="run-icon" aria-hidden>
        {shown === 'running' ? <Spinner /> : shown === 'interrupted' ? '‖' : ICONS[view.state]}
      </span>
      <span className="run-title">{stepTitle(t, id, params ?? {})}</span>
      <span className="run-state">{t(`deploy.state.${shown}`)}</span>
      <span className="run-duration muted small">{duration !== undefined && duration >= 0 ? formatDuration(t, lang, duration) : ''}</span>
    </li>
  );
}

/** The current time, ticking every second while `running`. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

/** The log as text: one line per log line, `[step] text` (already redacted by the engine). */
export function logText(lines: { stepId: string; stream: string; line: string }[]): string {
  return lines.map((l) => `[${l.stepId}]${l.stream === 'stderr' ? ' !' : ''} ${l.line}`).join('\n') + '\n';
}

function LogPane() {
  const { t } = useTranslation();
  const logs = useDeploy((s) => s.logs);
  const runId = useDeploy((s) => s.runId);
  const profileId = useDeploy((s) => s.profileId);
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [logs, follow]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (atBottom !== follow) setFollow(atBottom);
  };

  return (
    <div className="log-wrap">
      <div className="log-head">
        <h2>{t('deploy.log.title')}</h2>
        {logs.length > 0 && <span className="muted small">{t('deploy.log.limit', { count: logs.length })}</span>}
        {logs.length > 0 && (
          <span className="log-tools">
            <CopyButton text={logText(logs)} testId="deploy-log-copy" />
            <button type="button" className="btn btn-small" onClick={() => downloadFile(`koprogo-deploy-${profileId ?? 'run'}-${runId ?? 'log'}.log`, logText(logs))} data-testid="deploy-log-save">
              {t('deploy.log.save')}
            </button>
          </span>
        )}
        {!follow && (
          <button type="button" className="btn btn-small" onClick={() => setFollow(true)} data-testid="deploy-log-follow">
            {t('deploy.log.follow')}
          </button>
        )}
      </div>
      <div className="log" ref={ref} onScroll={onScroll} role="log" aria-live="off" aria-label={t('deploy.log.title')} tabIndex={0} data-testid="deploy-log">
        {logs.length === 0 ? (
          <p className="log-empty">{t('deploy.log.empty')}</p>
        ) : (
          logs.map((l) => (
            <div key={l.seq} className={`log-line log-${l.stream}`}>
              <span className="log-step">{l.stepId}</span>
              <span className="log-text">{l.line}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}
