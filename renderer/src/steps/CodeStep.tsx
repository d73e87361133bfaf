import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RepoOverview } from '../../../electron/shared/contract-recipe';
import type { Recipe, RecipeOverrides } from '../../../electron/shared/recipe';
import { api } from '../app-api';
import { GitHubSignIn } from './code/GitHubSignIn';
import { RecipeSummary, type ServerSize } from './code/RecipeSummary';
import { getPhase } from '../../../electron/shared/phases';
import { K3sCodeCard, recipeForPhase } from '../k3s/K3sCodeCard';
import { AppError, type ErrorEnvelope, type FieldIssue } from '../../../electron/shared/errors';
import type { Profile } from '../../../electron/shared/profile';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProfileStepFrame } from '../components/ProfileStepFrame';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { PrivateRepoCard, isSshRepoUrl } from './PrivateRepoCard';
import { CODE_DEFAULTS } from '../defaults';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { notGithubHost, refHintOf } from '../../../electron/shared/git-hosts';

// "Code": which repository and which version the server runs. A GitHub repository is read through the API
// (versions to choose from, and the recipe: compose files, env example, health endpoint, database, monitoring,
// K3s) — public ones directly, private ones after signing in. Other Git hosts (or a file:/// path on the server)
// keep the manual fields.

type Field = 'url' | 'ref' | 'composeFiles' | 'composeProject' | 'healthUrl' | 'knownHosts';
const FIELD_PATHS = ['repo.url', 'repo.ref', 'settings.composeFiles', 'settings.composeProject', 'settings.healthUrl', 'settings.repo.knownHosts'];
const KNOWN_HOSTS_LINE = /^[^\s]+ (ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/;

/** A URL the GitHub API can read: not a path on the server. */
export function readableThroughApi(url: string): boolean {
  const u = url.trim();
  return u !== '' && !u.startsWith('file://');
}

interface Detected {
  recipe: Recipe;
  candidates: string[];
  settings: Record<string, string>;
}

/** Quick checks of the shapes the deployment accepts, so mistakes show as they are typed and not at the plan. */
export function localProblems(v: Record<Field, string>, repoFiles: readonly string[] | null = null): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const url = v.url.trim();
  if (url === '') out.url = 'required';
  else if (notGithubHost(url)) out.url = 'notGithub';
  else if (!/^(https:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+|file:\/\/\/\S+)$/.test(url)) out.url = 'url';
  if (v.ref.trim() === '') out.ref = 'required';
  else if (/\s/.test(v.ref.trim())) out.ref = 'ref';
  const files = v.composeFiles.split(',').map((f) => f.trim()).filter(Boolean);
  if (files.length === 0) out.composeFiles = 'required';
  else if (files.some((f) => f.startsWith('/') || f.split('/').includes('..'))) out.composeFiles = 'composeFiles';
  // Read from the repository: every file named must be there (the plan would fail on the server otherwise).
  else if (repoFiles && files.some((f) => !repoFiles.includes(f))) out.composeFiles = 'composeMissing';
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(v.composeProject.trim())) out.composeProject = 'composeProject';
  let health: URL | null;
  try {
    health = new URL(v.healthUrl.trim());
  } catch {
    health = null;
  }
  if (v.healthUrl.trim() !== '' && (!health || (health.protocol !== 'http:' && health.protocol !== 'https:'))) out.healthUrl = 'healthUrl';
  return out;
}

/** The server's size for the build-cost estimate: its check's figures, else the phase's. */
function serverSize(profile: Profile): ServerSize {
  const memory = Number(profile.settings['server.memoryMb']);
  const vcpu = Number(profile.settings['server.vcpu']);
  const phase = getPhase(profile.phase);
  const measured = Number.isFinite(memory) && memory > 0;
  return { memoryMb: measured ? memory : phase.ramGb.min * 1024, vcpu: Number.isFinite(vcpu) && vcpu > 0 ? vcpu : phase.vcpu.min, measured };
}

/** Files of the repository the compose list may name (null: not read from GitHub, nothing to compare). */
function repoFilesOf(detected: Detected | null): string[] | null {
  if (!detected) return null;
  return [...detected.candidates, ...(detected.recipe.production?.files ?? [])];
}

function missingFiles(v: Record<Field, string>, detected: Detected | null): string[] {
  const known = repoFilesOf(detected);
  if (!known) return [];
  return v.composeFiles.split(',').map((f) => f.trim()).filter((f) => f && !known.includes(f));
}

function allProblems(v: Record<Field, string>, detected: Detected | null, phase: number): Partial<Record<Field, string>> {
  const problems = localProblems(v, repoFilesOf(detected));
  // Phases 3–4 run the repository's K3s entry point: how Compose would start it does not matter there.
  if (phase >= 3) {
    delete problems.composeFiles;
    delete problems.composeProject;
    delete problems.healthUrl;
  }
  if (isSshRepoUrl(v.url) && !v.knownHosts.split('\n').every((l) => l.trim() === '' || KNOWN_HOSTS_LINE.test(l.trim()))) problems.knownHosts = 'knownHosts';
  if (isSshRepoUrl(v.url) && v.knownHosts.trim() === '') problems.knownHosts = 'knownHostsMissing';
  return problems;
}

const FIELD_LABELS: Record<Field, string> = {
  url: 'code.repo.url',
  ref: 'code.repo.ref',
  composeFiles: 'code.advanced.composeFiles',
  composeProject: 'code.advanced.composeProject',
  healthUrl: 'code.advanced.healthUrl',
  knownHosts: 'code.private.knownHosts',
};

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
  // Problems show for the fields the user has typed in (or all of them after an attempt to save).
  const [touched, setTouched] = useState<Set<Field> | 'all'>(() => new Set());
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [saved, setSaved] = useState(false);
  const [overview, setOverview] = useState<RepoOverview | null>(null);
  const [detected, setDetected] = useState<Detected | null>(null);
  const [reading, setReading] = useState<'repo' | 'recipe' | null>(null);
  const [readFailure, setReadFailure] = useState<ErrorEnvelope | null>(null);
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [showSignIn, setShowSignIn] = useState(false);
  const advancedChanged = values.composeFiles !== CODE_DEFAULTS.composeFiles || values.composeProject !== CODE_DEFAULTS.composeProject || values.healthUrl !== CODE_DEFAULTS.healthUrl;

  const detect = async (url: string, ref: string, overrides?: RecipeOverrides) => {
    setReading('recipe');
    setReadFailure(null);
    try {
      const d = await api()['recipe.detect']({ profileId: profile.id, url: url.trim(), ref, ...(overrides ? { overrides } : {}) });
      setDetected(d);
      setValues((v) => ({ ...v, composeFiles: d.settings.composeFiles ?? v.composeFiles, healthUrl: d.settings.healthUrl ?? v.healthUrl }));
    } catch (error) {
      setDetected(null);
      setReadFailure(toEnvelope(error, 'recipe.detect'));
    } finally {
      setReading(null);
    }
  };

  const readRepo = async () => {
    const url = values.url.trim();
    setReading('repo');
    setReadFailure(null);
    setNeedsSignIn(false);
    try {
      const o = await api()['repo.inspect']({ url });
      setOverview(o);
      const hasRef = [...o.releases.map((r) => r.tag), ...o.tags, ...o.branches].includes(values.ref.trim());
      // The version in the address (…/tree/<branch>) first, then the one typed, then the latest release.
      const ref = o.proposedRef ?? (hasRef && values.ref.trim() !== CODE_DEFAULTS.ref ? values.ref.trim() : o.defaultRef.ref);
      // `owner/name` (or a page address such as …/tree/main) is enough to read; the server needs the repository's address to clone.
      const cloneUrl = localProblems({ ...values, url }).url || refHintOf(url) ? o.htmlUrl : url;
      setValues((v) => ({ ...v, ref, url: cloneUrl }));
      await detect(cloneUrl, ref);
    } catch (error) {
      const env = toEnvelope(error, 'repo.inspect');
      setOverview(null);
      setDetected(null);
      setReadFailure(env);
      if (env.code === 'github.not_found' || env.code === 'github.unauthorized') setNeedsSignIn(true);
      setReading(null);
    }
  };
  const onSignedIn = useCallback(() => {
    setNeedsSignIn(false);
    setShowSignIn(false);
  }, []);

  const set = (field: Field) => (value: string) => {
    if (field === 'url') {
      setOverview(null);
      setDetected(null);
      setReadFailure(null);
    }
    setValues((v) => ({ ...v, [field]: value }));
    setTouched((p) => (p === 'all' ? p : new Set(p).add(field)));
    setIssues([]);
    setFailure(null);
    setSaved(false);
  };
  const problems = allProblems(values, detected, profile.phase);
  const shown: Partial<Record<Field, string>> = touched === 'all' ? problems : Object.fromEntries(Object.entries(problems).filter(([f]) => touched.has(f as Field)));
  const issueOf = (field: Field, path: string): string | FieldIssue | undefined => {
    const local = shown[field];
    if (local) return t(`code.problems.${local}`, { host: notGithubHost(values.url) ?? '', files: missingFiles(values, detected).join(', ') });
    return issues.find((i) => i.path === path);
  };
  // What keeps this step from being saved: the recipe lacks what the phase needs (kept when the step
  // is left, so no button passes it), or a field is wrong, or the form differs from the saved profile.
  const blockingProblem = detected && !detected.recipe.phases[profile.phase] ? detected.recipe.missing.find((m) => m.severity === 'blocking') : undefined;
  const firstProblem = (Object.keys(problems) as Field[])[0];
  const unsaved =
    values.url.trim() !== (profile.repo?.url ?? '') ||
    values.ref.trim() !== (profile.repo?.ref ?? CODE_DEFAULTS.ref) ||
    values.composeFiles !== (s.composeFiles ?? CODE_DEFAULTS.composeFiles) ||
    values.composeProject !== (s.composeProject ?? CODE_DEFAULTS.composeProject) ||
    values.healthUrl !== (s.healthUrl ?? CODE_DEFAULTS.healthUrl);
  const blocked = blockingProblem
    ? t('code.blocked.recipe', { phase: profile.phase, problem: t(blockingProblem.code, blockingProblem.params) })
    : firstProblem
      ? t('code.blocked.field', { field: t(FIELD_LABELS[firstProblem]) })
      : null;
  useStepAction('code', {
    label: t('common.saveContinue'),
    run: () => submit(),
    blocked,
    busy: saving || reading !== null,
    busyLabel: saving ? t('common.saving') : reading ? t(reading === 'repo' ? 'code.repo.reading' : 'code.recipe.detecting') : undefined,
    testId: 'code-save',
    sticky: !!blockingProblem,
    holds: unsaved ? t('code.blocked.unsaved') : undefined,
  });

  const submit = async () => {
    setTouched('all');
    setFailure(null);
    if (Object.keys(allProblems(values, detected, profile.phase)).length > 0 || blockingProblem) return;
    setSaving(true);
    try {
      const composeFiles = values.composeFiles.split(',').map((f) => f.trim()).filter(Boolean).join(',');
      await save((p) => ({
        repo: { url: values.url.trim(), ref: values.ref.trim() },
        settings: {
          ...p.settings,
          ...(detected ? detected.settings : {}),
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
          <TextField id="repoUrl" label={t('code.repo.url')} help={t('code.repo.urlHelp')} value={values.url} onChange={set('url')} issue={issueOf('url', 'repo.url')} placeholder="https://github.com/gilmry/koprogo" mono wide maxLength={500} inputMode="url" />
          {overview ? (
            <label className="field" htmlFor="repoRefSelect">
              <span className="field-label">{t('code.repo.ref')}</span>
              <select
                id="repoRefSelect"
                value={values.ref}
                onChange={(e) => {
                  set('ref')(e.target.value);
                  void detect(values.url, e.target.value);
                }}
                data-testid="ref-select"
              >
                {overview.releases.length > 0 && (
                  <optgroup label={t('code.repo.releases')}>
                    {overview.releases.map((r) => (
                      <option key={`r-${r.tag}`} value={r.tag}>
                        {r.tag}
                        {r.name && r.name !== r.tag ? ` — ${r.name}` : ''}
                        {r.tag === overview.defaultRef.ref ? ` (${t('code.repo.latest')})` : r.prerelease ? ` (${t('code.repo.prerelease')})` : ''}
                      </option>
                    ))}
                  </optgroup>
                )}
                {overview.tags.some((tag) => !overview.releases.some((r) => r.tag === tag)) && (
                  <optgroup label={t('code.repo.tags')}>
                    {overview.tags
                      .filter((tag) => !overview.releases.some((r) => r.tag === tag))
                      .map((tag) => (
                        <option key={`t-${tag}`} value={tag}>
                          {tag}
                        </option>
                      ))}
                  </optgroup>
                )}
                <optgroup label={t('code.repo.branches')}>
                  {overview.branches.map((b) => (
                    <option key={`b-${b}`} value={b}>
                      {b}
                      {b === overview.defaultBranch ? ` (${t('code.repo.defaultBranch')})` : ''}
                    </option>
                  ))}
                </optgroup>
              </select>
              <span className="field-help">{overview.releases.length > 0 ? t('code.repo.refPickHelp') : t('code.repo.refPickHelpNoRelease')}</span>
            </label>
          ) : (
            <TextField id="repoRef" label={t('code.repo.ref')} help={t('code.repo.refHelp')} value={values.ref} onChange={set('ref')} issue={issueOf('ref', 'repo.ref')} mono maxLength={250} />
          )}
        </div>
        {overview && (
          <p className="muted small" data-testid="repo-overview" data-private={overview.private}>
            <strong>{overview.fullName}</strong> · {overview.private ? t('code.repo.private') : t('code.repo.public')}
            {overview.description ? ` · ${overview.description}` : ''}
          </p>
        )}
        {readableThroughApi(values.url) && (
          <div className="actions">
            <button type="button" className="btn" disabled={reading !== null} onClick={() => void readRepo()} data-testid="code-inspect">
              {overview ? t('code.repo.readAgain') : t('code.repo.read')}
            </button>
            {reading && <Busy text={t(reading === 'repo' ? 'code.repo.reading' : 'code.recipe.detecting')} testId="code-reading" />}
            {!showSignIn && !needsSignIn && (
              <button type="button" className="link" onClick={() => setShowSignIn(true)} data-testid="github-show-sign-in">
                {t('code.github.privateLink')}
              </button>
            )}
          </div>
        )}
        {readFailure && <ErrorNotice error={readFailure} onDismiss={() => setReadFailure(null)} />}
      </div>

      {overview?.private && !isSshRepoUrl(values.url) && (
        <div className="notice notice-warn" data-testid="private-needs-key">
          <span>{t('code.private.needsKey')}</span>
          <button type="button" className="btn" onClick={() => setValues((v) => ({ ...v, url: overview.sshUrl }))} data-testid="use-deploy-key">
            {t('code.private.useKey')}
          </button>
        </div>
      )}

      {(needsSignIn || showSignIn) && <GitHubSignIn reason={needsSignIn ? 'private' : 'optional'} onSignedIn={onSignedIn} url={values.url} />}

      {detected && (
        <RecipeSummary key={JSON.stringify(detected.recipe.production)} recipe={recipeForPhase(detected.recipe, profile.phase)} candidates={detected.candidates} busy={reading !== null} server={serverSize(profile)} onRedetect={(o) => void detect(values.url, values.ref, o)} />
      )}
      {detected && profile.phase >= 3 && <K3sCodeCard recipe={detected.recipe} profile={profile} repo={{ url: values.url, ref: values.ref }} />}

      {isSshRepoUrl(values.url) && (
        <PrivateRepoCard
          profileId={profile.id}
          url={values.url}
          installedFor={profile.settings['repo.deployKeyId'] ? (profile.settings['repo.deployKeyUrl'] ?? null) : null}
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
      {blockingProblem && (
        <div className="notice notice-error" role="alert" data-testid="code-blocked">
          <span>{blocked}</span>
        </div>
      )}
      {saved && !saving && <p className="muted small" role="status">{t('common.saved')}</p>}
      {/* Enter in a field saves too (the footer's button is the step's one primary action). */}
      <button type="submit" hidden aria-hidden tabIndex={-1} />
    </form>
  );
}
