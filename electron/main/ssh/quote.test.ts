import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote } from './quote';

const nasty = [
  '',
  'plain',
  'with space',
  "it's",
  '"double"',
  '$HOME',
  '${PATH}',
  '`id`',
  '$(touch /tmp/pwned)',
  'a\nb',
  'tab\there',
  'back\\slash',
  '; rm -rf / #',
  '*',
  '~',
  '-n',
  'héllo wörld ✓ 日本',
  "'''",
  '!event',
];

describe('shQuote', () => {
  it('leaves safe words alone and quotes everything else', () => {
    expect(shQuote('docker-compose.prod.yml')).toBe('docker-compose.prod.yml');
    expect(shQuote('a b')).toBe("'a b'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote('')).toBe("''");
  });

  it.each(nasty)('a real sh gets back exactly %j', (value) => {
    // printf %s prints its argument untouched: what the shell received is what we meant.
    const out = execFileSync('sh', ['-c', `printf %s ${shQuote(value)}`], { encoding: 'utf8' });
    expect(out).toBe(value);
  });

  it('joins arguments that stay separate', () => {
    const out = execFileSync('sh', ['-c', `printf '[%s]' ${shJoin(nasty)}`], { encoding: 'utf8' });
    expect(out).toBe(nasty.map((v) => `[${v}]`).join(''));
  });

  it('refuses NUL bytes', () => {
    expect(() => shQuote('a\0b')).toThrow();
  });
});
