// The app's GitHub REST client: Octokit with the retry and throttling plugins, an injectable base URL (GitHub
// Enterprise, or the local fake in tests), an optional token (fine-grained token or the device-flow token), zod on
// what we read, and GitHubError for every failure. Tokens never reach errors or logs.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { z } from 'zod';
import { credentialFetch, isCredentialSafeUrl, originOf } from '../security/credential-fetch';
import type { AppError, ErrorParams } from '../../shared/errors';
import type { NetworkCheck } from '../network/doctor';
import { GitHubError, toGitHubError } from './errors';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 100);
  }
}

const GitHubOctokit = Octokit.plugin(retry, throttling);
type GitHubOctokitInstance = InstanceType<typeof GitHubOctokit>;

export interface RepoId {
  owner: string;
  name: string;
}

export interface GitHubClientOptions {
  /** REST API base: `https://api.github.com` (default), `https://<host>/api/v3`, or a fake. */
  baseUrl?: string;
  token?: string;
  /** Rate-limit waits longer than this fail at once with `github.rate_limited` (default 60 s). */
  maxRateLimitWaitSeconds?: number;
  /** Retries of rate-limited requests (default 2). */
  rateLimitRetries?: number;
  /** Retries of 5xx / network failures (default 3). */
  retries?: number;
  /** Milliseconds per "second" of wait reported by GitHub (tests shrink it; default 1000). */
  retryAfterBaseMs?: number;
  fetch?: typeof globalThis.fetch;
  userAgent?: string;
  /** `baseUrl` is an explicit test override: plain http to 127.0.0.1 may carry the token (the local fake). */
  allowLoopbackHttp?: boolean;
  /** Run on a request that got no HTTP answer: an error to report instead (offline), or null. */
  networkCheck?: NetworkCheck;
}

/**
 * Carries "this computer is offline" through Octokit. Named AbortError on purpose: Octokit rethrows an
 * AbortError as is and its retry plugin only retries errors that carry a request, so an offline
 * computer is told at once instead of after three retries.
 */
class OfflineSignal extends Error {
  constructor(readonly appError: AppError) {
    super('offline');
    this.name = 'AbortError';
  }
}

/** Offline first; then GitHub's own meaning of the failure. */
function githubError(method: string, err: unknown, params: ErrorParams = {}): GitHubError | AppError {
  if (err instanceof OfflineSignal) return err.appError;
  return toGitHubError(method, err, params);
}

export interface RepoInfo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  htmlUrl: string;
  sshUrl: string;
  cloneUrl: string;
  description: string | null;
}

export interface RefList {
  branches: { name: string; sha: string }[];
  tags: { name: string; sha: string }[];
  releases: { tag: string; name: string; prerelease: boolean; draft: boolean; publishedAt: string | null }[];
}

export interface DefaultRef {
  kind: 'release' | 'branch';
  /** A tag name (release) or a branch name, usable as `ref` everywhere. */
  ref: string;
}

export interface RepoTree {
  /** Blob paths, POSIX, relative to the repository root. */
  files: string[];
  directories: string[];
  /** GitHub cut the recursive listing; the fallback walked the directories that matter. */
  truncated: boolean;
  /** API requests this listing took. */
  requests: number;
}

export interface DeployKey {
  id: number;
  title: string;
  readOnly: boolean;
}

const repoSchema = z.object({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  private: z.boolean(),
  default_branch: z.string(),
  html_url: z.string(),
  ssh_url: z.string(),
  clone_url: z.string(),
  description: z.string().nullable().optional(),
});
const refItemSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }) });
const releaseSchema = z.object({ tag_name: z.string(), name: z.string().nullable().optional(), prerelease: z.boolean(), draft: z.boolean(), published_at: z.string().nullable().optional() });
const treeSchema = z.object({
  sha: z.string(),
  truncated: z.boolean().optional(),
  tree: z.array(z.object({ path: z.string(), type: z.string(), sha: z.string().optional(), size: z.number().optional() })),
});
const fileSchema = z.object({ type: z.literal('file'), size: z.number(), encoding: z.string().optional(), content: z.string().optional() });
const keySchema = z.object({ id: z.number(), title: z.string().nullable().optional(), read_only: z.boolean() });
const metaSchema = z.object({ ssh_keys: z.array(z.string()).optional() });

/** Directories never worth walking when GitHub truncates a tree. */
const SKIP_DIRS = new Set(['node_modules', 'vendor', '.git', 'target', 'dist', 'build', 'out', 'coverage', '.next', 'docs', 'doc', 'tests', 'test', 'src', 'migrations', 'assets', 'public', 'static', '.github']);
const FALLBACK_MAX_DEPTH = 3;
const FALLBACK_MAX_REQUESTS = 25;
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024;

function parse<T>(method: string, schema: z.ZodType<T>, data: unknown): T {
  const r = schema.safeParse(data);
  if (!r.success) throw new GitHubError(method, 'github.invalid_response', { issue: r.error.issues[0]?.message ?? 'invalid' });
  return r.data;
}

export class GitHubClient {
  readonly octokit: GitHubOctokitInstance;
  private requests = 0;

  constructor(opts: GitHubClientOptions = {}) {
    const baseUrl = (opts.baseUrl ?? 'https://api.github.com').replace(/\/+$/u, '');
    // The token goes to this API root only (never over plain http, except to the loopback test fake), and
    // never with a pagination link, a redirect or any other request to another origin.
    const loopback = { allowLoopbackHttp: opts.allowLoopbackHttp === true };
    if (opts.token && !isCredentialSafeUrl(baseUrl, loopback)) throw new GitHubError('client', 'github.insecure_http', { host: hostOf(baseUrl) });
    const apiOrigin = originOf(baseUrl);
    const baseFetch = credentialFetch({ allowedOrigins: opts.token && apiOrigin ? [apiOrigin] : [], ...loopback, fetch: opts.fetch ?? globalThis.fetch });
    const maxWait = opts.maxRateLimitWaitSeconds ?? 60;
    const rateRetries = opts.rateLimitRetries ?? 2;
    const base = opts.retryAfterBaseMs ?? 1000;
    const wantRetry = (retryAfter: number, _o: unknown, _k: unknown, retryCount: number): boolean => retryCount < rateRetries && retryAfter <= maxWait;
    this.octokit = new GitHubOctokit({
      ...(opts.token ? { auth: opts.token } : {}),
      baseUrl,
      userAgent: opts.userAgent ?? 'koprogo-deploy',
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      request: {
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
          this.requests += 1;
          try {
            return await baseFetch(input, init);
          } catch (error) {
            const offline = opts.networkCheck && !init?.signal?.aborted ? await opts.networkCheck(input instanceof Request ? input.url : String(input)) : null;
            throw offline ? new OfflineSignal(offline) : error;
          }
        },
      },
      retry: { retries: opts.retries ?? 3, retryAfterBaseValue: base },
      throttle: { onRateLimit: wantRetry, onSecondaryRateLimit: wantRetry, retryAfterBaseValue: base, fallbackSecondaryRateRetryAfter: 60 },
    });
  }

  /** HTTP requests sent by this client so far (retries included). */
  get requestCount(): number {
    return this.requests;
  }

  private async call<T>(method: string, params: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw githubError(method, err, params);
    }
  }

  /** Checks that the token is accepted (`GET /rate_limit` costs no rate-limit budget). */
  async checkToken(): Promise<void> {
    await this.call('checkToken', {}, () => this.octokit.request('GET /rate_limit'));
  }

  /** The login of the signed-in account (GHCR's `docker login` user). */
  async currentLogin(): Promise<string> {
    const r = await this.call('currentLogin', {}, () => this.octokit.request('GET /user'));
    return parse('currentLogin', z.object({ login: z.string() }), r.data).login;
  }

  async getRepo(repo: RepoId): Promise<RepoInfo> {
    const r = await this.call('getRepo', { repo: `${repo.owner}/${repo.name}` }, () => this.octokit.rest.repos.get({ owner: repo.owner, repo: repo.name }));
    const d = parse('getRepo', repoSchema, r.data);
    return { id: d.id, owner: d.owner.login, name: d.name, fullName: d.full_name, private: d.private, defaultBranch: d.default_branch, htmlUrl: d.html_url, sshUrl: d.ssh_url, cloneUrl: d.clone_url, description: d.description ?? null };
  }

  async listRefs(repo: RepoId): Promise<RefList> {
    const p = { owner: repo.owner, repo: repo.name, per_page: 100 };
    const params = { repo: `${repo.owner}/${repo.name}` };
    const [branches, tags, releases] = await Promise.all([
      this.call('listRefs', params, () => this.octokit.paginate(this.octokit.rest.repos.listBranches, p)),
      this.call('listRefs', params, () => this.octokit.paginate(this.octokit.rest.repos.listTags, p)),
      this.call('listRefs', params, () => this.octokit.paginate(this.octokit.rest.repos.listReleases, p)),
    ]);
    return {
      branches: parse('listRefs', z.array(refItemSchema), branches).map((b) => ({ name: b.name, sha: b.commit.sha })),
      tags: parse('listRefs', z.array(refItemSchema), tags).map((t) => ({ name: t.name, sha: t.commit.sha })),
      releases: parse('listRefs', z.array(releaseSchema), releases).map((r) => ({ tag: r.tag_name, name: r.name ?? r.tag_name, prerelease: r.prerelease, draft: r.draft, publishedAt: r.published_at ?? null })),
    };
  }

  /** The latest release's tag, else the default branch. */
  async defaultRef(repo: RepoId): Promise<DefaultRef> {
    try {
      const r = await this.octokit.rest.repos.getLatestRelease({ owner: repo.owner, repo: repo.name });
      return { kind: 'release', ref: parse('defaultRef', releaseSchema, r.data).tag_name };
    } catch (err) {
      const e = githubError('defaultRef', err, { repo: `${repo.owner}/${repo.name}` });
      if (!(e instanceof GitHubError) || e.intendedCode !== 'github.not_found') throw e;
    }
    const info = await this.getRepo(repo);
    return { kind: 'branch', ref: info.defaultBranch };
  }

  /** The whole tree at `ref` in one request; when GitHub truncates it, walks the directories that matter. */
  async getTree(repo: RepoId, ref: string): Promise<RepoTree> {
    const before = this.requests;
    const params = { repo: `${repo.owner}/${repo.name}`, ref };
    const r = await this.call('getTree', params, () => this.octokit.rest.git.getTree({ owner: repo.owner, repo: repo.name, tree_sha: ref, recursive: '1' }));
    const tree = parse('getTree', treeSchema, r.data);
    if (!tree.truncated) {
      return {
        files: tree.tree.filter((e) => e.type === 'blob').map((e) => e.path),
        directories: tree.tree.filter((e) => e.type === 'tree').map((e) => e.path),
        truncated: false,
        requests: this.requests - before,
      };
    }
    const files: string[] = [];
    const directories: string[] = [];
    const queue: { sha: string; prefix: string; depth: number }[] = [{ sha: ref, prefix: '', depth: 0 }];
    let budget = FALLBACK_MAX_REQUESTS;
    while (queue.length > 0 && budget > 0) {
      const next = queue.shift();
      if (!next) break;
      budget -= 1;
      const level = await this.call('getTree', params, () => this.octokit.rest.git.getTree({ owner: repo.owner, repo: repo.name, tree_sha: next.sha }));
      for (const e of parse('getTree', treeSchema, level.data).tree) {
        const path = next.prefix + e.path;
        if (e.type === 'blob') files.push(path);
        if (e.type !== 'tree') continue;
        directories.push(path);
        if (e.sha && next.depth < FALLBACK_MAX_DEPTH && !SKIP_DIRS.has(e.path.toLowerCase())) queue.push({ sha: e.sha, prefix: `${path}/`, depth: next.depth + 1 });
      }
    }
    return { files, directories, truncated: true, requests: this.requests - before };
  }

  /** A text file through the contents API (one request); larger than `maxBytes` → `github.too_large`. */
  async getFileText(repo: RepoId, path: string, ref: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
    const params = { repo: `${repo.owner}/${repo.name}`, path, ref };
    const r = await this.call('getFileText', params, () => this.octokit.rest.repos.getContent({ owner: repo.owner, repo: repo.name, path, ref }));
    if (Array.isArray(r.data)) throw new GitHubError('getFileText', 'github.not_found', { ...params, kind: 'directory' });
    const f = parse('getFileText', fileSchema, r.data);
    if (f.size > maxBytes || f.encoding === 'none') throw new GitHubError('getFileText', 'github.too_large', { ...params, size: f.size, maxBytes });
    return Buffer.from(f.content ?? '', 'base64').toString('utf8');
  }

  /** Adds a read-only deploy key (the app never asks for write access). */
  async createDeployKey(repo: RepoId, title: string, publicKey: string, readOnly: true = true): Promise<DeployKey> {
    const r = await this.call('createDeployKey', { repo: `${repo.owner}/${repo.name}` }, () =>
      this.octokit.rest.repos.createDeployKey({ owner: repo.owner, repo: repo.name, title, key: publicKey.trim(), read_only: readOnly }),
    );
    const k = parse('createDeployKey', keySchema, r.data);
    return { id: k.id, title: k.title ?? title, readOnly: k.read_only };
  }

  /** Removes a deploy key; a key already gone is not an error (re-runs and half-finished deletions). */
  async deleteDeployKey(repo: RepoId, id: number): Promise<'deleted' | 'already_gone'> {
    try {
      await this.octokit.rest.repos.deleteDeployKey({ owner: repo.owner, repo: repo.name, key_id: id });
      return 'deleted';
    } catch (err) {
      const e = githubError('deleteDeployKey', err, { repo: `${repo.owner}/${repo.name}`, id });
      if (e instanceof GitHubError && e.intendedCode === 'github.not_found') return 'already_gone';
      throw e;
    }
  }

  /** GitHub's published SSH host keys (`/meta`), in known_hosts key format (`type base64`). */
  async sshHostKeys(): Promise<string[]> {
    const r = await this.call('sshHostKeys', {}, () => this.octokit.rest.meta.get());
    return parse('sshHostKeys', metaSchema, r.data).ssh_keys ?? [];
  }
}
