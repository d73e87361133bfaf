// The `.env` file, read and written exactly as Docker Compose reads it.
//
// Two readers matter:
//  - Compose v2 (`docker compose`, what the servers run): compose-go's `dotenv` package
//    (dotenv/parser.go + template/template.go). `readEnvAsComposeV2` is a faithful port of it.
//  - Compose v1 (`docker-compose` 1.29, Debian 12's package): python-dotenv 0.21
//    (dotenv/parser.py + dotenv/variables.py + dotenv/main.py). `readEnvAsComposeV1` is a faithful port.
// The tests hold both ports against the real programs (python-dotenv and `docker-compose config` on
// this machine; a table of answers produced by compose-go's own parser).
//
// Compose v2 rules (compose-go v2):
//  - Blank lines and lines whose first non-space character is `#` are skipped. A UTF-8 BOM is ignored.
//  - `export ` before a key is dropped. A key is letters, digits, `_ . - [ ]` (Unicode letters too);
//    spaces around it are allowed, a space inside it is an error. `KEY: value` (a colon) works like `=`.
//    A key alone on its line (`KEY`) takes its value from the shell environment, or stays unset.
//  - Unquoted value: the rest of the line, cut at the first ` #` (space then hash: inline comment),
//    trimmed; no escapes; `$VAR`, `${VAR}`, `${VAR:-default}`… are interpolated and `$$` is one `$`.
//  - 'single quoted': literal, may span lines; `\'` is a quote, any other backslash stays as it is
//    (so `\\` stays two backslashes). No interpolation.
//  - "double quoted": may span lines; escapes `\n \r \t \a \b \f \v \\ \"`, `\$` (a literal `$`) and
//    `\0oo` (octal); an unknown escape like `\x` stays as written; then interpolation as unquoted.
//  - Anything after the closing quote on that line is read as the next statement (a `# comment` is fine).
//  - An invalid `${…}` (e.g. `${1}`, `${` alone), an unterminated quote or a bad key fails the whole file.
//
// Where Compose v1 (python-dotenv 0.21) differs:
//  - `$$` and `\$` are not escapes: they stay as written (KoproGo's `admin:$$apr1$$…` examples are
//    v2-only: v1 keeps the doubled dollars). `$VAR` is not interpolated, only `${VAR}` and
//    `${VAR:-default}` — and those are interpolated in EVERY form, single quotes included; there is no
//    way to write a literal `${X}` that v1 reads back.
//  - Single quotes decode `\\` to one backslash (v2 keeps both); double quotes decode `\'` too (v2
//    keeps `\'`), not `\$` nor octal.
//  - The file is read with universal newlines: a carriage return anywhere becomes a line break.
//  - The inline comment of an unquoted value starts at any whitespace before `#` (v2: only a space).
//  - Trimming uses Python's whitespace (which includes \x1c-\x1f; Go's does not).
//  - A backslash just before a closing quote escapes it, and the quoted value then runs on to the next
//    quote of the file. `KEY: value` and text after a closing quote make the line an error (skipped
//    with a warning) instead of being read.
//
// Older Compose v2 releases: compose-go before v2.0.0 (Compose before 2.24, early 2024) kept the
// backslash of `\'` inside single quotes, and before v1.16 a backslash before a closing quote was not
// handled; the writer avoids both where it can (see below).
//
// The writer picks, for each value, the first form that BOTH readers read back as exactly that value
// — bare when it is only `[A-Za-z0-9_./:@%+,=-]`, else 'single quotes' (literal in both, `'` as `\'`),
// "double quotes" first when the value has a `'` (escapes `\\ \" \n \r \t` only), and bare again
// for the values only a bare form carries (a trailing backslash) — then checks the whole file again
// with both, and refuses with a reason, never by writing something else, the few values no form
// carries (`EnvWriteReason`): a NUL; a lone surrogate; a `${…}` Compose v1 would expand (v1 has no
// escape for it: `opts.target: 'v2'` lifts this one); a trailing backslash when a bare form is not
// possible (spaces at an end, a line break, a leading quote, ` #`, a `$`); a `$` that v2 interpolates
// together with `\\`, `\'` or a carriage return. A `$` (htpasswd hashes) goes in single quotes, where
// neither reader touches it: the `.env` holds `admin:$apr1$…`, never the `$$` form of compose files.

// ---------------------------------------------------------------------------------------------------
// Public types

export type EnvQuoting = 'none' | 'single' | 'double';

export interface EnvEntry {
  key: string;
  /** The value as Compose v2 reads it: escapes decoded, `$$` → `$`, `${VAR}` taken from earlier keys. */
  value: string;
  /** 1-based line of the key. */
  line: number;
  quoted: EnvQuoting;
  /** The comment block right above the key (and its inline comment): the help text. */
  comment: string | null;
  /** The last section heading above the key (`# === Database ===`, a banner, `## Database`, or a one-line
   *  comment above a run of several keys). */
  group: string | null;
  /** The value exactly as written after `=` (quotes included, inline comment excluded). */
  raw: string;
  /** Variables the value interpolates (`${POSTGRES_USER}` …); empty when it is a plain value. */
  refs: string[];
  /** `KEY` alone on its line: Compose takes the value from the shell environment. */
  inherited?: boolean;
}

export type EnvProblemKind =
  /** A line without `=`: Compose takes `KEY` from the shell; anything else is an error. */
  | 'no_equals'
  /** A key with characters Compose refuses (error), or that a compose file cannot use as `${KEY}` (warning). */
  | 'bad_key'
  | 'unterminated_quote'
  /** Text after a closing quote: Compose v2 reads it as another statement, v1 skips the line. */
  | 'trailing_text'
  /** `KEY: value`: Compose v2 accepts it, v1 does not. */
  | 'colon_separator'
  /** An invalid `${…}`: Compose v2 refuses the whole file. */
  | 'bad_interpolation'
  /** `${VAR:?message}` with VAR not set before: Compose v2 refuses the file unless the shell sets VAR. */
  | 'required_variable'
  /** `$VAR` not defined above in the file: Compose takes it from the shell or uses an empty string. */
  | 'unset_variable'
  /** The key appears again later; the later value wins. */
  | 'duplicate_key'
  /** Compose v1 (docker-compose 1.x) reads this line differently (e.g. `$$`, `$VAR`, `\\` in quotes). */
  | 'v1_differs';

export interface EnvProblem {
  line: number;
  kind: EnvProblemKind;
  /** The source line. */
  text: string;
  severity: 'error' | 'warning';
  key?: string;
}

export interface ParsedEnv {
  /** One entry per key (the last occurrence, the one Compose uses), in file order. */
  entries: EnvEntry[];
  problems: EnvProblem[];
  /** The comment block at the top of the file, separated from the first key by a blank line. */
  header: string | null;
}

// ---------------------------------------------------------------------------------------------------
// Character classes

/** Go's unicode.IsSpace. */
const GO_UNICODE_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's str.isspace / `\s` (note \x1c-\x1f, absent from Go's and JavaScript's). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's `[^\S\r\n]`: whitespace except line breaks. */
const PY_SPACE_NO_NL = '\\t\\v\\f\\x1c-\\x1f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const GO_TRIM_RIGHT = new RegExp(`[${GO_UNICODE_SPACE}]+$`, 'u');
const PY_TRIM_RIGHT = new RegExp(`[${PY_SPACE}]+$`, 'u');
const GO_SPACE_CHAR = new RegExp(`^[${GO_UNICODE_SPACE}]$`, 'u');

/** compose-go's dotenv isSpace: a space but not a line break. */
function isDotenvSpace(c: string): boolean {
  return c === '\t' || c === '\v' || c === '\f' || c === '\r' || c === ' ' || c === '\u0085' || c === '\u00a0';
}

function isGoSpace(c: string): boolean {
  return GO_SPACE_CHAR.test(c);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------------
// Compose v2: compose-go template.Substitute (the interpolation)

// compose-go's DefaultPattern; Go's `(?i:…)` folds like JavaScript's `iu` (ſ matches s, K matches k).
// Go's `.` is "anything but \n", hence `[^\n]`.
const V2_PATTERN_SOURCE = '\\$(?:(\\$)|([_a-z][_a-z0-9]*)|\\{(?:([_a-z][_a-z0-9]*(?::?[-+?]([^\\n]*))?)\\}|()))';
const V2_PATTERN_ONE = new RegExp(V2_PATTERN_SOURCE, 'iu');

/** A `$` that Compose v2 interpolates or unescapes in an unquoted or double-quoted value. */
export const V2_ACTIVE_DOLLAR = /\$(?=[$_a-z{])/iu;
/** What Compose v1 interpolates in every form of value (python-dotenv's _posix_variable). */
export const V1_INTERPOLATION = /\$\{[^}:]*(?::-[^}]*)?\}/u;

type TemplateErrorKind = 'bad_interpolation' | 'required_variable';
interface Interpolation {
  value: string;
  error: TemplateErrorKind | null;
}
interface Lookup {
  get(name: string): string | undefined;
  /** Names looked up (the value's references). */
  refs: Set<string>;
  /** Names looked up plainly (`$X`, `${X}`) and not found: Compose warns and uses ''. */
  missing: Set<string>;
}

const V2_OPERATORS = [':?', '?', ':-', '-', ':+', '+'] as const;
type V2Operator = (typeof V2_OPERATORS)[number];

function substituteV2(template: string, lookup: Lookup): Interpolation {
  let error: TemplateErrorKind | null = null;
  const value = template.replace(new RegExp(V2_PATTERN_SOURCE, 'giu'), (substring: string) => {
    const r = replacementV2(substring, lookup);
    if (r.error && !error) error = r.error;
    return r.value;
  });
  return { value, error };
}

function firstBraceClosingIndex(s: string): number {
  let open = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '}') {
      open--;
      if (open === 0) return i;
    }
    if (s[i] === '{') {
      open++;
      i++;
    }
  }
  return -1;
}

function operatorFor(template: string): V2Operator {
  // getSubstitutionFunctionForTemplate: the operator found first in the template.
  let best: V2Operator = V2_OPERATORS[0];
  let bestIdx = Infinity;
  for (const op of V2_OPERATORS) {
    const idx = template.indexOf(op);
    if (idx >= 0 && idx < bestIdx) {
      best = op;
      bestIdx = idx;
    }
  }
  return best;
}

function partition(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

interface Applied {
  applied: boolean;
  value: string;
  error: TemplateErrorKind | null;
}

function applyOperator(op: V2Operator, substitution: string, lookup: Lookup): Applied {
  if (!substitution.includes(op)) return { applied: false, value: '', error: null };
  const [name, rest] = partition(substitution, op);
  lookup.refs.add(name);
  const value = lookup.get(name);
  const nested = (): Applied => {
    const r = substituteV2(rest, lookup);
    return { applied: true, value: r.error ? '' : r.value, error: r.error };
  };
  switch (op) {
    case ':-':
    case '-':
      return value === undefined || (op === ':-' && value === '') ? nested() : { applied: true, value, error: null };
    case ':+':
    case '+':
      return value !== undefined && (op === '+' || value !== '') ? nested() : { applied: true, value: value ?? '', error: null };
    case ':?':
    case '?': {
      if (value !== undefined && (op === '?' || value !== '')) return { applied: true, value, error: null };
      const message = nested();
      return { applied: true, value: '', error: message.error ?? 'required_variable' };
    }
  }
}

function replacementV2(matched: string, lookup: Lookup): Interpolation {
  const op = operatorFor(matched);
  let substring = matched;
  let rest = '';
  const close = firstBraceClosingIndex(substring);
  if (close > -1) {
    rest = substring.slice(close + 1);
    substring = substring.slice(0, close + 1);
  }
  const m = V2_PATTERN_ONE.exec(substring);
  if (!m) return { value: '', error: 'bad_interpolation' };
  if (m[1]) return { value: m[1], error: null };
  let substitution = m[2] ?? '';
  let braced = false;
  if (!substitution) {
    substitution = m[3] ?? '';
    braced = true;
  }
  if (!substitution) return { value: '', error: 'bad_interpolation' };
  if (braced) {
    const r = applyOperator(op, substitution, lookup);
    if (r.error) return { value: '', error: r.error };
    if (r.applied) {
      const nested = substituteV2(rest, lookup);
      if (nested.error) return { value: '', error: nested.error };
      return { value: r.value + nested.value, error: null };
    }
  }
  lookup.refs.add(substitution);
  const value = lookup.get(substitution);
  if (value === undefined) lookup.missing.add(substitution);
  return { value: value ?? '', error: null };
}

// compose-go's expandEscapes (double-quoted values only).
function expandEscapesV2(s: string): string {
  return s.replace(/\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})/g, (match) => {
    if (match === '\\$') return '$$';
    let m = match;
    if (m.startsWith('\\0')) m = '\\' + m.slice(2);
    return goUnquoteChar(m) ?? m;
  });
}

/** strconv.UnquoteChar(s, '"') for a whole escape sequence; null when Go reports an error. */
function goUnquoteChar(s: string): string | null {
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
  if (s.length === 2 && s[1] !== undefined && simple[s[1]] !== undefined) return simple[s[1]] ?? null;
  const octal = /^\\([0-7]{3})$/.exec(s);
  if (octal?.[1]) {
    const v = parseInt(octal[1], 8);
    // Go: an octal escape above \377 is an error; within, it is a byte (Latin-1 code point for a string).
    return v > 255 ? null : String.fromCharCode(v);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Compose v2: compose-go dotenv parser, one statement at a time

interface V2Binding {
  t: 'binding';
  /** Where the statement (key, or `export`) starts. */
  start: number;
  key: string;
  sep: '=' | ':';
  quote: "'" | '"' | null;
  /** After quote scanning (quoted) or cut + trim (unquoted); before escapes and interpolation. */
  text: string;
  /** The value as written (quotes included). */
  raw: string;
  /** Where parsing continues (after the closing quote, or after the line break of an unquoted value). */
  next: number;
  /** The ` #` comment of an unquoted value. */
  inlineComment: string | null;
}
interface V2Inherited {
  t: 'inherited';
  start: number;
  key: string;
  next: number;
  /** The key reached the end of the file without a line break (compose-go then misreads it). */
  atEof: boolean;
}
interface V2Error {
  t: 'error';
  start: number;
  at: number;
  kind: 'bad_key' | 'no_equals' | 'unterminated_quote';
}
type V2Statement = V2Binding | V2Inherited | V2Error | { t: 'end' };

const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;

/** getStatementStart: skips whitespace and comment lines; returns the text length at the end. */
function statementStartV2(text: string, pos: number): number {
  let p = pos;
  for (;;) {
    while (p < text.length) {
      const cp = text.codePointAt(p) ?? 0;
      const ch = String.fromCodePoint(cp);
      if (!isGoSpace(ch)) break;
      p += ch.length;
    }
    if (p >= text.length) return text.length;
    if (text[p] !== '#') return p;
    const nl = text.indexOf('\n', p);
    if (nl < 0) return text.length;
    p = nl;
  }
}

function statementV2(text: string, pos: number): V2Statement {
  const start = statementStartV2(text, pos);
  if (start >= text.length) return { t: 'end' };
  let p = start;
  if (/^export[\t\n\f\r ]+/.test(text.slice(p, p + 64))) {
    p += 'export'.length;
    while (p < text.length && isDotenvSpace(text[p] ?? '')) p++;
    // `export` and spaces at the very end: compose-go fails ("zero length string").
    if (p >= text.length) return { t: 'error', start, at: start, kind: 'bad_key' };
  }
  // locateKeyName
  let keyEnd = -1;
  let sepChar = '';
  for (let i = p; i < text.length; ) {
    const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
    if (isDotenvSpace(ch)) {
      i += ch.length;
      continue;
    }
    if (ch === '=' || ch === ':' || ch === '\n') {
      keyEnd = i;
      sepChar = ch;
      break;
    }
    if (KEY_CHAR.test(ch)) {
      i += ch.length;
      continue;
    }
    // A character no key may hold: a bad key if the line has a separator, else a line without `=`.
    const lineEnd = text.indexOf('\n', i);
    const restOfLine = text.slice(p, lineEnd < 0 ? text.length : lineEnd);
    return { t: 'error', start, at: i, kind: restOfLine.includes('=') || restOfLine.includes(':') ? 'bad_key' : 'no_equals' };
  }
  if (keyEnd < 0) {
    // The key runs to the end of the file without `=` or a line break.
    return { t: 'inherited', start, key: text.slice(p).replace(GO_TRIM_RIGHT, ''), next: text.length, atEof: true };
  }
  const key = text.slice(p, keyEnd).replace(GO_TRIM_RIGHT, '');
  if (sepChar === '\n') {
    if (key.includes(' ')) return { t: 'error', start, at: keyEnd, kind: 'no_equals' };
    return { t: 'inherited', start, key, next: keyEnd + 1, atEof: false };
  }
  if (key.includes(' ')) return { t: 'error', start, at: keyEnd, kind: 'bad_key' };
  let v = keyEnd + 1;
  while (v < text.length && isDotenvSpace(text[v] ?? '')) v++;
  const sep = sepChar as '=' | ':';
  const q = text[v];
  if (q !== '"' && q !== "'") {
    const nl = text.indexOf('\n', v);
    const line = text.slice(v, nl < 0 ? text.length : nl);
    const cut = line.indexOf(' #');
    const value = (cut < 0 ? line : line.slice(0, cut)).replace(GO_TRIM_RIGHT, '');
    const inlineComment = cut < 0 ? null : line.slice(cut + 2).trim() || null;
    return { t: 'binding', start, key, sep, quote: null, text: value, raw: value, next: nl < 0 ? text.length : nl + 1, inlineComment };
  }
  let escaped = false;
  let chars = '';
  for (let i = v + 1; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c !== q) {
      if (!escaped && c === '\\') {
        escaped = true;
        continue;
      }
      if (escaped) {
        escaped = false;
        chars += '\\';
      }
      chars += c;
      continue;
    }
    if (escaped) {
      escaped = false;
      chars += c;
      continue;
    }
    return { t: 'binding', start, key, sep, quote: q, text: chars, raw: text.slice(v, i + 1), next: i + 1, inlineComment: null };
  }
  return { t: 'error', start, at: v, kind: 'unterminated_quote' };
}

function v2Value(b: V2Binding, lookup: Lookup): Interpolation {
  if (b.quote === "'") return { value: b.text, error: null };
  return substituteV2(b.quote === '"' ? expandEscapesV2(b.text) : b.text, lookup);
}

export interface ComposeRead {
  /** Keys and values in the order Compose first sets them; `null`: a key without a value (v1 only). */
  values: Map<string, string | null>;
  /** Compose v2: the error that makes it refuse the file (at most one). Compose v1: the lines it skipped. */
  errors: Array<{ line: number; kind: string }>;
}

/**
 * Reads an env file exactly as Compose v2 (compose-go's dotenv) does: the first error stops it (and
 * Compose refuses the file). `env` is the shell environment it looks variables up in first.
 */
export function readEnvAsComposeV2(input: string, env: Readonly<Record<string, string>> = {}): ComposeRead {
  const text = stripBom(input);
  const values = new Map<string, string | null>();
  const lines = lineIndex(text);
  const get = (k: string): string | undefined => (Object.prototype.hasOwnProperty.call(env, k) ? env[k] : (values.get(k) ?? undefined));
  let pos = 0;
  for (;;) {
    const st = statementV2(text, pos);
    if (st.t === 'end') break;
    if (st.t === 'error') return { values, errors: [{ line: lines.lineOf(st.at), kind: st.kind }] };
    if (st.t === 'inherited') {
      if (st.atEof) {
        // compose-go quirk: a last line `KEY` without a line break sets the empty key to "KEY".
        const cut = st.key.indexOf(' #');
        const r = substituteV2((cut < 0 ? st.key : st.key.slice(0, cut)).replace(GO_TRIM_RIGHT, ''), { get, refs: new Set(), missing: new Set() });
        if (r.error) return { values, errors: [{ line: lines.lineOf(st.start), kind: r.error }] };
        values.set('', r.value);
      } else {
        const v = get(st.key);
        if (v !== undefined) values.set(st.key, v);
      }
      pos = st.next;
      continue;
    }
    const r = v2Value(st, { get, refs: new Set(), missing: new Set() });
    if (r.error) return { values, errors: [{ line: lines.lineOf(st.start), kind: r.error }] };
    values.set(st.key, r.value);
    pos = st.next;
  }
  return { values, errors: [] };
}

// ---------------------------------------------------------------------------------------------------
// Compose v1: python-dotenv 0.21 (parser.py, variables.py, main.py resolve_variables)

const PY = {
  multilineWhitespace: new RegExp(`[${PY_SPACE}]*`, 'uy'),
  export: new RegExp(`(?:export[${PY_SPACE_NO_NL}]+)?`, 'uy'),
  singleQuotedKey: /'([^']+)'/uy,
  unquotedKey: new RegExp(`([^=#${PY_SPACE}]+)`, 'uy'),
  whitespace: new RegExp(`[${PY_SPACE_NO_NL}]*`, 'uy'),
  equalSign: new RegExp(`(=[${PY_SPACE_NO_NL}]*)`, 'uy'),
  singleQuotedValue: /'((?:\\'|[^'])*)'/uy,
  doubleQuotedValue: /"((?:\\"|[^"])*)"/uy,
  unquotedValue: /([^\r\n]*)/uy,
  comment: new RegExp(`(?:[${PY_SPACE_NO_NL}]*#[^\\r\\n]*)?`, 'uy'),
  endOfLine: new RegExp(`[${PY_SPACE_NO_NL}]*(?:\\r\\n|\\n|\\r|$)`, 'uy'),
  restOfLine: /[^\r\n]*(?:\r|\n|\r\n)?/uy,
  inlineComment: new RegExp(`[${PY_SPACE}]+#`, 'u'),
};
const PY_DOUBLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

class PyReader {
  pos = 0;
  line = 1;
  constructor(readonly s: string) {}
  read(re: RegExp): string[] {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) throw new PyParseError();
    this.line += (m[0].match(/\r\n|\n|\r/g) ?? []).length;
    this.pos += m[0].length;
    return m.slice(1).map((g) => g ?? '');
  }
  peek(n: number): string {
    return this.s.slice(this.pos, this.pos + n);
  }
}
class PyParseError extends Error {}

interface PyBinding {
  key: string | null;
  value: string | null;
  line: number;
  error: boolean;
}

function pyParseValue(r: PyReader): string {
  const c = r.peek(1);
  if (c === "'") return (r.read(PY.singleQuotedValue)[0] ?? '').replace(/\\[\\']/g, (m) => m[1] ?? '');
  if (c === '"') return (r.read(PY.doubleQuotedValue)[0] ?? '').replace(/\\[\\'"abfnrtv]/g, (m) => PY_DOUBLE_ESCAPES[m[1] ?? ''] ?? m);
  if (c === '' || c === '\n' || c === '\r') return '';
  const part = r.read(PY.unquotedValue)[0] ?? '';
  const cut = part.search(PY.inlineComment);
  return (cut < 0 ? part : part.slice(0, cut)).replace(PY_TRIM_RIGHT, '');
}

function pyParseBinding(r: PyReader): PyBinding {
  const line = r.line;
  try {
    r.read(PY.multilineWhitespace);
    if (r.pos >= r.s.length) return { key: null, value: null, line, error: false };
    r.read(PY.export);
    let key: string | null;
    const c = r.peek(1);
    if (c === '#') key = null;
    else if (c === "'") key = r.read(PY.singleQuotedKey)[0] ?? '';
    else key = r.read(PY.unquotedKey)[0] ?? '';
    r.read(PY.whitespace);
    let value: string | null = null;
    if (r.peek(1) === '=') {
      r.read(PY.equalSign);
      value = pyParseValue(r);
    }
    r.read(PY.comment);
    r.read(PY.endOfLine);
    return { key, value, line, error: false };
  } catch (e) {
    if (!(e instanceof PyParseError)) throw e;
    r.read(PY.restOfLine);
    return { key: null, value: null, line, error: true };
  }
}

/**
 * Reads an env file exactly as Compose v1 (docker-compose 1.x, python-dotenv 0.21) does. Lines it cannot
 * parse are skipped (python-dotenv warns); `env` is the shell environment, which `${VAR}` also reads.
 */
export function readEnvAsComposeV1(input: string, env: Readonly<Record<string, string>> = {}): ComposeRead {
  // encoding='utf-8-sig' drops a BOM; text mode turns \r\n and \r into \n (universal newlines).
  const r = new PyReader(stripBom(input).replace(/\r\n?/g, '\n'));
  const values = new Map<string, string | null>();
  const errors: ComposeRead['errors'] = [];
  while (r.pos < r.s.length) {
    const b = pyParseBinding(r);
    if (b.error) errors.push({ line: b.line, kind: 'parse' });
    if (b.key === null) continue;
    // resolve_variables(override=True): earlier keys of the file win over the shell environment.
    const lookup = (name: string): string | null | undefined => (values.has(name) ? values.get(name) : Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);
    const value = b.value === null ? null : b.value.replace(/\$\{([^}:]*)(?::-([^}]*))?\}/gu, (_m, name: string, def: string | undefined) => {
      const v = lookup(name);
      return v === undefined ? (def ?? '') : (v ?? '');
    });
    values.set(b.key, value);
  }
  return { values, errors };
}

// ---------------------------------------------------------------------------------------------------
// The parser the app uses: Compose v2's reading, every problem reported with its line, comments kept

function lineIndex(text: string): { lineOf(pos: number): number; starts: number[] } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return {
    starts,
    lineOf(pos: number): number {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= pos) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}

type CommentKind = 'rule' | 'heading' | 'text' | 'empty' | 'assignment';
interface CommentLine {
  kind: CommentKind;
  text: string;
}

/** Classifies one comment line for help text and section headings. */
function classifyComment(line: string): CommentLine {
  const m = /^\s*(#+)(.*)$/u.exec(line);
  const hashes = m?.[1]?.length ?? 0;
  const body = (m?.[2] ?? '').trim();
  if (body === '') return { kind: hashes >= 3 ? 'rule' : 'empty', text: '' };
  if (/^[=\-*~_#+]{3,}$/u.test(body)) return { kind: 'rule', text: '' };
  const decorated = /^[=\-*~#]{2,}\s+(.+?)(?:\s+[=\-*~#]{2,})?$/u.exec(body);
  if (decorated?.[1]) return { kind: 'heading', text: decorated[1].trim() };
  if (/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=/u.test(body)) return { kind: 'assignment', text: body };
  if (hashes >= 2 && !/^[=\-*~#]/u.test(body)) return { kind: 'heading', text: body };
  return { kind: 'text', text: body };
}

interface BlockReading {
  /** Headings in the block, in order. */
  headings: string[];
  /** Text lines after the last heading or rule. */
  help: string | null;
  /** The whole block's text (for the file header). */
  all: string | null;
}

function joinHelp(lines: CommentLine[]): string | null {
  const texts = lines.filter((l) => l.kind === 'text' || l.kind === 'empty').map((l) => l.text);
  while (texts.length > 0 && texts[0] === '') texts.shift();
  while (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
  return texts.length > 0 ? texts.join('\n') : null;
}

function readBlock(block: CommentLine[]): BlockReading {
  const headings: string[] = [];
  let boundary = -1;
  for (let i = 0; i < block.length; i++) {
    const l = block[i];
    if (!l) continue;
    if (l.kind === 'heading') {
      headings.push(l.text);
      boundary = i;
    } else if (l.kind === 'rule') {
      boundary = i;
      // A banner: rule, text…, rule — the first text line is the heading.
      let j = i + 1;
      while (j < block.length && (block[j]?.kind === 'text' || block[j]?.kind === 'empty')) j++;
      const first = block.slice(i + 1, j).find((x) => x.kind === 'text');
      if (j < block.length && block[j]?.kind === 'rule' && first) {
        headings.push(first.text);
        boundary = j;
        i = j;
      }
    }
  }
  return { headings, help: joinHelp(block.slice(boundary + 1)), all: joinHelp(block) };
}

/** A short label, not a sentence: `PostgreSQL`, `Traefik configuration`, `Backend (1 vCPU / 2 GB)`. */
function isSectionLabel(text: string): boolean {
  return !text.includes('\n') && text.length <= 48 && !/[.!?:]$/u.test(text);
}

function isReferenceableKey(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
}

/**
 * Parses an env file (an example, or a `.env` from the server) as Compose v2 reads it. Nothing is dropped
 * silently: each line Compose would refuse, skip or read surprisingly is a problem with its line number;
 * parsing goes on at the next line. Comments become help text and section groups.
 */
export function parseEnvFile(input: string, opts: { env?: Readonly<Record<string, string>> } = {}): ParsedEnv {
  const text = stripBom(input);
  const env = opts.env ?? {};
  const idx = lineIndex(text);
  const sourceLines = text.split('\n');
  const lineText = (n: number): string => (sourceLines[n - 1] ?? '').replace(/\r$/, '');
  const problems: EnvProblem[] = [];
  const problem = (line: number, kind: EnvProblemKind, severity: 'error' | 'warning', key?: string): void => {
    problems.push({ line, kind, text: lineText(line), severity, ...(key !== undefined ? { key } : {}) });
  };

  interface Found {
    entry: EnvEntry;
    inline: string | null;
  }
  const found: Found[] = [];
  const values = new Map<string, string>();
  /** Lines that belong to statements or skipped errors (neither comments nor blank). */
  const used = new Set<number>();
  const markUsed = (from: number, to: number): void => {
    for (let l = from; l <= to; l++) used.add(l);
  };
  const get = (k: string): string | undefined => (Object.prototype.hasOwnProperty.call(env, k) ? env[k] : values.get(k));

  let pos = 0;
  for (;;) {
    const st = statementV2(text, pos);
    if (st.t === 'end') break;
    const line = idx.lineOf(st.start);
    if (st.t === 'error') {
      problem(idx.lineOf(st.kind === 'unterminated_quote' ? st.start : st.at), st.kind, 'error');
      // Go on at the next line after the one where the error is.
      const errLine = idx.lineOf(st.at);
      markUsed(line, errLine);
      pos = idx.starts[errLine] ?? text.length;
      continue;
    }
    if (st.t === 'inherited') {
      markUsed(line, line);
      if (st.key === '') problem(line, 'bad_key', 'error');
      else if (st.key.includes(' ')) problem(line, 'no_equals', 'error');
      else {
        problem(line, 'no_equals', 'warning', st.key);
        found.push({ entry: { key: st.key, value: get(st.key) ?? '', line, quoted: 'none', comment: null, group: null, raw: '', refs: [], inherited: true }, inline: null });
      }
      pos = st.next;
      continue;
    }
    // A binding.
    let next = st.next;
    let inline = st.inlineComment;
    let endLine = idx.lineOf(Math.max(st.start, next - 1));
    if (st.quote) {
      // What follows the closing quote on its line: spaces, then nothing or a comment.
      const nl = text.indexOf('\n', next);
      const tail = text.slice(next, nl < 0 ? text.length : nl);
      const t = tail.replace(/^[\t\v\f\r \u0085\u00a0]+/u, '');
      if (t.startsWith('#')) inline = t.slice(1).trim() || null;
      else if (t.replace(GO_TRIM_RIGHT, '') !== '') problem(endLine, 'trailing_text', 'error', st.key);
      next = nl < 0 ? text.length : nl + 1;
      endLine = idx.lineOf(Math.max(st.start, next - 1));
    }
    markUsed(line, endLine);
    if (st.key === '') {
      problem(line, 'bad_key', 'error');
      pos = next;
      continue;
    }
    if (!isReferenceableKey(st.key)) problem(line, 'bad_key', 'warning', st.key);
    if (st.sep === ':') problem(line, 'colon_separator', 'warning', st.key);
    const lookup: Lookup = { get, refs: new Set(), missing: new Set() };
    const r = v2Value(st, lookup);
    let value = r.value;
    if (r.error) {
      problem(line, r.error, 'error', st.key);
      value = st.text;
    } else if (lookup.missing.size > 0) {
      problem(line, 'unset_variable', 'warning', st.key);
    }
    values.set(st.key, value);
    const quoted: EnvQuoting = st.quote === "'" ? 'single' : st.quote === '"' ? 'double' : 'none';
    found.push({ entry: { key: st.key, value, line, quoted, comment: null, group: null, raw: st.raw, refs: [...lookup.refs] }, inline });
    pos = next;
  }

  // Comments and groups, line by line.
  const byLine = new Map(found.map((f) => [f.entry.line, f]));
  let group: string | null = null;
  let header: string | null = null;
  let seenKey = false;
  let block: CommentLine[] = [];
  for (let n = 1; n <= sourceLines.length; n++) {
    const f = byLine.get(n);
    if (f) {
      const reading = readBlock(block);
      if (reading.headings.length > 0) group = reading.headings[reading.headings.length - 1] ?? group;
      let help = reading.help;
      // A lone short comment line that opens a paragraph of keys names it (`# PostgreSQL` above three keys).
      const opensParagraph = n === 2 || lineText(n - 2).trim() === '';
      if (reading.headings.length === 0 && block.length === 1 && opensParagraph && help !== null && isSectionLabel(help) && byLine.has(n + 1)) {
        group = help;
        help = null;
      }
      f.entry.group = group;
      f.entry.comment = [help, f.inline].filter((x): x is string => x !== null).join('\n') || null;
      block = [];
      seenKey = true;
      continue;
    }
    if (used.has(n)) {
      block = [];
      continue;
    }
    const raw = lineText(n);
    if (raw.trim() !== '') {
      block.push(classifyComment(raw));
      continue;
    }
    if (block.length > 0) {
      const reading = readBlock(block);
      // The first block of the file, apart from the keys, is its header (a title banner is not a section).
      if (!seenKey && header === null && reading.all !== null) header = reading.all;
      else if (reading.headings.length > 0) group = reading.headings[reading.headings.length - 1] ?? group;
    }
    block = [];
  }

  // Duplicates: the last one wins, as in Compose.
  const last = new Map<string, Found>();
  for (const f of found) {
    const prev = last.get(f.entry.key);
    if (prev) problem(prev.entry.line, 'duplicate_key', 'warning', prev.entry.key);
    last.set(f.entry.key, f);
  }
  const entries = found.filter((f) => last.get(f.entry.key) === f).map((f) => f.entry);

  // Lines Compose v1 reads differently.
  const v1 = readEnvAsComposeV1(input, env);
  const problemLines = new Set(problems.map((p) => p.line));
  for (const e of entries) {
    if (e.inherited || problemLines.has(e.line)) continue;
    if (v1.values.get(e.key) !== e.value) problem(e.line, 'v1_differs', 'warning', e.key);
  }
  problems.sort((a, b) => a.line - b.line);
  return { entries, problems, header };
}

// ---------------------------------------------------------------------------------------------------
// Merge: the `.env` on the server with a newer example

export interface EnvMerge {
  /** Keys in both: the example's entry (help, group, order) with the existing value. */
  kept: EnvEntry[];
  /** In the example only: to ask the user (the example's value is a default or a placeholder). */
  added: EnvEntry[];
  /** In the existing file only: shown, not written unless the user keeps them. */
  removed: EnvEntry[];
}

function isEntryList(x: ParsedEnv | readonly EnvEntry[]): x is readonly EnvEntry[] {
  return Array.isArray(x);
}

export function mergeEnv(existing: ParsedEnv | readonly EnvEntry[], example: ParsedEnv | readonly EnvEntry[]): EnvMerge {
  const ex: readonly EnvEntry[] = isEntryList(existing) ? existing : existing.entries;
  const sample: readonly EnvEntry[] = isEntryList(example) ? example : example.entries;
  const have = new Map(ex.map((e) => [e.key, e]));
  const wanted = new Set(sample.map((e) => e.key));
  const kept: EnvEntry[] = [];
  const added: EnvEntry[] = [];
  for (const e of sample) {
    const cur = have.get(e.key);
    if (!cur) {
      added.push(e);
      continue;
    }
    const { inherited: _exampleInherited, ...rest } = e;
    kept.push({ ...rest, value: cur.value, quoted: cur.quoted, raw: cur.raw, refs: cur.refs, ...(cur.inherited ? { inherited: true } : {}) });
  }
  return { kept, added, removed: ex.filter((e) => !wanted.has(e.key)) };
}

// ---------------------------------------------------------------------------------------------------
// The writer

export type EnvWriteReason =
  /** Not `[A-Za-z_][A-Za-z0-9_]*`: a compose file could not use it as `${KEY}`. */
  | 'bad_key'
  | 'duplicate_key'
  /** A NUL character: no environment variable can hold one. */
  | 'nul_character'
  /** A lone UTF-16 surrogate: not representable in a UTF-8 file. */
  | 'invalid_unicode'
  /** `${…}` as Compose v1 reads it: v1 expands it in every form of value and has no escape for it. */
  | 'v1_interpolation'
  /** Ends with a backslash and cannot be written bare (a backslash before the closing quote escapes it). */
  | 'trailing_backslash'
  /** A `$` Compose v2 would interpolate (so only single quotes carry it) together with `\\` or `\'`,
   *  which single quotes read differently in v1 and v2. */
  | 'dollar_with_backslash'
  /** Such a `$` with a carriage return, which single quotes cannot carry through v1's universal newlines. */
  | 'dollar_with_carriage_return'
  /** None of the above, yet no form reads back the same in both (not expected; kept for safety). */
  | 'no_safe_quoting';

export interface EnvWriteEntry {
  key: string;
  value: string;
  /** Written verbatim after `KEY=` instead of `value` (a value that interpolates other keys, kept as the
   *  example wrote it); only checked to parse without error. */
  raw?: string;
  comment?: string | null;
  group?: string | null;
}

export interface EnvWriteOptions {
  /** A comment written at the top of the file. */
  header?: string | null;
  /** 'both' (default): Compose v1 and v2 read back the same values. 'v2': only Compose v2 matters. */
  target?: 'both' | 'v2';
}

export type EnvWriteResult = { ok: true; text: string } | { ok: false; problems: Array<{ key: string; reason: EnvWriteReason }> };

export type EncodedValue = { ok: true; text: string; quoted: EnvQuoting } | { ok: false; reason: EnvWriteReason };

const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\r': '\\r', '\n': '\\n', '\t': '\\t' };
const SAFE_BARE = /^[A-Za-z0-9_./:@%+,=-]+$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function readsBack(line: string, value: string, target: 'both' | 'v2'): boolean {
  const v2 = readEnvAsComposeV2(`K=${line}\n`);
  if (v2.errors.length > 0 || v2.values.size !== 1 || v2.values.get('K') !== value) return false;
  if (target === 'v2') return true;
  const v1 = readEnvAsComposeV1(`K=${line}\n`);
  return v1.errors.length === 0 && v1.values.size === 1 && v1.values.get('K') === value;
}

/** How `value` is written after `KEY=` so that Compose reads it back unchanged (or why it cannot be). */
export function encodeEnvValue(value: string, target: 'both' | 'v2' = 'both'): EncodedValue {
  if (value.includes('\0')) return { ok: false, reason: 'nul_character' };
  if (LONE_SURROGATE.test(value)) return { ok: false, reason: 'invalid_unicode' };
  if (target === 'both' && V1_INTERPOLATION.test(value)) return { ok: false, reason: 'v1_interpolation' };
  const single: [string, EnvQuoting] = [`'${value.replace(/'/g, "\\'")}'`, 'single'];
  const double: [string, EnvQuoting] = [`"${value.replace(/[\\"\r\n\t]/g, (c) => DOUBLE_QUOTE_ESCAPES[c] ?? c)}"`, 'double'];
  // Double quotes first for a value with a quote: compose-go before v2.0.0 (Compose < 2.24) kept
  // the backslash of `\'` in single quotes.
  // A backslash just before the closing quote: Compose v1 takes it as an escaped quote and runs on to
  // the next quote of the file, so only a bare value can end with a backslash.
  const quoted = value.endsWith('\\') ? [] : value.includes("'") ? [double, single] : [single, double];
  const candidates: Array<[string, EnvQuoting]> = [...quoted];
  if (value === '' || SAFE_BARE.test(value)) candidates.unshift([value, 'none']);
  candidates.push([value, 'none']);
  for (const [text, quoted] of candidates) if (readsBack(text, value, target)) return { ok: true, text, quoted };
  if (value.endsWith('\\')) return { ok: false, reason: 'trailing_backslash' };
  if (V2_ACTIVE_DOLLAR.test(value) && /\\\\|\\'/.test(value)) return { ok: false, reason: 'dollar_with_backslash' };
  if (V2_ACTIVE_DOLLAR.test(value) && value.includes('\r')) return { ok: false, reason: 'dollar_with_carriage_return' };
  return { ok: false, reason: 'no_safe_quoting' };
}

function commentLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((l) => (l.trim() === '' ? '#' : `# ${l.replace(/\s+$/u, '')}`));
}

/**
 * Serialises a `.env` that Compose reads back exactly as these values (v1 and v2 by default), with
 * comments and section headings. Refuses, with a reason per key, the values no form carries.
 */
export function writeEnvFile(entries: readonly EnvWriteEntry[], opts: EnvWriteOptions = {}): EnvWriteResult {
  const target = opts.target ?? 'both';
  const problems: Array<{ key: string; reason: EnvWriteReason }> = [];
  const seen = new Set<string>();
  const out: string[] = [];
  if (opts.header) out.push(...commentLines(opts.header), '');
  let group: string | null = null;
  let previousWasEntry = false;
  let previousHadComment = false;
  for (const e of entries) {
    if (!isReferenceableKey(e.key) || seen.has(e.key)) {
      problems.push({ key: e.key, reason: seen.has(e.key) ? 'duplicate_key' : 'bad_key' });
      continue;
    }
    seen.add(e.key);
    const enc: EncodedValue = e.raw !== undefined ? (/[\r\n\0]/.test(e.raw) ? { ok: false, reason: 'no_safe_quoting' } : { ok: true, text: e.raw, quoted: 'none' }) : encodeEnvValue(e.value, target);
    if (!enc.ok) {
      problems.push({ key: e.key, reason: enc.reason });
      continue;
    }
    const g = e.group ? e.group.replace(/[\r\n]+/g, ' ').trim() : null;
    if (g && g !== group) {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      out.push(`# === ${g} ===`);
      group = g;
      previousWasEntry = false;
    }
    const hasComment = !!e.comment && e.comment.trim() !== '';
    // A commented entry stands in its own paragraph, so its help is never read as a section label.
    if (previousWasEntry && (hasComment || previousHadComment)) out.push('');
    if (hasComment) out.push(...commentLines(e.comment ?? ''));
    out.push(`${e.key}=${enc.text}`);
    previousWasEntry = true;
    previousHadComment = hasComment;
  }
  if (problems.length > 0) return { ok: false, problems };
  const text = out.join('\n') + '\n';
  // The whole file, read back by both: values must be exactly the entries, nothing more.
  const checks = target === 'both' ? [readEnvAsComposeV2(text), readEnvAsComposeV1(text)] : [readEnvAsComposeV2(text)];
  for (const r of checks) {
    const bad = entries.filter((e) => e.raw === undefined && r.values.get(e.key) !== e.value).map((e) => ({ key: e.key, reason: 'no_safe_quoting' as const }));
    if (bad.length > 0 || r.errors.length > 0 || r.values.size !== entries.length) {
      return { ok: false, problems: bad.length > 0 ? bad : entries.map((e) => ({ key: e.key, reason: 'no_safe_quoting' as const })) };
    }
  }
  return { ok: true, text };
}
