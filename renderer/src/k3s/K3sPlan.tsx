import { useEffect, useState } from 'react';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { useTranslation } from 'react-i18next';
import type { Preflight, Topology } from '../../../electron/shared/contract-k3s';
import { formatEuros } from '../../../electron/shared/i18n/format';
import { FixableError } from '../components/FixableError';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { stepTitle } from '../error-text';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useSettings } from '../stores/settings-store';
import { useWizard } from '../stores/wizard-store';
import { useK3s } from './k3s-store';
import { StepCommands } from './StepCommands';

// "Plan" for phases 3–4: the roadmap topology and its monthly cost, where the run happens, the pre-flight (each
// tool with the version found and the one required, each variable and where its value comes from), for
// production the checklist of what must exist first, and every step in order. Nothing is created at OVHcloud
// before the user approves Terraform's plan during the run.

export function TopologyLine({ topology }: { topology: Topology }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  return (
    <span data-testid="k3s-topology">
      {t('k3s.topology.controlPlanes', { count: topology.controlPlanes })} + {t('k3s.topology.workers', { count: topology.workers })}
      {topology.worker && ` · ${t('k3s.topology.worker', { vcpu: topology.worker.vcpu, ram: topology.worker.ramGb })}`}
      {topology.loadBalancer && ` · ${t('k3s.topology.loadBalancer')}`}
      {topology.objectStorage && ` · ${t('k3s.topology.objectStorage')}`}
      {' — '}
      <strong>{t('k3s.topology.cost', { amount: formatEuros(lang, topology.monthlyEuros) })}</strong>
    </span>
  );
}

/** Profile setting: the checklist items the user confirmed, comma-separated. */
const CONFIRMED_SETTING = 'k3s.confirmed';

export function K3sPlan() {
  const { t } = useTranslation();
  const profile = useProfile((s) => s.profile);
  const save = useProfile((s) => s.save);
  const goTo = useWizard((s) => s.goTo);
  const k = useK3s();
  const [saveError, setSaveError] = useState<ErrorEnvelope | null>(null);
  const { loadPlan, loadPreflight, loadChecklist } = k;
  const [domain, setDomain] = useState(profile?.settings['k3s.domain'] ?? '');
  const profileId = profile?.id ?? null;
  const phase = profile?.phase ?? 3;

  useEffect(() => {
    if (!profileId) return;
    void loadPlan(profileId);
    void loadPreflight(profileId);
    if (phase === 4) void loadChecklist(profileId);
  }, [profileId, phase, loadPlan, loadPreflight, loadChecklist]);

  // What the user confirmed on the checklist (what no API can check) is kept with the deployment.
  const savedConfirmed = profile?.settings[CONFIRMED_SETTING];
  useEffect(() => {
    useK3s.setState({ confirmed: savedConfirmed ? savedConfirmed.split(',').filter(Boolean) : [] });
  }, [profileId, savedConfirmed]);
  const confirm = (id: string, on: boolean) => {
    k.confirm(id, on);
    const list = useK3s.getState().confirmed.join(',');
    void save((p) => ({ settings: { ...p.settings, [CONFIRMED_SETTING]: list } })).catch((e: unknown) => setSaveError(toEnvelope(e, 'profiles.save')));
  };

  // The domain is kept with the deployment by the check (main side): the profile is read again so it stays shown.
  const checkDomain = async () => {
    if (!profile) return;
    await loadChecklist(profile.id, domain.trim().toLowerCase());
    await useProfile.getState().load(profile.id);
  };
  const checklistOk = phase !== 4 || (!!k.checklist && k.checklist.items.every((i) => i.state === 'ok' || (i.confirmable && k.confirmed.includes(i.id))));
  const deploy = async () => {
    if (profile && (await k.start(profile.id))) await goTo('deploy');
  };
  // The step's one primary action (in the footer), with what still keeps it closed.
  useStepAction('plan', {
    label: t('plan.deploy'),
    run: () => deploy(),
    blocked: k.active
      ? t('plan.blocked.running')
      : k.planError
        ? t('plan.blocked.error')
        : !k.plan
          ? t('plan.loading')
          : k.preflightLoading || !k.preflight
            ? t('k3s.preflight.checking')
            : !k.preflight.ok
              ? t('k3s.preflight.blocking')
              : !checklistOk
                ? t('k3s.checklist.blocking')
                : null,
    busy: k.busy === 'starting',
    busyLabel: t('plan.starting'),
    testId: 'plan-deploy',
    holds: null,
  });

  if (!profile) return null;
  const where = k.plan?.runner === 'remote' && profile.server ? t('k3s.plan.whereRemote', { target: `${profile.server.user}@${profile.server.host}` }) : t('k3s.plan.whereLocal');

  return (
    <section className="panel" data-testid="step-plan" data-k3s="true">
      <h1>{t('plan.title')}</h1>
      <p className="lead">{t('k3s.plan.intro')}</p>
      {k.planError && <FixableError error={k.planError} testId="plan-error" />}
      {!k.plan && !k.planError && <Busy text={t('plan.loading')} testId="plan-loading" />}
      {k.plan && (
        <div className="card plan-summary">
          <dl className="economics">
            <div>
              <dt>{t('plan.phase')}</dt>
              <dd>{t(`phase.names.${k.plan.phase}`)}</dd>
            </div>
            <div>
              <dt>{t('k3s.plan.environment')}</dt>
              <dd className="mono" data-testid="k3s-plan-environment">{k.plan.environment}</dd>
            </div>
            <div>
              <dt>{t('k3s.plan.where')}</dt>
              <dd data-testid="k3s-plan-where">{where}</dd>
            </div>
          </dl>
          <p data-testid="plan-cost">
            <TopologyLine topology={k.plan.topology} />
          </p>
          <p className="plan-promise" data-testid="plan-promise">
            {t('k3s.plan.nothingChanges')}
          </p>
        </div>
      )}

      <div className="card" data-testid="k3s-preflight" data-ok={k.preflight?.ok ?? 'unknown'}>
        <div className="k3s-card-head">
          <h2>{t('k3s.preflight.title')}</h2>
          <button type="button" className="btn btn-small" disabled={k.preflightLoading} onClick={() => void loadPreflight(profile.id)} data-testid="k3s-preflight-again">
            {t('k3s.preflight.again')}
          </button>
        </div>
        {k.preflightLoading && <Busy text={t('k3s.preflight.checking')} />}
        {k.preflightError && <FixableError error={k.preflightError} testId="k3s-preflight-error" />}
        {k.preflight && <PreflightTable p={k.preflight} />}
      </div>

      {phase === 4 && (
        <div className="card" data-testid="k3s-checklist" data-ready={k.checklist?.ready ?? false}>
          <h2>{t('k3s.checklist.title')}</h2>
          <p className="muted small">{t('k3s.checklist.intro')}</p>
          <div className="fields fields-inline">
            <TextField id="k3s-domain" label={t('k3s.checklist.domain')} help={t('k3s.checklist.domainHelp')} value={domain} onChange={setDomain} placeholder="api.koprogo.example" mono wide maxLength={253} />
            <button type="button" className="btn" disabled={k.checklistLoading || domain.trim() === ''} onClick={() => void checkDomain()} data-testid="k3s-checklist-check">
              {t('k3s.checklist.check')}
            </button>
          </div>
          {k.checklistLoading && <Busy text={t('k3s.checklist.checking')} />}
          {k.checklistError && <FixableError error={k.checklistError} />}
          {k.checklist && (
            <ul className="checklist">
              {k.checklist.items.map((i) => (
                <li key={i.id} className={`check-${i.state === 'ok' ? 'ok' : 'warn'}`} data-testid={`k3s-check-${i.id}`} data-state={i.state}>
                  <span className="check-icon" aria-hidden>
                    {i.state === 'ok' ? '✓' : i.state === 'failed' ? '✕' : '!'}
                  </span>
                  <span>
                    <strong>{t(`k3s.checklist.items.${i.id}`)}</strong> — {t(i.detail.code, i.detail.params)}
                    {i.confirmable && (
                      <label className="check k3s-confirm">
                        <input type="checkbox" checked={k.confirmed.includes(i.id)} onChange={(e) => confirm(i.id, e.target.checked)} data-testid={`k3s-confirm-${i.id}`} />
                        {t(`k3s.checklist.confirm.${i.id}`)}
                      </label>
                    )}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {k.plan && (
        <div className="card">
          <h2>{t('k3s.plan.steps')}</h2>
          <StepCommands steps={k.plan.steps} title={(id) => stepTitle(t, id)} />
        </div>
      )}

      {k.actionError && <FixableError error={k.actionError} testId="plan-start-error" />}
      {saveError && <FixableError error={saveError} />}
      {k.active && (
        <p className="notice notice-info">
          <button type="button" className="link" onClick={() => void goTo('deploy')} data-testid="plan-follow-run">
            {t('plan.running')}
          </button>
        </p>
      )}
    </section>
  );
}

function PreflightTable({ p }: { p: Preflight }) {
  const { t } = useTranslation();
  return (
    <>
      <p className="small" data-testid="k3s-preflight-where">
        {t(`k3s.preflight.via.${p.where.via}`, { os: p.where.os, arch: p.where.arch, distro: p.where.distro ?? '', host: p.where.host ?? '' })}
      </p>
      <table className="compare k3s-table">
        <thead>
          <tr>
            <th>{t('k3s.preflight.tool')}</th>
            <th>{t('k3s.preflight.found')}</th>
            <th>{t('k3s.preflight.required')}</th>
            <th>{t('k3s.preflight.status')}</th>
          </tr>
        </thead>
        <tbody>
          {p.commands.map((c) => (
            <tr key={c.name} data-testid={`k3s-command-${c.name}`}>
              <td className="mono">{c.name}</td>
              <td className="mono">{c.path ?? '—'}</td>
              <td>—</td>
              <td>{c.path ? '✓' : c.required ? `✕ ${t('k3s.preflight.missing')}` : t('k3s.preflight.willInstall')}</td>
            </tr>
          ))}
          {p.tools.map((tool) => (
            <tr key={tool.id} data-testid={`k3s-tool-${tool.id}`} data-state={tool.state} data-action={tool.action}>
              <td className="mono">{tool.id}</td>
              <td className="mono">{tool.found ?? '—'}</td>
              <td className="mono">≥ {tool.minimum}</td>
              <td>{tool.action === 'use' ? '✓' : tool.action === 'install' ? t('k3s.preflight.installPinned', { version: tool.pinned }) : `✕ ${t(`k3s.preflight.states.${tool.state}`)}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="compare k3s-table">
        <thead>
          <tr>
            <th>{t('k3s.preflight.variable')}</th>
            <th>{t('k3s.preflight.source')}</th>
          </tr>
        </thead>
        <tbody>
          {p.variables.map((v) => (
            <tr key={v.name} data-testid={`k3s-var-${v.name}`} data-present={v.present}>
              <td className="mono">{v.name}</td>
              <td>{v.present ? `✓ ${t(`k3s.preflight.sources.${v.source}`)}` : `✕ ${t('k3s.preflight.sources.missing')}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.problems.length > 0 && (
        <ul className="recipe-missing" data-testid="k3s-preflight-problems">
          {p.problems.map((x, i) => (
            <li key={i} className="sev-blocking" data-code={x.code}>
              {t(x.code, x.params)} <span className="muted">{t(`${x.code}_remedy`, x.params)}</span>
            </li>
          ))}
        </ul>
      )}
      {p.ok && <p className="notice notice-ok small" data-testid="k3s-preflight-ok">{t('k3s.preflight.ok')}</p>}
    </>
  );
}
