import { describe, expect, it } from 'vitest';
import { envFile, envFileStep } from './env-file';
import { sha256Hex } from './shell';
import { CANARY, fixedSettings, fileOf } from './test-helpers';

describe('env-file', () => {
  const settings = fixedSettings();
  const step = envFileStep(settings);

  it('is a secret 0600 file owned by the deploy user', () => {
    expect(envFile(settings)).toEqual({
      path: '/opt/koprogo/app/.env',
      content: settings.envContent,
      mode: 0o600,
      owner: 'koprogo',
      group: 'koprogo',
      secret: true,
    });
    expect(step.apply).toEqual([{ kind: 'file', file: envFile(settings) }]);
    expect(fileOf(step.apply[0]).secret).toBe(true);
  });

  it('checks mode, owner and a sha256 computed here: the script never holds the content', () => {
    expect(sha256Hex(settings.envContent)).toBe('1d2dcc25c5fb6b657784e65502fa9de0d0c51bfb17518993d816622456d8d221');
    expect(step.check?.script).toBe(`set -eu
[ "$({ sha256sum < /opt/koprogo/app/.env; } 2>/dev/null | cut -d ' ' -f 1)" = 1d2dcc25c5fb6b657784e65502fa9de0d0c51bfb17518993d816622456d8d221 ]
[ "$(stat -c '%a %U:%G' -- /opt/koprogo/app/.env 2>/dev/null)" = '600 koprogo:koprogo' ]
`);
    expect(step.check?.script).not.toContain(CANARY);
    expect(step.verify).toEqual(step.check);
  });

  it('follows envFile and checkoutName', () => {
    expect(envFile(fixedSettings({ envFile: 'deploy/production/.env', checkoutName: 'koprogo' })).path).toBe('/opt/koprogo/koprogo/deploy/production/.env');
  });
});
