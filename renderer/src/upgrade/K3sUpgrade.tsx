import { phase4DetailParams } from '../../../electron/shared/phase4-text';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpgradePlan, UpgradeRun } from '../../../electron/shared/contract-upgrade';
import { formatNumber } from '../../../electron/shared/i18n/format';
import { localParams } from '../format';
import { useSettings } from '../stores/settings-store';
import { useStepAction } from '../stores/step-action';
import { useUpgrade } from '../stores/upgrade-store';
import { formatMoney } from './money';
import { PlanStep } from './UpgradeScreen';

// The upgrade screen's parts for phase 2 → 3 and 3 → 4: the move onto the cluster (the cluster deployed by
// the K3s screens, its database, the DNS records now with their TTL, the change, the resolvers, the way back),
// the run's waits for the user (TTL lowered; the application checked on the cluster, the server still up) and
// the rollback, the phase 4 checklist with each item's state; the primary action goes to the footer.

export function K3sPlanView({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const m = plan.migration;
  const delta = plan.cost.deltaMonthly;
  return (
    <div className="card" data-testid="upgrade-plan" data-route={plan.route}>
      <h2>{t(`upgrade.routes.${plan.route}`)}</h2>
      <dl className="facts upgrade-facts">
        <div>
          <dt>{t('upgrade.cost.title')}</dt>
          <dd data-testid="upgrade-cost-change">
            {formatMoney(lang, plan.cost.before)} → {formatMoney(lang, plan.cost.after)} ({delta === null ? '—' : t(delta >= 0 ? 'upgrade.cost.more' : 'upgrade.cost.less', { amount: formatMoney(lang, { net: Math.abs(delta), currency: plan.cost.currency }) })})
          </dd>
        </div>
        <div>
          <dt>{t('upgrade.downtime.title')}</dt>
          <dd data-testid="upgrade-downtime">{plan.downtime.maxSec === 0 ? t('upgrade.k3s.noDowntime') : t('upgrade.downtime.range', { min: formatNumber(lang, Math.round(plan.downtime.minSec / 60)), max: formatNumber(lang, Math.round(plan.downtime.maxSec / 60)) })}</dd>
        </div>
      </dl>
      {m && <MigrationFacts plan={plan} />}
      {plan.checklist && <Checklist plan={plan} />}
      {plan.warnings.map((w) => (
        <p key={w.code} className="notice notice-warn" data-testid={`upgrade-warning-${w.code.split('.').pop()}`}>
          {t(w.code, { ...localParams(lang, w.params), ...(typeof w.params.count === 'number' ? { count: w.params.count } : {}) })}
        </p>
      ))}
      {m && (
        <ol className="upgrade-step-list" data-testid="upgrade-steps">
          {plan.steps.map((s) => (
            <PlanStep key={s.id} step={s} t={t} plan={plan} />
          ))}
        </ol>
      )}
    </div>
  );
}

/** The cluster's public address (its ingress or load balancer): what the records will point at. */
function IngressField({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const current = plan.migration?.dns.changes[0]?.to ?? '';
  const [value, setValue] = useState(current);
  const valid = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:]*$/.test(value.trim());
  return (
    <label className="field">
      <span>{t('upgrade.k3s.ingress')}</span>
      <input
        type="text"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => valid && value.trim() !== current && void useUpgrade.getState().setOptions({ ingress: value.trim() })}
        aria-invalid={!valid}
        data-testid="upgrade-ingress"
      />
    </label>
  );
}

function MigrationFacts({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const m = plan.migration!;
  return (
    <>
      <dl className="facts upgrade-facts" data-testid="upgrade-migration">
        <div>
          <dt>{t('upgrade.migration.cluster')}</dt>
          <dd className="mono">
            {m.cluster.profileId} ({m.cluster.environment ?? '—'}) — {m.cluster.deployedAt ?? t('upgrade.migration.notDeployed')}
          </dd>
        </div>
        <div>
          <dt>{t('upgrade.migration.database')}</dt>
          <dd className="mono" data-testid="upgrade-cluster-db">
            {m.database ? `${m.database.user}@${m.database.host}:${m.database.port}/${m.database.database}` : '—'}
          </dd>
        </div>
        <div>
          <dt>{t('upgrade.migration.rollback')}</dt>
          <dd className="mono">{`${m.rollback.host} (${m.rollback.addresses.join(', ')})`}</dd>
        </div>
      </dl>
      <ClusterDatabaseForm plan={plan} />
      <IngressField plan={plan} />
      <h3>{t('upgrade.k3s.dnsTitle', { domain: m.dns.domain ?? '—' })}</h3>
      <table className="compare" data-testid="upgrade-dns">
        <thead>
          <tr>
            <th>{t('upgrade.k3s.record')}</th>
            <th>{t('upgrade.k3s.now')}</th>
            <th>{t('upgrade.k3s.ttl')}</th>
            <th>{t('upgrade.k3s.to')}</th>
          </tr>
        </thead>
        <tbody>
          {m.dns.changes.map((c) => (
            <tr key={`${c.name}-${c.type}`} data-testid={`upgrade-dns-${c.type}`}>
              <th className="mono">{`${c.name} ${c.type}`}</th>
              <td className="mono">{c.from.join(', ') || '—'}</td>
              <td>{m.dns.current.filter((r) => r.type === c.type).map((r) => `${r.ttl} s`).join(', ') || '—'}</td>
              <td className="mono">{c.to}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">{t('upgrade.k3s.resolvers', { list: m.dns.resolvers.join(', ') })}</p>
    </>
  );
}

function ClusterDatabaseForm({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const m = plan.migration!;
  const [form, setForm] = useState({ host: m.database?.host ?? '127.0.0.1', port: String(m.database?.port ?? 5432), user: m.database?.user ?? '', database: m.database?.database ?? '', password: '' });
  const [saving, setSaving] = useState(false);
  const field = (k: keyof typeof form, type = 'text') => (
    <label className="field" key={k}>
      <span>{t(`upgrade.k3s.db.${k}`)}</span>
      <input type={type} value={form[k]} autoComplete="off" onChange={(e) => setForm({ ...form, [k]: e.target.value })} data-testid={`upgrade-db-${k}`} />
    </label>
  );
  return (
    <details className="upgrade-choice" open={!m.database} data-testid="upgrade-db-form">
      <summary>{t('upgrade.k3s.db.title')}</summary>
      <p className="small muted">{t('upgrade.k3s.db.help')}</p>
      {field('host')}
      {field('port')}
      {field('user')}
      {field('database')}
      {field('password', 'password')}
      <button
        type="button"
        className="btn"
        disabled={saving || !form.password || !form.user || !form.database}
        onClick={async () => {
          setSaving(true);
          const ok = await useUpgrade.getState().setClusterDatabase({ clusterProfileId: m.cluster.profileId, host: form.host.trim(), port: Number(form.port), user: form.user.trim(), database: form.database.trim(), password: form.password });
          setSaving(false);
          if (ok) setForm({ ...form, password: '' });
        }}
        data-testid="upgrade-db-save"
      >
        {t('upgrade.k3s.db.save')}
      </button>
    </details>
  );
}

function Checklist({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  return (
    <ol className="upgrade-step-list" data-testid="upgrade-checklist">
      {plan.checklist!.map((i) => (
        <li key={i.id} data-testid={`upgrade-item-${i.id}`} data-state={i.state}>
          <label className="check">
            <input type="checkbox" checked={i.state === 'ok'} disabled={i.checked} onChange={(e) => void useUpgrade.getState().checkItem(i.id, e.target.checked)} data-testid={`upgrade-item-check-${i.id}`} />
            <span>
              <strong>{t(`upgrade.stepTitles.${i.id}`)}</strong> — {t(i.detail.code, localParams(lang, phase4DetailParams(i.detail, (k) => t(k))))}
              <span className={`badge ${i.state === 'ok' ? 'badge-ok' : 'badge-warn'}`}>{t(`upgrade.phase4.state.${i.state}`)}</span>
            </span>
          </label>
          {i.commands.length > 0 && (
            <details>
              <summary>{t('upgrade.steps.details')}</summary>
              <pre className="log">{i.commands.join('\n')}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The run waits for the user, or stopped where the way back is still open. */
export function K3sRunExtras({ run }: { run: UpgradeRun }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  // What "back to the server" said belongs to that stop: the store clears it on the next start.
  const rolledBack = useUpgrade((s) => (s.running ? null : s.rolledBack));
  const open = run.outcome === 'failed' || run.outcome === 'cancelled';
  return (
    <>
      {run.waitingFor && (
        <div className="card notice-info" data-testid="upgrade-waiting" data-what={run.waitingFor}>
          <p>{t(`upgrade.k3s.waiting.${run.waitingFor}`, localParams(lang, run.error?.params ?? {}))}</p>
        </div>
      )}
      {(run.propagation?.length ?? 0) > 0 && (
        <table className="compare" data-testid="upgrade-propagation">
          <thead>
            <tr>
              <th>{t('upgrade.k3s.resolver')}</th>
              <th>{t('upgrade.k3s.answers')}</th>
              <th>{t('upgrade.k3s.switchedHead')}</th>
            </tr>
          </thead>
          <tbody>
            {run.propagation!.map((v) => (
              <tr key={v.resolver}>
                <th className="mono">{v.resolver}</th>
                <td className="mono">{v.addresses.join(', ') || '—'}</td>
                <td className={v.switched ? 'ok' : 'muted'}>{v.switched ? `✓ ${t('upgrade.k3s.switchedYes')}` : `✗ ${t('upgrade.k3s.switchedNo')}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && run.kind === 'phase-2-3' && !rolledBack && (
        <div className="card" data-testid="upgrade-rollback-card">
          <p>{t('upgrade.k3s.rollbackHelp')}</p>
          <button type="button" className="btn" onClick={() => void useUpgrade.getState().rollback()} data-testid="upgrade-rollback">
            {t('upgrade.k3s.rollback')}
          </button>
        </div>
      )}
      {rolledBack && (
        <div className="card notice-ok" data-testid="upgrade-rolled-back">
          <p>{t(rolledBack.propagated ? 'cli.rollbackPropagated' : 'cli.rollbackNotYet')}</p>
          <ul>
            {rolledBack.records.map((r) => (
              <li key={`${r.name}-${r.type}`} className="mono">{`${r.name} ${r.type} ${r.from.join(', ')} → ${r.to}`}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

/** The footer's button for these moves: start, resume, confirm, or record phase 4. */
export function K3sPrimaryAction({ plan }: { plan: UpgradePlan }) {
  const { t } = useTranslation();
  const { run, running, starting, planning } = useUpgrade();
  const same = run !== null && run.planHash === plan.planHash;
  const waiting = same && !running ? (run.waitingFor ?? null) : null;
  const pending = (plan.checklist ?? []).filter((i) => i.state !== 'ok').length;
  const blockedReason = running ? t('upgrade.k3s.runningNow') : plan.checklist && pending > 0 ? t('upgrade.warnings.checklistPending', { count: pending }) : plan.migration && !plan.migration.database ? t('upgrade.warnings.noClusterDatabase') : null;
  const label = waiting ? t(`upgrade.k3s.confirm.${waiting}`) : same && run.outcome === 'failed' ? t('upgrade.run.resume') : t('upgrade.start', { phase: plan.toPhase });
  useStepAction('dashboard', {
    label,
    run: () => (waiting ? useUpgrade.getState().confirm(waiting) : useUpgrade.getState().start(same && run.outcome === 'cancelled')),
    blocked: blockedReason,
    busy: starting || planning,
    busyLabel: t('upgrade.starting'),
    holds: null,
    testId: 'upgrade-start',
  });
  return null;
}
