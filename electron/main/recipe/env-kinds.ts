// What each key of an env example asks for, so the configuration form can show the right field:
// a generated secret, a domain (DNS-checked), an e-mail, a URL, a log level to choose, a number,
// a yes/no, an htpasswd pair (user + password → hash), or plain text. Also the values that are
// examples, never final (`CHANGE_THIS…`, `changeme`, `your_…`, `example.com`).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { domainToASCII } from 'node:url';

export type EnvKind = 'secret' | 'domain' | 'email' | 'url' | 'logLevel' | 'number' | 'boolean' | 'htpasswd' | 'text';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export interface EnvKindInfo {
  kind: EnvKind;
  /** logLevel: the choices, in the case the example uses (`WARN` → upper case). */
  choices?: readonly string[];
  /** The example's value is a placeholder: the user must replace it. */
  placeholder: boolean;
  /**
   * Not a secret but the chosen repository: `your-username/koprogo` (an image path `owner/name`, 'full') or an
   * image owner `your-org` ('owner'); the form fills it from the repository.
   */
  fromRepository?: 'full' | 'owner';
}

// ---------------------------------------------------------------------------------------------------
// Placeholders

const PLACEHOLDER_PATTERNS: readonly RegExp[] = [
  /change[\s_.-]*(?:this|me|it)/i, // CHANGE_THIS_PASSWORD, changeme, change-me, CHANGE_IT
  /replace[\s_.-]*(?:this|me|with)/i,
  /^your[\s_.-]?[a-z0-9]/i, // your_password, your-domain.com, yourdomain.com
  /^(?:put|insert|enter|set)[\s_-]+(?:your|a|the|here)/i,
  /^<[^<>]*>$/, // <your-token>
  /^\$\{?[A-Z_]+\}?$/, // "$TOKEN" left for the user
  /^(?:x{3,}|\.{3}|…|todo|tbd|fixme|placeholder|secret|password|passwd|changeit|example|none|null|undefined|dummy)$/i,
  /(?:^|[.@])example\.(?:com|org|net)$/i, // RFC 2606 names
  /\.(?:example|invalid)$/i,
];

/** A value that an example gives to be replaced, never acceptable as a final value. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return false;
  return PLACEHOLDER_PATTERNS.some((re) => re.test(v));
}

// ---------------------------------------------------------------------------------------------------
// Classification

function tokens(key: string): string[] {
  return key
    .toUpperCase()
    .split(/[_.\-[\]]+/)
    .filter((t) => t !== '');
}

const SECRET_WORDS = ['PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'APIKEY', 'PASSPHRASE'];
const SECRET_TOKENS = new Set(['KEY', 'PASS', 'PWD']);
/** A last word that makes a secret-sounding name something else: `JWT_SECRET_TTL`, `POSTGRES_PASSWORD_FILE`. */
const NOT_SECRET_LAST = new Set([
  'FILE', 'PATH', 'DIR', 'URL', 'URI', 'HOST', 'PORT', 'ID', 'NAME', 'USER', 'USERNAME', 'TTL', 'EXPIRY', 'EXPIRATION', 'EXPIRES', 'EXPIRE',
  'LENGTH', 'SIZE', 'TIMEOUT', 'ENABLED', 'ENABLE', 'ALGORITHM', 'ALG', 'TYPE', 'HEADER', 'DAYS', 'HOURS', 'MINUTES', 'SECONDS', 'COUNT', 'MAX', 'MIN',
]);

const HTPASSWD_VALUE = /^[^:\s]+:(?:\$\$?(?:apr1|2[abxy]?|1|5|6)\$\$?|\{SHA\})\S+$/;
const EMAIL_VALUE = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;
const URL_VALUE = /^[a-z][a-z0-9+.-]*:\/\/[^\s,]+$/i;
const NUMBER_VALUE = /^-?\d+(?:\.\d+)?$/;
const BOOLEAN_VALUE = /^(?:true|false|yes|no|on|off)$/i;

function isSecretName(t: readonly string[]): boolean {
  const secret = t.some((w) => SECRET_TOKENS.has(w) || SECRET_WORDS.some((s) => w.endsWith(s)));
  const last = t[t.length - 1] ?? '';
  // An access key *name* (S3_ACCESS_KEY, AWS_ACCESS_KEY_ID, MINIO_ACCESS_KEY): the identifier, its secret is apart.
  const accessKeyName = t.some((w, i) => w === 'ACCESS' && t[i + 1] === 'KEY') && !t.some((w) => SECRET_WORDS.some((s) => w.endsWith(s)));
  return secret && !accessKeyName && !NOT_SECRET_LAST.has(last);
}

const OWNER_TOKENS = new Set(['OWNER', 'ORG', 'ORGANIZATION', 'ORGANISATION', 'NAMESPACE']);
const REPO_TOKENS = new Set(['REPOSITORY', 'REPO', 'IMAGE', 'IMAGES']);
const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** `GITHUB_REPOSITORY=your-username/koprogo`, `IMAGE_OWNER=your-org`: the repository, not a value to invent. */
function repositoryKind(t: readonly string[], value: string, placeholder: boolean): 'full' | 'owner' | undefined {
  const last = t[t.length - 1] ?? '';
  if (['URL', 'URI', 'HOST', 'PORT', 'TAG', 'VERSION', 'BRANCH', 'REF'].includes(last)) return undefined;
  const repoName = t.some((w) => REPO_TOKENS.has(w));
  if (repoName && (OWNER_NAME.test(value) || value === '') && (placeholder || /(^|\/)(user|username|owner|org)\//iu.test(value) || value === '')) return 'full';
  if (OWNER_TOKENS.has(last) && (placeholder || value === '') && !value.includes('/')) return 'owner';
  return undefined;
}

function isHtpasswdName(t: readonly string[], value: string): boolean {
  const last = t[t.length - 1] ?? '';
  if (t.includes('HTPASSWD') || t.some((w, i) => w === 'BASIC' && t[i + 1] === 'AUTH') || t.includes('BASICAUTH')) return true;
  // `…_USERS` / `…_AUTH` hold user:hash pairs, unless the value says otherwise (`MAX_USERS=100`).
  return (last === 'USERS' || last === 'AUTH') && (value === '' || value.includes(':') || isPlaceholder(value));
}

function logLevelChoices(value: string): readonly string[] {
  return value !== '' && value === value.toUpperCase() && value !== value.toLowerCase() ? LOG_LEVELS.map((l) => l.toUpperCase()) : LOG_LEVELS;
}

/** What a key asks for, from its name and its example value. */
export function classifyEnv(key: string, value: string): EnvKindInfo {
  const t = tokens(key);
  const v = value.trim();
  const placeholder = isPlaceholder(v);
  const last = t[t.length - 1] ?? '';
  const info = (kind: EnvKind, extra: Partial<EnvKindInfo> = {}): EnvKindInfo => ({ kind, placeholder, ...extra });

  if (HTPASSWD_VALUE.test(v) || isHtpasswdName(t, v)) return info('htpasswd');
  const repo = repositoryKind(t, v, placeholder);
  if (repo) return info('text', { fromRepository: repo });
  if (isSecretName(t)) return info('secret');
  const levelName = t.join('_').endsWith('LOG_LEVEL') || last === 'LOGLEVEL' || key.toUpperCase() === 'RUST_LOG';
  if (levelName && (v === '' || (LOG_LEVELS as readonly string[]).includes(v.toLowerCase()))) return info('logLevel', { choices: logLevelChoices(v) });
  if (URL_VALUE.test(v)) return info('url');
  if (EMAIL_VALUE.test(v) || t.includes('EMAIL') || (t.includes('MAIL') && ['FROM', 'TO', 'ADDRESS'].includes(last))) return info('email');
  if (t.includes('DOMAIN') || t.includes('DOMAINS') || t.includes('FQDN') || ((t.includes('HOST') || t.includes('HOSTNAME')) && checkDomain(v))) {
    return info('domain');
  }
  if (NUMBER_VALUE.test(v) || (v === '' && ['PORT', 'TIMEOUT', 'COUNT', 'WORKERS', 'SIZE', 'MAX', 'MIN'].includes(last))) return info('number');
  if (BOOLEAN_VALUE.test(v)) return info('boolean');
  if (['URL', 'URI', 'ENDPOINT'].includes(last) && (v === '' || placeholder)) return info('url');
  if (placeholder) return info('secret');
  return info('text');
}

// ---------------------------------------------------------------------------------------------------
// Checking what the user entered

export type EnvValueProblem =
  | 'empty'
  | 'placeholder'
  | 'weak_secret'
  | 'bad_email'
  | 'bad_domain'
  | 'bad_url'
  | 'bad_number'
  | 'bad_boolean'
  | 'bad_choice'
  | 'bad_htpasswd';

/** Minimum length of a secret the user types (generated ones are 43 characters). */
export const MIN_SECRET_LENGTH = 12;

function checkDomain(value: string): boolean {
  const ascii = domainToASCII(value.replace(/\.$/, ''));
  if (ascii === '' || ascii.length > 253) return false;
  const labels = ascii.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i.test(tld)) return false;
  return labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/** Why a final value is not acceptable for its kind, or null. Placeholders are never accepted. */
export function checkEnvValue(info: Pick<EnvKindInfo, 'kind' | 'choices'>, value: string): EnvValueProblem | null {
  if (value.trim() === '') return 'empty';
  if (isPlaceholder(value)) return 'placeholder';
  switch (info.kind) {
    case 'secret':
      return value.length < MIN_SECRET_LENGTH ? 'weak_secret' : null;
    case 'email': {
      if (!EMAIL_VALUE.test(value)) return 'bad_email';
      return checkDomain(value.slice(value.lastIndexOf('@') + 1)) ? null : 'bad_email';
    }
    case 'domain':
      return checkDomain(value) ? null : 'bad_domain';
    case 'url':
      try {
        const u = new URL(value);
        return u.host !== '' && URL_VALUE.test(value) ? null : 'bad_url';
      } catch {
        return 'bad_url';
      }
    case 'number':
      return NUMBER_VALUE.test(value) ? null : 'bad_number';
    case 'boolean':
      return BOOLEAN_VALUE.test(value) || value === '0' || value === '1' ? null : 'bad_boolean';
    case 'logLevel':
      return (info.choices ?? LOG_LEVELS).some((c) => c.toLowerCase() === value.toLowerCase()) ? null : 'bad_choice';
    case 'htpasswd':
      return value
        .split(',')
        .every((pair) => HTPASSWD_VALUE.test(pair.trim()))
        ? null
        : 'bad_htpasswd';
    case 'text':
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Generated values

/** A strong random secret: `bytes` random bytes as URL-safe base64 without padding (43 characters for
 *  32 bytes). Only `[A-Za-z0-9_-]`, so it is written bare in `.env` and survives any quoting. */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) throw new RangeError(`generateSecret: bytes must be an integer in 16..1024, got ${bytes}`);
  return randomBytes(bytes).toString('base64url');
}

// Apache's htpasswd "apr1" MD5-crypt. Traefik's basicAuth and nginx accept it. bcrypt (`$2y$`) would be
// stronger, but node:crypto has no bcrypt and the project adds no dependency for it (bcryptjs is not
// installed), so apr1 is written by hand from node:crypto's MD5, following Apache's apr_md5.c
// (apr_md5_encode): the FreeBSD md5crypt with the magic "$apr1$".
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const APR1_MAGIC = '$apr1$';

function to64(v: number, n: number): string {
  let out = '';
  let x = v;
  for (let i = 0; i < n; i++) {
    out += ITOA64[x & 0x3f];
    x >>>= 6;
  }
  return out;
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** A random 8-character apr1 salt. */
export function apr1Salt(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ITOA64[randomInt(64)];
  return s;
}

/** `$apr1$<salt>$<hash>` of `password` (UTF-8), as `htpasswd -m` writes it. */
export function apr1Hash(password: string, salt: string = apr1Salt()): string {
  const cleanSalt = salt.replace(/^\$apr1\$/, '').split('$')[0]?.slice(0, 8) ?? '';
  const pw = Buffer.from(password, 'utf8');
  const sl = Buffer.from(cleanSalt, 'utf8');
  const magic = Buffer.from(APR1_MAGIC, 'utf8');

  const alt = md5(pw, sl, pw);
  const ctx: Buffer[] = [pw, magic, sl];
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.push(alt.subarray(0, Math.min(pl, 16)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = md5(...ctx);

  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [];
    parts.push(i & 1 ? pw : final);
    if (i % 3) parts.push(sl);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }

  const b = (i: number): number => final[i] ?? 0;
  const encoded =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return `${APR1_MAGIC}${cleanSalt}$${encoded}`;
}

/** Whether `password` matches an apr1 hash (`$apr1$…`, or its `$$`-escaped form). */
export function verifyApr1(password: string, hash: string): boolean {
  const h = hash.replace(/\$\$/g, '$');
  const m = /^\$apr1\$([^$]{0,8})\$[./0-9A-Za-z]{22}$/.exec(h);
  return m !== null && apr1Hash(password, m[1] ?? '') === h;
}

/** `$` doubled, for a value written literally into a compose FILE (e.g. a Traefik basic-auth label):
 *  Compose interpolates `$` there. Not for `.env` values — the writer quotes those. */
export function composeEscape(value: string): string {
  return value.replace(/\$/g, () => '$$');
}

export type HtpasswdResult =
  | { ok: true; /** `user:$apr1$salt$hash`, the value for `.env`. */ value: string; /** The same with `$$`, for a compose file. */ composeEscaped: string }
  | { ok: false; reason: 'empty_user' | 'user_has_colon' | 'user_has_space_or_control' | 'empty_password' };

/** An htpasswd line for `user` and `password` (apr1-MD5, see above). */
export function htpasswdValue(user: string, password: string, opts: { salt?: string } = {}): HtpasswdResult {
  if (user === '') return { ok: false, reason: 'empty_user' };
  if (user.includes(':')) return { ok: false, reason: 'user_has_colon' };
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f,]/u.test(user)) return { ok: false, reason: 'user_has_space_or_control' };
  if (password === '') return { ok: false, reason: 'empty_password' };
  const value = `${user}:${apr1Hash(password, opts.salt)}`;
  return { ok: true, value, composeEscaped: composeEscape(value) };
}

/** The user of an htpasswd value (`admin:$apr1$…` or `admin:$$apr1$$…`), to prefill the form; null if none. */
export function htpasswdUser(value: string): string | null {
  const first = value.split(',')[0]?.trim() ?? '';
  const i = first.indexOf(':');
  return i > 0 ? first.slice(0, i) : null;
}
