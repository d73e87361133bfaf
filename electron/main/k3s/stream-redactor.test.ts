import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, StreamRedactor } from './stream-redactor';

const SECRETS = ['CANARYas0d4e8f2a6b7c9d1e', 'CANARYck5a1b9c3d7e2f4a6b8c', 'abcd'];

describe('StreamRedactor', () => {
  it('masks a secret split across chunks, and holds back only what could start one', () => {
    const r = new StreamRedactor(() => SECRETS);
    expect(r.push('secret=CANARYas0d')).toBe('secret=');
    expect(r.holding).toBe(true);
    expect(r.push('4e8f2a6b7c9d1e done\n')).toBe(`${MASK} done\n`);
    expect(r.holding).toBe(false);
    expect(r.push('plain text\n')).toBe('plain text\n');
  });

  it('a held beginning that turns out not to be a secret comes out unchanged', () => {
    const r = new StreamRedactor(() => SECRETS);
    expect(r.push('CANARY')).toBe('');
    expect(r.push('bird\n')).toBe('CANARYbird\n');
    expect(r.push('ab')).toBe('');
    expect(r.flush()).toBe('ab');
  });

  it('after a flush (the stream paused on the beginning of a secret), the rest of it is masked', () => {
    const r = new StreamRedactor(() => SECRETS);
    expect(r.push('key: CANARYck5a')).toBe('key: ');
    expect(r.flush()).toBe('CANARYck5a');
    expect(r.push('1b9c3d7e2f4a6b8c ok')).toBe(`${MASK} ok`);
  });

  it('applies the whole-text redaction after its own', () => {
    const r = new StreamRedactor(() => [], (t) => t.replace('tok-123456', MASK));
    expect(r.push('x tok-123456 y')).toBe(`x ${MASK} y`);
  });

  it('never lets a secret through, however the stream is cut (property)', () => {
    const piece = fc.oneof(fc.constantFrom(...SECRETS), fc.string({ maxLength: 12 }), fc.constantFrom('\u001b[32m', '\r\n', 'CANARY', 'CANARYas0'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }), (pieces, cuts) => {
        const text = pieces.join('');
        const r = new StreamRedactor(() => SECRETS);
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
        const whole = new StreamRedactor(() => SECRETS);
        expect(out).toBe(whole.push(text) + whole.flush());
      }),
      { numRuns: 400 },
    );
  });
});
