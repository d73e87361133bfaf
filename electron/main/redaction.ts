import { inspect } from 'node:util';

// Masking secret values wherever text leaves the app (log file, UI events, error envelopes, plans).
//
// A secret rarely travels as its exact literal: it is JSON-escaped inside a logged object, URL-encoded in
// a query, base64-encoded in a header or a file, shell-quoted in a script, split into lines (a private
// key), or cut in two by the SSH channel that streams it. So each registered secret is expanded into the
// forms it commonly takes, objects are redacted value by value *before* they are formatted, and streams go
// through a redactor that holds back the end of a chunk while it could still be the start of a secret.
// Written here because no maintained npm package does multi-encoding, streaming secret redaction; the
// matching itself is one JavaScript regular expression (longest alternative first).

export const MASK = '••••••';

/**
 * Shorter secrets are not masked: masking every occurrence of a short value also masks ordinary words
 * (a user name `koprogo` once masked `hostnamectl set-hostname ••••••-prod`). They are reported instead.
 */
export const MIN_SECRET_LENGTH = 8;

export type RegisterResult =
  | { status: 'registered'; forms: number }
  | { status: 'too_short'; length: number }
  | { status: 'empty' };

const PEM_ARMOUR = /^-{3,}\s*(BEGIN|END)\b.*-{3,}$/u;

/** Lines of a multi-line secret worth masking on their own: key material, not structure or comments. */
function secretLines(secret: string): string[] {
  if (!/[\r\n]/u.test(secret)) return [];
  return secret
    .split(/\r?\n|\r/u)
    .map((l) => l.trim())
    .filter((l) => l.length >= MIN_SECRET_LENGTH && !/\s/u.test(l) && !l.startsWith('#') && !PEM_ARMOUR.test(l));
}

/** The parts of base64(prefix + secret + suffix) that depend on the secret alone, for each alignment. */
function base64Cores(secret: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), secret]);
    const whole = Math.floor(padded.length / 3) * 3;
    // Groups of 3 bytes that hold secret bytes only: from the first full group after the offset.
    const start = offset === 0 ? 0 : 3;
    if (whole - start <= 0) continue;
    const core = padded.subarray(start, whole).toString('base64');
    out.push(core, core.replace(/\+/gu, '-').replace(/\//gu, '_'));
  }
  return out;
}

/** The common encodings of one value (the value itself included). */
export function encodedForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  forms.add(json);
  forms.add(JSON.stringify(json).slice(1, -1)); // JSON inside a JSON string
  forms.add(inspect(value).slice(1, -1)); // util.inspect, whatever quote it picked
  try {
    forms.add(encodeURIComponent(value));
    forms.add(encodeURI(value));
  } catch {
    /* a lone surrogate cannot be URL-encoded, so it never travels that way */
  }
  forms.add(new URLSearchParams({ v: value }).toString().slice(2)); // form encoding (space as +)
  forms.add(value.replace(/'/gu, `'\\''`)); // inside shell single quotes (ssh/quote.ts)
  const bytes = Buffer.from(value, 'utf8');
  const b64 = bytes.toString('base64');
  forms.add(b64);
  forms.add(b64.replace(/=+$/u, ''));
  forms.add(bytes.toString('base64url'));
  for (const core of base64Cores(bytes)) forms.add(core);
  forms.add(bytes.toString('hex'));
  return [...forms];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
}

/** A set of secrets and the matcher built from all their forms. */
export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly patterns = new Set<string>();
  private matcher: RegExp | null = null;
  private byFirstChar: Map<string, string[]> | null = null;
  private longest = 0;

  register(value: string, opts: { minLength?: number } = {}): RegisterResult {
    const min = Math.max(opts.minLength ?? MIN_SECRET_LENGTH, MIN_SECRET_LENGTH);
    if (value.trim() === '') return { status: 'empty' };
    const lines = secretLines(value);
    const whole = value.length >= min;
    if (!whole && lines.length === 0) return { status: 'too_short', length: value.length };
    if (this.secrets.has(value)) return { status: 'registered', forms: 0 };
    this.secrets.add(value);
    let added = 0;
    const candidates = [...(whole ? encodedForms(value) : []), ...(value.trim() !== value && value.trim().length >= min ? encodedForms(value.trim()) : []), ...lines.flatMap(encodedForms)];
    for (const form of candidates) {
      if (form.length < MIN_SECRET_LENGTH || this.patterns.has(form)) continue;
      this.patterns.add(form);
      added++;
    }
    if (added > 0) {
      this.matcher = null;
      this.byFirstChar = null;
    }
    return { status: 'registered', forms: added };
  }

  /** Length of the longest form: how much of a stream can be one secret. */
  get maxLength(): number {
    this.build();
    return this.longest;
  }

  get size(): number {
    return this.secrets.size;
  }

  private build(): RegExp | null {
    if (this.matcher || this.patterns.size === 0) return this.matcher;
    const sorted = [...this.patterns].sort((a, b) => b.length - a.length);
    this.longest = sorted[0]?.length ?? 0;
    this.matcher = new RegExp(sorted.map(escapeRegExp).join('|'), 'gu');
    const index = new Map<string, string[]>();
    for (const p of sorted) {
      const first = p[0]!;
      const list = index.get(first);
      if (list) list.push(p);
      else index.set(first, [p]);
    }
    this.byFirstChar = index;
    return this.matcher;
  }

  redact(text: string): string {
    const re = this.build();
    if (!re || text.length === 0) return text;
    re.lastIndex = 0;
    return text.replace(re, MASK);
  }

  /** True when `tail` (the end of a stream so far) could be the beginning of a secret form. */
  couldStartSecret(tail: string): boolean {
    this.build();
    const list = this.byFirstChar?.get(tail[0] ?? '');
    if (!list) return false;
    for (const p of list) if (p.length > tail.length && p.startsWith(tail)) return true;
    return false;
  }

  /** End offsets of the matches in `text` that start before `before` and end after it. */
  matchEndingAfter(text: string, before: number): number | null {
    const re = this.build();
    if (!re) return null;
    re.lastIndex = 0;
    let end: number | null = null;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m.index >= before) break;
      const e = m.index + m[0].length;
      if (e > before) end = Math.max(end ?? 0, e);
    }
    return end;
  }

  /**
   * A deep copy of `value` with every string (and object key) redacted: done before formatting, because
   * formatting escapes quotes and backslashes and the literal would no longer match.
   */
  redactValue<T>(value: T, maxDepth = 8): T {
    return this.walk(value, maxDepth, new WeakMap()) as T;
  }

  private walk(value: unknown, depth: number, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return seen.get(value);
    if (depth <= 0) return '[…]';
    if (value instanceof Date) return value;
    // Bytes are printed as hex by util.inspect: never show them, say how many there were.
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    if (value instanceof Error) {
      const copy = new Error(this.redact(value.message));
      copy.name = value.name;
      copy.stack = value.stack ? this.redact(value.stack) : undefined;
      seen.set(value, copy);
      for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[this.redact(k)] = this.walk(v, depth - 1, seen);
      if ('cause' in value) copy.cause = this.walk(value.cause, depth - 1, seen);
      return copy;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const v of value) out.push(this.walk(v, depth - 1, seen));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      seen.set(value, out);
      for (const [k, v] of value) out.set(this.walk(k, depth - 1, seen), this.walk(v, depth - 1, seen));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      seen.set(value, out);
      for (const v of value) out.add(this.walk(v, depth - 1, seen));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[this.redact(k)] = this.walk(v, depth - 1, seen);
    return out;
  }

  stream(): StreamRedactor {
    return new StreamRedactor(this);
  }
}

/**
 * Redacts a stream given in chunks (SSH exec output, a detached job's log, a PTY). The end of the text seen
 * so far is held back while it could be the beginning of a secret, so a secret cut across two chunks is
 * still masked whole; everything else is given back at once. `flush()` at the end of the stream, or when it
 * stays quiet (a terminal prompt must show): if the stream then goes on, the rest of a secret whose beginning
 * was let out is masked, so at most that beginning is ever seen.
 */
export class StreamRedactor {
  private carry = '';
  /** The end of what a flush let out that could still begin a secret (not to be shown again). */
  private shown = '';

  constructor(private readonly redactor: Redactor) {}

  push(chunk: string): string {
    const longest = this.redactor.maxLength;
    if (longest === 0) {
      const out = this.carry + chunk;
      this.carry = '';
      this.shown = '';
      return out;
    }
    const pre = this.shown;
    const buf = pre + this.carry + chunk;
    let cut = this.holdFrom(buf, Math.max(0, buf.length - longest + 1));
    // A secret that starts before the cut and ends after it is complete in `buf`: give it out whole.
    for (let guard = 0; guard < 16; guard++) {
      const end = this.redactor.matchEndingAfter(buf, cut);
      if (end === null || end <= cut) break;
      cut = this.holdFrom(buf, end);
    }
    if (cut <= pre.length) {
      // What may begin a secret starts in what was already shown: keep watching it, give nothing new yet.
      this.shown = buf.slice(cut, pre.length);
      this.carry = buf.slice(pre.length);
      return '';
    }
    this.shown = '';
    this.carry = buf.slice(cut);
    return this.after(pre, buf.slice(pre.length, cut));
  }

  /** Whether some text is held back (a possible beginning of a secret). */
  get holding(): boolean {
    return this.carry.length > 0;
  }

  /** The rest: at the end of the stream, or on a pause. */
  flush(): string {
    const rest = this.carry;
    this.carry = '';
    if (!rest) return '';
    const pre = this.shown;
    this.shown = (pre + rest).slice(-Math.max(1, this.redactor.maxLength - 1));
    return this.after(pre, rest);
  }

  /** `text` redacted, where `shown` (already let out) comes before it: a secret begun there is masked here. */
  private after(shown: string, text: string): string {
    if (!shown) return this.redactor.redact(text);
    const all = shown + text;
    const end = this.redactor.matchEndingAfter(all, shown.length);
    return end === null ? this.redactor.redact(text) : MASK + this.redactor.redact(all.slice(end));
  }

  /** The first position at or after `from` where the rest of `buf` could begin a secret (else its length). */
  private holdFrom(buf: string, from: number): number {
    for (let j = from; j < buf.length; j++) if (this.redactor.couldStartSecret(buf.slice(j))) return j;
    return buf.length;
  }
}
