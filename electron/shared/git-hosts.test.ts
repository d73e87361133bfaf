import { describe, expect, it } from 'vitest';
import { notGithubHost, refHintOf, repoHostOf } from './git-hosts';

describe('git hosts', () => {
  it('finds the host of every address form', () => {
    expect(repoHostOf('https://github.com/gilmry/koprogo')).toBe('github.com');
    expect(repoHostOf('git@gitlab.com:acme/koprogo.git')).toBe('gitlab.com');
    expect(repoHostOf('ssh://git@bitbucket.org:22/acme/koprogo.git')).toBe('bitbucket.org');
    expect(repoHostOf('codeberg.org/acme/koprogo')).toBe('codeberg.org');
    expect(repoHostOf('acme/koprogo')).toBeNull();
  });

  it('refuses known non-GitHub hosts, keeps GitHub and GitHub Enterprise hosts', () => {
    expect(notGithubHost('https://gitlab.com/acme/koprogo')).toBe('gitlab.com');
    expect(notGithubHost('git@bitbucket.org:acme/koprogo.git')).toBe('bitbucket.org');
    expect(notGithubHost('https://gitlab.acme.be/ops/koprogo')).toBe('gitlab.acme.be');
    expect(notGithubHost('https://github.com/gilmry/koprogo')).toBeNull();
    expect(notGithubHost('https://github.acme.be/ops/koprogo')).toBeNull();
    expect(notGithubHost('file:///srv/git/koprogo.git')).toBeNull();
  });

  it('reads the version of a GitHub page address', () => {
    expect(refHintOf('https://github.com/gilmry/koprogo/tree/develop')).toBe('develop');
    expect(refHintOf('https://github.com/gilmry/koprogo/tree/feature/k3s-prod/')).toBe('feature/k3s-prod');
    expect(refHintOf('github.com/gilmry/koprogo/releases/tag/v1.2.0')).toBe('v1.2.0');
    expect(refHintOf('https://github.com/gilmry/koprogo/commit/0a1b2c3')).toBe('0a1b2c3');
    expect(refHintOf('https://github.com/gilmry/koprogo')).toBeNull();
  });
});
