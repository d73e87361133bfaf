import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Logger, MASK } from './log';
import { encodedForms, Redactor } from './redaction';
import { generateEd25519 } from './ssh/keys';

// Redaction as the issue probed it: the logger with a registered secret, then the secret logged inside
// objects, line by line, encoded, and streamed in two chunks.

function tempLog(): { log: Logger; text: () => string } {
  const file = join(mkdtempSync(join(tmpdir(), 'kgt-log-')), 'app.log');
  const log = new Logger(file);
  return { log, text: () => readFileSync(file, 'utf8') };
}

const SECRET = "pa'ss\\wörd-Secret99";

describe('the issue’s reproductions', () => {
  it('masks a secret inside a logged object although util.inspect escapes its quote and backslash', () => {
    const { log, text } = tempLog();
    log.registerSecret(SECRET);
    log.error('x', { password: SECRET, nested: { list: [SECRET], map: new Map([['k', SECRET]]) } });
    log.error('y', new Error(`failed with ${SECRET}`));
    log.info('z', SECRET);
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(inspect(SECRET).slice(1, -1));
    expect(out).not.toContain('wörd');
    expect(out.match(new RegExp(MASK, 'g'))?.length).toBe(5);
  });

  it('masks each line of a multi-line private key logged on its own, and the key inside an object', () => {
    const { log, text } = tempLog();
    const key = generateEd25519('t').privateKey;
    log.registerSecret(key);
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of key.split('\n')) log.info(`line: ${line}`);
    log.info('object', { key });
    log.info(`json ${JSON.stringify({ key })}`);
    const out = text();
    for (const line of body) expect(out).not.toContain(line);
    // The armour is structure, not secret: it stays readable.
    expect(out).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
  });

  it('masks the secret JSON-encoded, URL-encoded, base64-encoded, hex and shell-quoted', () => {
    const { log, text } = tempLog();
    log.registerSecret(SECRET);
    log.info(`json ${JSON.stringify({ p: SECRET })}`);
    log.info(`url https://example.com/?p=${encodeURIComponent(SECRET)}`);
    log.info(`form ${new URLSearchParams({ p: SECRET }).toString()}`);
    log.info(`b64 ${Buffer.from(SECRET).toString('base64')}`);
    log.info(`b64url ${Buffer.from(SECRET).toString('base64url')}`);
    log.info(`basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`);
    log.info(`hex ${Buffer.from(SECRET).toString('hex')}`);
    log.info(`sh printf %s '${SECRET.replace(/'/g, `'\\''`)}'`);
    const out = text();
    for (const form of encodedForms(SECRET)) expect(out).not.toContain(form);
    // base64 of "user:<secret>": the part that depends on the secret alone is gone.
    expect(out).not.toContain(Buffer.from(`user:${SECRET}`).toString('base64').slice(8, 24));
  });

  it('masks a secret split across two chunks of streamed output', () => {
    const r = new Redactor();
    r.register(SECRET);
    const s = r.stream();
    const first = s.push("token=pa'ss\\wö");
    const second = s.push('rd-Secret99\nnext line\n');
    const out = first + second + s.flush();
    expect(out).toBe(`token=${MASK}\nnext line\n`);
    // Nothing that could not be a secret is held back.
    expect(first).toBe('token=');
  });

  it('reports a secret too short to be masked instead of ignoring it', () => {
    const { log, text } = tempLog();
    expect(log.registerSecret('abc12', { label: 'OVH key' })).toEqual({ status: 'too_short', length: 5 });
    expect(log.shortSecrets()).toEqual([{ label: 'OVH key', length: 5 }]);
    expect(text()).toMatch(/WARN a secret \(OVH key\) of 5 characters is shorter than 8/);
    expect(text()).not.toContain('abc12');
    expect(log.registerSecret('long-enough-1')).toEqual({ status: 'registered', forms: expect.any(Number) });
  });

  it('leaves common words alone: only registered secrets of 8 characters or more are masked', () => {
    const r = new Redactor();
    expect(r.register('koprogo').status).toBe('too_short');
    r.register('Xq9-generated-secret-value-43-characters-ok');
    expect(r.redact('hostnamectl set-hostname koprogo-prod; cat /opt/koprogo/.env')).toBe('hostnamectl set-hostname koprogo-prod; cat /opt/koprogo/.env');
  });
});

describe('streams', () => {
  it('gives back a line at once when its end cannot begin a secret', () => {
    const r = new Redactor();
    r.register('secret-value-123');
    const s = r.stream();
    expect(s.push('hello\n')).toBe('hello\n');
    expect(s.push('see sec')).toBe('see ');
    expect(s.push('ond\n')).toBe('second\n');
  });

  it('picks up a secret registered while the stream runs', () => {
    const r = new Redactor();
    const s = r.stream();
    expect(s.push('a\n')).toBe('a\n');
    r.register('later-secret-42');
    expect(s.push('x later-secret-42 y') + s.flush()).toBe(`x ${MASK} y`);
  });
});

describe('redactValue', () => {
  it('copies objects with every string masked, keeps shape, survives cycles and hides bytes', () => {
    const r = new Redactor();
    r.register('tok-1234567890');
    const cyclic: Record<string, unknown> = { a: 'tok-1234567890', n: 3, d: new Date(0) };
    cyclic.self = cyclic;
    const out = r.redactValue({ cyclic, buf: Buffer.from('tok-1234567890'), list: ['x tok-1234567890'] });
    expect(out.cyclic.a).toBe(MASK);
    expect(out.cyclic.n).toBe(3);
    expect(out.cyclic.d).toEqual(new Date(0));
    expect((out.cyclic as Record<string, unknown>).self).toBe(out.cyclic);
    expect(out.buf).toBe('[14 bytes]');
    expect(out.list).toEqual([`x ${MASK}`]);
  });
});

// ---- property: random secrets, random encodings, random split points, every way the logger is used ----

const secretArb = fc.string({ unit: fc.constantFrom(...Array.from('abcXYZ019\'"\\ /+=%&?#:é€😀-_\t')), minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8);
const encodings: Array<[string, (s: string) => string]> = [
  ['raw', (s) => s],
  ['json', (s) => JSON.stringify(s)],
  ['json-in-json', (s) => JSON.stringify(JSON.stringify({ s }))],
  ['inspect', (s) => inspect({ s })],
  ['uri', (s) => encodeURIComponent(s)],
  ['form', (s) => new URLSearchParams({ s }).toString()],
  ['base64', (s) => Buffer.from(s).toString('base64')],
  ['base64url', (s) => Buffer.from(s).toString('base64url')],
  ['base64-embedded', (s) => Buffer.from(`u:${s}!`).toString('base64')],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['shell', (s) => `'${s.replace(/'/g, `'\\''`)}'`],
];

/** What must never be seen: the secret, and the form it was encoded into (its secret-only core for embedded base64). */
function forbidden(secret: string, encoding: string): string[] {
  if (encoding === 'base64-embedded') {
    const b = Buffer.from(`u:${secret}!`).toString('base64');
    return [secret, b.slice(4, Math.max(4, b.length - 8))].filter((f) => f.length >= 8);
  }
  const enc = encodings.find(([n]) => n === encoding)![1](secret);
  return [secret, enc.replace(/^['"]|['"]$/g, '')];
}

describe('property: a registered secret never reaches the log or a stream', () => {
  it('in any encoding, logged as text, object, error or stream, split anywhere', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.constantFrom(...encodings.map(([n]) => n)),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (secret, encoding, before, after, cuts) => {
          const { log, text } = tempLog();
          log.registerSecret(secret);
          const encoded = encodings.find(([n]) => n === encoding)![1](secret);
          const payload = `${before}${encoded}${after}`;
          log.info(payload);
          log.info('detail', payload);
          log.error('object', { nested: [{ value: payload }], secret });
          log.error('error', new Error(payload));
          const stream = log.streamRedactor();
          const points = [...new Set(cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
          let streamed = '';
          let last = 0;
          for (const p of [...points, payload.length]) {
            streamed += stream.push(payload.slice(last, p));
            last = p;
          }
          streamed += stream.flush();
          const out = text();
          for (const f of forbidden(secret, encoding)) {
            expect(out).not.toContain(f);
            expect(streamed).not.toContain(f);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a stream gives back exactly its input when nothing secret is in it', () => {
    fc.assert(
      fc.property(secretArb, fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', 'x'), maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), (secret, text, cuts) => {
        const r = new Redactor();
        r.register(`${secret}Q`);
        const s = r.stream();
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let out = '';
        let last = 0;
        for (const p of [...points, text.length]) {
          out += s.push(text.slice(last, p));
          last = p;
        }
        expect(out + s.flush()).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
