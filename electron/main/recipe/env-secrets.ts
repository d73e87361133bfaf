// Which values of a `.env` are secrets, for redaction and for the plan: decided by kind, the way the
// configuration form decides it (env-kinds.ts), not "every value". A user name, a domain or a log level is
// shown in clear; a password, a token, an htpasswd hash or the password inside a URL is not.
import { parseEnvFile } from './env-file';
import { classifyEnv, type EnvKind } from './env-kinds';

export interface EnvSecret {
  key: string;
  kind: 'secret' | 'htpasswd' | 'url_password' | 'private_key';
  /** The forms to mask: the value as Compose reads it, as written in the file, the hash of an htpasswd pair. */
  values: string[];
  /** 1-based first line of the entry, and how many lines its value spans. */
  line: number;
  lines: number;
}

/** The kind of each key: from the example when there is one (its placeholder says "secret"), else from the value. */
function kindOf(key: string, value: string, exampleValue: string | undefined): EnvKind {
  const fromValue = classifyEnv(key, value).kind;
  if (exampleValue === undefined) return fromValue;
  const fromExample = classifyEnv(key, exampleValue).kind;
  // Either view saying secret (or htpasswd) wins: masking a value too many is safe, one too few is a leak.
  for (const k of ['htpasswd', 'secret'] as const) if (fromExample === k || fromValue === k) return k;
  return fromValue;
}

function urlPassword(value: string): string | null {
  try {
    const u = new URL(value.trim());
    return u.password ? u.password : null;
  } catch {
    return null;
  }
}

/** The secrets of a `.env` (with the env example, when known, to classify keys as the form did). */
export function envSecrets(envContent: string, exampleText?: string | null): EnvSecret[] {
  const example = exampleText ? new Map(parseEnvFile(exampleText).entries.map((e) => [e.key, e.value])) : new Map<string, string>();
  const out: EnvSecret[] = [];
  for (const e of parseEnvFile(envContent).entries) {
    if (e.value === '' && e.raw === '') continue;
    const raw = e.raw.replace(/^(['"])([\s\S]*)\1$/u, '$2');
    const values = new Set<string>();
    const kind = kindOf(e.key, e.value, example.get(e.key));
    let secretKind: EnvSecret['kind'] | null = null;
    switch (kind) {
      case 'secret':
        secretKind = 'secret';
        values.add(e.value);
        values.add(raw);
        break;
      case 'htpasswd':
        secretKind = 'htpasswd';
        // user:hash[,user:hash…]: the hashes are secret (crackable offline), the user names are not.
        for (const pair of [...e.value.split(/[,\n]/u), ...raw.split(/[,\n]/u)]) {
          const i = pair.indexOf(':');
          if (i > 0) values.add(pair.slice(i + 1).trim());
        }
        break;
      case 'url':
      case 'text': {
        if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/u.test(e.value)) {
          secretKind = 'private_key';
          values.add(e.value);
          break;
        }
        // A connection string carries its password inside: postgres://user:password@host/db.
        const password = urlPassword(e.value);
        if (password) {
          secretKind = 'url_password';
          values.add(password);
          try {
            values.add(decodeURIComponent(password));
          } catch {
            /* not percent-encoded */
          }
        }
        break;
      }
      case 'domain':
      case 'email':
      case 'logLevel':
      case 'number':
      case 'boolean':
        break;
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown kind ${String(unreachable)}`);
      }
    }
    const list = [...values].filter((v) => v !== '');
    if (secretKind && list.length > 0) out.push({ key: e.key, kind: secretKind, values: list, line: e.line, lines: e.raw.split('\n').length });
  }
  return out;
}

/**
 * The `.env` as the plan shows it: non-secret values in clear (the user reviews them), secret values masked
 * whatever their length, the hash of an htpasswd pair masked but not its user, the password of a URL masked
 * inside it. Comments and blank lines as they are.
 */
export function maskEnvContent(envContent: string, exampleText?: string | null, mask = '••••••'): string {
  const lines = envContent.split('\n');
  for (const s of envSecrets(envContent, exampleText)) {
    const first = s.line - 1;
    const head = /^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*)(.*)$/u.exec(lines[first] ?? '');
    if (!head) continue;
    let value: string;
    if (s.kind === 'htpasswd') value = head[2]!.replace(/([^:,\s'"]+):[^,\s'"]+/gu, `$1:${mask}`);
    else if (s.kind === 'url_password') value = s.values.reduce((v, p) => v.split(p).join(mask), head[2]!);
    else value = mask;
    lines[first] = `${head[1]}${value}`;
    // A quoted value over several lines: its other lines go (they are part of the secret).
    for (let i = 1; i < s.lines; i++) lines[first + i] = '\u0000';
  }
  return lines.filter((l) => l !== '\u0000').join('\n');
}
