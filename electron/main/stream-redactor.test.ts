import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, Redactor, type StreamRedactor } from './redaction';

// The shared stream redactor (redaction.ts) as a terminal uses it — K3s output arrives in chunks of any size,
// and pauses at prompts: a secret split across chunks is masked, only what could begin one is held back, and
// after a pause (a flush) on the beginning of a secret, the rest of it is masked when the stream goes on.

const SECRETS = ['CANARYas0d4e8f2a6b7c9d1e', 'CANARYck5a1b9c3d7e2f4a6b8c', 'abcd1234'];

function streamOf(secrets: readonly string[]): StreamRedactor {
  const r = new Redactor();
  for (const s of secrets) r.register(s);
  return r.stream();
}

describe('StreamRedactor', () => {
  it('masks a secret split across chunks, and holds back only what could start one', () => {
    const r = streamOf(SECRETS);
    expect(r.push('secret=CANARYas0d')).toBe('secret=');
    expect(r.holding).toBe(true);
    expect(r.push('4e8f2a6b7c9d1e done\n')).toBe(`${MASK} done\n`);
    expect(r.holding).toBe(false);
    expect(r.push('plain text\n')).toBe('plain text\n');
  });

  it('a held beginning that turns out not to be a secret comes out unchanged', () => {
    const r = streamOf(SECRETS);
    expect(r.push('CANARY')).toBe('');
    expect(r.push('bird\n')).toBe('CANARYbird\n');
    expect(r.push('abcd')).toBe('');
    expect(r.flush()).toBe('abcd');
  });

  it('after a flush (the stream paused on the beginning of a secret), the rest of it is masked', () => {
    const r = streamOf(SECRETS);
    expect(r.push('key: CANARYck5a')).toBe('key: ');
    expect(r.flush()).toBe('CANARYck5a');
    expect(r.push('1b9c3d7e2f4a6b8c ok')).toBe(`${MASK} ok`);
  });

  it('masks the encoded forms of a secret split across chunks too (base64 here)', () => {
    const r = streamOf(SECRETS);
    const b64 = Buffer.from(SECRETS[0]!).toString('base64');
    const out = r.push(`auth: ${b64.slice(0, 9)}`) + r.push(`${b64.slice(9)}\n`) + r.flush();
    expect(out).toBe(`auth: ${MASK}\n`);
  });

  it('holds nothing back when no secret is known, and says when it holds', () => {
    const none = streamOf([]);
    expect(none.push('CANARYas0d')).toBe('CANARYas0d');
    expect(none.holding).toBe(false);
    const r = streamOf(SECRETS);
    r.push('x CANARY');
    expect(r.holding).toBe(true);
    r.flush();
    expect(r.holding).toBe(false);
  });

  it('never lets a secret through, however the stream is cut (property)', () => {
    const piece = fc.oneof(fc.constantFrom(...SECRETS), fc.string({ maxLength: 12 }), fc.constantFrom('\u001b[32m', '\r\n', 'CANARY', 'CANARYas0'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }), (pieces, cuts) => {
        const text = pieces.join('');
        const r = streamOf(SECRETS);
        let out = '';
        let i = 0;
        let k = 0;
        while (i < text.length) {
          const n = cuts[k++ % cuts.length]!;
          out += r.push(text.slice(i, i + n));
          i += n;
        }
        out += r.flush();
        for (const s of SECRETS) expect(out).not.toContain(s);
        // Nothing else is lost: the same text as a one-piece redaction.
        const whole = streamOf(SECRETS);
        expect(out).toBe(whole.push(text) + whole.flush());
      }),
      { numRuns: 400 },
    );
  });

  it('never shows a whole secret when the stream pauses (flushes) anywhere and goes on (property)', () => {
    const piece = fc.oneof(fc.constantFrom(...SECRETS), fc.string({ maxLength: 12 }), fc.constantFrom('\r\n', 'CANARY', 'CANARYck5a'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (pieces, cuts) => {
        const text = pieces.join('');
        const r = streamOf(SECRETS);
        let out = '';
        for (let i = 0, k = 0; i < text.length; k++) {
          const [n, pause] = cuts[k % cuts.length]!;
          out += r.push(text.slice(i, i + n));
          if (pause) out += r.flush();
          i += n;
        }
        out += r.flush();
        for (const s of SECRETS) expect(out).not.toContain(s);
      }),
      { numRuns: 400 },
    );
  });
});
