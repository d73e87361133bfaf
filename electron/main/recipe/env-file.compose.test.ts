// The writer and the Compose v1 reader against the real programs on this machine: `docker-compose config`
// (Compose v1.29, which reads `.env` with python-dotenv) and python-dotenv itself. No Docker engine needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk } from '../testing';
import { requireFiles } from '../testing/proc';
import { encodeEnvValue, parseEnvFile, readEnvAsComposeV1, writeEnvFile } from './env-file';
import { generateSecret, htpasswdValue } from './env-kinds';

const DOCKER_COMPOSE = '/usr/bin/docker-compose';
// docker-compose's own interpreter, which has its python-dotenv and PyYAML.
const PYTHON = '/usr/bin/python3';
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: tmpdir(), LANG: 'C.UTF-8' };

let dir: string;

beforeAll(async () => {
  requireFiles({ 'docker-compose': DOCKER_COMPOSE, python3: PYTHON });
  dir = await mkdtemp(join(tmpdir(), 'kgt-envfile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * What Compose v1 makes of `envText`, both ways the roadmap uses it: `--env-file` + `${KEY}` in the
 * compose file (service `interp`) and `env_file:` (service `envfile`).
 */
async function composeV1Reads(envText: string, keys: readonly string[]): Promise<{ interp: Record<string, string>; envfile: Record<string, string> }> {
  const sub = await mkdtemp(join(dir, 'case-'));
  await writeFile(join(sub, 'app.env'), envText, 'utf8');
  const compose = {
    services: {
      interp: { image: 'busybox', environment: Object.fromEntries(keys.map((k) => [k, `\${${k}}`])) },
      envfile: { image: 'busybox', env_file: ['app.env'] },
    },
  };
  await writeFile(join(sub, 'docker-compose.yml'), JSON.stringify(compose), 'utf8');
  const yaml = await runOk(DOCKER_COMPOSE, ['--env-file', join(sub, 'app.env'), '-p', 'kgtenv', 'config'], { cwd: sub, env: CLEAN_ENV });
  const json = await runOk(PYTHON, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml, env: CLEAN_ENV });
  const cfg = JSON.parse(json) as { services: Record<string, { environment?: Record<string, string | null> }> };
  // `config` writes every `$` doubled.
  const unescape = (env: Record<string, string | null> = {}): Record<string, string> => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, (v ?? '').replace(/\$\$/g, '$')]));
  return { interp: unescape(cfg.services.interp?.environment), envfile: unescape(cfg.services.envfile?.environment) };
}

// Values a founder may type, and what an env file finds hard.
const NASTY: readonly string[] = [
  '',
  'plain',
  'with space',
  ' leading',
  'trailing ',
  '  both  ',
  "it's",
  'say "hi"',
  `both ' and "`,
  "'",
  '"',
  '$',
  '$$',
  '$HOME',
  'pa$$word',
  '$apr1$salt$hash',
  'admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0',
  '${',
  '${X',
  '$}{X}',
  '${X:+y}',
  'back\\slash',
  'C:\\dir\\',
  '\\\\double',
  '\\n not a newline',
  '\\',
  'a#b',
  'a #b',
  'a\t#b',
  '#start',
  'line1\nline2',
  'tab\there',
  'cr\rhere',
  'crlf\r\nhere',
  'unicode é ü 😀 中文',
  '\u00a0nbsp\u00a0',
  '\u2028separator',
  '\x1cfile separator\x1f',
  '=',
  'a=b=c',
  'key: value',
  '\v\f',
  '$ſ and $\u212a',
  '%PATH%',
  '`cmd` $(cmd) !bang *glob? ~user & | ; < >',
  "$it's",
  '$x\nnext line',
  "O'Brien \"Bob\" \\ \t # $ 1",
  'export X=1',
];

describe('the writer, read back by the real Compose v1 (docker-compose config)', () => {
  it('every nasty value it accepts comes back exactly, through --env-file and env_file', async () => {
    const written = NASTY.filter((v) => encodeEnvValue(v).ok);
    // Only the documented few are refused, none of these.
    expect(NASTY.filter((v) => !written.includes(v))).toEqual([]);
    const entries = written.map((value, i) => ({ key: `KGT_NASTY_${i}`, value }));
    const r = writeEnvFile(entries);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const got = await composeV1Reads(
      r.text,
      entries.map((e) => e.key),
    );
    const want = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    expect(got.interp).toEqual(want);
    expect(got.envfile).toEqual(want);
    // And our own readers agree.
    expect(Object.fromEntries(parseEnvFile(r.text).entries.map((e) => [e.key, e.value]))).toEqual(want);
  });

  it('the values it refuses are the ones Compose v1 cannot read back', async () => {
    // What would be written for them naively: Compose v1 changes each.
    const naive: Array<[string, string]> = [
      ['${X}', "'${X}'"], // v1 expands ${…} even in single quotes
      [' ends\\', '" ends\\\\"'], // v1 takes \" for an escaped quote and runs on (bare would lose the space)
      ['$a\rb', "'$a\rb'"], // v1's universal newlines turn \r into \n
      ['$a\\\\b', "'$a\\\\b'"], // v1 reads \\ as one backslash in single quotes (v2 keeps two)
    ];
    for (const [value] of naive) expect(encodeEnvValue(value).ok).toBe(false);
    const text = naive.map(([, line], i) => `KGT_REFUSED_${i}=${line}\nKGT_AFTER_${i}="after"`).join('\n') + '\n';
    const got = await composeV1Reads(
      text,
      naive.map((_, i) => `KGT_REFUSED_${i}`),
    );
    naive.forEach(([value], i) => expect(got.interp[`KGT_REFUSED_${i}`]).not.toBe(value));
  });

  it('random values: what it writes, Compose v1 reads back', async () => {
    const values = fc.sample(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 24 }),
        fc.string({ unit: fc.constantFrom('$', '{', '}', '\\', "'", '"', '#', ' ', '\t', '\n', '\r', 'a', 'Z', '_', ':', '-', 'é', '\u00a0'), maxLength: 16 }),
      ),
      { numRuns: 300 },
    );
    const entries = values.filter((v) => encodeEnvValue(v).ok).map((value, i) => ({ key: `KGT_RANDOM_${i}`, value }));
    expect(entries.length).toBeGreaterThan(200);
    const r = writeEnvFile(entries);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const got = await composeV1Reads(
      r.text,
      entries.map((e) => e.key),
    );
    expect(got.envfile).toEqual(Object.fromEntries(entries.map((e) => [e.key, e.value])));
    expect(got.interp).toEqual(Object.fromEntries(entries.map((e) => [e.key, e.value])));
  });

  it('a generated configuration (secrets, an htpasswd line) reaches Compose intact', async () => {
    const users = htpasswdValue('admin', "p@ss w0rd'$");
    if (!users.ok) throw new Error('htpasswd');
    const entries = [
      { key: 'POSTGRES_PASSWORD', value: generateSecret(), comment: 'Generated', group: 'Database' },
      { key: 'JWT_SECRET', value: generateSecret(48) },
      { key: 'TRAEFIK_DASHBOARD_USERS', value: users.value, group: 'Traefik' },
    ];
    const r = writeEnvFile(entries);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.text).toContain(`TRAEFIK_DASHBOARD_USERS='${users.value}'`);
    const got = await composeV1Reads(
      r.text,
      entries.map((e) => e.key),
    );
    expect(got.interp).toEqual(Object.fromEntries(entries.map((e) => [e.key, e.value])));
  });
});

describe('readEnvAsComposeV1 is python-dotenv, as docker-compose 1.29 calls it', () => {
  it('same values on random files', async () => {
    const fragment = fc.constantFrom(
      'A', 'B_1', 'x', 'export ', '=', ':', ' ', '\t', '\n', '\r\n', '\r', '#', ' #', "'", '"', '\\', "\\'", '\\"', '$', '$$', '${A}',
      '${B_1:-d}', '${', '}', '$A', '\\n', '\\t', 'é', '😀', '\u00a0', '\u0085', '\x1c', '\u2028', '\v', '\f', '[', '.', '-', '1',
    );
    const line = fc.oneof(
      fc.array(fragment, { maxLength: 12 }).map((a) => a.join('')),
      fc
        .tuple(fc.constantFrom('A', 'B_1', 'export A', 'C.D', 'x'), fc.constantFrom('=', ' = ', ': '), fc.array(fragment, { maxLength: 10 }))
        .map(([k, s, v]) => k + s + v.join('')),
      fc
        .tuple(fc.constantFrom('A', 'B_1'), fc.constantFrom("'", '"'), fc.array(fragment, { maxLength: 10 }), fc.constantFrom("'", '"', ''))
        .map(([k, q, v, e]) => `${k}=${q}${v.join('')}${e}`),
    );
    const files = fc.sample(
      fc.array(line, { maxLength: 6 }).map((ls) => ls.join('\n')),
      { numRuns: 1500 },
    );
    const script = `
import json, os, sys, logging
logging.disable(logging.CRITICAL)
import dotenv
out = []
for i, text in enumerate(json.load(sys.stdin)):
    p = os.path.join(sys.argv[1], 'f%d.env' % i)
    with open(p, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    os.environ.clear()
    out.append(list(dotenv.dotenv_values(dotenv_path=p, encoding='utf-8-sig', interpolate=True).items()))
print(json.dumps(out))
`;
    const sub = await mkdtemp(join(dir, 'py-'));
    const res = await run(PYTHON, ['-c', script, sub], { input: JSON.stringify(files), env: CLEAN_ENV });
    expect(res.stderr).toBe('');
    const answers = JSON.parse(res.stdout) as Array<Array<[string, string | null]>>;
    files.forEach((text, i) => {
      expect([...readEnvAsComposeV1(text).values.entries()], JSON.stringify(text)).toEqual(answers[i]);
    });
  });
});
