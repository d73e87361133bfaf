import { describe, expect, it } from 'vitest';
import { deployUserStep } from './deploy-user';
import { Sandbox, fixedSettings, runOf } from './test-helpers';

describe('deploy-user', () => {
  const step = deployUserStep(fixedSettings());

  it('checks the user, its docker group and its key', () => {
    expect(step.check?.script).toBe(`set -eu
u=koprogo
key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoPrOgO koprogo-deploy'
id -u "$u" >/dev/null 2>&1
id -nG "$u" | tr ' ' '\\n' | grep -qx docker
home=$(getent passwd "$u" | cut -d: -f6)
grep -qxF -e "$key" "$home/.ssh/authorized_keys"
[ "$(stat -c '%a %U' "$home/.ssh")" = "700 $u" ]
[ "$(stat -c '%a %U' "$home/.ssh/authorized_keys")" = "600 $u" ]
`);
    expect(step.verify).toEqual(step.check);
  });

  it('creates the user and appends the key only when absent', () => {
    expect(step.apply).toHaveLength(1);
    expect(runOf(step.apply[0]).as).toBe('root');
    expect(runOf(step.apply[0]).script).toBe(`set -eu
u=koprogo
key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoPrOgO koprogo-deploy'
if ! id -u "$u" >/dev/null 2>&1; then useradd --create-home --shell /bin/bash --password '*' "$u"; fi
usermod -aG docker "$u"
home=$(getent passwd "$u" | cut -d: -f6)
group=$(id -gn "$u")
install -d -m 0700 -o "$u" -g "$group" "$home/.ssh"
touch "$home/.ssh/authorized_keys"
[ -z "$(tail -c 1 "$home/.ssh/authorized_keys")" ] || echo >> "$home/.ssh/authorized_keys"
grep -qxF -e "$key" "$home/.ssh/authorized_keys" || printf '%s\\n' "$key" >> "$home/.ssh/authorized_keys"
chown "$u:$group" "$home/.ssh/authorized_keys"
chmod 0600 "$home/.ssh/authorized_keys"
`);
  });

  it('quotes the key as a value: the shell gets back exactly the trimmed key', () => {
    const key = `ssh-ed25519 AAAA 'it''s' "x" $(id) \`id\` $HOME ; * é✓`;
    const script = runOf(deployUserStep(fixedSettings({ deployUserPublicKey: `  ${key}\n` })).apply[0]).script;
    const assignment = script.split('\n').find((l) => l.startsWith('key='))!;
    const sandbox = new Sandbox();
    try {
      expect(sandbox.run(`${assignment}\nprintf %s "$key"`).stdout).toBe(key);
    } finally {
      sandbox.dispose();
    }
  });

  it('refuses an empty or multi-line key (grep -F would read a newline as a second pattern)', () => {
    expect(() => deployUserStep(fixedSettings({ deployUserPublicKey: '  ' }))).toThrow(/empty/);
    expect(() => deployUserStep(fixedSettings({ deployUserPublicKey: 'ssh-ed25519 A\nssh-rsa B' }))).toThrow(/single line/);
  });
});
