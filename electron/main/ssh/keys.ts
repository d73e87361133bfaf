import ssh2 from 'ssh2';

/**
 * A new ed25519 key pair in OpenSSH format. ssh2's generator (1.17) now and then writes a private
 * key its own parser rejects ("Malformed OpenSSH private key", about 3 in 1,000 here): every key is
 * parsed back before it is used, and a bad one is simply made again.
 */
export function generateEd25519(comment: string): { privateKey: string; publicKey: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error)) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
  throw new Error('could not generate a readable ed25519 key');
}

/** The same, shaped like ssh2's `{ private, public }` (tests). */
export function readableEd25519(comment = ''): { private: string; public: string } {
  const { privateKey, publicKey } = generateEd25519(comment);
  return { private: privateKey, public: publicKey };
}
