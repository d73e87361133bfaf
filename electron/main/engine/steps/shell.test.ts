import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { asUserPrelude, ensurePackages, fileInstalled, fileMatches, joinPath, modeIs, packagesInstalled, script, sha256Hex, singleLine } from './shell';
import { Sandbox } from './test-helpers';

const NASTY = `a b 'q' "dq" $HOME $(id) \`id\` ; * é✓\nsecond line\\ KOPROGO_EOF\n`;

describe('script', () => {
  it('adds set -eu to multi-line scripts only, and ends with a newline', () => {
    expect(script(['true'])).toBe('true\n');
    expect(script(['a', 'b'])).toBe('set -eu\na\nb\n');
    expect(script(['if x; then\n  y\nfi'])).toBe('set -eu\nif x; then\n  y\nfi\n');
  });
});

describe('fileMatches', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.dispose());

  it('compares a sha256 computed here, never the content', () => {
    expect(fileMatches('/etc/x y', 'hello\n')).toBe(
      `[ "$({ sha256sum < '/etc/x y'; } 2>/dev/null | cut -d ' ' -f 1)" = 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 ]`,
    );
    expect(sha256Hex('hello\n')).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    expect(fileMatches('/f', NASTY)).not.toContain('second line');
  });

  it('succeeds on the same bytes and fails on different, missing or unreadable files', () => {
    const path = sandbox.path(`nasty 'name' $x\né`);
    writeFileSync(path, NASTY);
    expect(sandbox.run(fileMatches(path, NASTY)).code).toBe(0);
    expect(sandbox.run(fileMatches(path, `${NASTY}x`)).code).toBe(1);
    expect(sandbox.run(fileMatches(path, NASTY.slice(0, -1))).code).toBe(1);
    const missing = sandbox.run(fileMatches(sandbox.path('missing'), ''));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('');
    expect(sandbox.run(fileMatches(sandbox.dir, '')).code).toBe(1);
  });

  it('stops a set -eu check script at the first mismatch', () => {
    const path = sandbox.path('f');
    writeFileSync(path, 'one\n');
    expect(sandbox.run(script([fileMatches(path, 'two\n'), 'echo reached'])).stdout).toBe('');
    expect(sandbox.run(script([fileMatches(path, 'one\n'), 'echo reached'])).stdout).toBe('reached\n');
  });

  it('modeIs and fileInstalled also check mode, owner and group', () => {
    const path = sandbox.path('mode file');
    writeFileSync(path, 'x');
    chmodSync(path, 0o640);
    const user = userInfo().username;
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    expect(modeIs('/a b', 0o600, 'koprogo', 'koprogo')).toBe(`[ "$(stat -c '%a %U:%G' -- '/a b' 2>/dev/null)" = '600 koprogo:koprogo' ]`);
    expect(sandbox.run(modeIs(path, 0o640, user, group)).code).toBe(0);
    expect(sandbox.run(modeIs(path, 0o600, user, group)).code).toBe(1);
    const file = { path, content: 'x', mode: 0o640, owner: user, group, secret: false };
    expect(sandbox.run(script(fileInstalled(file))).code).toBe(0);
    expect(sandbox.run(script(fileInstalled({ ...file, owner: 'nobody-koprogo' }))).code).toBe(1);
  });
});

describe('packages', () => {
  it('asks dpkg, not PATH, and installs only when something is missing', () => {
    expect(packagesInstalled(['fail2ban', 'python3-systemd'])).toBe(
      `[ "$(dpkg-query -W -f '\${Status}\\n' fail2ban python3-systemd 2>/dev/null | grep -cx 'install ok installed')" = 2 ]`,
    );
    expect(ensurePackages(['ufw']).join('\n')).toBe(`if ! [ "$(dpkg-query -W -f '\${Status}\\n' ufw 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y ufw
fi`);
  });

  it('counts installed packages from dpkg-query output', () => {
    const sandbox = new Sandbox();
    try {
      sandbox.stub('dpkg-query', `shift 3; for p in "$@"; do if [ "$p" = missing ]; then echo 'unknown ok not-installed'; else echo 'install ok installed'; fi; done`);
      expect(sandbox.run(packagesInstalled(['a', 'b'])).code).toBe(0);
      expect(sandbox.run(packagesInstalled(['a', 'missing'])).code).toBe(1);
    } finally {
      sandbox.dispose();
    }
  });
});

describe('asUserPrelude', () => {
  it('prefers runuser and falls back to sudo', () => {
    expect(asUserPrelude("o'neil").join('\n')).toBe(`u='o'\\''neil'
if command -v runuser >/dev/null 2>&1; then
  as_user() { runuser -u "$u" -- "$@"; }
else
  as_user() { sudo -n -H -u "$u" -- "$@"; }
fi`);
  });
});

describe('small helpers', () => {
  it('joins paths and refuses multi-line values where a line is expected', () => {
    expect(joinPath('/opt/koprogo/', 'app')).toBe('/opt/koprogo/app');
    expect(joinPath('/opt/koprogo', 'app')).toBe('/opt/koprogo/app');
    expect(singleLine('x', 'a b')).toBe('a b');
    expect(() => singleLine('x', 'a\nb')).toThrow(/single line/);
    expect(() => singleLine('x', 'a\rb')).toThrow(/single line/);
  });
});
