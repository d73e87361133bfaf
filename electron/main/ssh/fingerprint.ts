import { createHash } from 'node:crypto';

/** OpenSSH's SHA256 fingerprint of a raw public key blob, as `ssh-keygen -lf` prints it. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an `ssh-ed25519 AAAA… comment` line. */
export function fingerprintOfPublicKeyLine(line: string): string {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new Error('not a public key line');
  return sha256Fingerprint(Buffer.from(b64, 'base64'));
}
