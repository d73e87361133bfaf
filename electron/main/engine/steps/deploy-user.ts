import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, Step } from '../types';
import { asRoot, singleLine } from './shell';

// The unprivileged user that owns the checkout and runs git and the monitoring scripts. It is in the
// docker group (so it can run compose) and accepts the app's public key.

/** An authorized_keys entry is one line; grep -F would also read a newline as a second pattern. */
function publicKey(settings: ComposeDeploySettings): string {
  const key = settings.deployUserPublicKey.trim();
  if (key === '') throw new Error('deployUserPublicKey is empty');
  return singleLine('deployUserPublicKey', key);
}

export function deployUserStep(settings: ComposeDeploySettings): Step {
  const vars = [`u=${shQuote(settings.deployUser)}`, `key=${shQuote(publicKey(settings))}`];
  const check = asRoot([
    ...vars,
    'id -u "$u" >/dev/null 2>&1',
    `id -nG "$u" | tr ' ' '\\n' | grep -qx docker`,
    'home=$(getent passwd "$u" | cut -d: -f6)',
    'grep -qxF -e "$key" "$home/.ssh/authorized_keys"',
    `[ "$(stat -c '%a %U' "$home/.ssh")" = "700 $u" ]`,
    `[ "$(stat -c '%a %U' "$home/.ssh/authorized_keys")" = "600 $u" ]`,
  ]);
  return {
    id: 'deploy-user',
    titleParams: { user: settings.deployUser },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot([
          ...vars,
          // '*' instead of useradd's locked '!': no password can match either way, but sshd without
          // PAM refuses key logins to accounts whose password field is locked.
          `if ! id -u "$u" >/dev/null 2>&1; then useradd --create-home --shell /bin/bash --password '*' "$u"; fi`,
          'usermod -aG docker "$u"',
          'home=$(getent passwd "$u" | cut -d: -f6)',
          'group=$(id -gn "$u")',
          'install -d -m 0700 -o "$u" -g "$group" "$home/.ssh"',
          'touch "$home/.ssh/authorized_keys"',
          '[ -z "$(tail -c 1 "$home/.ssh/authorized_keys")" ] || echo >> "$home/.ssh/authorized_keys"',
          `grep -qxF -e "$key" "$home/.ssh/authorized_keys" || printf '%s\\n' "$key" >> "$home/.ssh/authorized_keys"`,
          'chown "$u:$group" "$home/.ssh/authorized_keys"',
          'chmod 0600 "$home/.ssh/authorized_keys"',
        ]),
      },
    ],
    verify: check,
  };
}
