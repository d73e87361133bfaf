import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPOS } from '../recipe/fixtures/repos';
import { startGitHubFake, type FakeRepo, type GitHubFake } from '../testing/github-fake';
import { GitHubClient } from './client';
import { pollDeviceFlow, startDeviceFlow } from './device-flow';
import { GitHubError } from './errors';

const TOKEN = 'github_pat_secret_canary_123';
const many: FakeRepo = {
  owner: 'acme',
  name: 'many-branches',
  branches: Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`b${String(i).padStart(3, '0')}`, { 'README.md': `branch ${i}` }])),
  defaultBranch: 'b000',
  truncateTreeAt: 1,
};
const truncated: FakeRepo = { owner: 'acme', name: 'huge', branches: { main: { 'docker-compose.yml': 'services: {}\n', 'monitoring/scripts/a.sh': '#!/bin/sh\n', 'node_modules/x/index.js': '' } }, truncateTreeAt: 1 };

let fake: GitHubFake;
beforeAll(async () => {
  fake = await startGitHubFake({ repos: [...FIXTURE_REPOS, many, truncated], tokens: [TOKEN], clientId: 'Iv1.test' });
});
afterAll(() => fake.close());

const client = (token?: string) => new GitHubClient({ baseUrl: fake.url, allowLoopbackHttp: true, retryAfterBaseMs: 10, ...(token ? { token } : {}) });
const koprogo = { owner: 'gilmry', name: 'koprogo' };

async function failure(p: Promise<unknown>): Promise<GitHubError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GitHubError);
    return err as GitHubError;
  }
  throw new Error('expected a failure');
}

describe('GitHubClient against the fake', () => {
  it('reads a public repository without a token', async () => {
    const info = await client().getRepo(koprogo);
    expect(info).toMatchObject({ fullName: 'gilmry/koprogo', private: false, defaultBranch: 'main' });
  });

  it('lists branches, tags and releases across pages', async () => {
    const refs = await client().listRefs({ owner: 'acme', name: 'many-branches' });
    expect(refs.branches).toHaveLength(130); // two pages of 100
    const k = await client().listRefs(koprogo);
    expect(k.tags.map((t) => t.name).sort()).toEqual(['v0.9.0', 'v1.0.0']);
    expect(k.releases.map((r) => r.tag)).toEqual(['v1.1.0-rc.1', 'v1.0.0', 'v0.9.0']);
  });

  it('defaults to the latest release, else the default branch', async () => {
    expect(await client().defaultRef(koprogo)).toEqual({ kind: 'release', ref: 'v1.0.0' });
    expect(await client().defaultRef({ owner: 'acme', name: 'koprogo-mono' })).toEqual({ kind: 'branch', ref: 'trunk' });
  });

  it('maps 404 and 401, and never puts the token in an error', async () => {
    const nf = await failure(client().getRepo({ owner: 'gilmry', name: 'missing' }));
    expect(nf.params).toMatchObject({ method: 'github.getRepo', status: 404 });
    expect(nf.code).toBe('github.not_found');
    const un = await failure(client('ghp_wrong_token_canary').getRepo(koprogo));
    expect(un.intendedCode).toBe('github.unauthorized');
    expect(JSON.stringify(un.toEnvelope()) + un.message + String(un.stack)).not.toContain('canary');
  });

  it('sees a private repository only with the token', async () => {
    const priv = { owner: 'acme', name: 'koprogo-private' };
    expect((await failure(client().getRepo(priv))).intendedCode).toBe('github.not_found');
    expect((await client(TOKEN).getRepo(priv)).private).toBe(true);
    expect(await client(TOKEN).getFileText(priv, 'traefik.yml', 'main')).toContain('entryPoints');
  });

  it('reads the tree in one request and a file through the contents API', async () => {
    const c = client();
    const tree = await c.getTree(koprogo, 'v1.0.0');
    expect(tree).toMatchObject({ truncated: false, requests: 1 });
    expect(tree.files).toContain('infrastructure/scripts/deploy.sh');
    expect(await c.getFileText(koprogo, 'monitoring/config/thresholds.env', 'v1.0.0')).toContain('CPU_WARN=70');
    expect((await failure(c.getFileText(koprogo, 'docker-compose.yml', 'v1.0.0', 10))).intendedCode).toBe('github.too_large');
    expect((await failure(c.getFileText(koprogo, 'monitoring', 'main'))).intendedCode).toBe('github.not_found');
  });

  it('walks the directories that matter when the tree is truncated', async () => {
    const tree = await client().getTree({ owner: 'acme', name: 'huge' }, 'main');
    expect(tree.truncated).toBe(true);
    expect(tree.files.sort()).toEqual(['docker-compose.yml', 'monitoring/scripts/a.sh']);
    expect(tree.requests).toBe(4); // recursive + root + monitoring + monitoring/scripts
  });

  it('fails fast with rate_limited when the wait is long, retries when it is short', async () => {
    fake.setRateLimit(0, 3600);
    const e = await failure(client().getRepo(koprogo));
    expect(e.intendedCode).toBe('github.rate_limited');
    expect(e.params.resetAt).toEqual(expect.any(String));
    // GitHub's reset is in 2–3 s (whole seconds, as GitHub sends it; 1 s could already be past when a busy machine
    // sends the request): the client waits for it, real time, and retries.
    fake.setRateLimit(0, 3);
    const c = new GitHubClient({ baseUrl: fake.url, allowLoopbackHttp: true });
    expect((await c.getRepo(koprogo)).name).toBe('koprogo');
    expect(c.requestCount).toBeGreaterThanOrEqual(2);
    fake.setRateLimit(5000);
  });

  it('creates and deletes a read-only deploy key', async () => {
    const c = client(TOKEN);
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhT8Bf0b2JkZXBsb3lrZXlmb3J0ZXN0aW5nb25seQ koprogo-deploy';
    const key = await c.createDeployKey(koprogo, 'KoproGo Deploy (test)', pub);
    expect(key.readOnly).toBe(true);
    expect(fake.deployKeys('gilmry', 'koprogo')).toHaveLength(1);
    expect((await failure(c.createDeployKey(koprogo, 'again', pub))).intendedCode).toBe('github.validation_failed');
    expect(await c.deleteDeployKey(koprogo, key.id)).toBe('deleted');
    expect(await c.deleteDeployKey(koprogo, key.id)).toBe('already_gone');
    expect(fake.deployKeys('gilmry', 'koprogo')).toHaveLength(0);
    expect((await failure(client().createDeployKey(koprogo, 'anon', pub))).intendedCode).toBe('github.unauthorized');
  });

  it('reads the SSH host keys from /meta', async () => {
    expect((await client().sshHostKeys())[0]).toMatch(/^ssh-ed25519 /u);
  });
});

describe('device flow', () => {
  it('pending → slow_down → success, adding 5 s on slow_down', async () => {
    const device = await startDeviceFlow('Iv1.test', 'repo', { baseUrl: fake.url, allowLoopbackHttp: true });
    expect(device).toMatchObject({ userCode: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/u), verificationUri: 'https://github.com/login/device', interval: 5 });
    fake.scriptDevicePolls(['authorization_pending', 'slow_down', 'authorization_pending', 'success']);
    const waits: number[] = [];
    const token = await pollDeviceFlow({ clientId: 'Iv1.test', device, baseUrl: fake.url, allowLoopbackHttp: true, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([5000, 5000, 10000, 10000]);
    expect(token.accessToken).toMatch(/^gho_/u);
    expect((await client(token.accessToken).getRepo({ owner: 'acme', name: 'koprogo-private' })).private).toBe(true);
  });

  it('expired and denied', async () => {
    const device = await startDeviceFlow('Iv1.test', 'repo', { baseUrl: fake.url, allowLoopbackHttp: true });
    const sleep = async () => {};
    fake.scriptDevicePolls(['authorization_pending', 'expired_token']);
    expect((await failure(pollDeviceFlow({ clientId: 'Iv1.test', device, baseUrl: fake.url, allowLoopbackHttp: true, sleep }))).intendedCode).toBe('github.device_expired');
    fake.scriptDevicePolls(['access_denied']);
    expect((await failure(pollDeviceFlow({ clientId: 'Iv1.test', device, baseUrl: fake.url, allowLoopbackHttp: true, sleep }))).intendedCode).toBe('github.device_denied');
    // The local deadline too, when GitHub keeps saying "pending".
    fake.scriptDevicePolls([]);
    let t = 0;
    const e = await failure(pollDeviceFlow({ clientId: 'Iv1.test', device: { ...device, expiresIn: 12 }, baseUrl: fake.url, allowLoopbackHttp: true, sleep: async (ms) => void (t += ms), now: () => t }));
    expect(e.intendedCode).toBe('github.device_expired');
  });

  it('refuses an unknown client id', async () => {
    expect((await failure(startDeviceFlow('Iv1.other', 'repo', { baseUrl: fake.url, allowLoopbackHttp: true }))).intendedCode).toBe('github.unauthorized');
  });
});
