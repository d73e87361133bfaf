import { useEffect, useMemo, useState } from 'react';
import type { ConfigForm } from '../../../electron/shared/recipe';
import { EnvForm } from './config/EnvForm';
import { K3sConfig } from '../k3s/K3sConfig';
import { useEnvForm } from './config/use-env-form';
import { useTranslation } from 'react-i18next';
import { AppError, type ErrorEnvelope, type FieldIssue } from '../../../electron/shared/errors';
import { formatNumber } from '../../../electron/shared/i18n/format';
import type { Profile } from '../../../electron/shared/profile';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProfileStepFrame } from '../components/ProfileStepFrame';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { CONFIG_DEFAULTS } from '../defaults';
import { useSessionOnlySecrets } from '../stores/app-info-store';
import { useSettings } from '../stores/settings-store';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';

// "Configuration": the server's name and time zone (profile settings) and the `.env` of KoproGo.
// When the Code step detected an env example, the `.env` is a form generated from it (`config.form`,
// checked and written on the main side by `config.save`); otherwise, or on request, it is pasted as text.
// The `.env` holds secrets: it goes straight to the main side's secret store and lives only in this
// component's state while the user edits it; it is never put in the profile, the wizard state or a store.

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TIMEZONE = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+){0,2}$/;

/** The problem of a hostname or a time zone as it is typed (zones: the IANA list this runtime knows), or null. */
export function serverProblems(hostname: string, timezone: string, zones: readonly string[]): { hostname?: 'hostname'; timezone?: 'timezone' | 'timezoneUnknown' } {
  const out: { hostname?: 'hostname'; timezone?: 'timezone' | 'timezoneUnknown' } = {};
  if (!HOSTNAME.test(hostname.trim())) out.hostname = 'hostname';
  const tz = timezone.trim();
  if (!TIMEZONE.test(tz)) out.timezone = 'timezone';
  else if (zones.length > 1 && !zones.includes(tz) && tz !== 'UTC') out.timezone = 'timezoneUnknown';
  return out;
}
const ENV_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [CONFIG_DEFAULTS.timezone];
  }
}

/** Lines that are neither `KEY=value`, a comment nor empty (1-based), to warn about. */
export function oddEnvLines(content: string): number[] {
  return content
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#') && !ENV_LINE.test(line))
    .map(({ n }) => n);
}

export function ConfigurationStep() {
  return (
    <ProfileStepFrame testId="step-configuration" titleKey="configuration.title" introKey="configuration.intro">
      {(profile) => (profile.phase >= 3 ? <K3sConfig key={profile.id} profile={profile} /> : <ConfigLoader key={profile.id} profile={profile} />)}
    </ProfileStepFrame>
  );
}

const EMPTY_FORM: ConfigForm = { envExample: null, fields: [], removed: [], rerun: false, mergedWith: 'none', exampleProblems: [] };

/** Loads the generated form (if the Code step found an env example) before showing the step. */
function ConfigLoader({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<ConfigForm | null | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const load = api()['config.form'];
    load({ profileId: profile.id })
      .then((r) => setForm(r.form))
      .catch(() => setForm(null));
  }, [profile.id]);
  // The values the server runs with now, merged with the example (a re-run from another computer).
  const fromServer = async () => {
    const r = await api()['config.form']({ profileId: profile.id, fromServer: true });
    setForm(r.form);
    setVersion((v) => v + 1);
    return r.form?.mergedWith === 'server';
  };
  if (form === undefined) return <Busy text={t('common.loading')} testId="config-loading" />;
  return <ConfigurationForm key={version} profile={profile} form={form} onFromServer={profile.server ? fromServer : null} />;
}

function ConfigurationForm({ profile, form, onFromServer }: { profile: Profile; form: ConfigForm | null; onFromServer: (() => Promise<boolean>) | null }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const save = useProfile((s) => s.save);
  const env = useProfile((s) => s.env);
  const setEnv = useProfile((s) => s.setEnv);
  const next = useWizard((s) => s.next);
  const zones = useMemo(() => timeZones(), []);

  const [hostname, setHostname] = useState(profile.settings.hostname ?? CONFIG_DEFAULTS.hostname);
  const [timezone, setTimezone] = useState(profile.settings.timezone ?? CONFIG_DEFAULTS.timezone);
  // The secret: local state only.
  const [envText, setEnvText] = useState('');
  const [replacing, setReplacing] = useState(false);
  const [problems, setProblems] = useState<{ hostname?: string; timezone?: string; env?: string }>({});
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  // Said up front (app.info), before the .env is typed: the step then goes on like any other.
  const sessionOnly = useSessionOnlySecrets();
  const [mode, setMode] = useState<'form' | 'text'>(form && form.fields.length > 0 ? 'form' : 'text');
  const envForm = useEnvForm(form ?? EMPTY_FORM, profile.id);
  const [formInvalid, setFormInvalid] = useState(false);
  const [serverRead, setServerRead] = useState<'idle' | 'reading' | 'none' | ErrorEnvelope>('idle');
  const readServer = async () => {
    if (!onFromServer) return;
    setServerRead('reading');
    try {
      // On success this form is replaced by the merged one; 'none' when the server has no .env yet.
      if (!(await onFromServer())) setServerRead('none');
    } catch (e) {
      setServerRead(toEnvelope(e, 'config.form'));
    }
  };

  const envPresent = !!env?.present;
  // Checked as typed: a wrong hostname or a zone the IANA list does not have turns its field red at once.
  const live = serverProblems(hostname, timezone, zones);
  const liveText = {
    hostname: live.hostname ? t(`configuration.problems.${live.hostname}`) : undefined,
    timezone: live.timezone ? t(`configuration.problems.${live.timezone}`, { zone: timezone.trim() }) : undefined,
  };
  useStepAction('configuration', {
    label: t('common.saveContinue'),
    run: () => submit(),
    blocked: live.hostname || live.timezone ? t('configuration.blocked.server') : null,
    busy: saving,
    busyLabel: t('common.saving'),
    testId: 'configuration-save',
  });
  const editingEnv = !envPresent || replacing;
  const odd = useMemo(() => oddEnvLines(envText), [envText]);

  const submit = async () => {
    const found: typeof problems = {};
    if (live.hostname) found.hostname = t(`configuration.problems.${live.hostname}`);
    if (live.timezone) found.timezone = t(`configuration.problems.${live.timezone}`, { zone: timezone.trim() });
    if (mode === 'text' && editingEnv && envText.trim() === '' && !envPresent) found.env = t('configuration.problems.envMissing');
    setProblems(found);
    setIssues([]);
    setFailure(null);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      await save((p) => ({ settings: { ...p.settings, hostname: hostname.trim(), timezone: timezone.trim() } }));
      setFormInvalid(false);
      if (mode === 'form') {
        const r = await envForm.save(profile.id);
        if (!r.ok) {
          setFormInvalid(true);
          // Bring the first field that needs attention into view.
          requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
          return;
        }
        setEnv(await api()['deploy.hasEnv']({ profileId: profile.id }));
      } else if (editingEnv && envText.trim() !== '') {
        await api()['deploy.setEnv']({ profileId: profile.id, content: envText });
        setEnv(await api()['deploy.hasEnv']({ profileId: profile.id }));
        setEnvText('');
        setReplacing(false);
      }
      await next();
    } catch (error) {
      if (error instanceof AppError && error.code === 'ipc.invalid_input' && error.fields?.some((f) => /(hostname|timezone)$/.test(f.path))) setIssues(error.fields);
      else setFailure(toEnvelope(error, 'deploy.setEnv'));
    } finally {
      setSaving(false);
    }
  };

  const keysText = (keys: string[]) => (keys.length > 8 ? `${keys.slice(0, 8).join(', ')}…` : keys.join(', '));

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="card">
        <h2>{t('configuration.server.title')}</h2>
        <div className="fields">
          <TextField id="hostname" label={t('configuration.server.hostname')} help={t('configuration.server.hostnameHelp')} value={hostname} onChange={(v) => { setHostname(v); setProblems((p) => ({ ...p, hostname: undefined })); }} issue={liveText.hostname ?? problems.hostname ?? issues.find((i) => i.path.endsWith('hostname'))} mono maxLength={63} />
          <TextField id="timezone" label={t('configuration.server.timezone')} help={t('configuration.server.timezoneHelp')} value={timezone} onChange={(v) => { setTimezone(v); setProblems((p) => ({ ...p, timezone: undefined })); }} issue={liveText.timezone ?? problems.timezone ?? issues.find((i) => i.path.endsWith('timezone'))} list="timezones" mono maxLength={64} />
          <datalist id="timezones">
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </div>
      </div>

      {mode === 'form' && form && (
        <div className="card" data-testid="env-form-card">
          <h2>{t('configuration.form.title')}</h2>
          <p className="muted">{t('configuration.form.intro', { file: form.envExample ?? '' })}</p>
          {form.mergedWith === 'server' && (
            <div className="notice notice-ok" data-testid="env-from-server">
              <span>{t('configuration.form.fromServerDone')}</span>
            </div>
          )}
          {onFromServer && form.mergedWith !== 'server' && (
            <div className="actions">
              <button type="button" className="btn" disabled={serverRead === 'reading'} onClick={() => void readServer()} data-testid="env-from-server-read">
                {t('configuration.form.fromServer')}
              </button>
              {serverRead === 'reading' && <Busy text={t('configuration.form.fromServerReading')} />}
              {serverRead === 'none' && <span className="muted small" data-testid="env-from-server-none">{t('configuration.form.fromServerNone')}</span>}
            </div>
          )}
          {typeof serverRead === 'object' && <ErrorNotice error={serverRead} onDismiss={() => setServerRead('idle')} />}
          <EnvForm s={envForm} />
          {sessionOnly && (
            <div className="notice notice-warn" role="alert" data-testid="env-session-only">
              <span>{t('configuration.env.sessionOnly')}</span>
            </div>
          )}
          {formInvalid && (
            <div className="notice notice-error" role="alert" data-testid="env-form-invalid">
              <span>{t('configuration.form.invalid', { count: Object.keys(envForm.problems).length })}</span>
            </div>
          )}
          <button type="button" className="link" onClick={() => setMode('text')} data-testid="env-mode-text">
            {t('configuration.form.asText')}
          </button>
        </div>
      )}

      {mode === 'text' && (
      <div className="card" data-testid="env-card">
        <h2>{t('configuration.env.title')}</h2>
        <p className="muted">{t(sessionOnly ? 'configuration.env.introSession' : 'configuration.env.intro')}</p>
        {form && form.fields.length > 0 && (
          <button type="button" className="link" onClick={() => setMode('form')} data-testid="env-mode-form">
            {t('configuration.form.asForm')}
          </button>
        )}
        {envPresent && env && (
          <div className="notice notice-ok" data-testid="env-summary" data-keys={env.keys.length}>
            <span>{t('configuration.env.saved', { count: env.keys.length, n: formatNumber(lang, env.keys.length), keys: keysText(env.keys) })}</span>
            {!replacing && (
              <button type="button" className="link" onClick={() => setReplacing(true)} data-testid="env-replace">
                {t('configuration.env.replace')}
              </button>
            )}
          </div>
        )}
        {sessionOnly && (
          <div className="notice notice-warn" role="alert" data-testid="env-session-only">
            <span>{t('configuration.env.sessionOnly')}</span>
          </div>
        )}
        {editingEnv && (
          <label className="field field-block" htmlFor="envContent">
            <span className="field-label">{envPresent ? t('configuration.env.newLabel') : t('configuration.env.label')}</span>
            <textarea
              id="envContent"
              className="mono env-text"
              rows={12}
              spellCheck={false}
              autoComplete="off"
              value={envText}
              placeholder={'DATABASE_URL=postgres://…\nJWT_SECRET=…\nDOMAIN=koprogo.example.be'}
              onChange={(e) => {
                setEnvText(e.target.value);
                setProblems((p) => ({ ...p, env: undefined }));
              }}
              aria-invalid={problems.env ? true : undefined}
              aria-describedby={problems.env ? 'envContent-error' : 'envContent-help'}
              data-testid="env-input"
            />
            {problems.env ? (
              <span className="field-error" id="envContent-error" role="alert" data-testid="env-error">
                {problems.env}
              </span>
            ) : (
              <span className="field-help" id="envContent-help">
                {t('configuration.env.help')}
              </span>
            )}
            {odd.length > 0 && (
              <span className="field-warn" data-testid="env-odd-lines">
                {t('configuration.env.oddLines', { count: odd.length, lines: odd.slice(0, 10).join(', ') })}
              </span>
            )}
            {replacing && (
              <button type="button" className="link" onClick={() => { setReplacing(false); setEnvText(''); }} data-testid="env-keep">
                {t('configuration.env.keep')}
              </button>
            )}
          </label>
        )}
      </div>
      )}

      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      {/* Enter in a field saves too (the footer's button is the step's one primary action). */}
      <button type="submit" hidden aria-hidden tabIndex={-1} />
    </form>
  );
}
