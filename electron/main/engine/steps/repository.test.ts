import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitSshCommand, repositoryKeyFiles, repositoryKeyStep, repositoryStep } from './repository';
import { Sandbox, fixedSettings, runOf } from './test-helpers';

const PRELUDE = `set -eu
u=koprogo
if command -v runuser >/dev/null 2>&1; then
  as_user() { runuser -u "$u" -- "$@"; }
else
  as_user() { sudo -n -H -u "$u" -- "$@"; }
fi
dir=/opt/koprogo/app
url=https://github.com/gilmry/koprogo.git
ref=v1.2.0
git_u() { as_user git -C "$dir" "$@"; }
resolve_ref() {
  git_u rev-parse -q --verify "refs/tags/$ref^{commit}" ||
    git_u rev-parse -q --verify "refs/remotes/origin/$ref^{commit}" ||
    git_u rev-parse -q --verify "$ref^{commit}"
}
`;

describe('repository', () => {
  const step = repositoryStep(fixedSettings());

  it('checks the checkout, fetches, and compares HEAD with the commit of the ref', () => {
    expect(step.check?.script).toBe(`${PRELUDE}[ -d "$dir/.git" ]
cd "$dir"
[ "$(git_u remote get-url origin)" = "$url" ]
git_u fetch -q --tags --force --prune origin
commit=$(resolve_ref)
[ "$(git_u rev-parse HEAD)" = "$commit" ]
`);
    expect(step.verify?.script).toBe(`${PRELUDE}cd "$dir"
[ "$(git_u rev-parse HEAD)" = "$(resolve_ref)" ]
`);
    expect(step.titleParams).toEqual({ ref: 'v1.2.0' });
  });

  it('clones as the deploy user into a root-owned appRoot, then checks out detached (no clean)', () => {
    const command = runOf(step.apply[0]);
    expect(command).toMatchObject({ as: 'root', detached: true });
    expect(command.script).toBe(`${PRELUDE}if ! [ "$(dpkg-query -W -f '\${Status}\\n' git 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y git
fi
install -d -m 0755 -o root -g root /opt/koprogo
cd /opt/koprogo
if [ ! -d "$dir/.git" ]; then
  rmdir "$dir" 2>/dev/null || true
  if [ -e "$dir" ]; then printf '%s exists and is not a git checkout\\n' "$dir" >&2; exit 1; fi
  rm -rf "$dir.koprogo-clone"
  install -d -m 0755 -o "$u" -g "$(id -gn "$u")" "$dir.koprogo-clone"
  as_user git clone --no-checkout -- "$url" "$dir.koprogo-clone"
  mv "$dir.koprogo-clone" "$dir"
fi
cd "$dir"
git_u remote set-url origin "$url"
git_u fetch --tags --force --prune origin
commit=$(resolve_ref) || { printf 'unknown_ref %s\\n' "$ref" >&2; exit 1; }
git_u checkout -q --force --detach "$commit"
`);
    expect(command.script).not.toMatch(/git_u clean|git clean/);
  });

  it('uses the deploy key for a private repository, quoted twice (git hands the command to sh)', () => {
    const settings = fixedSettings({
      checkoutName: "my app's",
      repo: { url: 'git@github.com:gilmry/koprogo.git', ref: 'main', deployKey: { privateKey: 'CANARY-repo-key', knownHosts: 'github.com ssh-ed25519 AAAAtest' } },
    });
    const files = repositoryKeyFiles(settings)!;
    expect(files.key).toMatchObject({ path: `${settings.layout.appRoot}/keys/my app's.key`, mode: 0o600, owner: 'koprogo', secret: true, content: 'CANARY-repo-key\n' });
    expect(files.knownHosts).toMatchObject({ path: `${settings.layout.appRoot}/keys/my app's.known_hosts`, mode: 0o644, secret: false });
    const keyStep = repositoryKeyStep(settings)!;
    expect(keyStep.id).toBe('repository-key');
    expect(JSON.stringify(keyStep.check)).not.toContain('CANARY-repo-key');
    const apply = runOf(repositoryStep(settings).apply[0]).script;
    expect(apply).not.toContain('CANARY-repo-key');
    expect(apply).toContain(`install -y git openssh-client`);
    expect(apply).toContain(`  as_user env GIT_SSH_COMMAND='ssh -i `);
    // What git's sh makes of GIT_SSH_COMMAND: ssh gets each path as one argument.
    const argv = execFileSync('sh', ['-c', 'ssh() { printf "[%s]" "$@"; }; eval "$GIT_SSH_COMMAND" github.com'], {
      encoding: 'utf8',
      env: { ...process.env, GIT_SSH_COMMAND: gitSshCommand(files.key.path, files.knownHosts.path) },
    });
    expect(argv).toBe(`[-i][${files.key.path}][-o][IdentitiesOnly=yes][-o][UserKnownHostsFile=${files.knownHosts.path}][-o][StrictHostKeyChecking=yes][-o][BatchMode=yes][github.com]`);
  });

  it('a public repository needs no key step', () => {
    expect(repositoryKeyStep(fixedSettings())).toBeNull();
  });

  // The real thing: git against a local origin, the deploy user being the test user (runuser stubbed
  // to run the command as is). `install -o root` needs root, as on the server.
  describe('run with git against a local origin', () => {
    it('runs as root, as on the server', () => expect(process.getuid?.(), '`install -o root` needs root').toBe(0));
    const sandbox = new Sandbox();
    const origin = sandbox.path('origin');
    const git = (...args: string[]) => execFileSync('git', ['-C', origin, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
    const settings = (ref: string) =>
      fixedSettings({
        deployUser: userInfo().username,
        layout: { ...fixedSettings().layout, appRoot: sandbox.path('opt koprogo') },
        repo: { url: origin, ref },
      });
    const run = (ref: string, which: 'check' | 'apply' | 'verify') => {
      const s = repositoryStep(settings(ref));
      const script = which === 'apply' ? runOf(s.apply[0]).script : s[which]!.script;
      return sandbox.run(script);
    };
    const head = () => execFileSync('git', ['-C', sandbox.path('opt koprogo', 'app'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    let tagged = '';

    beforeAll(() => {
      sandbox.stub('runuser', 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"');
      sandbox.stub('dpkg-query', 'shift 3; for p in "$@"; do echo "install ok installed"; done');
      mkdirSync(origin);
      execFileSync('git', ['init', '-q', '-b', 'main', origin]);
      writeFileSync(`${origin}/docker-compose.yml`, 'services: {}\n');
      git('add', '.');
      git('commit', '-q', '-m', 'one');
      git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
      tagged = git('rev-parse', 'HEAD');
      writeFileSync(`${origin}/docker-compose.yml`, 'services: {x: {}}\n');
      git('commit', '-q', '-am', 'two');
    });
    afterAll(() => sandbox.dispose());

    it('clones and checks out a tag; the check then passes', () => {
      expect(run('v1.0.0', 'check').code).not.toBe(0);
      const r = run('v1.0.0', 'apply');
      expect(r.stderr).not.toMatch(/fatal/);
      expect(r.code).toBe(0);
      expect(head()).toBe(tagged);
      expect(run('v1.0.0', 'check').code).toBe(0);
      expect(run('v1.0.0', 'verify').code).toBe(0);
    });

    it('keeps untracked files and follows a branch as it moves', () => {
      writeFileSync(sandbox.path('opt koprogo', 'app', '.env'), 'KEEP=1\n');
      expect(run('main', 'check').code).toBe(1);
      expect(run('main', 'apply').code).toBe(0);
      expect(head()).toBe(git('rev-parse', 'main'));
      expect(run('main', 'check').code).toBe(0);
      writeFileSync(`${origin}/docker-compose.yml`, 'services: {y: {}}\n');
      git('commit', '-q', '-am', 'three');
      expect(run('main', 'check').code).toBe(1);
      expect(run('main', 'apply').code).toBe(0);
      expect(head()).toBe(git('rev-parse', 'main'));
      expect(readFileSync(sandbox.path('opt koprogo', 'app', '.env'), 'utf8')).toBe('KEEP=1\n');
    });

    it('accepts a commit id and fails clearly on an unknown ref', () => {
      expect(run(tagged.slice(0, 12), 'apply').code).toBe(0);
      expect(head()).toBe(tagged);
      const r = run('no-such-ref', 'apply');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('unknown_ref no-such-ref');
    });
  });
});
