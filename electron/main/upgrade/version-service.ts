import type { UpgradeOptions, VersionChange } from '../../shared/contract-upgrade';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { Session } from '../backup/session';
import type { ComposeDeploySettings } from '../engine/types';
import type { UpgradeServiceDeps } from './upgrade-service';
import type { BuiltPlan } from './plan';
import { buildVersionPlan, versionEnv, type VersionFacts } from './version-plan';
import { listRefsScript, parseRefs, parseVersionFacts, VERSION_SCRIPT_EXIT, versionFactsScript } from './version-steps';
import { checkoutDir } from '../engine/steps/shell';

// The version update's part of the upgrade service: the facts read on the server (the checkout fetched, the
// ref resolved, the env example of both commits), the settings at the new ref with the new `.env`, the plan,
// the refs for the picker, and what is recorded once it succeeded (the profile's ref, the new `.env`).

/** Env example names tried when the saved recipe names none (the KoproGo repository's first). */
export const ENV_EXAMPLE_CANDIDATES = ['.env.vps.example', '.env.example', '.env.production.example', 'env.example'];

type Deps = Pick<UpgradeServiceDeps, 'connect' | 'log' | 'secrets' | 'secretName' | 'deploySettings' | 'envExamplePath' | 'backups' | 'profiles'>;

async function envOf(deps: Deps, profileId: string): Promise<string> {
  const env = (await deps.secrets.get(deps.secretName(profileId, DEPLOY_SECRETS.env))) ?? '';
  if (!env.trim()) throw new AppError('deploy.not_ready', { missing: '.env' });
  return env;
}

/** The deployment's settings with its secrets (a private repository's deploy key), at `ref` with `envContent`. */
async function settingsAt(deps: Deps, profile: Profile, ref: string, envContent: string): Promise<ComposeDeploySettings> {
  const at = { ...profile, repo: profile.repo ? { ...profile.repo, ref } : null };
  if (deps.deploySettings) return deps.deploySettings(at, envContent);
  const { composeSettingsFrom } = await import('../services/deploy-settings');
  return composeSettingsFrom(at, { envContent, publicKey: 'x' });
}

/** A version script's known failure, in words: no checkout on the server, the repository out of its reach, no such ref. */
function versionScriptError(code: number | null, settings: ComposeDeploySettings, ref: string): void {
  if (code === 3 || code === 4 || code === 5) throw new AppError(VERSION_SCRIPT_EXIT[code], { ref, dir: checkoutDir(settings), url: settings.repo.url });
}

function session(deps: Deps, profile: Profile, settings: ComposeDeploySettings): Session {
  return new Session(profile, settings, { connect: deps.connect, redact: (t) => deps.log.redact(t), log: (l) => deps.log.info(l) });
}

async function readFacts(deps: Deps, profile: Profile, ref: string, envContent: string): Promise<VersionFacts> {
  if (!profile.repo) throw new AppError('deploy.not_ready', { missing: 'repository' });
  const current = await settingsAt(deps, profile, profile.repo.ref, envContent);
  const saved = await deps.envExamplePath?.(profile.id).catch(() => null);
  const candidates = [...new Set([...(saved ? [saved] : []), ...ENV_EXAMPLE_CANDIDATES])];
  const s = session(deps, profile, current);
  try {
    const r = await s.root(versionFactsScript(current, ref, candidates), { timeoutMs: 10 * 60_000 });
    versionScriptError(r.code, current, ref);
    const facts = r.code === 0 ? parseVersionFacts(r.stdout) : null;
    if (!facts) throw new AppError('deploy.step_failed', { step: 'version-facts', exitCode: String(r.code) });
    return { fromRef: profile.repo.ref, toRef: ref, envContent, ...facts };
  } finally {
    s.close();
  }
}

export interface VersionBuild {
  built: BuiltPlan;
  /** The deployment at the new ref with its new `.env` (what the runner deploys). */
  after: ComposeDeploySettings;
}

/** Plans the update of `profile` to `ref`; `requireValues`: the new keys must all have a value (start). */
export async function planVersion(deps: Deps, profile: Profile, ref: string, options: UpgradeOptions, requireValues = false): Promise<VersionBuild> {
  if (profile.phase !== 1 && profile.phase !== 2) throw new AppError('upgrade.not_available', { from: profile.phase, to: ref });
  const envContent = await envOf(deps, profile.id);
  const facts = await readFacts(deps, profile, ref, envContent);
  return buildWith(deps, profile, facts, options, requireValues);
}

async function buildWith(deps: Deps, profile: Profile, facts: VersionFacts, options: UpgradeOptions, requireValues: boolean): Promise<VersionBuild> {
  const env = versionEnv(facts, options);
  if (env.invalid.length > 0) throw new AppError('upgrade.env_missing', { keys: env.invalid.join(', ') });
  for (const v of Object.values(options.env ?? {})) if (v.length >= 4) deps.log.registerSecret(v);
  const before = deps.backups.settingsOf(profile);
  const after = await settingsAt(deps, profile, facts.toRef, env.content);
  const built = buildVersionPlan({ profileId: profile.id, phase: profile.phase, before, after, facts, options, redact: (t) => deps.log.redact(t) });
  const missing = built.view.version?.added.filter((a) => a.missing).map((a) => a.key) ?? [];
  if (requireValues && missing.length > 0) throw new AppError('upgrade.env_missing', { keys: missing.join(', ') });
  return { built, after };
}

/**
 * The settings of a confirmed plan resumed half-way (its checkout may be at the new ref already): the facts as
 * the plan recorded them, the `.env` from today's plus the values given again.
 */
export async function resumeVersion(deps: Deps, profile: Profile, version: VersionChange, options: UpgradeOptions): Promise<ComposeDeploySettings> {
  const envContent = await envOf(deps, profile.id);
  const entries = version.added.map((a) => [a.key, options.env?.[a.key] ?? a.example] as const).filter(([, v]) => v !== '');
  const facts: VersionFacts = { fromRef: version.from.ref, fromCommit: version.from.commit, toRef: version.to.ref, toCommit: version.to.commit, envExample: version.envExample, oldExample: '', newExample: entries.map(([k]) => `${k}=x`).join('\n'), envContent };
  return settingsAt(deps, profile, version.to.ref, versionEnv(facts, { env: Object.fromEntries(entries) }).content);
}

/** Once the new version is healthy: the profile names the new ref, and the new `.env` is the one kept. */
export async function recordVersion(deps: Deps, profileId: string, ref: string, envContent: string): Promise<void> {
  const profile = await deps.profiles.get(profileId);
  await deps.secrets.set(deps.secretName(profileId, DEPLOY_SECRETS.env), envContent);
  await deps.profiles.update(profile, { repo: profile.repo ? { ...profile.repo, ref } : null });
}

/** The ref picker's list: the repository's tags (newest first) and branches, as the server's checkout sees them. */
export async function listVersions(deps: Deps, profile: Profile): Promise<{ current: string | null; commit: string | null; refs: { name: string; kind: 'tag' | 'branch'; commit: string }[] }> {
  const settings = await settingsAt(deps, profile, profile.repo?.ref ?? 'main', 'x');
  const s = session(deps, profile, settings);
  try {
    const r = await s.root(listRefsScript(settings), { timeoutMs: 120_000 });
    versionScriptError(r.code, settings, '');
    if (r.code !== 0) throw new AppError('deploy.step_failed', { step: 'list-refs', exitCode: String(r.code) });
    const { head, refs } = parseRefs(r.stdout);
    return { current: profile.repo?.ref ?? null, commit: head, refs };
  } finally {
    s.close();
  }
}
