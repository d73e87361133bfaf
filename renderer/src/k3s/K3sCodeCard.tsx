import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { phaseOfEnvironment, type K3sEntryPoint } from '../../../electron/shared/k3s-entry';
import type { Profile } from '../../../electron/shared/profile';
import type { Recipe } from '../../../electron/shared/recipe';
import { FixableError } from '../components/FixableError';
import { Busy } from '../components/Spinner';
import { stepTitle } from '../error-text';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useK3s } from './k3s-store';
import { StepCommands } from './StepCommands';

// The K3s part of the Code step (phases 3–4): the repository's entry points with the phases each serves (and why
// one does not), the one and the environment this deployment uses, and what will run, in order.

const SETTING = { entry: 'k3s.entry', environment: 'k3s.environment' } as const;

/**
 * The recipe as a K3s phase reads it: when the repository serves that phase through K3s, what blocks a Compose
 * deployment (no compose file…) does not block this one, and says so as a note.
 */
export function recipeForPhase(recipe: Recipe, phase: number): Recipe {
  if (phase < 3 || !recipe.phases[phase as 3 | 4]) return recipe;
  return { ...recipe, missing: recipe.missing.map((m) => (m.severity === 'blocking' && !m.code.startsWith('recipe.k3s') ? { ...m, severity: 'info' as const } : m)) };
}

export function environmentsFor(entry: K3sEntryPoint, phase: number): string[] {
  const all = entry.kind === 'stack' ? (entry.stack ?? []).map((s) => s.name) : entry.environments;
  const mine = all.filter((e) => phaseOfEnvironment(e) === phase);
  return mine.length > 0 ? mine : all.length === 0 ? [phase === 4 ? 'prod' : 'dev'] : [];
}

export function K3sCodeCard({ recipe, profile, repo }: { recipe: Recipe; profile: Profile; repo: { url: string; ref: string } }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const { plan, planError, planLoading, loadPlan } = useK3s();
  const entries = useMemo(() => recipe.k3s?.entryPoints ?? [], [recipe]);
  const serving = entries.filter((e) => e.phases.includes(profile.phase as 3 | 4));
  const savedEntry = profile.settings[SETTING.entry];
  const savedId = useMemo(() => {
    try {
      return savedEntry ? (JSON.parse(savedEntry) as { id?: string }).id ?? null : null;
    } catch {
      return null;
    }
  }, [savedEntry]);
  const current = serving.find((e) => e.id === savedId) ?? serving[0] ?? null;
  const envs = current ? environmentsFor(current, profile.phase) : [];
  const env = profile.settings[SETTING.environment] && envs.includes(profile.settings[SETTING.environment]!) ? profile.settings[SETTING.environment]! : (envs[0] ?? null);
  const [failure, setFailure] = useState<ReturnType<typeof toEnvelope> | null>(null);

  const repoUrl = repo.url.trim();
  const repoRef = repo.ref.trim();
  // The entry point as detected now, and the environment: saved with the deployment, then the plan follows
  // (with the repository and version on screen, saved or not yet).
  useEffect(() => {
    if (!current || !env || !repoUrl || !repoRef) return;
    const json = JSON.stringify(current);
    const plan = () => loadPlan(profile.id, { url: repoUrl, ref: repoRef });
    if (savedEntry === json && profile.settings[SETTING.environment] === env) {
      void plan();
      return;
    }
    void save((p) => ({ settings: { ...p.settings, [SETTING.entry]: json, [SETTING.environment]: env } }))
      .then(plan)
      .catch((e: unknown) => setFailure(toEnvelope(e, 'profiles.save')));
  }, [current, env, savedEntry, profile.id, profile.settings, save, loadPlan, repoUrl, repoRef]);

  return (
    <div className="card" data-testid="k3s-code">
      <h2>{t('k3s.code.title', { phase: profile.phase })}</h2>
      {entries.length === 0 && <p className="notice notice-warn" data-testid="k3s-no-entry">{t('k3s.code.none')}</p>}
      <ul className="k3s-entries">
        {entries.map((e) => {
          const serves = e.phases.includes(profile.phase as 3 | 4);
          return (
            <li key={e.id} className={`k3s-entry${e.id === current?.id ? ' is-selected' : ''}`} data-testid="k3s-entry" data-kind={e.kind} data-serves={serves}>
              <label className="check">
                <input type="radio" name="k3s-entry" disabled={!serves} checked={e.id === current?.id} onChange={() => void save((p) => ({ settings: { ...p.settings, [SETTING.entry]: JSON.stringify(e) } }))} />
                <strong>{t(`k3s.code.kind.${e.kind}`)}</strong> <code>{e.path}</code>
              </label>
              <p className="phase-badges">
                {e.phases.length > 0 ? (
                  e.phases.map((p) => (
                    <span key={p} className="badge badge-ok">
                      {t('code.recipe.phase', { n: p })} ✓
                    </span>
                  ))
                ) : (
                  <span className="badge badge-off" data-testid="k3s-not-k3s">
                    {t(`k3s.code.notK3s.${e.notK3s ?? 'no_cluster'}`)}
                  </span>
                )}
              </p>
              <dl className="recipe-list small">
                <dt>{t('k3s.code.environments')}</dt>
                <dd>{e.environments.join(', ') || '—'}</dd>
                <dt>{t('k3s.code.tools')}</dt>
                <dd>{e.tools.join(', ') || '—'}</dd>
                <dt>{t('k3s.code.variables')}</dt>
                <dd className="mono">{e.variables.join(', ') || '—'}</dd>
                {e.terraform && (
                  <>
                    <dt>{t('k3s.code.terraform')}</dt>
                    <dd>
                      <code>{e.terraform.paths.join(', ')}</code> {e.terraform.resources.length > 0 && <span className="muted">({e.terraform.resources.slice(0, 6).join(', ')})</span>}
                    </dd>
                  </>
                )}
                {e.makefile && (
                  <>
                    <dt>{t('k3s.code.makefile')}</dt>
                    <dd>
                      <code>{e.makefile.path}</code>: {e.makefile.targets.map((x) => `make ${x}`).join(', ')} <span className="muted">— {t('k3s.code.makefileNote')}</span>
                    </dd>
                  </>
                )}
              </dl>
            </li>
          );
        })}
      </ul>
      {entries.length > 0 && serving.length === 0 && (
        <p className="notice notice-warn" data-testid="k3s-no-entry-for-phase">
          {t('k3s.code.noneForPhase', { phase: profile.phase })}
        </p>
      )}
      {current && envs.length > 0 && (
        <label className="field">
          <span className="field-label">{t('k3s.code.environment')}</span>
          <select value={env ?? ''} onChange={(e) => void save((p) => ({ settings: { ...p.settings, [SETTING.environment]: e.target.value } }))} data-testid="k3s-environment">
            {envs.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
          <span className="field-help">{t(profile.phase === 4 ? 'k3s.code.environmentHelp4' : 'k3s.code.environmentHelp3')}</span>
        </label>
      )}
      {current && envs.length === 0 && <p className="notice notice-warn">{t('k3s.code.noEnvironment', { phase: profile.phase })}</p>}
      {failure && <FixableError error={failure} />}
      {current && (
        <div data-testid="k3s-what-runs">
          <h3>{t('k3s.code.whatRuns')}</h3>
          {planLoading && !plan && <Busy text={t('common.loading')} />}
          {planError && <FixableError error={planError} testId="k3s-plan-error" />}
          {plan && <StepCommands steps={plan.steps} title={(id) => stepTitle(t, id)} />}
        </div>
      )}
    </div>
  );
}
