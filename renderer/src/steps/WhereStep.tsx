import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AppError, type ErrorEnvelope, type FieldIssue } from '../../../electron/shared/errors';
import { formatNumber } from '../../../electron/shared/i18n/format';
import { getPhase, type PhaseId } from '../../../electron/shared/phases';
import type { Profile } from '../../../electron/shared/profile';
import { api } from '../app-api';
import { CopyButton } from '../components/CopyButton';
import { ErrorNotice } from '../components/ErrorNotice';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { useLocalizeError } from '../error-text';
import { formatDateTime } from '../format';
import { useSessionOnlySecrets } from '../stores/app-info-store';
import { useSettings } from '../stores/settings-store';
import { SERVER_CHECK_SETTING, savedServerCheck, serverTarget, toEnvelope, useProfile, type SavedServerCheck } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useProgress, useWizard } from '../stores/wizard-store';
import { CheckList } from './where/CheckList';
import { CloudProvider } from './where/CloudProvider';
import { createdBy } from './where/provider-ui';
import { chosenDistro, K3S_WHERE, K3sWhere, localUsability } from '../k3s/K3sWhere';
import { useK3s } from '../k3s/k3s-store';

// "Where": the server KoproGo will run on: one created by the app at Hetzner Cloud or OVHcloud
// (where/CloudProvider.tsx), or a server the user already has. The server's identity is verified
// before the app sends anything to it (its host key pinned at creation, or trust on first use with
// the fingerprint shown), then it is checked against the chosen phase's needs.

type Flow =
  | { kind: 'idle' }
  | { kind: 'probing' }
  | { kind: 'trust'; fingerprint: string }
  | { kind: 'checking' }
  | { kind: 'checked'; result: SavedServerCheck; fresh: boolean }
  | { kind: 'failed'; error: ErrorEnvelope };

const SERVER_FIELDS = ['host', 'port', 'user'];

interface Target {
  host: string;
  port: number;
  user: string;
}

/** A number when the text is one; the raw text otherwise, so the main side's schema names the problem. */
function portOf(text: string): number {
  const trimmed = text.trim();
  return (/^\d+$/.test(trimmed) ? Number(trimmed) : trimmed) as number;
}

type Choice = 'hetzner' | 'ovh' | 'existing';

export function WhereStep() {
  const { t } = useTranslation();
  const ensureProfile = useWizard((s) => s.ensureProfile);
  const profile = useProfile((s) => s.profile);
  const error = useProfile((s) => s.error);
  const phase = useWizard((s) => s.state.phase);
  const [choice, setChoice] = useState<Choice | null>(null);

  useEffect(() => {
    void ensureProfile();
  }, [ensureProfile]);

  // Until the user picks: the provider that created the profile's server, else "a server I already have".
  const shown: Choice = choice ?? (profile ? (createdBy(profile) ?? 'existing') : 'existing');
  const progress = useProgress();
  const publicKey = useProfile((s) => s.publicKey);
  const next = useWizard((s) => s.next);
  // Next follows the option on screen: a server checked earlier for another option does not let it pass.
  const k3s = phase !== null && getPhase(phase).runtime === 'k3s';
  const localHost = useK3s((s) => s.localHost);
  const runner = profile?.settings[K3S_WHERE.runner];
  const blocked = !profile
    ? t('common.loading')
    : k3s && !profile.settings[K3S_WHERE.ovh]
      ? t('k3s.where.blocked.ovh')
      : k3s && runner !== 'local' && runner !== 'remote'
        ? t('k3s.where.blocked.runner')
        : k3s && runner === 'local'
          ? !localHost
            ? t('k3s.where.detecting')
            : localUsability(localHost, chosenDistro(profile, localHost)).usable
              ? null
              : t(`k3s.where.unusable.${localUsability(localHost, chosenDistro(profile, localHost)).reason}`)
          : !k3s && shown !== 'existing' && createdBy(profile) !== shown
      ? t('where.blocked.create', { provider: t(`where.providers.${shown}.title`) })
      : !publicKey
        ? t('where.blocked.key')
        : !profile.server?.hostKeySha256
          ? t('where.blocked.connect')
          : !progress.serverReady
            ? t('where.blocked.check')
            : null;
  useStepAction('where', { label: t('common.continue'), run: () => next(), blocked, testId: k3s ? 'k3s-where-continue' : 'nav-next' });

  // Phases 3–4: OVHcloud credentials and where the K3s run happens (this computer, or a control host).
  if (phase !== null && k3s) {
    return (
      <section className="panel" data-testid="step-where">
        <h1>{t('where.title')}</h1>
        {error && <ErrorNotice error={error} />}
        {profile ? (
          <K3sWhere
            profile={profile}
            phase={phase}
            controlHost={(mode, useExisting) =>
              mode === 'existing' ? <ExistingServer key={profile.id} profile={profile} phase={1} /> : <CloudProvider key={`${profile.id}-k3s`} kind="ovh" profile={profile} phase={1} onUseExisting={useExisting} />
            }
          />
        ) : (
          !error && <Busy text={t('common.loading')} />
        )}
      </section>
    );
  }

  return (
    <section className="panel" data-testid="step-where">
      <h1>{t('where.title')}</h1>
      <p className="lead">{t('where.intro')}</p>
      <ProviderChoice value={shown} onChange={setChoice} />
      {error && <ErrorNotice error={error} />}
      {profile && phase !== null ? (
        shown === 'existing' ? (
          <ExistingServer key={profile.id} profile={profile} phase={phase} />
        ) : (
          <CloudProvider key={`${profile.id}-${shown}`} kind={shown} profile={profile} phase={phase} onUseExisting={() => setChoice('existing')} />
        )
      ) : (
        !error && <Busy text={t('common.loading')} />
      )}
    </section>
  );
}

function ProviderChoice({ value, onChange }: { value: Choice; onChange: (c: Choice) => void }) {
  const { t } = useTranslation();
  const choices: Choice[] = ['hetzner', 'ovh', 'existing'];
  return (
    <div className="choice-grid" role="radiogroup" aria-label={t('where.providerLabel')}>
      {choices.map((c) => (
        <button
          key={c}
          type="button"
          role="radio"
          aria-checked={value === c}
          onClick={() => onChange(c)}
          className={`choice-card${value === c ? ' is-selected' : ''}`}
          data-testid={`provider-${c}`}
        >
          <span className="choice-title">{t(`where.providers.${c}.title`)}</span>
          <span className="choice-text">{t(`where.providers.${c}.text`)}</span>
          {value === c && <span className="badge badge-ok">{t('where.selected')}</span>}
        </button>
      ))}
    </div>
  );
}

function ExistingServer({ profile, phase }: { profile: Profile; phase: PhaseId }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const save = useProfile((s) => s.save);
  const publicKey = useProfile((s) => s.publicKey);
  const localize = useLocalizeError();

  const [host, setHost] = useState(profile.server?.host ?? '');
  const [portText, setPortText] = useState(String(profile.server?.port ?? 22));
  const [user, setUser] = useState(profile.server?.user ?? 'root');
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [flow, setFlow] = useState<Flow>(() => {
    const last = savedServerCheck(profile);
    return last && profile.server?.hostKeySha256 ? { kind: 'checked', result: last, fresh: false } : { kind: 'idle' };
  });

  const busy = flow.kind === 'probing' || flow.kind === 'checking';
  const issueFor = (field: string) => issues.find((i) => i.path === field);
  const edit = (setter: (v: string) => void) => (value: string) => {
    setter(value);
    setIssues([]);
    if (!busy) setFlow({ kind: 'idle' });
  };
  const target = (): Target => ({ host: host.trim(), port: portOf(portText), user: user.trim() });

  const fail = (error: unknown, method: string) => {
    const fields = error instanceof AppError && error.code === 'ipc.invalid_input' ? (error.fields ?? []).map((f) => ({ ...f, path: f.path.replace(/^server\./, '') })) : [];
    // Problems with the fields on screen go under them; anything else is shown as a whole.
    if (fields.some((f) => SERVER_FIELDS.includes(f.path))) {
      setIssues(fields);
      setFlow({ kind: 'idle' });
    } else setFlow({ kind: 'failed', error: toEnvelope(error, method) });
  };

  const check = async (server: Target) => {
    setFlow({ kind: 'checking' });
    try {
      const r = await api()['server.check']({ profileId: profile.id });
      const result: SavedServerCheck = { ...r, target: serverTarget(server), checkedAt: new Date().toISOString() };
      await save((p) => ({ settings: { ...p.settings, [SERVER_CHECK_SETTING]: JSON.stringify(result) } }));
      setFlow({ kind: 'checked', result, fresh: true });
    } catch (error) {
      // Not pinned yet (e.g. saved by an older version): show the fingerprint to trust.
      if (error instanceof AppError && error.code === 'ssh.host_key_unknown' && typeof error.params.fingerprint === 'string') {
        setFlow({ kind: 'trust', fingerprint: error.params.fingerprint });
      } else fail(error, 'server.check');
    }
  };

  const connect = async () => {
    setIssues([]);
    const wanted = target();
    const saved = useProfile.getState().profile?.server ?? null;
    const same = !!saved && saved.host === wanted.host && saved.port === wanted.port && saved.user === wanted.user;
    if (same && saved?.hostKeySha256) return check(wanted);
    setFlow({ kind: 'probing' });
    try {
      const { fingerprint } = await api()['server.probe'](wanted);
      // Another server (or never trusted): whatever was pinned before no longer applies.
      await save({ server: { host: wanted.host, port: wanted.port, user: wanted.user } });
      setFlow({ kind: 'trust', fingerprint });
    } catch (error) {
      fail(error, 'server.probe');
    }
  };

  const trust = async (fingerprint: string) => {
    const wanted = target();
    try {
      await save({ server: { ...wanted, hostKeySha256: fingerprint } });
    } catch (error) {
      return fail(error, 'profiles.save');
    }
    await check(wanted);
  };

  /** After a reinstall the identity changes: forget it and meet the server again. */
  const forgetIdentity = async () => {
    const wanted = target();
    try {
      await save({ server: { host: wanted.host, port: wanted.port, user: wanted.user } });
    } catch (error) {
      return fail(error, 'profiles.save');
    }
    await connect();
  };

  return (
    <>
      <div className="card">
        <h2>{t('where.server.title')}</h2>
        <div className="fields">
          <TextField id="host" label={t('where.server.host')} help={t('where.server.hostHelp')} value={host} onChange={edit(setHost)} issue={issueFor('host')} issueHint={issueFor('host')?.issue === 'invalid_format' ? t('where.server.hostInvalid') : undefined} placeholder="203.0.113.10" mono maxLength={253} disabled={busy} />
          <TextField id="port" label={t('where.server.port')} help={t('where.server.portHelp')} value={portText} onChange={edit(setPortText)} issue={issueFor('port')} issueHint={issueFor('port') ? t('where.server.portInvalid') : undefined} inputMode="numeric" maxLength={5} disabled={busy} />
          <TextField id="user" label={t('where.server.user')} help={t('where.server.userHelp')} value={user} onChange={edit(setUser)} issue={issueFor('user')} issueHint={issueFor('user') ? t('where.server.userInvalid') : undefined} mono maxLength={32} disabled={busy} />
        </div>
      </div>

      <KeyCard profileId={profile.id} user={user.trim() || 'root'} disabled={busy} />

      <div className="card" data-testid="where-connection">
        <h2>{t('where.connect.title')}</h2>
        <p className="muted">{t('where.connect.intro')}</p>
        <p className="muted small" data-testid="where-phase-needs">
          {getPhase(phase).diskGb === null
            ? t('where.phaseNeedsRam', { phase: t(`phase.names.${phase}`), ram: formatNumber(lang, getPhase(phase).ramGb.min) })
            : t('where.phaseNeeds', { phase: t(`phase.names.${phase}`), ram: formatNumber(lang, getPhase(phase).ramGb.min), disk: formatNumber(lang, getPhase(phase).diskGb ?? 0) })}
        </p>
        {flow.kind === 'idle' || flow.kind === 'failed' ? (
          <div className="actions">
            <button type="button" className="btn btn-primary" disabled={!publicKey || host.trim() === ''} onClick={() => void connect()} data-testid="where-connect">
              {t('where.connect.button')}
            </button>
            {!publicKey && <span className="muted small">{t('where.connect.needKey')}</span>}
          </div>
        ) : null}
        {flow.kind === 'probing' && <Busy text={t('where.connect.probing', { host: host.trim() })} testId="where-busy" />}
        {flow.kind === 'checking' && <Busy text={t('where.connect.checking', { host: host.trim() })} testId="where-busy" />}
        {flow.kind === 'failed' && (
          <>
            <ErrorNotice error={localize(flow.error)} />
            {flow.error.code === 'ssh.host_key_mismatch' && (
              <button type="button" className="btn" onClick={() => void forgetIdentity()} data-testid="where-forget-identity">
                {t('where.trust.forget')}
              </button>
            )}
          </>
        )}
        {flow.kind === 'trust' && (
          <div className="trust" data-testid="where-trust">
            <h3>{t('where.trust.title')}</h3>
            <p>{t('where.trust.intro', { host: host.trim() })}</p>
            <p className="fingerprint" data-testid="where-fingerprint">
              {flow.fingerprint}
            </p>
            <p className="muted">{t('where.trust.explain')}</p>
            <div className="actions">
              <button type="button" className="btn btn-primary" onClick={() => void trust(flow.fingerprint)} data-testid="where-trust-accept">
                {t('where.trust.accept')}
              </button>
              <button type="button" className="btn" onClick={() => setFlow({ kind: 'idle' })} data-testid="where-trust-cancel">
                {t('common.cancel')}
              </button>
            </div>
          </div>
        )}
        {flow.kind === 'checked' && (
          <>
            <CheckList result={flow.result} phase={phase} />
            <p className="muted small" data-testid="where-checked-at">
              {t('where.check.checkedAt', { when: formatDateTime(lang, flow.result.checkedAt), fingerprint: profile.server?.hostKeySha256 ?? '' })}
            </p>
            <div className="actions">
              <button type="button" className="btn" disabled={!publicKey} onClick={() => void connect()} data-testid="where-connect">
                {t('where.connect.again')}
              </button>
            </div>
          </>
        )}
      </div>
    </>
  );
}

function KeyCard({ profileId, user, disabled }: { profileId: string; user: string; disabled: boolean }) {
  const { t } = useTranslation();
  const publicKey = useProfile((s) => s.publicKey);
  const setPublicKey = useProfile((s) => s.setPublicKey);
  const sessionOnly = useSessionOnlySecrets();
  // Without a keychain a generated key is gone after a restart: a key file the user keeps is the better default.
  const [mode, setMode] = useState<'generate' | 'import'>(sessionOnly ? 'import' : 'generate');
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const issueFor = (field: string) => issues.find((i) => i.path === field);

  const run = async (call: () => Promise<{ publicKey: string }>, method: string) => {
    setBusy(true);
    setFailure(null);
    setIssues([]);
    try {
      const { publicKey: key } = await call();
      setPublicKey(key);
    } catch (error) {
      if (error instanceof AppError && error.code === 'ipc.invalid_input' && error.fields?.some((f) => f.path === 'path')) setIssues(error.fields);
      else setFailure(toEnvelope(error, method));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card" data-testid="where-key">
      <h2>{t('where.key.title')}</h2>
      <p className="muted">{t('where.key.intro')}</p>
      {sessionOnly && (
        <div className="notice notice-warn" data-testid="key-session-only">
          <span>{t('where.key.sessionOnly')}</span>
        </div>
      )}
      <div className="segmented" role="radiogroup" aria-label={t('where.key.title')}>
        {(['generate', 'import'] as const).map((m) => (
          <label key={m} className={`segment${mode === m ? ' is-selected' : ''}`}>
            <input type="radio" name="key-mode" value={m} checked={mode === m} onChange={() => setMode(m)} data-testid={`key-mode-${m}`} />
            {t(`where.key.${m}`)}
          </label>
        ))}
      </div>
      {mode === 'generate' ? (
        <div className="actions">
          <button type="button" className="btn" disabled={busy || disabled} onClick={() => void run(() => api()['server.generateKey']({ profileId }), 'server.generateKey')} data-testid="key-generate">
            {publicKey ? t('where.key.generateNew') : t('where.key.generateButton')}
          </button>
          {publicKey && <span className="muted small">{t('where.key.generateReplaces')}</span>}
        </div>
      ) : (
        <div className="fields fields-inline">
          <TextField id="keyPath" label={t('where.key.path')} help={t('where.key.pathHelp')} value={path} onChange={setPath} issue={issueFor('path')} placeholder="~/.ssh/id_ed25519" mono wide disabled={busy || disabled} />
          <button type="button" className="btn" disabled={busy || disabled || path.trim() === ''} onClick={() => void run(() => api()['server.importKey']({ profileId, path: path.trim() }), 'server.importKey')} data-testid="key-import">
            {t('where.key.importButton')}
          </button>
        </div>
      )}
      {busy && <Busy text={t('where.key.working')} />}
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      {publicKey === undefined && !busy && <Busy text={t('common.loading')} />}
      {publicKey && (
        <div className="keybox-wrap">
          <span className="field-label">{t('where.key.publicKey')}</span>
          <div className="keybox">
            <textarea readOnly className="mono" rows={2} value={publicKey} aria-label={t('where.key.publicKey')} data-testid="public-key" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={publicKey} testId="public-key-copy" />
          </div>
          <p className="small">
            {t('where.key.authorize', { user })}
          </p>
        </div>
      )}
      {publicKey === null && !busy && <p className="muted small" data-testid="key-none">{t('where.key.none')}</p>}
    </div>
  );
}
