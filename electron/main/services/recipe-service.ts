// The "Code" and "Configuration" use cases: read a GitHub repository (public, or private after sign-in with the
// device flow or a token), list its versions, detect its recipe at a version (or with files the user points at),
// remember it per profile, build the configuration form from its env example, check and write the `.env`
// (into the secret store, never to disk in clear), and check the domains in DNS.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { EventName, EventPayload } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { RecipeSchema, type ConfigForm, type ConfigProblem, type ConfigValues, type DnsResult, type Recipe, type RecipeOverrides } from '../../shared/recipe';
import { GitHubClient, type RepoId } from '../github/client';
import { pollDeviceFlow, startDeviceFlow, type DeviceCode } from '../github/device-flow';
import { GitHubError } from '../github/errors';
import { parseRepoUrl } from '../github/repo-url';
import { buildConfigForm, renderConfig } from '../recipe/config-form';
import { detectRecipe, githubSource, type RecipeSource } from '../recipe/detect';
import { checkDomains, domainExists } from '../recipe/dns-check';
import type { SecretStore } from '../secrets/secret-store';
import { writeJsonAtomic } from '../store/json-file';
import type { ProfileStore } from '../store/profile-store';
import { secretName } from './deploy-service';
import { notGithubHost, refHintOf } from '../../shared/git-hosts';
import type { NetworkCheck, NetworkDoctor } from '../network/doctor';
import { parseEnvFile } from '../recipe/env-file';
import { classifyEnv } from '../recipe/env-kinds';

/** The secret-store name of the GitHub token (one per user of this computer, not per profile). */
export const GITHUB_TOKEN_SECRET = 'github.token';

/**
 * The OAuth App the device flow signs in with. Device flow needs a registered OAuth App with "Enable Device Flow";
 * its client id is public (not a secret). Override with `KOPROGO_GITHUB_CLIENT_ID` for a fork or GitHub Enterprise.
 */
export const DEFAULT_GITHUB_CLIENT_ID = 'Ov23liKoproGoDeploy01';

/** Read-only access to private repositories' contents and the right to add a deploy key. */
const DEVICE_SCOPE = 'repo';

export interface GitHubEndpoints {
  /** Replaces the REST API base derived from the URL (tests: the local fake). */
  apiBaseUrl?: string;
  /** Replaces the web base of the device flow (tests: the local fake). */
  webBaseUrl?: string;
  clientId?: string;
}

/** The deploy key's private half lives with the deploy service (it goes to the server). */
export interface RepoKeys {
  repoPublicKey(profileId: string): Promise<string | null>;
  generateRepoKey(profileId: string): Promise<{ publicKey: string }>;
}

export interface RecipeServiceDeps {
  /** Reads the `.env` the server runs with now (null when it has none). */
  readServerEnv?: (profileId: string) => Promise<string | null>;
  dataDir: string;
  profiles: ProfileStore;
  secrets: SecretStore;
  repoKeys?: RepoKeys;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  github?: GitHubEndpoints;
  /** DNS servers (`host:port`) for the domain checks; the system's by default. */
  dnsServers?: string[];
  /** Tells "this computer is offline" apart from a GitHub outage. */
  network?: NetworkDoctor;
}

const savedRecipeSchema = z.object({
  version: z.literal(1),
  url: z.string(),
  ref: z.string(),
  recipe: RecipeSchema,
  envExampleText: z.string().nullable(),
});
type SavedRecipe = z.infer<typeof savedRecipeSchema>;

/** Candidate files to point at: compose-like YAML and env examples, at most this many. */
const MAX_CANDIDATES = 400;
const CANDIDATE = /(\.ya?ml$)|((^|\/)\.?env[^/]*$)|(\.env[^/]*$)|(\.(sample|example|dist|template)$)/i;

export interface RepoOverview {
  fullName: string;
  private: boolean;
  description: string | null;
  htmlUrl: string;
  sshUrl: string;
  defaultBranch: string;
  releases: Array<{ tag: string; name: string; prerelease: boolean; publishedAt: string | null }>;
  tags: string[];
  branches: string[];
  defaultRef: { kind: 'release' | 'branch'; ref: string };
  /** The version named by the address itself (…/tree/<branch>), when the repository has it. */
  proposedRef: string | null;
}

export class RecipeService {
  private device: { code: DeviceCode; abort: AbortController } | null = null;
  /** The server's `.env` read for a form, kept in memory only until that form is saved. */
  private readonly serverEnv = new Map<string, string>();

  constructor(private readonly deps: RecipeServiceDeps) {}

  /** The offline check for the GitHub client (absent in tests that do not need it). */
  private networkOption(): { networkCheck?: NetworkCheck } {
    return this.deps.network ? { networkCheck: this.deps.network.checkFor('github') } : {};
  }

  // ---- GitHub sign-in --------------------------------------------------------------------------------------

  async githubStatus(): Promise<{ signedIn: boolean; persistent: boolean; waiting: boolean }> {
    return { signedIn: (await this.deps.secrets.get(GITHUB_TOKEN_SECRET)) !== null, persistent: this.deps.secrets.persistent, waiting: this.device !== null };
  }

  /** A fine-grained or classic token pasted by the user: checked against the API before it is kept. */
  async setToken(token: string, probeUrl?: string): Promise<{ signedIn: true; persistent: boolean }> {
    const t = token.trim();
    if (!/^[A-Za-z0-9_]{20,255}$/.test(t)) throw new AppError('github.unauthorized', { reason: 'token_format' });
    const apiBaseUrl = this.deps.github?.apiBaseUrl ?? (probeUrl ? this.locate(probeUrl).apiBaseUrl : 'https://api.github.com');
    const client = new GitHubClient({ baseUrl: apiBaseUrl, token: t, retries: 1, ...this.networkOption() });
    await client.checkToken();
    await this.deps.secrets.set(GITHUB_TOKEN_SECRET, t);
    return { signedIn: true, persistent: this.deps.secrets.persistent };
  }

  async forgetToken(): Promise<{ forgotten: true }> {
    this.cancelDevice();
    await this.deps.secrets.delete(GITHUB_TOKEN_SECRET);
    return { forgotten: true };
  }

  /** Starts the device flow: returns the code to show; polls in the background and reports with `github.signIn`. */
  async startDevice(url?: string): Promise<{ userCode: string; verificationUri: string; expiresIn: number; interval: number }> {
    this.cancelDevice();
    const parsed = url ? parseRepoUrl(url) : null;
    const host = parsed?.ok ? parsed.repo.host.toLowerCase() : 'github.com';
    const webBase = host === 'github.com' || host === 'www.github.com' ? 'https://github.com' : `https://${host}`;
    const opts = { baseUrl: this.deps.github?.webBaseUrl ?? webBase, ...this.networkOption() };
    const clientId = this.deps.github?.clientId ?? DEFAULT_GITHUB_CLIENT_ID;
    const code = await startDeviceFlow(clientId, DEVICE_SCOPE, opts);
    const abort = new AbortController();
    const current = { code, abort };
    this.device = current;
    void pollDeviceFlow({ ...opts, clientId, device: code, signal: abort.signal, onPoll: (state, interval) => this.deps.emit('github.signIn', { state: state === 'slow_down' ? 'slow_down' : 'pending', interval }) })
      .then(async (token) => {
        if (abort.signal.aborted) return;
        await this.deps.secrets.set(GITHUB_TOKEN_SECRET, token.accessToken);
        this.deps.emit('github.signIn', { state: 'signed_in', interval: null });
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        const state = err instanceof GitHubError && err.intendedCode === 'github.device_expired' ? 'expired' : err instanceof GitHubError && err.intendedCode === 'github.device_denied' ? 'denied' : 'failed';
        this.deps.emit('github.signIn', { state, interval: null });
      })
      .finally(() => {
        if (this.device === current) this.device = null;
      });
    return { userCode: code.userCode, verificationUri: code.verificationUri, expiresIn: code.expiresIn, interval: code.interval };
  }

  cancelDevice(): boolean {
    const d = this.device;
    this.device = null;
    d?.abort.abort(new Error('cancelled'));
    return d !== null;
  }

  // ---- Repository ------------------------------------------------------------------------------------------

  private locate(url: string): { repo: RepoId; apiBaseUrl: string; host: string } {
    const elsewhere = notGithubHost(url);
    if (elsewhere) throw new AppError('recipe.host_not_github', { host: elsewhere.slice(0, 100) });
    const parsed = parseRepoUrl(url);
    if (!parsed.ok) throw new AppError('recipe.repo_url_invalid', { reason: parsed.reason });
    return { repo: { owner: parsed.repo.owner, name: parsed.repo.name }, apiBaseUrl: this.deps.github?.apiBaseUrl ?? parsed.repo.apiBaseUrl, host: parsed.repo.host };
  }

  private async client(apiBaseUrl: string): Promise<GitHubClient> {
    const token = await this.deps.secrets.get(GITHUB_TOKEN_SECRET);
    return new GitHubClient({ baseUrl: apiBaseUrl, ...(token ? { token } : {}), ...this.networkOption() });
  }

  /** The repository, its releases / tags / branches and the version to propose (the latest release). */
  async inspect(url: string): Promise<RepoOverview> {
    const { repo, apiBaseUrl } = this.locate(url);
    const client = await this.client(apiBaseUrl);
    const [info, refs, defaultRef] = await Promise.all([client.getRepo(repo), client.listRefs(repo), client.defaultRef(repo)]);
    const releases = refs.releases
      .filter((r) => !r.draft)
      .sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''))
      .map((r) => ({ tag: r.tag, name: r.name, prerelease: r.prerelease, publishedAt: r.publishedAt }));
    // An address such as …/tree/<branch> names the version the user looks at: propose it (the
    // longest known branch or tag it starts with, since a branch name may contain slashes).
    const hint = refHintOf(url);
    const known = [...refs.branches.map((b) => b.name), ...refs.tags.map((t) => t.name)];
    const proposedRef = hint ? (known.filter((k) => hint === k || hint.startsWith(`${k}/`)).sort((a, b) => b.length - a.length)[0] ?? (/^[0-9a-f]{7,40}$/.test(hint) ? hint : null)) : null;
    return {
      proposedRef,
      fullName: info.fullName,
      private: info.private,
      description: info.description,
      htmlUrl: info.htmlUrl,
      sshUrl: info.sshUrl,
      defaultBranch: info.defaultBranch,
      releases,
      tags: refs.tags.map((t) => t.name),
      branches: refs.branches.map((b) => b.name),
      defaultRef,
    };
  }

  /**
   * For a private repository cloned over SSH: adds the app's read-only deploy key to the repository through the
   * API (signed in), and pins GitHub's SSH host keys (from `/meta`) for the server. The key id is kept in the
   * profile so the key is removed when the deployment is deleted.
   */
  async installDeployKey(profileId: string, url: string): Promise<{ publicKey: string; knownHosts: string; keyId: number }> {
    if (!this.deps.repoKeys) throw new AppError('internal.unexpected', { method: 'github.installDeployKey' });
    const { repo, apiBaseUrl, host } = this.locate(url);
    const token = await this.deps.secrets.get(GITHUB_TOKEN_SECRET);
    if (!token) throw new AppError('github.unauthorized', { reason: 'sign_in' });
    const profile = await this.deps.profiles.get(profileId);
    const client = new GitHubClient({ baseUrl: apiBaseUrl, token, ...this.networkOption() });
    const publicKey = (await this.deps.repoKeys.repoPublicKey(profileId)) ?? (await this.deps.repoKeys.generateRepoKey(profileId)).publicKey;
    // A key added earlier for this deployment (same repository) is replaced, not piled up.
    const previous = Number(profile.settings['repo.deployKeyId'] ?? '');
    if (Number.isInteger(previous) && previous > 0 && profile.settings['repo.deployKeyUrl'] === url) await client.deleteDeployKey(repo, previous);
    const key = await client.createDeployKey(repo, `KoproGo Deploy (${profileId})`, publicKey);
    const knownHosts = (await client.sshHostKeys()).map((k) => `${host.replace(/:\d+$/, '')} ${k.trim()}`).join('\n');
    await this.deps.profiles.update(profile, { settings: { ...profile.settings, 'repo.deployKeyId': String(key.id), 'repo.deployKeyUrl': url, 'repo.knownHosts': knownHosts } });
    return { publicKey, knownHosts, keyId: key.id };
  }

  /** When a deployment is deleted: its deploy key leaves the repository too (best effort, said in the answer). */
  async removeDeployKey(profile: Profile): Promise<'deleted' | 'already_gone' | 'failed' | 'none'> {
    const id = Number(profile.settings['repo.deployKeyId'] ?? '');
    const url = profile.settings['repo.deployKeyUrl'] ?? profile.repo?.url;
    if (!url || !Number.isInteger(id) || id <= 0) return 'none';
    const token = await this.deps.secrets.get(GITHUB_TOKEN_SECRET);
    if (!token) return 'failed';
    try {
      const { repo, apiBaseUrl } = this.locate(url);
      return await new GitHubClient({ baseUrl: apiBaseUrl, token, retries: 1, ...this.networkOption() }).deleteDeployKey(repo, id);
    } catch {
      return 'failed';
    }
  }

  private recipePath(profileId: string): string {
    return join(this.deps.dataDir, 'recipes', `${profileId}.json`);
  }

  async savedRecipe(profileId: string): Promise<SavedRecipe | null> {
    try {
      const parsed = savedRecipeSchema.safeParse(JSON.parse(await readFile(this.recipePath(profileId), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Detects the recipe at `ref`, keeps it for the configuration form, and says which profile settings follow. */
  async detect(profileId: string, url: string, ref: string, overrides: RecipeOverrides = {}): Promise<{ recipe: Recipe; candidates: string[]; settings: Record<string, string> }> {
    await this.deps.profiles.get(profileId);
    const { repo, apiBaseUrl } = this.locate(url);
    const client = await this.client(apiBaseUrl);
    const texts = new Map<string, string | null>();
    let files: string[] = [];
    const api = githubSource(client, repo, ref);
    const source: RecipeSource = {
      async listFiles() {
        files = await api.listFiles();
        return files;
      },
      async readText(path) {
        const text = await api.readText(path);
        texts.set(path, text);
        return text;
      },
    };
    const recipe = await detectRecipe(source, overrides);
    const envExampleText = recipe.envExample ? (texts.get(recipe.envExample.path) ?? null) : null;
    await writeJsonAtomic(this.recipePath(profileId), { version: 1, url, ref, recipe, envExampleText } satisfies SavedRecipe);
    const candidates = files.filter((f) => CANDIDATE.test(f) && !f.split('/').some((s) => s === 'node_modules' || s === '.github')).slice(0, MAX_CANDIDATES);
    return { recipe, candidates, settings: settingsFromRecipe(recipe) };
  }

  // ---- Configuration ---------------------------------------------------------------------------------------

  private async savedEnv(profileId: string): Promise<string | null> {
    return this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
  }

  /**
   * The form from the detected env example, merged with the `.env` saved by an earlier run — or, `fromServer`, with
   * the one the server runs with now (a re-run from another computer); null without an example.
   */
  async form(profileId: string, opts: { fromServer?: boolean } = {}): Promise<ConfigForm | null> {
    await this.deps.profiles.get(profileId);
    const saved = await this.savedRecipe(profileId);
    if (!saved?.envExampleText) return null;
    const examplePath = saved.recipe.envExample?.path ?? null;
    if (opts.fromServer && this.deps.readServerEnv) {
      const text = await this.deps.readServerEnv(profileId);
      if (text !== null) {
        this.serverEnv.set(profileId, text);
        return buildConfigForm(saved.envExampleText, text, { examplePath, savedFrom: 'server' });
      }
    }
    this.serverEnv.delete(profileId);
    return buildConfigForm(saved.envExampleText, await this.savedEnv(profileId), { examplePath });
  }

  async save(profileId: string, values: ConfigValues): Promise<{ ok: true; keys: string[]; persistent: boolean } | { ok: false; problems: Array<{ key: string; problem: ConfigProblem }> }> {
    await this.deps.profiles.get(profileId);
    const saved = await this.savedRecipe(profileId);
    if (!saved?.envExampleText) throw new AppError('recipe.no_form', {});
    const savedText = this.serverEnv.get(profileId) ?? (await this.savedEnv(profileId));
    // Generated secrets were shown to the user in the form: their values come back with the rest.
    const form = buildConfigForm(saved.envExampleText, savedText);
    const result = await renderConfig(form, values, { savedText, lookupDomain: domainExists({ servers: this.deps.dnsServers }) });
    if (!result.ok) return result;
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.env), result.text);
    this.serverEnv.delete(profileId);
    return { ok: true, keys: result.keys, persistent: this.deps.secrets.persistent };
  }

  /**
   * Warnings the plan carries: the `.env`'s domains checked in DNS again (the same check as the form's),
   * those not pointing at the server said before anything is changed. Only the key and the domain are given.
   */
  async planWarnings(profileId: string): Promise<{ code: string; params: Record<string, string> }[]> {
    const profile: Profile = await this.deps.profiles.get(profileId);
    const env = await this.deps.secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
    if (!env || !profile.server) return [];
    const domains = parseEnvFile(env).entries.filter((e) => e.value !== '' && classifyEnv(e.key, e.value).kind === 'domain');
    if (domains.length === 0) return [];
    const results = await checkDomains(domains.map((d) => d.value), profile.server.host, { servers: this.deps.dnsServers }).catch(() => []);
    return results
      .filter((r) => r.state === 'points_elsewhere' || r.state === 'not_found' || r.state === 'no_records')
      .map((r) => ({ code: `plan.warnings.dns_${r.state}`, params: { key: domains.find((d) => d.value.trim().toLowerCase().replace(/\.$/, '') === r.domain)?.key ?? '', domain: r.domain, addresses: r.addresses.join(', '), server: profile.server?.host ?? '' } }));
  }

  async dnsCheck(profileId: string, domains: string[]): Promise<{ server: string | null; results: DnsResult[] }> {
    const profile: Profile = await this.deps.profiles.get(profileId);
    const server = profile.server?.host ?? null;
    return { server, results: await checkDomains(domains, server, { servers: this.deps.dnsServers }) };
  }
}

/** The profile settings a recipe decides (the deploy engine reads them). */
export function settingsFromRecipe(recipe: Recipe): Record<string, string> {
  const out: Record<string, string> = {};
  if (recipe.production) out.composeFiles = recipe.production.files.join(',');
  if (recipe.composeDir !== null) out.envFile = recipe.composeDir === '' ? '.env' : `${recipe.composeDir}/.env`;
  // The health endpoint checked from the server itself when it is published on the host; otherwise (behind
  // Traefik only, as KoproGo's production compose is) the services' own healthchecks decide.
  if (recipe.health?.publishedPort && /^\d+$/.test(recipe.health.publishedPort)) out.healthUrl = `http://127.0.0.1:${recipe.health.publishedPort}${recipe.health.path}`;
  else if (recipe.production) out.healthUrl = '';
  if (recipe.postgres) {
    out['postgres.service'] = recipe.postgres.service;
    out['postgres.user'] = recipe.postgres.user;
    out['postgres.database'] = recipe.postgres.database;
  }
  const script = (kind: string) => recipe.monitoring.scripts.find((s) => s.kind === kind)?.path;
  const vps = script('vps');
  const pg = script('postgres');
  if (vps) out['monitoring.metrics'] = vps;
  if (pg) out['monitoring.postgresMetrics'] = pg;
  if (recipe.monitoring.thresholds) out['monitoring.thresholds'] = recipe.monitoring.thresholds.path;
  return out;
}
