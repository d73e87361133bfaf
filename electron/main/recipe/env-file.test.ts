import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encodeEnvValue,
  mergeEnv,
  parseEnvFile,
  readEnvAsComposeV1,
  readEnvAsComposeV2,
  writeEnvFile,
  type EnvWriteReason,
} from './env-file';
import { classifyEnv } from './env-kinds';

// What the real readers answer. v2: compose-go's dotenv.ParseWithLookup (github.com/compose-spec/compose-go,
// commit e70e961c, 2026-07) with an empty environment, null = it refuses the file. v1: python-dotenv 0.21.0's
// dotenv_values(interpolate=True) as docker-compose 1.29.2 calls it (Debian 12). Each row: input, v2, v1.
const GOLDEN: Array<[string, Record<string, string> | null, Record<string, string | null>]> = [
  ["A=plain\nB= spaced value  \nC=with # comment\nD=with#hash\nE=tab\t#not a v2 comment", {"A": "plain", "B": "spaced value", "C": "with", "D": "with#hash", "E": "tab\t#not a v2 comment"}, {"A": "plain", "B": "spaced value", "C": "with", "D": "with#hash", "E": "tab"}],
  ["export A=1\nexport\tB=2\n  C = 3", {"A": "1", "B": "2", "C": "3"}, {"A": "1", "B": "2", "C": "3"}],
  ["A='single $B ${B} \\n \\\\ \\' end'", {"A": "single $B ${B} \\n \\\\ ' end"}, {"A": "single $B  \\n \\ ' end"}],
  ["A=\"double \\n \\t \\r \\\\ \\\" \\$ \\' \\x \\c \\0101 end\"", {"A": "double \n \t \r \\ \" $ \\' \\x \\c A end"}, {"A": "double \n \t \r \\ \" \\$ ' \\x \\c \\0101 end"}],
  ["A=\"multi\nline\"\nB='multi\nline'", {"A": "multi\nline", "B": "multi\nline"}, {"A": "multi\nline", "B": "multi\nline"}],
  ["A=1\nB=$A-${A}-$$-${A:-d}-${Z:-d}-${A:+p}-${Z:+p}-${Z-q}-${A+r}", {"A": "1", "B": "1-1-$-1-d-p--q-r"}, {"A": "1", "B": "$A-1-$$-1-d-${A:+p}-${Z:+p}--"}],
  ["A=\"$$apr1$$x\"\nB=admin:$$apr1$$8EVjn/nj$$GiLUZqcbueTFeD23SuB6x0\nC='$$apr1$$'", {"A": "$apr1$x", "B": "admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0", "C": "$$apr1$$"}, {"A": "$$apr1$$x", "B": "admin:$$apr1$$8EVjn/nj$$GiLUZqcbueTFeD23SuB6x0", "C": "$$apr1$$"}],
  ["A=${", null, {"A": "${"}],
  ["A=${1}", null, {"A": ""}],
  ["A=\"${Z:?required}\"", null, {"A": "${Z:?required}"}],
  ["A=$\u017f-$K-$1-$ -$", {"A": "--$1-$ -$"}, {"A": "$\u017f-$K-$1-$ -$"}],
  ["A=x\nA=y", {"A": "y"}, {"A": "y"}],
  ["KEY", {"": "KEY"}, {"KEY": null}],
  ["KEY\nB=1", {"B": "1"}, {"KEY": null, "B": "1"}],
  ["A: yaml style", {"A": "yaml style"}, {}],
  ["A.B-C[0]=dots", {"A.B-C[0]": "dots"}, {"A.B-C[0]": "dots"}],
  ["A B=space in key", null, {}],
  ["A='unterminated", null, {}],
  ["A=\"unterminated\nB=1", null, {"B": "1"}],
  ["A='x' # comment after quote\nB=\"y\"# tight comment", {"A": "x", "B": "y"}, {"A": "x", "B": "y"}],
  ["A=\"a\\\\\"\nB=\"b\"", {"A": "a\\", "B": "b"}, {}],
  ["\ufeffA=bom", {"A": "bom"}, {"A": "bom"}],
  ["A=\r\nB=crlf\r\nC='q'\r\n", {"A": "", "B": "crlf", "C": "q"}, {"A": "", "B": "crlf", "C": "q"}],
  ["A=${A:-${B:-nested}}", {"A": "nested"}, {"A": "${B:-nested}"}],
  ["A=\"\\\\$B\"\nB=1", {"A": "\\", "B": "1"}, {"A": "\\$B", "B": "1"}],
  ["A=\u00e9\ud83d\ude00\u00a0x\u00a0", {"A": "\u00e9\ud83d\ude00\u00a0x"}, {"A": "\u00e9\ud83d\ude00\u00a0x"}],
  ["A=\u001cx\u001c", {"A": "\u001cx\u001c"}, {"A": "x"}],
];

describe('the readers match compose-go (Compose v2) and python-dotenv (Compose v1)', () => {
  it.each(GOLDEN)('%j', (input, v2, v1) => {
    const r2 = readEnvAsComposeV2(input);
    if (v2 === null) expect(r2.errors.length).toBe(1);
    else {
      expect(r2.errors).toEqual([]);
      expect(Object.fromEntries(r2.values)).toEqual(v2);
    }
    expect(Object.fromEntries(readEnvAsComposeV1(input).values)).toEqual(v1);
  });

  it('reports the line where compose-go stops and the lines python-dotenv skips', () => {
    expect(readEnvAsComposeV2('A=1\n# c\nB C=2\n').errors).toEqual([{ line: 3, kind: 'bad_key' }]);
    expect(readEnvAsComposeV1('A=1\nB: x\nC=3\nD="x" y\n').errors.map((e) => e.line)).toEqual([2, 4]);
  });

  it('looks variables up in the shell environment first, as `docker compose --env-file` does', () => {
    expect(readEnvAsComposeV2('A=1\nB=${A}-$HOME\nHOME\n', { A: 'shell', HOME: '/h' }).values).toEqual(
      new Map([
        ['A', '1'],
        ['B', 'shell-/h'],
        ['HOME', '/h'],
      ]),
    );
    // python-dotenv: the file's own earlier keys win over the shell (override=True).
    expect(readEnvAsComposeV1('A=1\nB=${A}-${HOME}\n', { A: 'shell', HOME: '/h' }).values.get('B')).toBe('1-/h');
  });
});

describe('parseEnvFile', () => {
  it('reads keys, values and their lines the way Compose v2 does', () => {
    const text = [
      '# comment',
      '',
      'export A=1',
      '  B = two words  ',
      'C=value # inline',
      "D='single $X \\n'",
      'E="double\\tline\\n$$"',
      'F="multi',
      'line"',
      'G=',
      'H=after',
    ].join('\n');
    const r = parseEnvFile(text);
    expect(r.problems).toEqual([
      // Compose v1 reads `$$` as two dollars.
      { line: 7, kind: 'v1_differs', text: 'E="double\\tline\\n$$"', severity: 'warning', key: 'E' },
    ]);
    expect(r.entries.map((e) => [e.key, e.value, e.line, e.quoted])).toEqual([
      ['A', '1', 3, 'none'],
      ['B', 'two words', 4, 'none'],
      ['C', 'value', 5, 'none'],
      ['D', 'single $X \\n', 6, 'single'],
      ['E', 'double\tline\n$', 7, 'double'],
      ['F', 'multi\nline', 8, 'double'],
      ['G', '', 10, 'none'],
      ['H', 'after', 11, 'none'],
    ]);
    expect(r.entries.find((e) => e.key === 'C')?.comment).toBe('inline');
    expect(r.entries.find((e) => e.key === 'E')?.raw).toBe('"double\\tline\\n$$"');
  });

  it('interpolates from earlier keys and says which it uses', () => {
    const r = parseEnvFile('USER=kg\nDB=postgres://${USER}:${PASS:-none}@db/$NAME\n');
    const db = r.entries[1];
    expect(db?.value).toBe('postgres://kg:none@db/');
    expect(db?.refs).toEqual(['USER', 'PASS', 'NAME']);
    // (Compose v1 reads `$NAME` literally too, but one problem per line is enough.)
    expect(r.problems.map((p) => [p.line, p.kind, p.severity])).toEqual([[2, 'unset_variable', 'warning']]);
  });

  it('reports every malformed line with its number and goes on', () => {
    const text = [
      'OK1=1', // 1
      'no equals here', // 2
      'BAD KEY=x', // 3
      '=nokey', // 4
      'K!=x', // 5
      'LONE', // 6
      'TRAIL="x" junk', // 7
      'COLON: y', // 8
      'INVALID=${1}', // 9
      'REQ=${NOPE:?needed}', // 10
      'DUP=a', // 11
      'DUP=b', // 12
      'dotted.key=v', // 13
      "OPEN='never closed", // 14
      'OK2=2', // 15
    ].join('\n');
    const r = parseEnvFile(text);
    expect(r.problems.map((p) => [p.line, p.kind, p.severity])).toEqual([
      [2, 'no_equals', 'error'],
      [3, 'bad_key', 'error'],
      [4, 'bad_key', 'error'],
      [5, 'bad_key', 'error'],
      [6, 'no_equals', 'warning'],
      [7, 'trailing_text', 'error'],
      [8, 'colon_separator', 'warning'],
      [9, 'bad_interpolation', 'error'],
      [10, 'required_variable', 'error'],
      [11, 'duplicate_key', 'warning'],
      [13, 'bad_key', 'warning'],
      [14, 'unterminated_quote', 'error'],
    ]);
    expect(r.problems[1]).toEqual({ line: 3, kind: 'bad_key', text: 'BAD KEY=x', severity: 'error' });
    expect(r.entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ['OK1', '1', 1],
      ['LONE', '', 6],
      ['TRAIL', 'x', 7],
      ['COLON', 'y', 8],
      ['INVALID', '${1}', 9],
      ['REQ', '${NOPE:?needed}', 10],
      ['DUP', 'b', 12],
      ['dotted.key', 'v', 13],
      ['OK2', '2', 15],
    ]);
    expect(r.entries.find((e) => e.key === 'LONE')?.inherited).toBe(true);
  });

  it('counts lines the same in CRLF files and after a BOM', () => {
    const r = parseEnvFile('\ufeff# c\r\nA=1\r\n\r\nB="x"\r\nC=\r\n');
    expect(r.problems).toEqual([]);
    expect(r.entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ['A', '1', 2],
      ['B', 'x', 4],
      ['C', '', 5],
    ]);
  });

  it('keeps comment blocks as help text and headings as groups', () => {
    const text = [
      '# My app configuration', // header
      '# Copy to .env',
      '',
      '# === Database ===',
      '',
      '# Password of the',
      '# PostgreSQL user.',
      '#',
      '# Generated if empty.',
      'POSTGRES_PASSWORD=x',
      'POSTGRES_USER=kg # the user',
      '',
      '# ---- Web ----',
      '# The public name',
      'DOMAIN=a.example',
      '# OLD_SETTING=1',
      'PORT=80',
      '',
      '###########',
      '# Mail',
      '###########',
      'SMTP_HOST=m',
      '',
      '## Monitoring',
      'ALERTS=on',
      '',
      '# Backend',
      'WORKERS=1',
      'RUST_LOG=info',
      '',
      '# A comment far from the key',
      '',
      'LAST=1',
    ].join('\n');
    const r = parseEnvFile(text);
    expect(r.header).toBe('My app configuration\nCopy to .env');
    expect(r.entries.map((e) => [e.key, e.group, e.comment])).toEqual([
      ['POSTGRES_PASSWORD', 'Database', 'Password of the\nPostgreSQL user.\n\nGenerated if empty.'],
      ['POSTGRES_USER', 'Database', 'the user'],
      ['DOMAIN', 'Web', 'The public name'],
      ['PORT', 'Web', null],
      ['SMTP_HOST', 'Mail', null],
      ['ALERTS', 'Monitoring', null],
      ['WORKERS', 'Backend', null],
      ['RUST_LOG', 'Backend', null],
      ['LAST', 'Backend', null],
    ]);
  });

  it('does not take a line inside a multi-line value for a comment', () => {
    const r = parseEnvFile('A="first\n# not a comment\nlast"\nB=1\n');
    expect(r.entries.map((e) => [e.key, e.value, e.comment])).toEqual([
      ['A', 'first\n# not a comment\nlast', null],
      ['B', '1', null],
    ]);
  });
});

// A KoproGo-style VPS example (written for this test, in the style of the project's `.env.vps.example`).
const KOPROGO_EXAMPLE = `################################################################################
# KoproGo - VPS environment
# Copy this file to .env and replace every CHANGE_THIS value.
################################################################################

# =============================================================================
# Domain and certificates
# =============================================================================
# Public domain of the application (its A/AAAA records point at the server)
DOMAIN=koprogo.example.com
# Let's Encrypt account e-mail (expiry notices)
ACME_EMAIL=admin@example.com

# =============================================================================
# Database
# =============================================================================
POSTGRES_DB=koprogo_db
POSTGRES_USER=koprogo
# Strong password for PostgreSQL
POSTGRES_PASSWORD=CHANGE_THIS_PASSWORD
DATABASE_URL=postgres://\${POSTGRES_USER}:\${POSTGRES_PASSWORD}@postgres:5432/\${POSTGRES_DB}

# =============================================================================
# Backend
# =============================================================================
# JWT signing secret (minimum 32 characters)
JWT_SECRET=CHANGE_THIS_TO_A_LONG_RANDOM_STRING
# One of trace, debug, info, warn, error
LOG_LEVEL=info
ACTIX_WORKERS=2
ENABLE_METRICS=true
FRONTEND_URL=https://koprogo.example.com

# =============================================================================
# Traefik
# =============================================================================
# Dashboard users (htpasswd -nbm admin <password>); $ doubled for Compose
TRAEFIK_DASHBOARD_USERS=admin:$$apr1$$8EVjn/nj$$GiLUZqcbueTFeD23SuB6x0
`;

describe('a KoproGo VPS example', () => {
  const r = parseEnvFile(KOPROGO_EXAMPLE);
  const by = Object.fromEntries(r.entries.map((e) => [e.key, e]));

  it('parses with only the v1 difference of the `$$` hash reported', () => {
    expect(r.problems.map((p) => [p.line, p.kind, p.key])).toEqual([[38, 'v1_differs', 'TRAEFIK_DASHBOARD_USERS']]);
    expect(r.header).toBe('KoproGo - VPS environment\nCopy this file to .env and replace every CHANGE_THIS value.');
    expect(r.entries.map((e) => e.key)).toEqual([
      'DOMAIN',
      'ACME_EMAIL',
      'POSTGRES_DB',
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
      'DATABASE_URL',
      'JWT_SECRET',
      'LOG_LEVEL',
      'ACTIX_WORKERS',
      'ENABLE_METRICS',
      'FRONTEND_URL',
      'TRAEFIK_DASHBOARD_USERS',
    ]);
  });

  it('keeps groups and help text', () => {
    expect(r.entries.map((e) => [e.key, e.group])).toEqual([
      ['DOMAIN', 'Domain and certificates'],
      ['ACME_EMAIL', 'Domain and certificates'],
      ['POSTGRES_DB', 'Database'],
      ['POSTGRES_USER', 'Database'],
      ['POSTGRES_PASSWORD', 'Database'],
      ['DATABASE_URL', 'Database'],
      ['JWT_SECRET', 'Backend'],
      ['LOG_LEVEL', 'Backend'],
      ['ACTIX_WORKERS', 'Backend'],
      ['ENABLE_METRICS', 'Backend'],
      ['FRONTEND_URL', 'Backend'],
      ['TRAEFIK_DASHBOARD_USERS', 'Traefik'],
    ]);
    expect(by.DOMAIN?.comment).toBe('Public domain of the application (its A/AAAA records point at the server)');
    expect(by.ACME_EMAIL?.comment).toBe("Let's Encrypt account e-mail (expiry notices)");
    expect(by.POSTGRES_DB?.comment).toBeNull();
    expect(by.POSTGRES_PASSWORD?.comment).toBe('Strong password for PostgreSQL');
    expect(by.JWT_SECRET?.comment).toBe('JWT signing secret (minimum 32 characters)');
    expect(by.TRAEFIK_DASHBOARD_USERS?.comment).toBe('Dashboard users (htpasswd -nbm admin <password>); $ doubled for Compose');
  });

  it('reads values as Compose v2 does: `$$` is one dollar, references are expanded', () => {
    expect(by.TRAEFIK_DASHBOARD_USERS?.value).toBe('admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0');
    expect(by.DATABASE_URL?.value).toBe('postgres://koprogo:CHANGE_THIS_PASSWORD@postgres:5432/koprogo_db');
    expect(by.DATABASE_URL?.refs).toEqual(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']);
  });

  it('recognises the kinds', () => {
    const kinds = Object.fromEntries(r.entries.map((e) => [e.key, classifyEnv(e.key, e.value)]));
    expect(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v.kind]))).toEqual({
      DOMAIN: 'domain',
      ACME_EMAIL: 'email',
      POSTGRES_DB: 'text',
      POSTGRES_USER: 'text',
      POSTGRES_PASSWORD: 'secret',
      DATABASE_URL: 'url',
      JWT_SECRET: 'secret',
      LOG_LEVEL: 'logLevel',
      ACTIX_WORKERS: 'number',
      ENABLE_METRICS: 'boolean',
      FRONTEND_URL: 'url',
      TRAEFIK_DASHBOARD_USERS: 'htpasswd',
    });
    expect(kinds.LOG_LEVEL?.choices).toEqual(['trace', 'debug', 'info', 'warn', 'error']);
    expect(kinds.POSTGRES_PASSWORD?.placeholder).toBe(true);
    expect(kinds.JWT_SECRET?.placeholder).toBe(true);
    expect(kinds.DOMAIN?.placeholder).toBe(true);
    expect(kinds.ACME_EMAIL?.placeholder).toBe(true);
    expect(kinds.POSTGRES_USER?.placeholder).toBe(false);
  });

  it('merges with an older .env from the server: values kept, new keys asked, old keys shown', () => {
    const existing = parseEnvFile('DOMAIN=koprogo.be\nPOSTGRES_PASSWORD="s3cr3t pass"\nOLD_FLAG=1\nJWT_SECRET=abc\n');
    const m = mergeEnv(existing, r);
    expect(m.kept.map((e) => [e.key, e.value, e.group, e.line])).toEqual([
      ['DOMAIN', 'koprogo.be', 'Domain and certificates', 10],
      ['POSTGRES_PASSWORD', 's3cr3t pass', 'Database', 20],
      ['JWT_SECRET', 'abc', 'Backend', 27],
    ]);
    expect(m.kept[1]?.quoted).toBe('double');
    expect(m.kept[0]?.comment).toBe(by.DOMAIN?.comment);
    expect(m.added.map((e) => e.key)).toEqual(['ACME_EMAIL', 'POSTGRES_DB', 'POSTGRES_USER', 'DATABASE_URL', 'LOG_LEVEL', 'ACTIX_WORKERS', 'ENABLE_METRICS', 'FRONTEND_URL', 'TRAEFIK_DASHBOARD_USERS']);
    expect(m.removed.map((e) => [e.key, e.value])).toEqual([['OLD_FLAG', '1']]);
    expect(mergeEnv(existing.entries, r.entries)).toEqual(m);
  });
});

describe('writeEnvFile', () => {
  it.each<[string, string]>([
    ['', 'K='],
    ['simple-value_1.2:3@x/y%+,=', 'K=simple-value_1.2:3@x/y%+,='],
    ['two words', "K='two words'"],
    ['$apr1$salt$hash', "K='$apr1$salt$hash'"],
    ['line1\nline2', "K='line1\nline2'"],
    ["it's", `K="it's"`],
    [`it's "quoted"`, `K="it's \\"quoted\\""`],
    ["it's $HOME", "K='it\\'s $HOME'"],
    ['cr\r\nlf', 'K="cr\\r\\nlf"'],
    ['back\\slash', "K='back\\slash'"],
    ['two\\\\backslashes', 'K="two\\\\\\\\backslashes"'],
    ['C:\\dir\\', 'K=C:\\dir\\'],
    [' padded ', "K=' padded '"],
    ['a #b', "K='a #b'"],
  ])('writes %j as %s', (value, line) => {
    const r = writeEnvFile([{ key: 'K', value }]);
    expect(r).toEqual({ ok: true, text: `${line}\n` });
  });

  it.each<[string, EnvWriteReason]>([
    ['${X}', 'v1_interpolation'],
    ['a${X:-d}b', 'v1_interpolation'],
    ['nul\0', 'nul_character'],
    ['\ud800', 'invalid_unicode'],
    ['ends with\na backslash \\', 'trailing_backslash'],
    [' C:\\dir\\', 'trailing_backslash'],
    ['$a\\\\b', 'dollar_with_backslash'],
    ["$a\\'b", 'dollar_with_backslash'],
    ['$a\rb', 'dollar_with_carriage_return'],
  ])('refuses %j: %s', (value, reason) => {
    expect(writeEnvFile([{ key: 'K', value }, { key: 'OK', value: 'fine' }])).toEqual({ ok: false, problems: [{ key: 'K', reason }] });
    expect(encodeEnvValue(value)).toEqual({ ok: false, reason });
  });

  it('writes `${X}` for Compose v2 only when asked to', () => {
    expect(writeEnvFile([{ key: 'K', value: '${X}' }], { target: 'v2' })).toEqual({ ok: true, text: "K='${X}'\n" });
    expect(writeEnvFile([{ key: 'K', value: 'a\\\\$b' }], { target: 'v2' })).toEqual({ ok: true, text: "K='a\\\\$b'\n" });
    expect(encodeEnvValue("$a\\'b", 'v2')).toEqual({ ok: false, reason: 'dollar_with_backslash' });
  });

  it('refuses bad and duplicate keys', () => {
    expect(writeEnvFile([{ key: 'A-B', value: '' }, { key: '1A', value: '' }, { key: 'A', value: '' }, { key: 'A', value: '' }, { key: 'é', value: '' }])).toEqual({
      ok: false,
      problems: [
        { key: 'A-B', reason: 'bad_key' },
        { key: '1A', reason: 'bad_key' },
        { key: 'A', reason: 'duplicate_key' },
        { key: 'é', reason: 'bad_key' },
      ],
    });
  });

  it('writes the header, groups and help text so that the parser reads them back', () => {
    const r = writeEnvFile(
      [
        { key: 'DOMAIN', value: 'koprogo.be', comment: 'Public domain', group: 'Web' },
        { key: 'PORT', value: '80', group: 'Web' },
        { key: 'POSTGRES_PASSWORD', value: 'p@ss word', comment: 'Line one\n\nLine three', group: 'Database' },
        { key: 'POSTGRES_USER', value: 'kg', comment: 'User', group: 'Database' },
      ],
      { header: 'Written by KoproGo Deploy\nDo not edit by hand' },
    );
    expect(r).toEqual({
      ok: true,
      text: `# Written by KoproGo Deploy
# Do not edit by hand

# === Web ===
# Public domain
DOMAIN=koprogo.be

PORT=80

# === Database ===
# Line one
#
# Line three
POSTGRES_PASSWORD='p@ss word'

# User
POSTGRES_USER=kg
`,
    });
    const back = parseEnvFile(r.ok ? r.text : '');
    expect(back.problems).toEqual([]);
    expect(back.header).toBe('Written by KoproGo Deploy\nDo not edit by hand');
    expect(back.entries.map((e) => [e.key, e.value, e.group, e.comment])).toEqual([
      ['DOMAIN', 'koprogo.be', 'Web', 'Public domain'],
      ['PORT', '80', 'Web', null],
      ['POSTGRES_PASSWORD', 'p@ss word', 'Database', 'Line one\n\nLine three'],
      ['POSTGRES_USER', 'kg', 'Database', 'User'],
    ]);
  });

  it('keeps a comment with line breaks of any kind as comment lines', () => {
    const r = writeEnvFile([{ key: 'A', value: '1', comment: 'one\rB=2\r\nC=3' }]);
    expect(r.ok && r.text).toBe('# one\n# B=2\n# C=3\nA=1\n');
  });
});

// ---------------------------------------------------------------------------------------------------
// Property tests

// Whitespace as Python sees it (Compose v1's trimming); Go's unicode.IsSpace is a subset.
// eslint-disable-next-line no-control-regex
const PY_WS = /[\t\n\v\f\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const ACTIVE_DOLLAR = /\$(?=[$_a-z{])/iu;

/** The documented refused set, stated independently of the writer. */
function expectedRefusal(v: string): EnvWriteReason | null {
  if (v.includes('\0')) return 'nul_character';
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v)) return 'invalid_unicode';
  if (/\$\{[^}:]*(?::-[^}]*)?\}/.test(v)) return 'v1_interpolation';
  const chars = [...v];
  const bare =
    v !== '' &&
    !/[\r\n]/.test(v) &&
    !/^['"]/.test(v) &&
    !PY_WS.test(chars[0] ?? '') &&
    !PY_WS.test(chars[chars.length - 1] ?? '') &&
    !new RegExp(`${PY_WS.source}#`, 'u').test(v) &&
    !ACTIVE_DOLLAR.test(v);
  if (bare) return null;
  if (v.endsWith('\\')) return 'trailing_backslash';
  if (ACTIVE_DOLLAR.test(v) && /\\\\|\\'/.test(v)) return 'dollar_with_backslash';
  if (ACTIVE_DOLLAR.test(v) && v.includes('\r')) return 'dollar_with_carriage_return';
  return null;
}

/** Strings rich in what env files care about. */
const nasty = fc
  .array(
    fc.constantFrom(
      '$', '$$', '{', '}', '${', ':-', 'X', 'a', '_', '1', '\\', "'", '"', '#', ' #', ' ', '\t', '\n', '\r', '\r\n', '=', ':',
      'export ', 'é', '😀', '\u00a0', '\u0085', '\x1c', '\u2028', '\v', '\f', 'ſ', '\u212a', '\x7f', '\x01', '`', '!', '%',
    ),
    { maxLength: 14 },
  )
  .map((a) => a.join(''));
/** Any string of code points without NUL (NUL has its own test). */
const anyText = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, ''));
const anyValue = fc.oneof(anyText, nasty, fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/\0/g, '')));

describe('property: values round-trip through writeEnvFile → Compose v1 and v2', () => {
  it('any value is written so that both read it back exactly, or refused for a documented reason', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const r = writeEnvFile([{ key: 'VALUE', value }]);
        const expected = expectedRefusal(value);
        if (!r.ok) {
          expect(r.problems).toEqual([{ key: 'VALUE', reason: expected }]);
          return;
        }
        expect(expected).toBeNull();
        const parsed = parseEnvFile(r.text);
        expect(parsed.problems).toEqual([]);
        expect(parsed.entries.map((e) => [e.key, e.value])).toEqual([['VALUE', value]]);
        expect(readEnvAsComposeV1(r.text)).toEqual({ values: new Map([['VALUE', value]]), errors: [] });
      }),
      { numRuns: 3000 },
    );
  });

  it('values never interfere with each other in one file', () => {
    const entries = fc.uniqueArray(fc.record({ key: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), value: anyValue }), { selector: (e) => e.key, maxLength: 8 });
    fc.assert(
      fc.property(entries, (list) => {
        const writable = list.filter((e) => expectedRefusal(e.value) === null);
        const r = writeEnvFile(writable.map((e, i) => ({ ...e, comment: i % 2 ? `help ${e.value}` : null })));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const want = new Map(writable.map((e) => [e.key, e.value]));
        expect(readEnvAsComposeV2(r.text)).toEqual({ values: want, errors: [] });
        expect(readEnvAsComposeV1(r.text)).toEqual({ values: want, errors: [] });
        expect(parseEnvFile(r.text).problems).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('the refused set is tiny: values without a `$` that Compose v2 interpolates, a `${…}` or a trailing backslash always pass', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        fc.pre(!ACTIVE_DOLLAR.test(value) && !value.includes('${') && !value.endsWith('\\'));
        expect(encodeEnvValue(value).ok).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Generated secrets, htpasswd lines, URLs, e-mails are always written.
    for (const v of ['admin:$apr1$8EVjn/nj$GiLUZqcbueTFeD23SuB6x0', 'user:$2y$05$R2x5jXM1ZrSVav9LZJy2X.v0IOM3u5JmRy5inA7ksNOOSeE3GA1Se', 'postgres://u:p@db:5432/x?sslmode=require', 'a+b@example.com', 'Zx_-9aB'])
      expect(encodeEnvValue(v).ok).toBe(true);
  });

  it('a NUL is always refused', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        expect(encodeEnvValue(`${a}\0${b}`)).toEqual({ ok: false, reason: 'nul_character' });
      }),
    );
  });
});

describe('property: keys', () => {
  it('a key round-trips exactly when a compose file can use it as ${KEY}; any other is refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]*$/), fc.string({ unit: 'binary', maxLength: 12 })), (key) => {
        const r = writeEnvFile([{ key, value: 'v' }]);
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
          expect(r.ok).toBe(true);
          if (r.ok) expect(parseEnvFile(r.text).entries.map((e) => e.key)).toEqual([key]);
        } else {
          expect(r).toEqual({ ok: false, problems: [{ key, reason: 'bad_key' }] });
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('property: malformed lines are reported with their line numbers, never dropped', () => {
  type Line = { text: string; key?: string; problem?: string; quoted?: boolean };
  const good = fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/), fc.stringMatching(/^[a-z0-9./:@-]{0,8}$/)).map(([k, v]): Line => ({ text: `${k}=${v}`, key: k }));
  const comment = fc.stringMatching(/^[a-z ]{0,12}$/).map((t): Line => ({ text: `# ${t}` }));
  const blank = fc.constantFrom<Line>({ text: '' }, { text: '   ' });
  const bad = fc.oneof(
    fc.constantFrom<Line>(
      { text: 'no equals here', problem: 'no_equals' },
      { text: 'BAD KEY=x', problem: 'bad_key' },
      { text: '=nokey', problem: 'bad_key' },
      { text: 'K!=x', problem: 'bad_key' },
      { text: 'A=${1}', problem: 'bad_interpolation', key: 'A' },
    ),
    fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/).map((k): Line => ({ text: `${k}='never closed`, problem: 'unterminated_quote', quoted: true })),
    fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/).map((k): Line => ({ text: `${k}="x" trailing`, problem: 'trailing_text', key: k, quoted: true })),
  );

  it('every line is an entry, a comment, a blank or a problem at its own line number', () => {
    const file = fc
      .array(fc.oneof(good, comment, blank, bad), { maxLength: 25 })
      // A line that never closes its quote runs to the end of the file, so it is the last quoted one.
      .filter((ls) => {
        const open = ls.findIndex((l) => l.problem === 'unterminated_quote');
        return open < 0 || ls.slice(open + 1).every((l) => !l.quoted);
      })
      // Keys are unique (a duplicate is another problem, tested above).
      .map((ls) => ls.map((l, i) => (l.key && l.problem !== 'bad_interpolation' ? { ...l, key: `${l.key}_${i}`, text: l.text.replace(l.key, `${l.key}_${i}`) } : l)));
    fc.assert(
      fc.property(file, (lines) => {
        const keyed = lines.map((l, i) => (l.problem === 'bad_interpolation' ? { ...l, key: `A_${i}`, text: `A_${i}=\${1}` } : l));
        const r = parseEnvFile(keyed.map((l) => l.text).join('\n'));
        const expectedProblems = keyed.flatMap((l, i) => (l.problem ? [[i + 1, l.problem]] : []));
        expect(r.problems.map((p) => [p.line, p.kind])).toEqual(expectedProblems);
        for (const p of r.problems) expect(p.text).toBe(keyed[p.line - 1]?.text);
        const expectedEntries = keyed.flatMap((l, i) => (l.key ? [[l.key, i + 1]] : []));
        expect(r.entries.map((e) => [e.key, e.line])).toEqual(expectedEntries);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('property: any text parses without throwing', () => {
  it('entries and problems point at lines of the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(nasty, { maxLength: 10 }).map((l) => l.join('\n'))), (text) => {
        const lines = text.replace(/^\ufeff/, '').split('\n').length;
        const r = parseEnvFile(text);
        for (const x of [...r.entries, ...r.problems]) expect(x.line >= 1 && x.line <= lines).toBe(true);
        // A file Compose v2 refuses always has an error-level problem.
        if (readEnvAsComposeV2(text).errors.length > 0) expect(r.problems.some((p) => p.severity === 'error')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: help text and groups round-trip', () => {
  it('what the writer writes, the parser reads back', () => {
    const text = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ,()']{0,30}[A-Za-z0-9)]$/);
    const entries = fc.uniqueArray(
      fc.record({ key: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/), value: fc.stringMatching(/^[a-z0-9 ]{0,6}$/), comment: fc.option(fc.array(text, { minLength: 1, maxLength: 3 }).map((a) => a.join('\n'))), group: fc.option(text) }),
      { selector: (e) => e.key, maxLength: 8 },
    );
    fc.assert(
      fc.property(entries, (list) => {
        const r = writeEnvFile(list);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const back = parseEnvFile(r.text);
        expect(back.problems).toEqual([]);
        let group: string | null = null;
        const expected = list.map((e) => {
          if (e.group) group = e.group;
          return [e.key, e.value, group, e.comment ?? null];
        });
        expect(back.entries.map((e) => [e.key, e.value, e.group, e.comment])).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
