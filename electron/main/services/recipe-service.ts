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
import { GITHUB_COM_TOKEN_SECRET, normalizeGitHubHost, tokenSecretName } from '../github/token-hosts';
import { buildConfigForm, renderConfig } from '../recipe/config-form';
import { detectRecipe, githubSource, type RecipeSource } from '../recipe/detect';
import { settingsFromRecipe } from '../recipe/recipe-settings';
import { checkDomains, domainExists } from '../recipe/dns-check';
import type { Logger } from '../log';
import type { SecretStore } from '../secrets/secret-store';
import { writeJsonAtomic } from '../store/json-file';
import type { ProfileStore } from '../store/profile-store';
import { secretName } from './deploy-service';
import { notGithubHost, refHintOf } from '../../shared/git-hosts';
import type { NetworkCheck, NetworkDoctor } from '../network/doctor';
import { parseEnvFile } from '../recipe/env-file';
import { classifyEnv } from '../recipe/env-kinds';

/** The secret-store name of the github.com token (GHCR's password too); GitHub Enterprise hosts have their own (github/token-hosts.ts). */
export const GITHUB_TOKEN_SECRET = GITHUB_COM_TOKEN_SECRET;

/**
 * The OAuth App the device flow signs in with. Device flow needs a registered OAuth App with "Enable Device Flow";
 * its client id is public (not a secret). Override with `KOPROGO_GITHUB_CLIENT_ID` for a fork or GitHub Enterprise.
 */
export const DEFAULT_GITHUB_CLIENT_ID = 'Ov23liKoproGoDeploy01';

/** Read-only access to private repositories' contents, the right to add a deploy key, and private images on GHCR. */
const DEVICE_SCOPE = 'repo read:packages';

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
  /** Every GitHub token the service holds is registered here for redaction. */
  log?: Pick<Logger, 'registerSecret'>;
  /** Tells "this computer is offline" apart from a GitHub outage. */
  network?: NetworkDoctor;
}

const savedRecipeSchema = z.object({
  version: z.literal(1),
  url: z.string(),
  ref: z.string(),
  recipe: RecipeSchema,
  envExampleText: z.string().nullable(),
  /** The production compose files as read (the 127.0.0.1 copies are made from them). */
  composeTexts: z.record(z.string(), z.string()).default({}),
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

  /** The GitHub host an address is on (github.com without one). */
  private hostOf(url?: string): string {
    return url ? this.locate(url).host : 'github.com';
  }

  private async tokenFor(host: string): Promise<string | null> {
    const token = await this.deps.secrets.get(tokenSecretName(host));
    if (token) this.deps.log?.registerSecret(token, { label: `GitHub token (${host})` });
    return token;
  }

  /** Signed in to the host of `url` (github.com without one): each host has its own token. */
  async githubStatus(url?: string): Promise<{ signedIn: boolean; persistent: boolean; waiting: boolean; host: string }> {
    const host = this.hostOf(url);
    return { signedIn: (await this.tokenFor(host)) !== null, persistent: this.deps.secrets.persistent, waiting: this.device !== null, host };
  }

  /**
   * A fine-grained or classic token pasted by the user, for the host of `probeUrl` (github.com without one):
   * checked against that host's API (over https) before it is kept, under that host's name.
   */
  async setToken(token: string, probeUrl?: string): Promise<{ signedIn: true; persistent: boolean }> {
    const t = token.trim();
    if (!/^[A-Za-z0-9_]{20,255}$/.test(t)) throw new AppError('github.unauthorized', { reason: 'token_format' });
    this.deps.log?.registerSecret(t, { label: 'GitHub token' });
    const { apiBaseUrl, host } = probeUrl ? this.locate(probeUrl) : { apiBaseUrl: this.deps.github?.apiBaseUrl ?? 'https://api.github.com', host: 'github.com' };
    const client = new GitHubClient({ baseUrl: apiBaseUrl, token: t, retries: 1, ...this.overrideTrust() });
    await client.checkToken();
    await this.deps.secrets.set(tokenSecretName(host), t);
    return { signedIn: true, persistent: this.deps.secrets.persistent };
  }

  /** Forgets the token of the host of `url` (github.com without one). */
  async forgetToken(url?: string): Promise<{ forgotten: true }> {
    this.cancelDevice();
    await this.deps.secrets.delete(tokenSecretName(this.hostOf(url)));
    return { forgotten: true };
  }

  /** Starts the device flow: returns the code to show; polls in the background and reports with `github.signIn`. */
  async startDevice(url?: string): Promise<{ userCode: string; verificationUri: string; expiresIn: number; interval: number }> {
    this.cancelDevice();
    const parsed = url ? parseRepoUrl(url) : null;
    const host = normalizeGitHubHost(parsed?.ok ? parsed.repo.host : 'github.com');
    const webBase = host === 'github.com' || host === 'www.github.com' ? 'https://github.com' : `https://${host}`;
    const opts = { baseUrl: this.deps.github?.webBaseUrl ?? webBase, allowLoopbackHttp: this.deps.github?.webBaseUrl !== undefined, ...this.networkOption() };
    const clientId = this.deps.github?.clientId ?? DEFAULT_GITHUB_CLIENT_ID;
    const code = await startDeviceFlow(clientId, DEVICE_SCOPE, opts);
    const abort = new AbortController();
    const current = { code, abort };
    this.device = current;
    void pollDeviceFlow({ ...opts, clientId, device: code, signal: abort.signal, onPoll: (state, interval) => this.deps.emit('github.signIn', { state: state === 'slow_down' ? 'slow_down' : 'pending', interval }) })
      .then(async (token) => {
        if (abort.signal.aborted) return;
        // The token is for the host the user signed in to, and only for it.
        this.deps.log?.registerSecret(token.accessToken, { label: `GitHub token (${host})` });
        await this.deps.secrets.set(tokenSecretName(host), token.accessToken);
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
    return { repo: { owner: parsed.repo.owner, name: parsed.repo.name }, apiBaseUrl: this.deps.github?.apiBaseUrl ?? parsed.repo.apiBaseUrl, host: normalizeGitHubHost(parsed.repo.host) };
  }

  /**
   * A client for the repository at `url`: with the token of that repository's host when the user signed in
   * there, anonymous otherwise — a github.com token never goes to another host. The token is never sent over
   * plain http (GitHubClient refuses it; an explicit test override on 127.0.0.1 aside).
   */
  private async client(url: string): Promise<GitHubClient> {
    const { apiBaseUrl, host } = this.locate(url);
    const token = await this.tokenFor(host);
    return new GitHubClient({ baseUrl: apiBaseUrl, ...(token ? { token } : {}), ...this.overrideTrust() });
  }

  /** Only the explicit endpoint override (the local fake in tests) may be plain http on 127.0.0.1; no answer is checked for offline. */
  private overrideTrust(): { allowLoopbackHttp: boolean; networkCheck?: NetworkCheck } {
    return { allowLoopbackHttp: this.deps.github?.apiBaseUrl !== undefined, ...this.networkOption() };
  }

  /** The repository, its releases / tags / branches and the version to propose (the latest release). */
  async inspect(url: string): Promise<RepoOverview> {
    const { repo } = this.locate(url);
    const client = await this.client(url);
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
    // Signed in to this repository's host, with a token issued there.
    const token = await this.tokenFor(host);
    if (!token) throw new AppError('github.unauthorized', { reason: 'sign_in', host });
    const profile = await this.deps.profiles.get(profileId);
    const client = new GitHubClient({ baseUrl: apiBaseUrl, token, ...this.overrideTrust() });
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
    try {
      const { repo, apiBaseUrl, host } = this.locate(url);
      const token = await this.tokenFor(host);
      if (!token) return 'failed';
      return await new GitHubClient({ baseUrl: apiBaseUrl, token, retries: 1, ...this.overrideTrust() }).deleteDeployKey(repo, id);
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
    const { repo } = this.locate(url);
    const client = await this.client(url);
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
    // Visibility decides whether the repository's own images are likely private (one more request).
    const info = await client.getRepo(repo).catch(() => null);
    const recipe = await detectRecipe(source, overrides, { owner: repo.owner, name: repo.name, private: info?.private ?? null });
    const envExampleText = recipe.envExample ? (texts.get(recipe.envExample.path) ?? null) : null;
    const composeTexts = Object.fromEntries((recipe.production?.files ?? []).flatMap((f) => {
      const t = texts.get(f);
      return typeof t === 'string' ? [[f, t]] : [];
    }));
    await writeJsonAtomic(this.recipePath(profileId), { version: 1, url, ref, recipe, envExampleText, composeTexts } satisfies SavedRecipe);
    const candidates = files.filter((f) => CANDIDATE.test(f) && !f.split('/').some((s) => s === 'node_modules' || s === '.github')).slice(0, MAX_CANDIDATES);
    const settings = settingsFromRecipe(recipe);
    // GHCR's login name is the GitHub account of the token.
    if (settings['registry.auth'] === 'github') settings['registry.user'] = (await client.currentLogin().catch(() => null)) ?? repo.owner;
    return { recipe, candidates, settings };
  }

  /** The production compose files as the recipe read them (for the 127.0.0.1 copies), or null without a recipe. */
  async composeTexts(profileId: string): Promise<Record<string, string> | null> {
    const saved = await this.savedRecipe(profileId);
    return saved ? saved.composeTexts : null;
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
        return buildConfigForm(saved.envExampleText, text, { examplePath, savedFrom: 'server', repository: this.repositoryOf(saved.url) });
      }
    }
    this.serverEnv.delete(profileId);
    return buildConfigForm(saved.envExampleText, await this.savedEnv(profileId), { examplePath, repository: this.repositoryOf(saved.url) });
  }

  async save(profileId: string, values: ConfigValues): Promise<{ ok: true; keys: string[]; persistent: boolean } | { ok: false; problems: Array<{ key: string; problem: ConfigProblem }> }> {
    await this.deps.profiles.get(profileId);
    const saved = await this.savedRecipe(profileId);
    if (!saved?.envExampleText) throw new AppError('recipe.no_form', {});
    const savedText = this.serverEnv.get(profileId) ?? (await this.savedEnv(profileId));
    // Generated secrets were shown to the user in the form: their values come back with the rest.
    const form = buildConfigForm(saved.envExampleText, savedText, { repository: this.repositoryOf(saved.url) });
    const result = await renderConfig(form, values, { savedText, lookupDomain: domainExists({ servers: this.deps.dnsServers }) });
    if (!result.ok) return result;
    await this.deps.secrets.set(secretName(profileId, DEPLOY_SECRETS.env), result.text);
    this.serverEnv.delete(profileId);
    return { ok: true, keys: result.keys, persistent: this.deps.secrets.persistent };
  }

  /** owner/name of the chosen repository (the form fills `your-username/koprogo` with it). */
  private repositoryOf(url: string): { owner: string; name: string } | null {
    const parsed = parseRepoUrl(url);
    return parsed.ok ? { owner: parsed.repo.owner, name: parsed.repo.name } : null;
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

/** The profile settings a recipe decides (the deploy engine reads them): recipe/recipe-settings.ts. */
export { settingsFromRecipe };
