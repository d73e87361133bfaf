import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_REPOS } from '../recipe/fixtures/repos';
import { startGitHubFake, type GitHubFake } from './github-fake';

let fake: GitHubFake;
beforeAll(async () => {
  fake = await startGitHubFake({ repos: FIXTURE_REPOS, tokens: ['ghp_valid'] });
});
afterAll(() => fake.close());

const get = (path: string, token?: string) => fetch(`${fake.url}${path}`, { headers: token ? { authorization: `token ${token}` } : {} });

describe('GitHub fake', () => {
  it('answers a repository with rate-limit headers, and 404 in GitHub form', async () => {
    const r = await get('/repos/gilmry/koprogo');
    expect(r.status).toBe(200);
    expect(((await r.json()) as { default_branch: string }).default_branch).toBe('main');
    expect(r.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(r.headers.get('x-ratelimit-resource')).toBe('core');
    const nf = await get('/repos/gilmry/nope');
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.any(String) });
  });

  it('refuses a bad token with 401 and hides private repositories without one', async () => {
    expect((await get('/repos/gilmry/koprogo', 'ghp_wrong')).status).toBe(401);
    expect((await get('/repos/acme/koprogo-private')).status).toBe(404);
    expect((await get('/repos/acme/koprogo-private', 'ghp_valid')).status).toBe(200);
  });

  it('paginates with a Link header', async () => {
    const r = await get('/repos/gilmry/koprogo/releases?per_page=2');
    expect(((await r.json()) as unknown[]).length).toBe(2);
    expect(r.headers.get('link')).toMatch(/page=2>; rel="next"/u);
    const last = await get('/repos/gilmry/koprogo/releases?per_page=2&page=2');
    expect(((await last.json()) as unknown[]).length).toBe(1);
    expect(last.headers.get('link')).toMatch(/rel="prev"/u);
  });

  it('serves trees and base64 contents', async () => {
    const tree = (await (await get('/repos/gilmry/koprogo/git/trees/main?recursive=1')).json()) as { tree: { path: string; type: string }[]; truncated: boolean };
    expect(tree.truncated).toBe(false);
    expect(tree.tree.some((e) => e.path === 'monitoring/scripts/vps_metrics.sh' && e.type === 'blob')).toBe(true);
    const file = (await (await get('/repos/gilmry/koprogo/contents/.env.vps.example?ref=v1.0.0')).json()) as { content: string; encoding: string };
    expect(file.encoding).toBe('base64');
    expect(Buffer.from(file.content, 'base64').toString()).toContain('POSTGRES_DB=koprogo_db');
  });

  it('spends the rate limit and answers 403 with x-ratelimit-remaining: 0', async () => {
    fake.setRateLimit(1, 600);
    expect((await get('/meta')).status).toBe(200);
    const r = await get('/meta');
    expect(r.status).toBe(403);
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    fake.setRateLimit(5000);
  });

  it('counts requests', async () => {
    fake.resetCounter();
    await get('/meta');
    await get('/repos/gilmry/koprogo');
    expect(fake.requestCount).toBe(2);
    expect(fake.log.map((l) => l.path)).toEqual(['/meta', '/repos/gilmry/koprogo']);
  });
});
