import { pluralParams } from '../../../../electron/shared/i18n/format';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { buildCost } from '../../../../electron/shared/deploy-review';
import type { Recipe, RecipeOverrides } from '../../../../electron/shared/recipe';
import { BuildCostNotice } from '../plan/PlanReview';

/** The chosen server's memory and vCPU (measured by its check, else the phase's figures). */
export interface ServerSize {
  memoryMb: number;
  vcpu: number;
  measured: boolean;
}

const SEVERITY_ORDER = { blocking: 0, warning: 1, info: 2 } as const;
const ASK_CODES = new Set(['recipe.base_guessed', 'recipe.overlay_without_base', 'recipe.choice_uncertain', 'recipe.tooling_conflict']);

/** `${API_DOMAIN:-api.example.com}` → `API_DOMAIN`: the setting the Host header comes from (null for a literal host). */
function hostVariable(host: string): string | null {
  return /^\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}$/u.exec(host.trim())?.[1] ?? null;
}

/** What the app found in the repository, which phases it enables, what is missing, and a way to point at the files. */
export function RecipeSummary(props: { recipe: Recipe; candidates: string[]; busy: boolean; server: ServerSize; onRedetect: (overrides: RecipeOverrides) => void }) {
  const { t } = useTranslation();
  const r = props.recipe;
  const missing = [...r.missing].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const blocking = missing.some((m) => m.severity === 'blocking');
  // A combination the rules could not decide for sure: the files to point at are shown open, to confirm.
  const asks = missing.some((m) => ASK_CODES.has(m.code));
  const yaml = props.candidates.filter((f) => /\.ya?ml$/i.test(f));
  const envs = props.candidates.filter((f) => !/\.ya?ml$/i.test(f));
  const [compose, setCompose] = useState<string[]>(r.production?.files ?? []);
  const [envExample, setEnvExample] = useState<string>(r.envExample?.path ?? '');
  const toggle = (f: string) => setCompose((c) => (c.includes(f) ? c.filter((x) => x !== f) : [...c, f]));

  return (
    <div className="card" data-testid="recipe" data-blocking={blocking}>
      <h2>{t('code.recipe.title')}</h2>
      <dl className="recipe-list">
        <dt>{t('code.recipe.compose')}</dt>
        <dd data-testid="recipe-compose">
          {r.production ? (
            <>
              <code>{r.production.files.join(' + ')}</code>
              {r.choice && (
                <span className="small" data-testid="recipe-source" data-kind={r.production.kind}>
                  {' '}
                  — {t(r.choice.code, pluralParams(r.choice.params))}
                  {typeof r.choice.params.via === 'string' && r.choice.params.via !== '' && <span className="muted"> {t('code.recipe.via', { via: r.choice.params.via })}</span>}
                </span>
              )}
            </>
          ) : (
            <span className="muted">{t('code.recipe.none')}</span>
          )}
        </dd>
        {r.envFile && (
          <>
            <dt>{t('code.recipe.envFile')}</dt>
            <dd data-testid="recipe-env-file">
              <code>{r.envFile}</code> <span className="muted small">{r.production?.envFile ? t('code.recipe.envFileTooling') : t('code.recipe.envFileDefault')}</span>
            </dd>
          </>
        )}
        <dt>{t('code.recipe.envExample')}</dt>
        <dd data-testid="recipe-env">{r.envExample ? <><code>{r.envExample.path}</code> <span className="muted small">{t('code.recipe.keys', { count: r.envExample.keys.length })}</span></> : <span className="muted">{t('code.recipe.none')}</span>}</dd>
        <dt>{t('code.recipe.health')}</dt>
        <dd data-testid="recipe-health" data-via={r.health?.via ?? 'none'}>
          {r.health ? (
            <>
              <code>{r.health.path}</code> <span className="muted small">({r.health.service}:{r.health.containerPort})</span>
              {r.health.via === 'proxy' && (
                <span className="small">
                  {' '}
                  ·{' '}
                  {hostVariable(r.health.host ?? '')
                    ? t('code.recipe.healthProxyVar', { proxy: r.proxy?.service ?? '', variable: hostVariable(r.health.host ?? '') })
                    : t('code.recipe.healthProxy', { proxy: r.proxy?.service ?? '', host: r.health.host ?? '' })}
                </span>
              )}
            </>
          ) : (
            <span className="muted">{t('code.recipe.none')}</span>
          )}
        </dd>
        <dt>{t('code.recipe.images')}</dt>
        <dd data-testid="recipe-images">
          {r.images.pull.length > 0 && <span>{t('code.recipe.pulled', { count: r.images.pull.length })}</span>}
          {r.images.pull.some((p) => p.moving) && <span className="muted small"> · {t('code.recipe.moving', { services: r.images.pull.filter((p) => p.moving).map((p) => p.service).join(', ') })}</span>}
          {r.images.pull.some((p) => p.private) && (
            <span className="small" data-testid="recipe-private-images">
              {' '}
              · {t('code.recipe.privateImages', { registry: r.images.pull.find((p) => p.private)?.registry ?? '' })}
            </span>
          )}
          {r.images.pull.length === 0 && r.images.build.length === 0 && <span className="muted">{t('code.recipe.none')}</span>}
          {r.images.build.length > 0 && <span className="small"> {t('code.recipe.built', { services: r.images.build.map((b) => b.service).join(', ') })}</span>}
        </dd>
        <dt>{t('code.recipe.database')}</dt>
        <dd data-testid="recipe-db">{r.postgres ? <span>{t('code.recipe.postgres', { service: r.postgres.service, user: r.postgres.user, database: r.postgres.database })}</span> : <span className="muted">{t('code.recipe.none')}</span>}</dd>
        <dt>{t('code.recipe.backup')}</dt>
        <dd data-testid="recipe-backup">
          {r.backup.covered.length > 0 ? (
            <span>{t('code.recipe.covered', { items: r.backup.covered.map((c) => (c.kind === 'postgres' ? `PostgreSQL ${c.source}` : c.source)).join(', ') })}</span>
          ) : (
            <span className="muted">{t('code.recipe.none')}</span>
          )}
          {r.backup.notCovered.length > 0 && (
            <span className="muted small" data-testid="recipe-not-covered">
              {' '}
              · {t('code.recipe.notCovered', { items: r.backup.notCovered.map((n) => `${n.source} (${t(`plan.review.reason.${n.reason}`)})`).join(', ') })}
            </span>
          )}
        </dd>
        <dt>{t('code.recipe.monitoring')}</dt>
        <dd data-testid="recipe-monitoring">
          {r.monitoring.scripts.length > 0 || r.monitoring.thresholds ? (
            <span>{t('code.recipe.monitoringFound', { count: r.monitoring.scripts.length, thresholds: r.monitoring.thresholds?.path ?? '—' })}</span>
          ) : (
            <span className="muted">{t('code.recipe.none')}</span>
          )}
        </dd>
        <dt>{t('code.recipe.k3s')}</dt>
        <dd data-testid="recipe-k3s">
          {r.k3s ? <span>{t('code.recipe.k3sFound', { script: r.k3s.deployScript ?? '—', environments: r.k3s.environments.join(', ') || '—' })}</span> : <span className="muted">{t('code.recipe.none')}</span>}
        </dd>
      </dl>
      {r.exposure.length > 0 && (
        <div className="notice notice-warn" data-testid="recipe-exposure">
          <span>{t('code.recipe.exposure', { count: r.exposure.length, ports: r.exposure.map((e) => `${e.service} ${e.published ?? '?'}→${e.target}`).join(', ') })}</span>
        </div>
      )}
      {r.images.build.length > 0 && <BuildCostNotice review={{ build: r.images.build.map((b) => ({ service: b.service, language: b.language })), buildCost: buildCost(r.images.build.map((b) => b.language), props.server), imagesCi: r.images.ci }} />}
      {r.defaultCredentials.length > 0 && (
        <div className="notice notice-info" data-testid="recipe-default-credentials">
          <span>{t('code.recipe.defaultCredentials', { user: r.defaultCredentials[0]?.user ?? '', file: r.defaultCredentials[0]?.file ?? '' })}</span>
        </div>
      )}
      <p className="phase-badges" data-testid="recipe-phases">
        {([1, 2, 3, 4] as const).map((p) => (
          <span key={p} className={`badge ${r.phases[p] ? 'badge-ok' : 'badge-off'}`} data-phase={p} data-enabled={r.phases[p]}>
            {t('code.recipe.phase', { n: p })} {r.phases[p] ? '✓' : '✗'}
          </span>
        ))}
      </p>
      {missing.length > 0 && (
        <ul className="recipe-missing" data-testid="recipe-missing">
          {missing.map((m, i) => (
            <li key={`${m.code}-${i}`} className={`sev-${m.severity}`} data-code={m.code} data-severity={m.severity}>
              <span className="sev-label">{t(`code.recipe.severity.${m.severity}`)}</span> {t(m.code, pluralParams(m.params))}
            </li>
          ))}
        </ul>
      )}
      <details className="disclosure" open={blocking || asks} data-testid="recipe-point">
        <summary>{t('code.recipe.point.title')}</summary>
        <p className="muted small">{t('code.recipe.point.intro')}</p>
        {yaml.length === 0 ? (
          <p className="muted">{t('code.recipe.point.noYaml')}</p>
        ) : (
          <fieldset className="file-choices">
            <legend>{t('code.recipe.point.compose')}</legend>
            {yaml.map((f) => (
              <label key={f} className="check">
                <input type="checkbox" checked={compose.includes(f)} onChange={() => toggle(f)} data-testid="point-compose" data-file={f} />
                <code>{f}</code>
                {compose.includes(f) && <span className="muted small"> #{compose.indexOf(f) + 1}</span>}
              </label>
            ))}
          </fieldset>
        )}
        <label className="field">
          <span className="field-label">{t('code.recipe.point.envExample')}</span>
          <select value={envExample} onChange={(e) => setEnvExample(e.target.value)} data-testid="point-env">
            <option value="">{t('code.recipe.point.noEnv')}</option>
            {envs.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button
            type="button"
            className="btn"
            disabled={props.busy || compose.length === 0}
            onClick={() => props.onRedetect({ composeFiles: compose, ...(envExample ? { envExample } : {}) })}
            data-testid="point-apply"
          >
            {t('code.recipe.point.apply')}
          </button>
        </div>
      </details>
    </div>
  );
}
