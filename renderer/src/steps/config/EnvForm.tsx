import { ENV_VALUE_MAX, HTPASSWD_USER_MAX } from '../../../../electron/shared/env-limits';
import { formatNumber } from '../../../../electron/shared/i18n/format';
import { useSettings } from '../../stores/settings-store';
import { useTranslation } from 'react-i18next';
import type { ConfigField, DnsResult } from '../../../../electron/shared/recipe';
import { DOMAIN_SHAPE, newSecret, type EnvFormState } from './use-env-form';

// The configuration form generated from the repository's env example: one field per key, grouped by the
// example's section headings, its comments as help, an input that fits the kind of value.

function groupsOf(fields: ConfigField[]): Array<{ title: string | null; fields: ConfigField[] }> {
  const out: Array<{ title: string | null; fields: ConfigField[] }> = [];
  for (const f of fields) {
    const last = out[out.length - 1];
    if (last && last.title === f.group) last.fields.push(f);
    else out.push({ title: f.group, fields: [f] });
  }
  return out;
}

function DnsChip({ result }: { result: DnsResult | 'checking' | undefined }) {
  const { t } = useTranslation();
  if (!result) return null;
  if (result === 'checking') return <span className="chip chip-muted" data-testid="dns-state" data-state="checking">{t('configuration.dns.checking')}</span>;
  const tone = { points_here: 'ok', points_elsewhere: 'warn', no_records: 'warn', not_found: 'error', error: 'muted' }[result.state];
  return (
    <span className={`chip chip-${tone}`} data-testid="dns-state" data-state={result.state}>
      {t(`configuration.dns.${result.state}`, { addresses: result.addresses.join(', ') })}
    </span>
  );
}

function Field({ f, s }: { f: ConfigField; s: EnvFormState }) {
  const { t } = useTranslation();
  const lang = useSettings((st) => st.language);
  const id = `env-${f.key}`;
  const problem = s.problems[f.key];
  const value = s.values[f.key] ?? '';
  const describedBy = problem ? `${id}-error` : `${id}-help`;
  const common = {
    id,
    'data-testid': `envf-${f.key}`,
    'aria-invalid': problem ? true : undefined,
    'aria-describedby': describedBy,
    autoComplete: 'off',
    spellCheck: false,
  } as const;

  let input;
  if (f.kind === 'secret') {
    const shown = s.revealed.has(f.key);
    input = (
      <div className="row">
        <input {...common} className="mono" type={shown ? 'text' : 'password'} value={value} maxLength={10_000} onChange={(e) => s.setValue(f.key, e.target.value)} />
        <button type="button" className="btn btn-small" onClick={() => s.toggleReveal(f.key)} data-testid={`reveal-${f.key}`} aria-pressed={shown}>
          {shown ? t('configuration.form.hide') : t('configuration.form.show')}
        </button>
        <button type="button" className="btn btn-small" onClick={() => s.setValue(f.key, newSecret())} data-testid={`regenerate-${f.key}`}>
          {t('configuration.form.regenerate')}
        </button>
      </div>
    );
  } else if (f.kind === 'logLevel' && f.choices) {
    input = (
      <select {...common} value={value} onChange={(e) => s.setValue(f.key, e.target.value)}>
        {!f.choices.includes(value) && <option value={value}>{value}</option>}
        {f.choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (f.kind === 'boolean') {
    const choices = /^[A-Z]/.test(f.example ?? '') ? ['TRUE', 'FALSE'] : ['true', 'false'];
    input = (
      <select {...common} value={value} onChange={(e) => s.setValue(f.key, e.target.value)}>
        {!choices.includes(value) && <option value={value}>{value}</option>}
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (f.kind === 'htpasswd') {
    const pair = s.htpasswd[f.key] ?? { user: '', password: '' };
    // The half that is wrong turns red: a missing user, or a user without its password.
    const userWrong = !!problem && (pair.user.trim() === '' || problem !== 'empty');
    const passwordWrong = !!problem && !userWrong && pair.password === '';
    input = (
      <div className="row">
        <input {...common} aria-invalid={userWrong ? true : undefined} data-testid={`envf-${f.key}-user`} aria-label={t('configuration.form.htUser')} placeholder={t('configuration.form.htUser')} value={pair.user} maxLength={200} onChange={(e) => s.setHtpasswd(f.key, { ...pair, user: e.target.value })} />
        <input
          type="password"
          className="mono"
          data-testid={`envf-${f.key}-password`}
          aria-label={t('configuration.form.htPassword')}
          aria-invalid={passwordWrong ? true : undefined}
          aria-describedby={describedBy}
          placeholder={f.source === 'saved' ? t('configuration.form.htKeep') : t('configuration.form.htPassword')}
          value={pair.password}
          maxLength={1000}
          autoComplete="new-password"
          onChange={(e) => s.setHtpasswd(f.key, { ...pair, password: e.target.value })}
        />
      </div>
    );
  } else {
    input = (
      <input
        {...common}
        className="mono"
        inputMode={f.kind === 'number' ? 'numeric' : f.kind === 'url' || f.kind === 'domain' ? 'url' : f.kind === 'email' ? 'email' : 'text'}
        value={value}
        placeholder={f.example ?? undefined}
        maxLength={10_000}
        onChange={(e) => s.setValue(f.key, e.target.value)}
      />
    );
  }

  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  return (
    <div className={`field env-field kind-${f.kind}`} data-testid={`env-field-${f.key}`} data-kind={f.kind} data-source={f.source}>
      <label className="field-label" htmlFor={f.kind === 'htpasswd' ? undefined : id}>
        <code>{f.key}</code> <span className="muted small">{t(`configuration.kind.${f.kind}`)}</span>
        {f.added && <span className="chip chip-new">{t('configuration.form.new')}</span>}
        {f.source === 'generated' && value === f.value && <span className="chip chip-ok">{t('configuration.form.generated')}</span>}
        {f.source === 'repository' && value === f.value && <span className="chip chip-ok" data-testid={`env-from-repo-${f.key}`}>{t('configuration.form.fromRepository')}</span>}
      </label>
      {input}
      {f.kind === 'domain' && <DnsChip result={s.dns[domain] ?? (DOMAIN_SHAPE.test(domain) ? 'checking' : undefined)} />}
      {problem ? (
        <span className="field-error" id={`${id}-error`} role="alert" data-testid={`envf-${f.key}-error`} data-problem={problem}>
          {t(`configuration.problem.${f.kind === 'htpasswd' && problem === 'empty' ? (s.htpasswd[f.key]?.user.trim() ? 'htpasswd_password' : 'bad_htpasswd') : problem}`, {
            max: formatNumber(lang, f.kind === 'htpasswd' ? HTPASSWD_USER_MAX : ENV_VALUE_MAX[f.kind]),
          })}
        </span>
      ) : f.help ? (
        // The repository's own words (its env example's comment), shown as such: not translated, not ours.
        <span className="field-help repo-words" id={`${id}-help`} data-testid={`envf-${f.key}-help`}>
          <span className="repo-label">{t('configuration.form.repositorySays')}</span> <q>{f.help}</q>
        </span>
      ) : (
        <span className="field-help" id={`${id}-help`}>
          {f.kind === 'htpasswd' ? t('configuration.form.htHelp') : ''}
        </span>
      )}
    </div>
  );
}

export function EnvForm({ s }: { s: EnvFormState }) {
  const { t } = useTranslation();
  const { form } = s;
  const visible = form.fields.filter((f) => !f.derived);
  const derived = form.fields.filter((f) => f.derived);
  return (
    <div data-testid="env-form">
      {form.rerun && (
        <div className="notice notice-ok" data-testid="env-rerun">
          <span>
            {form.fields.some((f) => f.added) || form.removed.length > 0
              ? t('configuration.form.rerunSummary', { added: t('configuration.form.rerunAdded', { count: form.fields.filter((f) => f.added).length }), removed: t('configuration.form.rerunRemoved', { count: form.removed.length }) })
              : t('configuration.form.rerunSame')}
          </span>
        </div>
      )}
      {form.exampleProblems.length > 0 && (
        <div className="notice notice-warn" data-testid="env-example-problems">
          <span>{t('configuration.form.exampleProblems', { lines: form.exampleProblems.map((p) => p.line).join(', '), file: form.envExample ?? '' })}</span>
        </div>
      )}
      {groupsOf(visible).map((g, i) => (
        <fieldset key={`${g.title ?? ''}-${i}`} className="env-group">
          <legend>
            {g.title ? (
              <>
                {g.title} <span className="repo-label">{t('configuration.form.sectionFromRepository')}</span>
              </>
            ) : (
              t('configuration.form.other')
            )}
          </legend>
          {g.fields.map((f) => (
            <Field key={f.key} f={f} s={s} />
          ))}
        </fieldset>
      ))}
      {derived.length > 0 && (
        <details className="disclosure" data-testid="env-derived">
          <summary>{t('configuration.form.derived', { count: derived.length })}</summary>
          <ul className="mono small">
            {derived.map((f) => (
              <li key={f.key}>
                {f.key}={f.value}
              </li>
            ))}
          </ul>
        </details>
      )}
      {form.removed.length > 0 && (
        <fieldset className="env-group" data-testid="env-removed">
          <legend>{t('configuration.form.removedTitle')}</legend>
          <p className="muted small">{t('configuration.form.removedHelp')}</p>
          {form.removed.map((k) => (
            <label key={k} className="check">
              <input type="checkbox" checked={!s.dropRemoved.has(k)} onChange={() => s.toggleDrop(k)} data-testid={`keep-${k}`} />
              <code>{k}</code>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}
