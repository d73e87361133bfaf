import { readdir, readFile, stat } from 'node:fs/promises';
import { arch, platform, release } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Profile } from '../../shared/profile';

// "Export diagnostics": one zip a founder can attach to a support request — versions, the OS, the shape of
// each profile (which settings and secrets exist, never their values), each deployment's journal and last
// run (its log lines), and the end of the app's own logs. Everything goes through `redact` first, and
// again through every secret value the secret store holds (a log written by an older version may hold
// one in clear); PEM key blocks and token shapes are masked whatever they are. fflate writes the zip
// (pure JS, no native code).

export interface DiagnosticsInput {
  app: { name: string; version: string; frontDoor: string; secretsPersist: boolean };
  dataDir: string;
  profiles: Profile[];
  /** The secret values to mask, as held by the secret store (profiles' keys and .env values, provider tokens). */
  secretValues: string[];
  /** The logger's redaction (registered secrets). */
  redact: (text: string) => string;
  now?: Date;
}

/** How much of each log file goes in (its end, where the last problem is). */
const LOG_TAIL_BYTES = 1_000_000;
const MASK = '••••••';

/** Masks PEM private keys and the shapes of well-known tokens, registered or not. */
export function maskSecretShapes(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g, `-----BEGIN PRIVATE KEY-----${MASK}-----END PRIVATE KEY-----`)
    .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, MASK)
    .replace(/(Authorization:\s*(?:Bearer|token)\s+)\S+/gi, `$1${MASK}`)
    .replace(/(X-Ovh-(?:Application|Consumer|Signature):\s*)\S+/gi, `$1${MASK}`);
}

/** Every secret value and, for a .env, each of its values long enough to be one. */
export function secretTokens(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v.length >= 4) out.add(v);
    for (const line of v.split('\n')) {
      const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(line);
      const value = m?.[1]?.trim().replace(/^(['"])(.*)\1$/, '$2');
      if (value && value.length >= 6) out.add(value);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

export async function buildDiagnosticsZip(input: DiagnosticsInput): Promise<{ filename: string; zip: Uint8Array; files: string[] }> {
  const tokens = secretTokens(input.secretValues);
  const clean = (text: string) => {
    let out = maskSecretShapes(input.redact(text));
    for (const t of tokens) out = out.split(t).join(MASK);
    return out;
  };
  const files: Record<string, Uint8Array> = {};
  const add = (name: string, text: string) => {
    files[name] = strToU8(clean(text));
  };
  const now = input.now ?? new Date();

  add(
    'versions.json',
    JSON.stringify(
      {
        exportedAt: now.toISOString(),
        app: input.app,
        runtime: { node: process.versions.node, electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null, v8: process.versions.v8 },
        os: { platform: platform(), release: release(), arch: arch() },
      },
      null,
      2,
    ),
  );
  for (const p of input.profiles) {
    add(`profiles/${p.id}.shape.json`, JSON.stringify(profileShape(p), null, 2));
    for (const [suffix, label] of [['.json', 'journal'], ['.last-run.json', 'last-run']] as const) {
      const text = await readFile(join(input.dataDir, 'journals', `${p.id}${suffix}`), 'utf8').catch(() => null);
      if (text !== null) add(`runs/${p.id}.${label}.json`, text);
    }
  }
  const logDir = join(input.dataDir, 'logs');
  for (const name of (await readdir(logDir).catch(() => [])).filter((n) => n.endsWith('.log')).sort()) {
    add(`logs/${name}`, await tail(join(logDir, name)));
  }
  add('README.txt', README);
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return { filename: `koprogo-deploy-diagnostics-${stamp}.zip`, zip: zipSync(files, { level: 6, mtime: now }), files: Object.keys(files) };
}

/** What a profile is made of, without its values: enough to see what is set, nothing to misuse. */
export function profileShape(p: Profile) {
  const kind = (v: string) => (v === '' ? 'empty' : /^\d+$/.test(v) ? 'number' : v.startsWith('{') || v.startsWith('[') ? 'json' : `text(${v.length})`);
  return {
    id: p.id,
    phase: p.phase,
    provider: p.provider?.kind ?? null,
    server: p.server ? { port: p.server.port, user: p.server.user === 'root' ? 'root' : 'other', pinned: !!p.server.hostKeySha256 } : null,
    repo: p.repo ? { host: safeHost(p.repo.url), ref: p.repo.ref.length > 0 ? 'set' : 'empty' } : null,
    settings: Object.fromEntries(Object.entries(p.settings).map(([k, v]) => [k, kind(v)])),
    secrets: Object.keys(p.secrets),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function safeHost(url: string): string {
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)/i.exec(url);
  return m?.[1] ?? '?';
}

async function tail(path: string): Promise<string> {
  const size = (await stat(path)).size;
  const text = await readFile(path, 'utf8');
  if (size <= LOG_TAIL_BYTES) return text;
  const cut = text.slice(text.length - LOG_TAIL_BYTES);
  return `[… ${size - LOG_TAIL_BYTES} earlier bytes left out …]\n${cut.slice(cut.indexOf('\n') + 1)}`;
}

const README = `KoproGo Deploy — diagnostics

versions.json           app, runtime and operating system versions
profiles/*.shape.json   each deployment profile's shape: which settings and secrets exist, not their values
runs/*.journal.json     each deployment's step states (as the app resumes them)
runs/*.last-run.json    the last run's outcome, error and log lines
logs/*.log              the end of the app's own logs

Every secret value the app holds (keys, passwords, tokens, the .env values) was masked (••••••)
before this file was written. Nothing in it lets anyone reach your servers or accounts.
`;
