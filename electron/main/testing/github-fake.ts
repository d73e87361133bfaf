// A local fake of the GitHub REST API (https://docs.github.com/rest) for tests and benches: the endpoints the
// app's GitHub client uses, with GitHub's field names, status codes and error bodies (404 `Not Found`,
// 401 `Bad credentials`, 422 `Validation Failed`), Link-header pagination (`per_page` 30 by default, 100 at most),
// `x-ratelimit-*` headers and 403/429 once the budget is spent, private repositories visible only with a token,
// deploy keys, `/meta` and the OAuth device flow (`/login/device/code`, `/login/oauth/access_token`) driven by
// a script of answers. Repositories are fixtures written as `{ path: content }` maps. In process, on 127.0.0.1.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback';

export type FileMap = Readonly<Record<string, string>>;

export interface FakeRelease {
  tag: string;
  name?: string;
  draft?: boolean;
  prerelease?: boolean;
  /** ISO date; the latest non-draft, non-prerelease one is `/releases/latest`. */
  publishedAt: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  private?: boolean;
  description?: string;
  defaultBranch?: string;
  /** branch name → files at its head */
  branches: Readonly<Record<string, FileMap>>;
  /** tag name → files at that tag */
  tags?: Readonly<Record<string, FileMap>>;
  releases?: readonly FakeRelease[];
  /** Answer recursive tree requests with at most this many entries and `truncated: true`. */
  truncateTreeAt?: number;
}

export type DevicePollAnswer = 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'success';

export interface GitHubFakeOptions {
  repos?: readonly FakeRepo[];
  /** Tokens the fake accepts (personal or fine-grained); the device flow adds the ones it issues. */
  tokens?: readonly string[];
  /** Requests allowed before 403/429 (default 5000). */
  rateLimit?: number;
  /** Status used when the budget is spent: GitHub answers 403 or 429 (default 403). */
  rateLimitStatus?: 403 | 429;
  /** OAuth App client id accepted by the device flow. */
  clientId?: string;
  /** Seconds between device-flow polls the fake asks for (GitHub says 5; end-to-end tests shorten it). */
  deviceInterval?: number;
  sshKeys?: readonly string[];
  /** The login `GET /user` answers for a valid token. */
  login?: string;
}

export interface DeployKeyRecord {
  id: number;
  key: string;
  title: string;
  read_only: boolean;
  created_at: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  authenticated: boolean;
}

export interface GitHubFake {
  /** The REST API base for Octokit's `baseUrl` (also the device-flow base: `/login/...` live here too). */
  url: string;
  /** Requests counted since start or the last `resetCounter()` (device flow and `/meta` included). */
  readonly requestCount: number;
  readonly log: readonly RequestLogEntry[];
  resetCounter(): void;
  /** Sets the remaining budget and when it resets (seconds from now). */
  setRateLimit(remaining: number, resetInSeconds?: number): void;
  deployKeys(owner: string, name: string): DeployKeyRecord[];
  /** Answers the next device-flow polls in this order (then `authorization_pending`). */
  scriptDevicePolls(answers: readonly DevicePollAnswer[]): void;
  readonly devicePollCount: number;
  addToken(token: string): void;
  close(): Promise<void>;
}

/** Shaped like GitHub's `/meta` `ssh_keys` (tests pass their own host keys when they need real ones). */
export const FAKE_SSH_KEYS = [
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
];

const DOCS = 'https://docs.github.com/rest';
/** Files above this size come back from the contents API without content (`encoding: "none"`). */
const CONTENTS_MAX = 1024 * 1024;

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
function blobSha(content: string): string {
  const buf = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

interface TreeEntry {
  path: string;
  mode: string;
  type: 'blob' | 'tree';
  sha: string;
  size?: number;
}

interface Snapshot {
  files: FileMap;
  commitSha: string;
  rootTreeSha: string;
  /** directory ('' for the root) → its direct entries */
  dirs: Map<string, TreeEntry[]>;
  treeShaToDir: Map<string, string>;
}

function snapshot(files: FileMap): Snapshot {
  const dirs = new Map<string, TreeEntry[]>([['', []]]);
  const ensureDir = (dir: string): void => {
    if (dirs.has(dir)) return;
    dirs.set(dir, []);
    const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    ensureDir(parent);
    dirs.get(parent)?.push({ path: dir, mode: '040000', type: 'tree', sha: '' });
  };
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    ensureDir(dir);
    dirs.get(dir)?.push({ path, mode: path.endsWith('.sh') ? '100755' : '100644', type: 'blob', sha: blobSha(content), size: Buffer.byteLength(content) });
  }
  // Tree SHAs from the bottom up (not git's exact encoding, but stable and content-addressed).
  const treeSha = new Map<string, string>();
  const shaOf = (dir: string): string => {
    const known = treeSha.get(dir);
    if (known) return known;
    const entries = dirs.get(dir) ?? [];
    for (const e of entries) if (e.type === 'tree') e.sha = shaOf(e.path);
    const sha = sha1(`tree ${dir}\n${entries.map((e) => `${e.mode} ${e.path} ${e.sha}`).join('\n')}`);
    treeSha.set(dir, sha);
    return sha;
  };
  const rootTreeSha = shaOf('');
  const treeShaToDir = new Map([...treeSha].map(([dir, sha]) => [sha, dir]));
  return { files, commitSha: sha1(`commit ${rootTreeSha}`), rootTreeSha, dirs, treeShaToDir };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(status));
  }
}
const notFound = (): HttpError => new HttpError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const repos = new Map<string, { repo: FakeRepo; id: number; branches: Map<string, Snapshot>; tags: Map<string, Snapshot> }>();
  let nextId = 1000;
  for (const repo of options.repos ?? []) {
    repos.set(`${repo.owner}/${repo.name}`.toLowerCase(), {
      repo,
      id: nextId++,
      branches: new Map(Object.entries(repo.branches).map(([k, v]) => [k, snapshot(v)])),
      tags: new Map(Object.entries(repo.tags ?? {}).map(([k, v]) => [k, snapshot(v)])),
    });
  }
  const tokens = new Set(options.tokens ?? []);
  const keys = new Map<string, DeployKeyRecord[]>();
  let keyId = 9000;
  const limit = options.rateLimit ?? 5000;
  let remaining = limit;
  let resetAt = Math.floor(Date.now() / 1000) + 3600;
  let requestCount = 0;
  const log: RequestLogEntry[] = [];
  let pollScript: DevicePollAnswer[] = [];
  let devicePollCount = 0;
  const devices = new Map<string, { userCode: string; clientId: string }>();
  let deviceSeq = 0;
  let origin = '';

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(Math.max(remaining, 0)),
    'x-ratelimit-reset': String(resetAt),
    'x-ratelimit-used': String(limit - Math.max(remaining, 0)),
    'x-ratelimit-resource': 'core',
  });

  function authenticate(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (!header) return false;
    const m = /^(?:token|bearer)\s+(\S+)$/iu.exec(header);
    if (!m?.[1] || !tokens.has(m[1])) {
      throw new HttpError(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    }
    return true;
  }

  function findRepo(owner: string, name: string, authed: boolean) {
    const entry = repos.get(`${owner}/${name}`.toLowerCase());
    // GitHub hides private repositories behind a 404, not a 403.
    if (!entry || (entry.repo.private && !authed)) throw notFound();
    return entry;
  }

  function resolveRef(entry: NonNullable<ReturnType<typeof repos.get>>, ref: string | null): Snapshot {
    const name = ref ?? entry.repo.defaultBranch ?? 'main';
    const clean = name.replace(/^refs\/(heads|tags)\//u, '');
    const snap = entry.branches.get(clean) ?? entry.tags.get(clean);
    if (snap) return snap;
    for (const s of [...entry.branches.values(), ...entry.tags.values()]) if (s.commitSha === name || s.rootTreeSha === name) return s;
    throw notFound();
  }

  function paginate<T>(req: URL, items: readonly T[], res: ServerResponse): T[] {
    const perPage = Math.min(Math.max(Number(req.searchParams.get('per_page') ?? 30) || 30, 1), 100);
    const page = Math.max(Number(req.searchParams.get('page') ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (p: number, rel: string): string => {
      const u = new URL(req.toString());
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${origin}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    if (links.length > 0) res.setHeader('link', links.join(', '));
    return items.slice((page - 1) * perPage, page * perPage);
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function readParams(req: IncomingMessage): Promise<Record<string, string>> {
    const text = await readBody(req);
    if ((req.headers['content-type'] ?? '').includes('json')) {
      const parsed: unknown = text ? JSON.parse(text) : {};
      return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    }
    return Object.fromEntries(new URLSearchParams(text));
  }

  async function deviceFlow(req: IncomingMessage, path: string): Promise<{ status: number; body: unknown }> {
    const params = await readParams(req);
    if (path === '/login/device/code') {
      if (options.clientId !== undefined && params.client_id !== options.clientId) {
        return { status: 200, body: { error: 'incorrect_client_credentials', error_description: 'The client_id passed is incorrect.' } };
      }
      deviceSeq += 1;
      const deviceCode = sha1(`device ${deviceSeq}`);
      const userCode = `WDJB-MJH${String(deviceSeq % 10)}`;
      devices.set(deviceCode, { userCode, clientId: params.client_id ?? '' });
      return { status: 200, body: { device_code: deviceCode, user_code: userCode, verification_uri: 'https://github.com/login/device', expires_in: 900, interval: options.deviceInterval ?? 5 } };
    }
    devicePollCount += 1;
    if (params.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') return { status: 200, body: { error: 'unsupported_grant_type' } };
    if (!params.device_code || !devices.has(params.device_code)) return { status: 200, body: { error: 'incorrect_device_code' } };
    const answer = pollScript.shift() ?? 'authorization_pending';
    if (answer === 'success') {
      const token = `gho_${sha1(`token ${params.device_code}`).slice(0, 36)}`;
      tokens.add(token);
      devices.delete(params.device_code);
      return { status: 200, body: { access_token: token, token_type: 'bearer', scope: 'repo' } };
    }
    const body: Record<string, unknown> = { error: answer, error_description: answer.replace(/_/gu, ' '), error_uri: 'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow' };
    if (answer === 'slow_down') body.interval = 10;
    return { status: 200, body };
  }

  function contents(entry: NonNullable<ReturnType<typeof repos.get>>, snap: Snapshot, path: string, ref: string): unknown {
    const dirEntries = snap.dirs.get(path);
    const item = (p: string, type: 'file' | 'dir', sha: string, size: number) => ({
      type,
      name: p.slice(p.lastIndexOf('/') + 1),
      path: p,
      sha,
      size,
      url: `${origin}/repos/${entry.repo.owner}/${entry.repo.name}/contents/${p}?ref=${encodeURIComponent(ref)}`,
    });
    if (dirEntries && path !== '') {
      return dirEntries.map((e) => item(e.path, e.type === 'tree' ? 'dir' : 'file', e.sha, e.size ?? 0));
    }
    if (path === '') return (snap.dirs.get('') ?? []).map((e) => item(e.path, e.type === 'tree' ? 'dir' : 'file', e.sha, e.size ?? 0));
    const content = snap.files[path];
    if (content === undefined) throw notFound();
    const buf = Buffer.from(content, 'utf8');
    const tooBig = buf.length > CONTENTS_MAX;
    return {
      ...item(path, 'file', blobSha(content), buf.length),
      encoding: tooBig ? 'none' : 'base64',
      content: tooBig ? '' : (buf.toString('base64').match(/.{1,60}/gu) ?? []).join('\n') + '\n',
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && (path === '/login/device/code' || path === '/login/oauth/access_token')) return deviceFlow(req, path);

    const authed = authenticate(req);
    const now = Math.floor(Date.now() / 1000);
    if (now >= resetAt) {
      remaining = limit;
      resetAt = now + 3600;
    }
    if (path !== '/rate_limit') {
      if (remaining <= 0) {
        throw new HttpError(
          options.rateLimitStatus ?? 403,
          { message: 'API rate limit exceeded for 127.0.0.1. (But here\'s the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' },
          rateHeaders(),
        );
      }
      remaining -= 1;
    }
    if (method === 'GET' && path === '/meta') {
      return { status: 200, body: { verifiable_password_authentication: false, ssh_key_fingerprints: {}, ssh_keys: [...(options.sshKeys ?? FAKE_SSH_KEYS)], git: ['127.0.0.1/32'] } };
    }
    // The signed-in account (GitHub answers 401 "Requires authentication" without a token).
    if (method === 'GET' && path === '/user') {
      if (!authed) throw new HttpError(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' });
      return { status: 200, body: { login: options.login ?? 'koprogo-admin', id: 1, type: 'User' } };
    }
    if (method === 'GET' && path === '/rate_limit') {
      return { status: 200, body: { resources: { core: { limit, remaining, reset: resetAt, used: limit - remaining } }, rate: { limit, remaining, reset: resetAt, used: limit - remaining } } };
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/u.exec(path);
    if (!m) throw notFound();
    const [owner, name] = [decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? '')];
    const rest = m[3] ?? '';
    const entry = findRepo(owner, name, authed);
    const { repo } = entry;
    const defaultBranch = repo.defaultBranch ?? 'main';
    const full = `${repo.owner}/${repo.name}`;

    if (method === 'GET' && rest === '') {
      return {
        status: 200,
        body: {
          id: entry.id,
          node_id: `R_${entry.id}`,
          name: repo.name,
          full_name: full,
          owner: { login: repo.owner, id: 1, type: 'Organization' },
          private: repo.private ?? false,
          visibility: repo.private ? 'private' : 'public',
          description: repo.description ?? null,
          html_url: `https://github.com/${full}`,
          clone_url: `https://github.com/${full}.git`,
          ssh_url: `git@github.com:${full}.git`,
          default_branch: defaultBranch,
          archived: false,
          size: 1234,
          pushed_at: '2025-01-15T10:00:00Z',
          permissions: authed ? { admin: true, push: true, pull: true } : undefined,
        },
      };
    }
    if (method === 'GET' && rest === '/branches') {
      const items = [...entry.branches].map(([b, s]) => ({ name: b, commit: { sha: s.commitSha, url: `${origin}/repos/${full}/commits/${s.commitSha}` }, protected: b === defaultBranch }));
      return { status: 200, body: paginate(url, items, res) };
    }
    if (method === 'GET' && rest === '/tags') {
      const items = [...entry.tags].reverse().map(([t, s]) => ({ name: t, commit: { sha: s.commitSha, url: `${origin}/repos/${full}/commits/${s.commitSha}` }, zipball_url: `${origin}/repos/${full}/zipball/refs/tags/${t}`, tarball_url: `${origin}/repos/${full}/tarball/refs/tags/${t}` }));
      return { status: 200, body: paginate(url, items, res) };
    }
    const releases = [...(repo.releases ?? [])]
      .filter((r) => authed || !r.draft)
      .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt))
      .map((r, i) => ({
        id: 5000 + i,
        tag_name: r.tag,
        name: r.name ?? r.tag,
        draft: r.draft ?? false,
        prerelease: r.prerelease ?? false,
        created_at: r.publishedAt,
        published_at: r.draft ? null : r.publishedAt,
        html_url: `https://github.com/${full}/releases/tag/${r.tag}`,
        target_commitish: defaultBranch,
      }));
    if (method === 'GET' && rest === '/releases') return { status: 200, body: paginate(url, releases, res) };
    if (method === 'GET' && rest === '/releases/latest') {
      const latest = releases.find((r) => !r.draft && !r.prerelease);
      if (!latest) throw notFound();
      return { status: 200, body: latest };
    }
    const tree = /^\/git\/trees\/(.+)$/u.exec(rest);
    if (method === 'GET' && tree) {
      const ref = decodeURIComponent(tree[1] ?? '');
      let snap: Snapshot | undefined;
      let dir = '';
      for (const s of [...entry.branches.values(), ...entry.tags.values()]) {
        const d = s.treeShaToDir.get(ref);
        if (d !== undefined) {
          snap = s;
          dir = d;
          break;
        }
      }
      snap ??= resolveRef(entry, ref);
      const treeSha = snap.dirs.has(dir) ? [...snap.treeShaToDir].find(([, d]) => d === dir)?.[0] ?? snap.rootTreeSha : snap.rootTreeSha;
      const strip = (p: string): string => (dir === '' ? p : p.slice(dir.length + 1));
      let entries: TreeEntry[];
      if (url.searchParams.get('recursive')) {
        entries = [...snap.dirs.entries()].filter(([d]) => d === dir || d.startsWith(dir === '' ? '' : `${dir}/`)).flatMap(([, es]) => es).sort((a, b) => a.path.localeCompare(b.path));
      } else {
        entries = snap.dirs.get(dir) ?? [];
      }
      const truncated = url.searchParams.get('recursive') !== null && repo.truncateTreeAt !== undefined && entries.length > repo.truncateTreeAt;
      if (truncated) entries = entries.slice(0, repo.truncateTreeAt);
      return {
        status: 200,
        body: {
          sha: treeSha,
          url: `${origin}/repos/${full}/git/trees/${treeSha}`,
          tree: entries.map((e) => ({ path: strip(e.path), mode: e.mode, type: e.type, sha: e.sha, ...(e.type === 'blob' ? { size: e.size } : {}), url: `${origin}/repos/${full}/git/${e.type}s/${e.sha}` })),
          truncated,
        },
      };
    }
    const cont = /^\/contents(?:\/(.*))?$/u.exec(rest);
    if (method === 'GET' && cont) {
      const ref = url.searchParams.get('ref');
      const snap = resolveRef(entry, ref);
      const p = decodeURIComponent(cont[1] ?? '').replace(/\/$/u, '');
      return { status: 200, body: contents(entry, snap, p, ref ?? defaultBranch) };
    }
    const keyMatch = /^\/keys(?:\/(\d+))?$/u.exec(rest);
    if (keyMatch) {
      if (!authed) throw new HttpError(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' });
      const list = keys.get(full) ?? [];
      keys.set(full, list);
      const id = keyMatch[1] === undefined ? null : Number(keyMatch[1]);
      const view = (k: DeployKeyRecord) => ({ ...k, url: `${origin}/repos/${full}/keys/${k.id}`, verified: true, added_by: 'fake', last_used: null, enabled: true });
      if (method === 'GET' && id === null) return { status: 200, body: paginate(url, list.map(view), res) };
      if (method === 'POST' && id === null) {
        const body = await readParams(req);
        const key = (body.key ?? '').trim();
        const invalid = (message: string) => new HttpError(422, { message: 'Validation Failed', errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message }], documentation_url: DOCS, status: '422' });
        if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/u.test(key)) throw invalid('key is invalid. You must supply a key in OpenSSH public key format');
        const bare = key.split(' ').slice(0, 2).join(' ');
        if ([...keys.values()].flat().some((k) => k.key === bare)) throw invalid('key is already in use');
        const rec: DeployKeyRecord = { id: keyId++, key: bare, title: body.title ?? '', read_only: body.read_only !== 'false', created_at: new Date().toISOString() };
        list.push(rec);
        return { status: 201, body: view(rec) };
      }
      const idx = list.findIndex((k) => k.id === id);
      if (idx < 0) throw notFound();
      if (method === 'GET') return { status: 200, body: view(list[idx] as DeployKeyRecord) };
      if (method === 'DELETE') {
        list.splice(idx, 1);
        return { status: 204, body: null };
      }
    }
    throw notFound();
  }

  const server = createServer((req, res) => {
    requestCount += 1;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    log.push({ method: req.method ?? 'GET', path, authenticated: req.headers.authorization !== undefined });
    handle(req, res)
      .then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(path.startsWith('/login/') ? {} : rateHeaders()) });
        res.end(body === null ? '' : JSON.stringify(body));
      })
      .catch((err: unknown) => {
        if (err instanceof HttpError) {
          res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', ...rateHeaders(), ...err.headers });
          res.end(JSON.stringify(err.body));
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Server Error' }));
      });
  });
  const listener = await listenOnLoopback(server);
  const port = listener.port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    get requestCount() {
      return requestCount;
    },
    get log() {
      return log;
    },
    resetCounter() {
      requestCount = 0;
      log.length = 0;
    },
    setRateLimit(rem: number, resetInSeconds = 3600) {
      remaining = rem;
      resetAt = Math.floor(Date.now() / 1000) + resetInSeconds;
    },
    deployKeys(owner: string, name: string) {
      const entry = repos.get(`${owner}/${name}`.toLowerCase());
      return entry ? [...(keys.get(`${entry.repo.owner}/${entry.repo.name}`) ?? [])] : [];
    },
    scriptDevicePolls(answers) {
      pollScript = [...answers];
    },
    get devicePollCount() {
      return devicePollCount;
    },
    addToken(token: string) {
      tokens.add(token);
    },
    close: () => listener.close(),
  };
}
