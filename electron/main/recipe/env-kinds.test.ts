import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../testing';
import {
  apr1Hash,
  checkEnvValue,
  classifyEnv,
  composeEscape,
  generateSecret,
  htpasswdUser,
  htpasswdValue,
  isPlaceholder,
  verifyApr1,
  type EnvKind,
} from './env-kinds';
import { encodeEnvValue } from './env-file';

describe('classifyEnv', () => {
  it.each<[string, string, EnvKind]>([
    ['POSTGRES_PASSWORD', 'CHANGE_THIS_PASSWORD', 'secret'],
    ['JWT_SECRET', '', 'secret'],
    ['S3_SECRET_KEY', 'x', 'secret'],
    ['GITHUB_TOKEN', '', 'secret'],
    ['STRIPE_APIKEY', '', 'secret'],
    ['ENCRYPTION_KEY', 'abc', 'secret'],
    ['DB_PASS', 'abc', 'secret'],
    ['POSTGRES_PASSWORD_FILE', '/run/secrets/pg', 'text'],
    ['JWT_SECRET_TTL', '3600', 'number'],
    ['SOME_SETTING', 'changeme', 'secret'],
    ['DOMAIN', 'koprogo.example.com', 'domain'],
    ['API_DOMAIN', 'api.koprogo.be', 'domain'],
    ['FRONTEND_HOST', 'app.koprogo.be', 'domain'],
    ['POSTGRES_HOST', 'postgres', 'text'],
    ['ACME_EMAIL', 'admin@example.com', 'email'],
    ['ADMIN_EMAIL', '', 'email'],
    ['MAIL_FROM', 'noreply@koprogo.be', 'email'],
    ['CONTACT', 'someone@koprogo.be', 'email'],
    ['CORS_ORIGIN', 'https://app.koprogo.com', 'url'],
    ['DATABASE_URL', 'postgres://u:p@db/x', 'url'],
    ['WEBHOOK_URL', '', 'url'],
    ['LOG_LEVEL', 'info', 'logLevel'],
    ['TRAEFIK_LOG_LEVEL', 'WARN', 'logLevel'],
    ['RUST_LOG', 'warn', 'logLevel'],
    ['RUST_LOG', 'koprogo=debug,actix_web=info', 'text'],
    ['ACTIX_WORKERS', '1', 'number'],
    ['DB_POOL_ACQUIRE_TIMEOUT', '30', 'number'],
    ['SMTP_PORT', '', 'number'],
    ['ENABLE_METRICS', 'true', 'boolean'],
    ['DEBUG', 'no', 'boolean'],
    ['TRAEFIK_DASHBOARD_USERS', 'admin:$$apr1$$8EVjn/nj$$GiLUZqcbueTFeD23SuB6x0', 'htpasswd'],
    ['TRAEFIK_DASHBOARD_AUTH', 'admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0', 'htpasswd'],
    ['BASIC_AUTH', '', 'htpasswd'],
    ['PROM_HTPASSWD', '', 'htpasswd'],
    ['ANY_NAME', 'user:$2y$05$R2x5jXM1ZrSVav9LZJy2X.v0IOM3u5JmRy5inA7ksNOOSeE3GA1Se', 'htpasswd'],
    ['MAX_USERS', '100', 'number'],
    ['IMAGE_TAG', 'production-latest', 'text'],
    ['GITHUB_REPOSITORY', 'gilmry/koprogo', 'text'],
  ])('%s=%s is %s', (key, value, kind) => {
    expect(classifyEnv(key, value).kind).toBe(kind);
  });

  it('offers log levels in the case the example uses', () => {
    expect(classifyEnv('LOG_LEVEL', 'info').choices).toEqual(['trace', 'debug', 'info', 'warn', 'error']);
    expect(classifyEnv('TRAEFIK_LOG_LEVEL', 'WARN').choices).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);
  });

  it('marks placeholder values', () => {
    expect(classifyEnv('POSTGRES_PASSWORD', 'CHANGE_THIS_PASSWORD').placeholder).toBe(true);
    expect(classifyEnv('POSTGRES_USER', 'koprogo').placeholder).toBe(false);
  });
});

describe('isPlaceholder', () => {
  it.each([
    'CHANGE_THIS_PASSWORD',
    'CHANGE_THIS_TO_A_LONG_RANDOM_STRING_MIN_32_CHARS',
    'changeme',
    'changeme-production-secure-password',
    'change-me',
    'your_password',
    'your-domain.com',
    'yourdomain.com',
    '<your-token>',
    'REPLACE_ME',
    'xxxxxx',
    'TODO',
    'secret',
    'admin@example.com',
    'koprogo.example.com',
    'app.example',
  ])('%s is a placeholder', (v) => expect(isPlaceholder(v)).toBe(true));

  it.each(['', 'koprogo', 'koprogo_db', 'admin@koprogo.be', 'api.koprogo.com', 'info', '8', 'Zx81_-aQ', 'https://app.koprogo.be', 'exchange-rate'])('%j is not', (v) =>
    expect(isPlaceholder(v)).toBe(false),
  );
});

describe('checkEnvValue', () => {
  it('never accepts a placeholder, whatever the kind', () => {
    for (const kind of ['secret', 'domain', 'email', 'url', 'text', 'htpasswd'] as const) expect(checkEnvValue({ kind }, 'CHANGE_THIS')).toBe('placeholder');
  });

  it('checks each kind', () => {
    expect(checkEnvValue({ kind: 'secret' }, 'short')).toBe('weak_secret');
    expect(checkEnvValue({ kind: 'secret' }, generateSecret())).toBeNull();
    expect(checkEnvValue({ kind: 'email' }, 'admin@koprogo.be')).toBeNull();
    expect(checkEnvValue({ kind: 'email' }, 'admin@koprogo')).toBe('bad_email');
    expect(checkEnvValue({ kind: 'email' }, 'not an email')).toBe('bad_email');
    expect(checkEnvValue({ kind: 'domain' }, 'app.koprogo.be')).toBeNull();
    expect(checkEnvValue({ kind: 'domain' }, 'bücher.de')).toBeNull();
    expect(checkEnvValue({ kind: 'domain' }, 'localhost')).toBe('bad_domain');
    expect(checkEnvValue({ kind: 'domain' }, '1.2.3.4')).toBe('bad_domain');
    expect(checkEnvValue({ kind: 'domain' }, 'https://app.koprogo.be')).toBe('bad_domain');
    expect(checkEnvValue({ kind: 'domain' }, '-bad.koprogo.be')).toBe('bad_domain');
    expect(checkEnvValue({ kind: 'url' }, 'https://app.koprogo.be/api')).toBeNull();
    expect(checkEnvValue({ kind: 'url' }, 'app.koprogo.be')).toBe('bad_url');
    expect(checkEnvValue({ kind: 'number' }, '42')).toBeNull();
    expect(checkEnvValue({ kind: 'number' }, 'forty')).toBe('bad_number');
    expect(checkEnvValue({ kind: 'boolean' }, 'false')).toBeNull();
    expect(checkEnvValue({ kind: 'boolean' }, 'maybe')).toBe('bad_boolean');
    expect(checkEnvValue(classifyEnv('TRAEFIK_LOG_LEVEL', 'WARN'), 'error')).toBeNull();
    expect(checkEnvValue(classifyEnv('LOG_LEVEL', 'info'), 'verbose')).toBe('bad_choice');
    expect(checkEnvValue({ kind: 'htpasswd' }, 'admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0')).toBeNull();
    expect(checkEnvValue({ kind: 'htpasswd' }, 'admin:plaintext')).toBe('bad_htpasswd');
    expect(checkEnvValue({ kind: 'text' }, '')).toBe('empty');
  });
});

describe('generateSecret', () => {
  it('is 32 random bytes as URL-safe base64 without padding by default', () => {
    const s = generateSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(generateSecret(48)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(new Set(Array.from({ length: 50 }, () => generateSecret())).size).toBe(50);
  });

  it('is written bare in .env, so it survives any quoting', () => {
    for (let i = 0; i < 200; i++) expect(encodeEnvValue(generateSecret(16 + (i % 40)))).toMatchObject({ ok: true, quoted: 'none' });
  });

  it('refuses sizes that are not strong or not sensible', () => {
    expect(() => generateSecret(8)).toThrow(RangeError);
    expect(() => generateSecret(1.5 * 16)).not.toThrow();
    expect(() => generateSecret(20.5)).toThrow(RangeError);
  });
});

// Produced by Apache's `htpasswd -nbm user <password>` (apache2-utils 2.4, Debian 12).
const APR1_VECTORS: Array<[string, string]> = [
  ['secret', '$apr1$lGBYgH3L$Gvo.FVvyn6OYwUPiOz9Jc/'],
  ['secret', '$apr1$6CO8U37a$c4Ooj8vgGArVRe27i4C1t/'],
  ['correct horse battery staple, longer than sixteen', '$apr1$fGsHWpLd$ndEr386BMtoxjwfREaHjU0'],
  ['pässwörd', '$apr1$ezv8DRFO$vKYG2vLi8H0x0MVer6EaR.'],
  ['a', '$apr1$gUAhoqzB$5Dm7L5oc7S0L/ChhNXHMj1'],
  // KoproGo's example, documented there as admin:admin.
  ['admin', '$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0'],
];

describe('apr1 (htpasswd -m)', () => {
  it.each(APR1_VECTORS)('%j hashes as Apache does', (password, hash) => {
    const salt = hash.split('$')[2] ?? '';
    expect(apr1Hash(password, salt)).toBe(hash);
    expect(verifyApr1(password, hash)).toBe(true);
    expect(verifyApr1(`${password}x`, hash)).toBe(false);
    expect(verifyApr1(password, composeEscape(hash))).toBe(true);
  });

  it('uses a fresh 8-character salt', () => {
    const a = apr1Hash('same');
    const b = apr1Hash('same');
    expect(a).toMatch(/^\$apr1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}$/);
    expect(a).not.toBe(b);
    expect(verifyApr1('same', a) && verifyApr1('same', b)).toBe(true);
  });

  // apache2-utils is one of the system components `npm test` installs (scripts/system-deps.mjs).
  it('Apache htpasswd accepts what we write (any password)', async () => {
    expect(existsSync('/usr/bin/htpasswd'), 'install apache2-utils (npm test does on Debian)').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'kgt-htpasswd-'));
    try {
      const passwords = fc.sample(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), { numRuns: 20 });
      for (const [i, pw] of passwords.entries()) {
        const r = htpasswdValue(`user${i}`, pw);
        if (!r.ok) throw new Error(r.reason);
        await writeFile(join(dir, 'htpasswd'), `${r.value}\n`);
        const res = await run('/usr/bin/htpasswd', ['-vb', join(dir, 'htpasswd'), `user${i}`, pw]);
        expect(res.code, `${JSON.stringify(pw)}: ${res.stderr}`).toBe(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('htpasswdValue', () => {
  it('gives the line for .env and the $$ form for a compose file', () => {
    const r = htpasswdValue('admin', 'admin', { salt: '8EVjn/nj' });
    expect(r).toEqual({
      ok: true,
      value: 'admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0',
      composeEscaped: 'admin:$$apr1$$8EVjn/nj$$GiLUZqcbueTFeD23SuB6x0',
    });
    expect(htpasswdUser(r.ok ? r.composeEscaped : '')).toBe('admin');
    expect(htpasswdUser('')).toBeNull();
    // The .env writer puts the line in single quotes, which Compose v1 and v2 both read literally.
    expect(encodeEnvValue(r.ok ? r.value : '')).toEqual({ ok: true, text: "'admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0'", quoted: 'single' });
  });

  it('refuses users htpasswd cannot hold, and empty passwords', () => {
    expect(htpasswdValue('', 'x')).toEqual({ ok: false, reason: 'empty_user' });
    expect(htpasswdValue('a:b', 'x')).toEqual({ ok: false, reason: 'user_has_colon' });
    expect(htpasswdValue('a b', 'x')).toEqual({ ok: false, reason: 'user_has_space_or_control' });
    expect(htpasswdValue('a\nb', 'x')).toEqual({ ok: false, reason: 'user_has_space_or_control' });
    expect(htpasswdValue('admin', '')).toEqual({ ok: false, reason: 'empty_password' });
  });

  it('composeEscape doubles every $', () => {
    expect(composeEscape('a$b$$c')).toBe('a$$b$$$$c');
  });
});
