import { describe, expect, it } from 'vitest';
import { parseRepoUrl, type RepoUrlProblem } from './repo-url';

const GH = 'https://api.github.com';
const ok: [string, string, string, string, string][] = [
  // input, host, owner, name, apiBaseUrl
  ['https://github.com/gilmry/koprogo', 'github.com', 'gilmry', 'koprogo', GH],
  ['https://github.com/gilmry/koprogo.git', 'github.com', 'gilmry', 'koprogo', GH],
  ['https://github.com/gilmry/koprogo/', 'github.com', 'gilmry', 'koprogo', GH],
  ['  https://www.github.com/gilmry/koprogo  ', 'github.com', 'gilmry', 'koprogo', GH],
  ['https://github.com/gilmry/koprogo/tree/main/infrastructure', 'github.com', 'gilmry', 'koprogo', GH],
  ['https://github.com/gilmry/koprogo/blob/v1.0.0/docker-compose.yml#L3', 'github.com', 'gilmry', 'koprogo', GH],
  ['https://github.com/gilmry/koprogo/releases?q=1', 'github.com', 'gilmry', 'koprogo', GH],
  ['git@github.com:gilmry/koprogo.git', 'github.com', 'gilmry', 'koprogo', GH],
  ['git@github.com:gilmry/koprogo', 'github.com', 'gilmry', 'koprogo', GH],
  ['ssh://git@github.com/gilmry/koprogo.git', 'github.com', 'gilmry', 'koprogo', GH],
  ['ssh://git@github.com:22/gilmry/koprogo.git', 'github.com', 'gilmry', 'koprogo', GH],
  ['gilmry/koprogo', 'github.com', 'gilmry', 'koprogo', GH],
  ['gilmry/koprogo.git', 'github.com', 'gilmry', 'koprogo', GH],
  ['github.com/gilmry/koprogo', 'github.com', 'gilmry', 'koprogo', GH],
  ['gilmry/my.repo_name-2', 'github.com', 'gilmry', 'my.repo_name-2', GH],
  ['https://git.example.org/team/koprogo', 'git.example.org', 'team', 'koprogo', 'https://git.example.org/api/v3'],
  ['http://ghe.local:8443/team/koprogo.git', 'ghe.local:8443', 'team', 'koprogo', 'http://ghe.local:8443/api/v3'],
  ['git@ghe.example.com:team/koprogo.git', 'ghe.example.com', 'team', 'koprogo', 'https://ghe.example.com/api/v3'],
];

const bad: [string, RepoUrlProblem][] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['ftp://github.com/a/b', 'unsupported_scheme'],
  ['file:///tmp/repo', 'unsupported_scheme'],
  ['https://github.com/gilmry', 'missing_owner_or_name'],
  ['https://github.com/', 'missing_owner_or_name'],
  ['koprogo', 'missing_owner_or_name'],
  ['a/b/c', 'missing_owner_or_name'],
  ['https://github.com/-bad-/repo', 'invalid_owner'],
  ['gilmry/..', 'invalid_name'],
  ['https://github.com/owner/na me', 'invalid_name'],
  ['https://github.com/owner/.git', 'invalid_name'],
];

describe('parseRepoUrl', () => {
  it.each(ok)('%s', (input, host, owner, name, apiBaseUrl) => {
    const r = parseRepoUrl(input);
    expect(r).toEqual({ ok: true, repo: expect.objectContaining({ host, owner, name, apiBaseUrl }) });
  });
  it.each(bad)('refuses %j (%s)', (input, reason) => {
    expect(parseRepoUrl(input)).toEqual({ ok: false, reason });
  });
  it('gives the web URL', () => {
    const r = parseRepoUrl('git@github.com:gilmry/koprogo.git');
    expect(r.ok && r.repo.webUrl).toBe('https://github.com/gilmry/koprogo');
  });
});

describe('credentials in an address', () => {
  // They would be saved in the profile, shown in the plan and put on the server's git command line.
  it.each(['https://x-access-token:ghp_abc123@github.com/acme/app', 'https://ghp_abc123@github.com/acme/app', 'http://user:pw@ghe.example.com/acme/app', 'ssh://git:pw@github.com/acme/app'])('refuses %s', (input) => {
    expect(parseRepoUrl(input)).toEqual({ ok: false, reason: 'credentials_in_url' });
  });
  it('accepts the SSH user of a clone address', () => {
    expect(parseRepoUrl('ssh://git@github.com/acme/app.git').ok).toBe(true);
    expect(parseRepoUrl('git@github.com:acme/app.git').ok).toBe(true);
  });
});

describe('tokens per host', () => {
  it('names each host’s token apart, github.com keeping its old name', async () => {
    const { tokenSecretName, githubTokenFromEnv } = await import('./token-hosts');
    expect(tokenSecretName('github.com')).toBe('github.token');
    expect(tokenSecretName('WWW.GitHub.com')).toBe('github.token');
    expect(tokenSecretName('ghe.example.com:8443')).toBe('github.token.ghe.example.com_8443');
    const env = { GITHUB_TOKEN: 'a', GH_HOST: 'ghe.example.com', GH_ENTERPRISE_TOKEN: 'b' };
    expect(githubTokenFromEnv('github.com', env)).toBe('a');
    expect(githubTokenFromEnv('ghe.example.com', env)).toBe('b');
    expect(githubTokenFromEnv('127.0.0.1:9999', env)).toBeUndefined();
  });

  it('never starts the device flow over plain http (the device code and the token are credentials)', async () => {
    const { startDeviceFlow } = await import('./device-flow');
    await expect(startDeviceFlow('Iv1.x', 'repo', { baseUrl: 'http://ghe.example.com' })).rejects.toMatchObject({ code: 'github.insecure_http' });
  });
});
