import { useState } from 'react';
import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import type { UpgradePlan, UpgradeRun } from '../../../electron/shared/contract-upgrade';
import { TextField } from '../components/TextField';
import { formatDuration, localParams } from '../format';
import { useStepAction } from '../stores/step-action';
import { useUpgrade } from '../stores/upgrade-store';
import { PlanFacts } from './PlanFacts';

// The version update of a phase 1–2 deployment, inside the upgrade screen: the ref picker (the repository's tags
// and branches), what changes in the env example (the new keys as form fields, filled before the plan can run;
// the removed ones listed), the choice to restore the database too if it fails, the plan's steps; its primary
// action in the footer; and the outcome: updated, or rolled back with the failing services' logs.

/** Where a plan's step titles are (a version update words the shared steps its own way). */
export function stepTitleKey(plan: Pick<UpgradePlan, 'kind'>, id: string): string {
  return plan.kind === 'version' ? `upgrade.versionStepTitles.${id}` : `upgrade.stepTitles.${id}`;
}

export function VersionPlanView({ plan, lang, t, busy }: { plan: UpgradePlan | null; lang: Language; t: TFunction; busy: boolean }) {
  const versions = useUpgrade((s) => s.versions);
  const target = useUpgrade((s) => s.target);
  const options = useUpgrade((s) => s.options);
  const starting = useUpgrade((s) => s.starting);
  const { setRef, setOptions, start } = useUpgrade.getState();
  const [typed, setTyped] = useState<Record<string, string>>({});
  const v = plan?.version ?? null;
  const ref = target?.kind === 'version' ? target.ref : '';
  const missing = v?.added.filter((a) => !(typed[a.key] ?? options.env?.[a.key] ?? a.example)) ?? [];
  // Typed values reach the plan when the field is left (a new plan each time, not on every key).
  const commit = () => {
    const env = Object.fromEntries(Object.entries({ ...options.env, ...typed }).filter(([, x]) => x !== ''));
    if (JSON.stringify(env) !== JSON.stringify(options.env ?? {})) void setOptions({ env });
  };
  const pending = Object.entries(typed).some(([k, x]) => (options.env?.[k] ?? '') !== x);
  useStepAction('dashboard', {
    label: t('upgrade.version.start', { ref }),
    run: async () => {
      if (pending) {
        commit();
        return;
      }
      await start();
    },
    blocked: !plan || busy ? t('upgrade.version.planning') : missing.length > 0 ? t('upgrade.version.blockedMissing', { keys: missing.map((a) => a.key).join(', ') }) : null,
    busy: starting,
    busyLabel: t('upgrade.starting'),
    testId: 'upgrade-version-start',
  });
  return (
    <>
      <div className="card" data-testid="upgrade-version">
        <label className="field">
          <span>{t('upgrade.version.pick')}</span>
          <select value={ref} disabled={busy || !versions} onChange={(e) => void setRef(e.target.value)} data-testid="upgrade-version-ref">
            {(versions?.refs ?? []).map((r) => (
              <option key={`${r.kind}:${r.name}`} value={r.name}>
                {t(`upgrade.version.refKind.${r.kind}`, { name: r.name, commit: r.commit.slice(0, 8) })}
                {r.commit === versions?.commit ? ` — ${t('upgrade.version.running')}` : ''}
              </option>
            ))}
          </select>
        </label>
        {v && (
          <p data-testid="upgrade-version-from-to">
            {t('upgrade.version.fromTo', { from: v.from.ref, to: v.to.ref, commit: v.to.commit.slice(0, 12) })}
          </p>
        )}
        {plan && (
          <PlanFacts plan={plan} lang={lang} t={t} cost={t('upgrade.version.noCost')} />
        )}
      </div>
      {v && (
        <div className="card" data-testid="upgrade-version-env">
          <h2>{t('upgrade.version.envTitle', { file: v.envExample ?? '.env' })}</h2>
          {v.added.length === 0 && v.removed.length === 0 && <p className="muted">{t('upgrade.version.envSame')}</p>}
          {v.added.length > 0 && (
            <>
              <p>{t('upgrade.version.added', { file: v.envExample ?? '.env' })}</p>
              {v.added.map((a) => (
                <div key={a.key} onBlur={commit}>
                <TextField
                  id={`upgrade-env-${a.key}`}
                  label={a.key}
                  value={typed[a.key] ?? options.env?.[a.key] ?? a.example}
                  onChange={(x) => setTyped((s) => ({ ...s, [a.key]: x }))}
                  help={`${a.comment ?? ''}${!(typed[a.key] ?? options.env?.[a.key] ?? a.example) ? ` (${t('upgrade.version.needsValue')})` : ''}`}
                  type={a.secret ? 'password' : 'text'}
                  mono
                  wide
                  disabled={busy}
                />
                </div>
              ))}
              <button type="button" className="btn btn-small" onClick={commit} disabled={busy || !pending} data-testid="upgrade-env-apply">
                {t('upgrade.version.applyValues')}
              </button>
            </>
          )}
          {v.removed.length > 0 && (
            <>
              <p>{t('upgrade.version.removed', { file: v.envExample ?? '.env' })}</p>
              <ul data-testid="upgrade-version-removed">
                {v.removed.map((k) => (
                  <li key={k} className="mono">
                    {k}
                  </li>
                ))}
              </ul>
              <p className="small muted">{t('upgrade.version.removedKept')}</p>
            </>
          )}
        </div>
      )}
      {plan && (
        <div className="card">
          <label className="check" data-testid="upgrade-restore-database">
            <input type="checkbox" checked={!!options.restoreDatabase} disabled={busy} onChange={(e) => void setOptions({ restoreDatabase: e.target.checked })} />
            <span>{t('upgrade.version.restoreDatabaseLabel')}</span>
          </label>
          <p className="small muted">{t('upgrade.version.rollbackExplained')}</p>
          <label className="field">
            <span>{t('upgrade.verify.label')}</span>
            <select value={plan.verify} disabled={busy} onChange={(e) => void setOptions({ verify: e.target.value as 'server' | 'local' })} data-testid="upgrade-verify">
              <option value="server">{t('upgrade.verify.server')}</option>
              <option value="local">{t('upgrade.verify.local')}</option>
            </select>
          </label>
          {plan.warnings.map((w) => (
            <p key={w.code} className="notice notice-warn" data-testid={`upgrade-warning-${w.code.split('.').pop()}`}>
              {t(w.code, localParams(lang, w.params))}
            </p>
          ))}
        </div>
      )}
    </>
  );
}

/** The outcome of a version update: updated (with the downtime measured), or rolled back with the failing services' logs. */
export function VersionOutcome({ run, lang, t }: { run: UpgradeRun; lang: Language; t: TFunction }) {
  if (run.outcome === 'succeeded')
    return (
      <div className="card notice-ok upgrade-result" data-testid="upgrade-result" data-outcome="updated" role="status">
        <h2>{t('upgrade.version.updated', { ref: run.ref ?? '' })}</h2>
        <p data-testid="upgrade-downtime-measured">{run.downtimeMs === null ? t('upgrade.result.noDowntime') : t('upgrade.result.downtime', { time: formatDuration(t, lang, run.downtimeMs) })}</p>
        {run.backupId && <p className="small muted">{t('upgrade.result.backup', { id: run.backupId })}</p>}
      </div>
    );
  const r = run.rollback;
  if (!r) return null;
  return (
    <div className={`card upgrade-result ${r.state === 'rolled-back' ? 'notice-warn' : 'notice-error'}`} data-testid="upgrade-result" data-outcome={r.state} role="status">
      <h2>{t(`upgrade.version.rollback.${r.state === 'rolled-back' ? 'done' : 'failed'}`, { ref: run.ref ?? '', services: r.services || '—' })}</h2>
      {r.databaseRestored ? <p>{t('upgrade.version.rollback.database')}</p> : <p className="small muted">{t('upgrade.version.rollback.databaseKept')}</p>}
      {r.state === 'rolled-back' && <p data-testid="upgrade-rollback-advice">{t('remedies.upgrade.rolled_back')}</p>}
      {r.logs.map((l) => (
        <details key={l.service} open data-testid={`upgrade-failing-logs-${l.service}`}>
          <summary>{t('upgrade.version.rollback.logs', { service: l.service })}</summary>
          <pre className="log">{l.lines.length ? l.lines.join('\n') : t('upgrade.version.rollback.noLogs')}</pre>
        </details>
      ))}
    </div>
  );
}
