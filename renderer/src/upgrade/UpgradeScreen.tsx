import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import type { HealthSummary, Money, UpgradePlan, UpgradeRun, UpgradeStepView } from '../../../electron/shared/contract-upgrade';
import { formatNumber } from '../../../electron/shared/i18n/format';
import { ErrorNotice } from '../components/ErrorNotice';
import { Busy } from '../components/Spinner';
import { useLocalizeError } from '../error-text';
import { formatDuration, localParams } from '../format';
import { useSettings } from '../stores/settings-store';
import { useStepAction } from '../stores/step-action';
import { useUpgrade } from '../stores/upgrade-store';
import { formatMoney } from './money';
import { minutes, PlanFacts } from './PlanFacts';
import { K3sPlanView, K3sPrimaryAction, K3sRunExtras } from './K3sUpgrade';
import { stepTitleKey, VersionOutcome, VersionPlanView } from './VersionUpdate';
import './upgrade.css';

// The upgrade of one deployment, opened from the dashboard: the plan (the offer today and after, the
// monthly cost change, the expected downtime, the disk and snapshot choices explained, every step with
// its API calls and remote commands), the confirmation, then the run live, and its result with the
// downtime measured and the health before and after.

function money(lang: Language, m: Money | null): string {
  return formatMoney(lang, m);
}

export function UpgradeScreen() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const localize = useLocalizeError();
  const { plan, planning, error, run, running, priceAccepted, options, target } = useUpgrade();
  const version = target?.kind === 'version' || plan?.kind === 'version';
  const { close, setOptions, acceptPrice, cancel } = useUpgrade.getState();
  const showRun = running || (run !== null && plan !== null && run.planHash === plan.planHash && run.outcome !== 'running');
  // Phase 2 → 3 and 3 → 4: their own plan view, waits and rollback; the primary action in the footer.
  const k3s = plan !== null && (plan.migration !== undefined || plan.checklist !== undefined);
  // Done: the footer no longer offers to start it again, it leads back to the dashboard.
  const finished = !running && run !== null && plan !== null && run.planHash === plan.planHash && run.outcome === 'succeeded';
  const unfinished = !k3s && !running && run !== null && plan !== null && run.planHash === plan.planHash && (run.outcome === 'failed' || run.outcome === 'cancelled');

  return (
    <section className="panel upgrade" data-testid="upgrade-screen" data-state={running ? 'running' : showRun && run?.waitingFor ? 'waiting' : (run?.outcome ?? 'plan')}>
      <div className="dash-head">
        <div>
          <h1>{version ? t('upgrade.version.title', { ref: target?.kind === 'version' ? target.ref : (plan?.version?.to.ref ?? '') }) : t('upgrade.title', { phase: plan?.toPhase ?? 2 })}</h1>
          {!showRun && <p className="muted">{t(version ? 'upgrade.version.intro' : 'upgrade.intro')}</p>}
        </div>
        <div className="dash-actions">
          <button type="button" className="btn" onClick={close} disabled={running} data-testid="upgrade-back">
            {t('upgrade.back')}
          </button>
        </div>
      </div>
      {/* A version rolled back by itself: its result card says it all (what, why, the logs, what to do). A move
          waiting for the user's confirmation is not an error: its waiting card says what to do (the notice's
          remedy is the CLI's --confirm). */}
      {error &&
        !(showRun && error.code === 'upgrade.rolled_back' && run?.rollback?.state === 'rolled-back') &&
        !(showRun && error.code === 'upgrade.confirm_needed' && run?.waitingFor) && <ErrorNotice error={localize(error)} />}
      {planning && !plan && <Busy text={t(version ? 'upgrade.version.planning' : 'upgrade.planning')} testId="upgrade-planning" />}
      {finished && <DoneAction />}
      {plan && k3s && !finished && <K3sPrimaryAction plan={plan} />}
      {plan && k3s && !showRun && <K3sPlanView plan={plan} />}
      {version && !showRun && <VersionPlanView plan={plan} lang={lang} t={t} busy={planning} />}
      {version && plan && !showRun && (
        <div className="card" data-testid="upgrade-steps">
          <h2>{t('upgrade.steps.title', { count: plan.steps.length })}</h2>
          <ol className="upgrade-step-list">
            {plan.steps.map((s) => (
              <PlanStep key={s.id} step={s} t={t} plan={plan} />
            ))}
          </ol>
        </div>
      )}
      {plan && !k3s && !version && !showRun && <PlanView plan={plan} lang={lang} t={t} options={options} onOptions={(o) => void setOptions(o)} busy={planning} />}
      {plan && !k3s && !version && !showRun && (
        <div className="card upgrade-confirm" data-testid="upgrade-confirm">
          {plan.order && (
            <label className="check">
              <input type="checkbox" checked={priceAccepted} onChange={(e) => acceptPrice(e.target.checked)} data-testid="upgrade-accept-price" />
              <span>{t('upgrade.order.accept', { price: money(lang, { net: plan.order.priceNet, gross: plan.order.priceGross, currency: plan.order.currency }) })}</span>
            </label>
          )}
          <p>{t('upgrade.confirmText', { min: minutes(lang, plan.downtime.minSec), max: minutes(lang, plan.downtime.maxSec) })}</p>
        </div>
      )}
      {plan && !k3s && !version && !finished && <PhasePrimaryAction plan={plan} unfinished={unfinished && !run?.rollback} />}
      {plan && showRun && <RunView plan={plan} lang={lang} t={t} />}
      {plan && k3s && showRun && run && <K3sRunExtras run={run} />}
      {unfinished && !run?.rollback && (
        <div className="card" data-testid="upgrade-resume-card">
          <p>{t('upgrade.run.resumeHelp')}</p>
        </div>
      )}
      {running && (
        <button type="button" className="btn" onClick={() => void cancel()} data-testid="upgrade-cancel">
          {t('upgrade.run.cancel')}
        </button>
      )}
    </section>
  );
}

/** The footer's button once the upgrade succeeded: back to the dashboard, which now watches the new phase or version. */
function DoneAction() {
  const { t } = useTranslation();
  useStepAction('dashboard', { label: t('upgrade.back'), run: () => useUpgrade.getState().close(), blocked: null, holds: null, testId: 'upgrade-done' });
  return null;
}

/** The footer's button for the move to phase 2: start (once the price is accepted), or resume where it stopped. */
function PhasePrimaryAction({ plan, unfinished }: { plan: UpgradePlan; unfinished: boolean }) {
  const { t } = useTranslation();
  const { running, starting, planning, priceAccepted } = useUpgrade();
  const blocked = running
    ? t('upgrade.k3s.runningNow')
    : plan.route !== 'in-place' && !plan.target
      ? t('upgrade.blocked.noOffer')
      : !unfinished && plan.order !== null && !priceAccepted
        ? t('upgrade.blocked.price')
        : null;
  useStepAction('dashboard', {
    label: unfinished ? t('upgrade.run.resume') : t('upgrade.start', { phase: plan.toPhase }),
    run: () => useUpgrade.getState().start(),
    blocked,
    busy: starting || planning,
    busyLabel: t('upgrade.starting'),
    holds: null,
    testId: unfinished ? 'upgrade-resume' : 'upgrade-start',
  });
  return null;
}

interface PlanProps {
  plan: UpgradePlan;
  lang: Language;
  t: TFunction;
  options: ReturnType<typeof useUpgrade.getState>['options'];
  onOptions: (o: ReturnType<typeof useUpgrade.getState>['options']) => void;
  busy: boolean;
}

function PlanView({ plan, lang, t, onOptions, busy }: PlanProps) {
  const delta = plan.cost.deltaMonthly;
  return (
    <>
      <div className="card" data-testid="upgrade-plan" data-route={plan.route}>
        <h2>{t(`upgrade.routes.${plan.route}`)}</h2>
        <table className="compare upgrade-offers">
          <thead>
            <tr>
              <th />
              <th>{t('upgrade.offer.name')}</th>
              <th>{t('upgrade.offer.vcpu')}</th>
              <th>{t('upgrade.offer.ram')}</th>
              <th>{t('upgrade.offer.disk')}</th>
              <th>{t('upgrade.offer.price')}</th>
            </tr>
          </thead>
          <tbody>
            {[
              ['now', plan.current],
              ['after', plan.target],
            ].map(([k, o]) =>
              o && typeof o !== 'string' ? (
                <tr key={k as string} data-testid={`upgrade-offer-${k as string}`}>
                  <th>{t(`upgrade.offer.${k as string}`)}</th>
                  <td className="mono">{o.name}</td>
                  <td>{formatNumber(lang, o.vcpu)}</td>
                  <td>{`${formatNumber(lang, o.ramGb)} ${t('units.gb')}`}</td>
                  <td>{`${formatNumber(lang, k === 'after' && plan.disk.keptGb !== null ? plan.disk.keptGb : o.diskGb)} ${t('units.gb')}`}</td>
                  <td>{t('upgrade.perMonth', { price: money(lang, o.priceMonthly) })}</td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
        {plan.choices.length > 1 && (
          <label className="field">
            <span>{t('upgrade.offer.choose')}</span>
            <select value={plan.target?.id ?? ''} disabled={busy} onChange={(e) => onOptions({ offerId: e.target.value })} data-testid="upgrade-offer-select">
              {plan.choices.map((c) => (
                <option key={c.id} value={c.id}>
                  {t('upgrade.offer.option', { name: c.name, vcpu: c.vcpu, ram: formatNumber(lang, c.ramGb), price: money(lang, c.priceMonthly) })}
                </option>
              ))}
            </select>
          </label>
        )}
        <PlanFacts plan={plan} lang={lang} t={t} cost={delta === null ? '—' : t(delta >= 0 ? 'upgrade.cost.more' : 'upgrade.cost.less', { amount: money(lang, { net: Math.abs(delta), gross: null, currency: plan.cost.currency }) })} />
        {plan.route === 'hetzner-resize' && (
          <fieldset className="upgrade-choice" data-testid="upgrade-disk">
            <legend>{t('upgrade.disk.title')}</legend>
            <label className="check">
              <input type="radio" name="disk" checked={!plan.upgradeDisk} disabled={busy} onChange={() => onOptions({ upgradeDisk: false })} data-testid="upgrade-disk-keep" />
              <span>
                <strong>{t('upgrade.disk.keep', { kept: formatNumber(lang, plan.current?.diskGb ?? 0) })}</strong> {t('upgrade.disk.keepWhy')}
              </span>
            </label>
            <label className="check">
              <input type="radio" name="disk" checked={plan.upgradeDisk} disabled={busy} onChange={() => onOptions({ upgradeDisk: true })} data-testid="upgrade-disk-grow" />
              <span>
                <strong>{t('upgrade.disk.grow', { size: formatNumber(lang, plan.disk.offeredGb ?? 0) })}</strong> {t('upgrade.disk.growWhy')}
              </span>
            </label>
          </fieldset>
        )}
        {plan.snapshot.available && (
          <label className="check" data-testid="upgrade-snapshot">
            <input type="checkbox" checked={plan.snapshot.chosen} disabled={busy} onChange={(e) => onOptions({ snapshot: e.target.checked })} />
            <span>{t('upgrade.snapshot.label', { cost: money(lang, plan.snapshot.maxCostMonthly) })}</span>
          </label>
        )}
        <label className="field">
          <span>{t('upgrade.verify.label')}</span>
          <select value={plan.verify} disabled={busy} onChange={(e) => onOptions({ verify: e.target.value as 'server' | 'local' })} data-testid="upgrade-verify">
            <option value="server">{t('upgrade.verify.server')}</option>
            <option value="local">{t('upgrade.verify.local')}</option>
          </select>
        </label>
        {plan.order && (
          <p className="notice notice-info" data-testid="upgrade-order">
            {t('upgrade.order.price', { price: money(lang, { net: plan.order.priceNet, gross: null, currency: plan.order.currency }), gross: plan.order.priceGross === null ? '—' : money(lang, { net: plan.order.priceGross, gross: null, currency: plan.order.currency }), plan: plan.order.planCode })}
          </p>
        )}
        {plan.warnings.map((w) => (
          <p key={w.code} className="notice notice-warn" data-testid={`upgrade-warning-${w.code.split('.').pop()}`}>
            {t(w.code, localParams(lang, w.params))}
          </p>
        ))}
      </div>
      <div className="card" data-testid="upgrade-steps">
        <h2>{t('upgrade.steps.title', { count: plan.steps.length })}</h2>
        <ol className="upgrade-step-list">
          {plan.steps.map((s) => (
            <PlanStep key={s.id} step={s} t={t} plan={plan} />
          ))}
        </ol>
      </div>
    </>
  );
}

export function PlanStep({ step, t, plan }: { step: UpgradeStepView; t: TFunction; plan: Pick<UpgradePlan, 'kind'> }) {
  const detail = step.api.length + step.remote.length > 0;
  return (
    <li data-testid={`upgrade-plan-step-${step.id}`}>
      <span>{t(stepTitleKey(plan, step.id), step.titleParams)}</span>
      {step.downtime && <span className="badge badge-warn">{t('upgrade.steps.down')}</span>}
      {detail && (
        <details>
          <summary>{t('upgrade.steps.details')}</summary>
          {step.api.map((a, i) => (
            <pre key={`a${i}`} className="log">{`${a.method} ${a.path}${a.body ? ` ${a.body}` : ''}`}</pre>
          ))}
          {step.remote.flatMap((r) => [
            ...(r.check ? [<pre key={`${r.stepId}-c`} className="log">{`# ${t('plan.check')}\n${r.check}`}</pre>] : []),
            ...r.actions.map((a, i) => <pre key={`${r.stepId}-${i}`} className="log">{a.kind === 'run' ? a.script : `# ${a.path} (${a.mode}, ${a.owner})\n${a.content}`}</pre>),
          ])}
        </details>
      )}
    </li>
  );
}

const STATE_ICON: Record<string, string> = { pending: '○', checking: '…', running: '◌', done: '✓', skipped: '✓', failed: '✗', cancelled: '■', waiting: '?' };

function RunView({ plan, lang, t }: { plan: UpgradePlan; lang: Language; t: TFunction }) {
  const { run, running, steps, progress, log, downSince } = useUpgrade();
  // The clock of the live downtime counter, advanced every second while the upgrade runs.
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  const result = !running && run ? run : null;
  // A move stopped to ask the founder (TTL, cutover) has not failed: its step and title say it waits for an answer.
  const waiting = result?.waitingFor ? true : false;
  const titled = waiting ? 'waiting' : (result?.outcome ?? 'running');
  return (
    <>
      {result?.outcome === 'succeeded' && plan.kind !== 'version' && <Result run={result} lang={lang} t={t} />}
      {result && plan.kind === 'version' && <VersionOutcome run={result} lang={lang} t={t} />}
      <div className="card" data-testid="upgrade-run">
        <h2>{plan.kind === 'version' ? t(running ? 'upgrade.version.runTitle' : `upgrade.version.outcome.${result?.rollback ? 'rolledBack' : (result?.outcome ?? 'running')}`, { phase: plan.toPhase, ref: plan.version?.to.ref ?? '' }) : running ? t('upgrade.run.title', { phase: plan.toPhase }) : t(`upgrade.run.outcome.${titled}`, { phase: plan.toPhase })}</h2>
        {running && downSince !== null && now !== null && (
          <p className="notice notice-warn" data-testid="upgrade-down-now">
            {t('upgrade.run.downFor', { time: formatDuration(t, lang, Math.max(0, now - downSince)) })}
          </p>
        )}
        <ol className="upgrade-step-list">
          {plan.steps.map((s) => {
            const state = waiting && steps[s.id] === 'failed' ? 'waiting' : (steps[s.id] ?? 'pending');
            return (
              <li key={s.id} data-testid={`upgrade-step-${s.id}`} data-state={state} className={`state-${state}`}>
                <span className="step-icon" aria-hidden>
                  {STATE_ICON[state] ?? '○'}
                </span>
                <span>{t(stepTitleKey(plan, s.id), s.titleParams)}</span>
                <span className="muted small"> — {t(`deploy.state.${state}`, { defaultValue: state })}</span>
                {progress?.stepId === s.id && state === 'running' && (
                  <span className="small upgrade-progress" data-testid="upgrade-progress">
                    {' '}
                    {t(progress.code, { ...localParams(lang, progress.params), defaultValue: '' })}
                    {progress.percent !== null && ` ${formatNumber(lang, progress.percent)} %`}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
        {log.length > 0 && (
          <details>
            <summary>{t('upgrade.run.log', { count: log.length })}</summary>
            <pre className="log" data-testid="upgrade-log">{log.slice(-40).join('\n')}</pre>
          </details>
        )}
      </div>
    </>
  );
}

function Result({ run, lang, t }: { run: UpgradeRun; lang: Language; t: TFunction }) {
  const of = (x: { ready: number; total: number } | null | undefined) => (x ? t('upgrade.result.readyOf', { ready: formatNumber(lang, x.ready), total: formatNumber(lang, x.total) }) : '—');
  // A server's figures, or a cluster's nodes and pods (a move to K3s: the server before, the cluster after).
  const all: [string, (h: HealthSummary) => string, boolean][] = [
    ['cpus', (h) => (h.cpus === null ? '—' : formatNumber(lang, h.cpus)), true],
    ['ram', (h) => (h.ramUsedPercent === null ? '—' : `${formatNumber(lang, h.ramUsedPercent, 1)} %`), true],
    ['cpu', (h) => (h.cpuPercent === null ? '—' : `${formatNumber(lang, h.cpuPercent, 1)} %`), true],
    ['load', (h) => (h.load1 === null ? '—' : formatNumber(lang, h.load1, 2)), true],
    ['nodes', (h) => of(h.nodes), Boolean(run.before?.nodes || run.after?.nodes)],
    ['pods', (h) => of(h.pods), Boolean(run.before?.pods || run.after?.pods)],
    ['p99', (h) => (h.p99Ms === null ? '—' : `${formatNumber(lang, h.p99Ms, 0)} ms`), true],
  ];
  // A row with nothing on either side (no HTTPS check, say) says nothing.
  const rows = all.filter(([, f, shown]) => shown && [run.before, run.after].some((h) => h && f(h) !== '—'));
  const moved = Boolean(run.after?.nodes) && !run.before?.nodes;
  return (
    <div className="card notice-ok upgrade-result" data-testid="upgrade-result" role="status">
      <h2>{t('upgrade.result.title', { phase: run.toPhase })}</h2>
      <p data-testid="upgrade-downtime-measured">{run.downtimeMs === null ? t('upgrade.result.noDowntime') : t('upgrade.result.downtime', { time: formatDuration(t, lang, run.downtimeMs) })}</p>
      {run.backupId && <p className="small muted">{t('upgrade.result.backup', { id: run.backupId })}</p>}
      {(run.before || run.after) && (
        <table className="compare" data-testid="upgrade-before-after">
          <thead>
            <tr>
              <th />
              <th>{t(moved ? 'upgrade.result.beforeServer' : 'upgrade.result.before')}</th>
              <th>{t(moved ? 'upgrade.result.afterCluster' : 'upgrade.result.after')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([k, f]) => (
              <tr key={k} data-testid={`upgrade-before-after-${k}`}>
                <th>{t(`upgrade.result.rows.${k}`)}</th>
                <td>{run.before ? f(run.before) : '—'}</td>
                <td>{run.after ? f(run.after) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
