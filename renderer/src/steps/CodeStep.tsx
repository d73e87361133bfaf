import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AppError, type ErrorEnvelope, type FieldIssue } from '../../../electron/shared/errors';
import type { Profile } from '../../../electron/shared/profile';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProfileStepFrame } from '../components/ProfileStepFrame';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { PrivateRepoCard, isSshRepoUrl } from './PrivateRepoCard';
import { CODE_DEFAULTS } from '../defaults';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useWizard } from '../stores/wizard-store';

// "Code": which repository and which version the server runs, and how the recipe is laid out
// (compose files, project name, health endpoint). A later version reads the repository itself.

type Field = 'url' | 'ref' | 'composeFiles' | 'composeProject' | 'healthUrl' | 'knownHosts';
const FIELD_PATHS = ['repo.url', 'repo.ref', 'settings.composeFiles', 'settings.composeProject', 'settings.healthUrl', 'settings.repo.knownHosts'];
const KNOWN_HOSTS_LINE = /^[^\s]+ (ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/;

/** Quick checks of the shapes the deployment accepts, so mistakes show here and not at the plan. */
function localProblems(v: Record<Field, string>): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const url = v.url.trim();
  if (url === '') out.url = 'required';
  else if (!/^(https:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+|file:\/\/\/\S+)$/.test(url)) out.url = 'url';
  if (v.ref.trim() === '') out.ref = 'required';
  else if (/\s/.test(v.ref.trim())) out.ref = 'ref';
  const files = v.composeFiles.split(',').map((f) => f.trim()).filter(Boolean);
  if (files.length === 0) out.composeFiles = 'required';
  else if (files.some((f) => f.startsWith('/') || f.split('/').includes('..'))) out.composeFiles = 'composeFiles';
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(v.composeProject.trim())) out.composeProject = 'composeProject';
  let health: URL | null;
  try {
    health = new URL(v.healthUrl.trim());
  } catch {
    health = null;
  }
  if (!health || (health.protocol !== 'http:' && health.protocol !== 'https:')) out.healthUrl = 'healthUrl';
  return out;
}

export function CodeStep() {
  return (
    <ProfileStepFrame testId="step-code" titleKey="code.title" introKey="code.intro">
      {(profile) => <CodeForm key={profile.id} profile={profile} />}
    </ProfileStepFrame>
  );
}

function CodeForm({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const next = useWizard((s) => s.next);
  const s = profile.settings;
  const [values, setValues] = useState<Record<Field, string>>({
    url: profile.repo?.url ?? '',
    ref: profile.repo?.ref ?? CODE_DEFAULTS.ref,
    composeFiles: s.composeFiles ?? CODE_DEFAULTS.composeFiles,
    composeProject: s.composeProject ?? CODE_DEFAULTS.composeProject,
    healthUrl: s.healthUrl ?? CODE_DEFAULTS.healthUrl,
    knownHosts: s['repo.knownHosts'] ?? '',
  });
  const [shown, setShown] = useState<Partial<Record<Field, string>>>({});
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [saved, setSaved] = useState(false);
  const advancedChanged = values.composeFiles !== CODE_DEFAULTS.composeFiles || values.composeProject !== CODE_DEFAULTS.composeProject || values.healthUrl !== CODE_DEFAULTS.healthUrl;

  const set = (field: Field) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setShown((p) => ({ ...p, [field]: undefined }));
    setIssues([]);
    setSaved(false);
  };
  const issueOf = (field: Field, path: string): string | FieldIssue | undefined => {
    const local = shown[field];
    if (local) return t(`code.problems.${local}`);
    return issues.find((i) => i.path === path);
  };

  const submit = async () => {
    const problems = localProblems(values);
    if (isSshRepoUrl(values.url) && !values.knownHosts.split('\n').every((l) => l.trim() === '' || KNOWN_HOSTS_LINE.test(l.trim()))) problems.knownHosts = 'knownHosts';
    if (isSshRepoUrl(values.url) && values.knownHosts.trim() === '') problems.knownHosts = 'knownHostsMissing';
    setShown(problems);
    setFailure(null);
    if (Object.keys(problems).length > 0) return;
    setSaving(true);
    try {
      const composeFiles = values.composeFiles.split(',').map((f) => f.trim()).filter(Boolean).join(',');
      await save((p) => ({
        repo: { url: values.url.trim(), ref: values.ref.trim() },
        settings: {
          ...p.settings,
          composeFiles,
          composeProject: values.composeProject.trim(),
          healthUrl: values.healthUrl.trim(),
          ...(isSshRepoUrl(values.url) ? { 'repo.knownHosts': values.knownHosts.trim() } : {}),
        },
      }));
      setSaved(true);
      await next();
    } catch (error) {
      if (error instanceof AppError && error.code === 'ipc.invalid_input' && error.fields?.some((f) => FIELD_PATHS.includes(f.path))) setIssues(error.fields);
      else setFailure(toEnvelope(error, 'profiles.save'));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="card">
        <h2>{t('code.repo.title')}</h2>
        <div className="fields">
          <TextField id="repoUrl" label={t('code.repo.url')} help={t('code.repo.urlHelp')} value={values.url} onChange={set('url')} issue={issueOf('url', 'repo.url')} placeholder="https://github.com/gilmry/koprogo.git" mono wide maxLength={500} inputMode="url" />
          <TextField id="repoRef" label={t('code.repo.ref')} help={t('code.repo.refHelp')} value={values.ref} onChange={set('ref')} issue={issueOf('ref', 'repo.ref')} mono maxLength={250} />
        </div>
      </div>

      {isSshRepoUrl(values.url) && (
        <PrivateRepoCard
          profileId={profile.id}
          knownHosts={values.knownHosts}
          onKnownHosts={set('knownHosts')}
          knownHostsIssue={shown.knownHosts ? t(`code.problems.${shown.knownHosts}`) : null}
        />
      )}

      <details className="card disclosure" open={advancedChanged || !!(shown.composeFiles || shown.composeProject || shown.healthUrl)} data-testid="code-advanced">
        <summary>{t('code.advanced.title')}</summary>
        <p className="muted small">{t('code.advanced.intro')}</p>
        <div className="fields">
          <TextField id="composeFiles" label={t('code.advanced.composeFiles')} help={t('code.advanced.composeFilesHelp')} value={values.composeFiles} onChange={set('composeFiles')} issue={issueOf('composeFiles', 'settings.composeFiles')} mono wide maxLength={1000} />
          <TextField id="composeProject" label={t('code.advanced.composeProject')} help={t('code.advanced.composeProjectHelp')} value={values.composeProject} onChange={set('composeProject')} issue={issueOf('composeProject', 'settings.composeProject')} mono maxLength={63} />
          <TextField id="healthUrl" label={t('code.advanced.healthUrl')} help={t('code.advanced.healthUrlHelp')} value={values.healthUrl} onChange={set('healthUrl')} issue={issueOf('healthUrl', 'settings.healthUrl')} mono wide maxLength={500} inputMode="url" />
        </div>
      </details>

      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={saving} data-testid="code-save">
          {t('common.saveContinue')}
        </button>
        {saving && <Busy text={t('common.saving')} />}
        {saved && !saving && <span className="muted small" role="status">{t('common.saved')}</span>}
      </div>
    </form>
  );
}
