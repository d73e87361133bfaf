import { describe, expect, it } from 'vitest';
import { envSecrets, maskEnvContent } from './env-secrets';
import { htpasswdValue } from './env-kinds';

const hash = (() => {
  const r = htpasswdValue('admin', 'traefik-pass', { salt: 'abcdefgh' });
  if (!r.ok) throw new Error('htpasswd');
  return r.value;
})();

const ENV = [
  '# Written by the wizard',
  'DOMAIN=koprogo.example',
  'POSTGRES_USER=koprogo',
  'POSTGRES_DB=koprogo',
  'POSTGRES_PASSWORD=Xq9-generated-secret-value-43-characters-ok',
  'JWT_SECRET="short1"',
  `TRAEFIK_BASIC_AUTH=${hash.replace(/\$/g, '$$$$')}`,
  'DATABASE_URL=postgres://koprogo:db-pass-in-url@postgres:5432/koprogo',
  'LOG_LEVEL=info',
  'ACME_EMAIL=ops@koprogo.example',
  'RELEASE_NAME=spring-release',
  '',
].join('\n');

describe('the secrets of a .env, by kind', () => {
  it('takes secret-kind values, htpasswd hashes and URL passwords, never user names, domains or levels', () => {
    const found = envSecrets(ENV);
    expect(found.map((s) => [s.key, s.kind])).toEqual([
      ['POSTGRES_PASSWORD', 'secret'],
      ['JWT_SECRET', 'secret'],
      ['TRAEFIK_BASIC_AUTH', 'htpasswd'],
      ['DATABASE_URL', 'url_password'],
    ]);
    const values = found.flatMap((s) => s.values);
    expect(values).toContain('Xq9-generated-secret-value-43-characters-ok');
    expect(values).toContain('short1');
    expect(values).toContain('db-pass-in-url');
    expect(values).toContain(hash.slice('admin:'.length));
    for (const clear of ['koprogo', 'koprogo.example', 'info', 'ops@koprogo.example', 'admin']) expect(values).not.toContain(clear);
  });

  it('classifies a key as the form did when the example marked it with a placeholder', () => {
    expect(envSecrets(ENV).map((s) => s.key)).not.toContain('RELEASE_NAME');
    expect(envSecrets(ENV, 'RELEASE_NAME=CHANGE_THIS_VALUE\n').map((s) => s.key)).toContain('RELEASE_NAME');
  });

  it('masks secret values in the plan and shows the others in clear', () => {
    const masked = maskEnvContent(ENV);
    expect(masked).toContain('DOMAIN=koprogo.example');
    expect(masked).toContain('POSTGRES_USER=koprogo');
    expect(masked).toContain('POSTGRES_PASSWORD=••••••');
    expect(masked).toContain('JWT_SECRET=••••••');
    expect(masked).toContain('TRAEFIK_BASIC_AUTH=admin:••••••');
    expect(masked).toContain('DATABASE_URL=postgres://koprogo:••••••@postgres:5432/koprogo');
    expect(masked).toContain('LOG_LEVEL=info');
    expect(masked).toContain('# Written by the wizard');
    expect(masked).not.toContain('Xq9-generated');
    expect(masked).not.toContain('short1');
    expect(masked).not.toContain('apr1');
  });

  it('masks every line of a quoted multi-line secret', () => {
    const env = 'A=1\nSSH_PRIVATE_KEY="-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"\nB=2\n';
    expect(maskEnvContent(env)).toBe('A=1\nSSH_PRIVATE_KEY=••••••\nB=2\n');
  });
});
