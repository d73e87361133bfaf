import { mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../shared/errors';
import { tokenSecretName } from '../github/token-hosts';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { startGitHubFake, type FakeRepo, type GitHubFake } from '../testing/github-fake';
import { listenOnLoopback } from '../testing/loopback';
import { GITHUB_TOKEN_SECRET, RecipeService } from './recipe-service';

// The probe: with a github.com token saved, RecipeService.inspect of an address on another host sent
// `Authorization: token ghp_…` to that host. Here "that host" is a server that records every header it gets
// and answers like GitHub Enterprise (it forwards to the GitHub fake), so the test sees exactly what left.

const GITHUB_COM_TOKEN = 'ghp_githubDotComToken000000000000001';
const GHE_TOKEN = 'ghp_enterpriseToken00000000000000002';
const manyBranches = Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`b${String(i).padStart(3, '0')}`, { 'README.md': 'x\n' }]));
const REPOS: FakeRepo[] = [
  { owner: 'someone', name: 'repo', branches: { main: { 'README.md': 'hello\n' } } },
  { owner: 'acme', name: 'big', branches: manyBranches, defaultBranch: 'b000' },
  { owner: 'acme', name: 'private', private: true, branches: { main: { 'README.md': 'secret\n' } } },
];

let fake: GitHubFake;

interface Hit {
  path: string;
  authorization: string | undefined;
}

/**
 * A server on 127.0.0.1 that records each request's Authorization and forwards it to the GitHub fake
 * (`/api/v3` prefix dropped, the way GitHub Enterprise serves its API). Link headers are pointed at
 * `linkTo` when given (a pagination link to another host); `redirect` answers a path with a 301.
 */
async function enterpriseHost(opts: { linkTo?: () => string; redirect?: Record<string, () => string> } = {}) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    hits.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const target = opts.redirect?.[(req.url ?? '').split('?')[0]!];
    if (target) {
      res.writeHead(301, { location: target() });
      return res.end();
    }
    const upstream = new URL(fake.url);
    const path = (req.url ?? '/').replace(/^\/api\/v3/u, '');
    const fwd = httpRequest({ host: upstream.hostname, port: upstream.port, path, method: req.method, headers: { ...req.headers, host: upstream.host } }, (up) => {
      const headers = { ...up.headers };
      if (opts.linkTo && typeof headers.link === 'string') headers.link = headers.link.split(upstream.origin).join(opts.linkTo());
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    req.pipe(fwd);
  });
  const l = await listenOnLoopback(server);
  const origin = `http://127.0.0.1:${l.port}`;
  return { hits, origin, host: `127.0.0.1:${l.port}`, close: () => l.close() };
}

function service(opts: { apiBaseUrl?: string } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgt-ghtoken-'));
  const secrets = new MemorySecretStore();
  const recipes = new RecipeService({ dataDir, profiles: new ProfileStore(dataDir), secrets, emit: () => undefined, ...(opts.apiBaseUrl ? { github: { apiBaseUrl: opts.apiBaseUrl } } : {}) });
  return { recipes, secrets };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  fake = await startGitHubFake({ repos: REPOS, tokens: [GITHUB_COM_TOKEN, GHE_TOKEN] });
}, 30_000);
afterAll(async () => {
  await fake?.close();
});

describe('a GitHub token goes only to the host it was issued for', () => {
  it('the issue’s reproduction: an address on another host is read anonymously, the github.com token never sent', async () => {
    const other = await enterpriseHost();
    const { recipes, secrets } = service();
    await secrets.set(GITHUB_TOKEN_SECRET, GITHUB_COM_TOKEN);
    const overview = await recipes.inspect(`http://${other.host}/someone/repo`);
    expect(overview.fullName).toBe('someone/repo');
    expect(other.hits.map((h) => h.path.split('?')[0])).toEqual(expect.arrayContaining(['/api/v3/repos/someone/repo']));
    expect(other.hits.length).toBeGreaterThanOrEqual(3);
    for (const h of other.hits) expect(h.authorization).toBeUndefined();
    await other.close();
  });

  it('a private repository there asks to sign in there (not found anonymously), still without the github.com token', async () => {
    const other = await enterpriseHost();
    const { recipes, secrets } = service();
    await secrets.set(GITHUB_TOKEN_SECRET, GITHUB_COM_TOKEN);
    const e = await failure(recipes.inspect(`http://${other.host}/acme/private`));
    expect(e.code).toBe('github.not_found');
    for (const h of other.hits) expect(h.authorization).toBeUndefined();
    expect((await recipes.githubStatus(`http://${other.host}/acme/private`)).signedIn).toBe(false);
    expect((await recipes.githubStatus()).signedIn).toBe(true);
    await other.close();
  });

  it('refuses to send that host’s own token over plain http, before any request', async () => {
    const other = await enterpriseHost();
    const { recipes, secrets } = service();
    // As if the user had signed in to this host earlier over https.
    await secrets.set(tokenSecretName(other.host), GHE_TOKEN);
    const e = await failure(recipes.inspect(`http://${other.host}/acme/private`));
    expect(e.code).toBe('github.insecure_http');
    expect(e.params.host).toBe(other.host);
    const signIn = await failure(recipes.setToken(GHE_TOKEN, `http://${other.host}/acme/private`));
    expect(signIn.code).toBe('github.insecure_http');
    expect(other.hits).toEqual([]);
    await other.close();
  });

  it('keeps one token per host: each host gets its own, github.com’s stays on github.com', async () => {
    const api = await enterpriseHost();
    // The explicit endpoint override (how the tests and the e2e point every host at the fake).
    const { recipes, secrets } = service({ apiBaseUrl: `${api.origin}/api/v3` });
    await recipes.setToken(GITHUB_COM_TOKEN);
    await recipes.setToken(GHE_TOKEN, 'https://ghe.example.com/acme/private');
    expect(await secrets.get(GITHUB_TOKEN_SECRET)).toBe(GITHUB_COM_TOKEN);
    expect(await secrets.get(tokenSecretName('ghe.example.com'))).toBe(GHE_TOKEN);
    api.hits.length = 0;
    await recipes.inspect('https://github.com/acme/private');
    expect(new Set(api.hits.map((h) => h.authorization))).toEqual(new Set([`token ${GITHUB_COM_TOKEN}`]));
    api.hits.length = 0;
    await recipes.inspect('https://ghe.example.com/acme/private');
    expect(new Set(api.hits.map((h) => h.authorization))).toEqual(new Set([`token ${GHE_TOKEN}`]));
    api.hits.length = 0;
    await recipes.inspect('https://elsewhere.example.org/someone/repo');
    expect(api.hits.every((h) => h.authorization === undefined)).toBe(true);
    // Forgetting one host's token leaves the other's.
    await recipes.forgetToken('https://ghe.example.com/acme/private');
    expect((await recipes.githubStatus('https://ghe.example.com/x/y')).signedIn).toBe(false);
    expect((await recipes.githubStatus()).signedIn).toBe(true);
    await api.close();
  });

  it('registers every token it holds for redaction (pasted, and read back from the secret store)', async () => {
    const api = await enterpriseHost();
    const dataDir = mkdtempSync(join(tmpdir(), 'kgt-ghtoken-'));
    const secrets = new MemorySecretStore();
    const log = new Logger(null);
    const recipes = new RecipeService({ dataDir, profiles: new ProfileStore(dataDir), secrets, log, emit: () => undefined, github: { apiBaseUrl: `${api.origin}/api/v3` } });
    await recipes.setToken(GITHUB_COM_TOKEN);
    expect(log.redact(`Authorization: token ${GITHUB_COM_TOKEN}`)).toBe('Authorization: token ••••••');
    // A token saved by an earlier session is registered when it is first used.
    await secrets.set(tokenSecretName('ghe.example.com'), GHE_TOKEN);
    await recipes.inspect('https://ghe.example.com/acme/private');
    expect(log.redact(GHE_TOKEN)).toBe('••••••');
    await api.close();
  });

  it('a pagination link to another host gets no token', async () => {
    const elsewhere = await enterpriseHost();
    const api = await enterpriseHost({ linkTo: () => `${elsewhere.origin}/api/v3` });
    const { recipes, secrets } = service({ apiBaseUrl: `${api.origin}/api/v3` });
    await secrets.set(GITHUB_TOKEN_SECRET, GITHUB_COM_TOKEN);
    const overview = await recipes.inspect('https://github.com/acme/big');
    expect(overview.branches.length).toBe(105);
    expect(elsewhere.hits.some((h) => h.path.includes('/branches'))).toBe(true);
    for (const h of elsewhere.hits) expect(h.authorization).toBeUndefined();
    expect(api.hits.some((h) => h.authorization === `token ${GITHUB_COM_TOKEN}`)).toBe(true);
    await api.close();
    await elsewhere.close();
  });

  it('a redirect to another host gets no token', async () => {
    const elsewhere = await enterpriseHost();
    const api = await enterpriseHost({ redirect: { '/api/v3/repos/acme/moved': () => `${elsewhere.origin}/api/v3/repos/someone/repo` } });
    const { recipes, secrets } = service({ apiBaseUrl: `${api.origin}/api/v3` });
    await secrets.set(GITHUB_TOKEN_SECRET, GITHUB_COM_TOKEN);
    await recipes.inspect('https://github.com/acme/moved').catch(() => undefined);
    expect(elsewhere.hits.length).toBeGreaterThan(0);
    for (const h of elsewhere.hits) expect(h.authorization).toBeUndefined();
    await api.close();
    await elsewhere.close();
  });

  it('the deploy key and GitHub’s SSH host keys come from the repository’s host, with that host’s token only', async () => {
    const api = await enterpriseHost();
    const dataDir = mkdtempSync(join(tmpdir(), 'kgt-ghtoken-'));
    const secrets = new MemorySecretStore();
    const profiles = new ProfileStore(dataDir);
    await profiles.save({ id: 'p', name: 'P', phase: 1, provider: { kind: 'existing' }, server: null, repo: null, settings: {}, secrets: {} });
    const repoKeys = { repoPublicKey: async () => 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoprogoDeployTestKey0000000000000000000000 t', generateRepoKey: async () => ({ publicKey: '' }) };
    const recipes = new RecipeService({ dataDir, profiles, secrets, repoKeys, emit: () => undefined, github: { apiBaseUrl: `${api.origin}/api/v3` } });
    await secrets.set(GITHUB_TOKEN_SECRET, GITHUB_COM_TOKEN);
    // Signed in to github.com only: a GitHub Enterprise repository asks to sign in there, nothing is sent.
    const e = await failure(recipes.installDeployKey('p', 'https://ghe.example.com/acme/private'));
    expect(e.code).toBe('github.unauthorized');
    expect(e.params).toMatchObject({ reason: 'sign_in', host: 'ghe.example.com' });
    expect(api.hits).toEqual([]);
    await secrets.set(tokenSecretName('ghe.example.com'), GHE_TOKEN);
    const installed = await recipes.installDeployKey('p', 'https://ghe.example.com/acme/private');
    for (const line of installed.knownHosts.split('\n')) expect(line.startsWith('ghe.example.com ')).toBe(true);
    expect(new Set(api.hits.map((h) => h.authorization))).toEqual(new Set([`token ${GHE_TOKEN}`]));
    await api.close();
  });
});
