import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519 } from './keys';

describe('generateEd25519', () => {
  it('only hands out keys ssh2 can read back, with the comment on the public half', () => {
    for (let i = 0; i < 1500; i++) {
      const { privateKey, publicKey } = generateEd25519('koprogo-deploy@test');
      expect(ssh2.utils.parseKey(privateKey)).not.toBeInstanceOf(Error);
      if (i === 0) expect(publicKey).toMatch(/^ssh-ed25519 AAAA\S+ koprogo-deploy@test$/);
    }
  });
});
