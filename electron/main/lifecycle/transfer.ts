import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { profileSchema, type Profile, type ProfileInput } from '../../shared/profile';

// A deployment moved to another computer: the profile (which holds no secret values) and, only when the
// user chose a passphrase, its secrets (the SSH key, the .env, the repository's deploy key, the host key
// the app injected) inside an encrypted envelope. Without a passphrase the file holds no secret at all
// and the other computer asks for them again (the "missing secret" button), or reads the .env back
// from the server.
//
// Why Node's scrypt + AES-256-GCM, by hand: no npm package does "passphrase-encrypted JSON" better than
// these two primitives of Node's own crypto (OpenSSL), and a library would add a dependency to review for
// ~40 lines. scrypt (N = 2^15, r = 8, p = 1: ~32 MB, ~0.1 s) makes guessing the passphrase expensive;
// GCM authenticates the data and, through the additional data, binds it to this profile and format.

export const TRANSFER_FORMAT = 'koprogo-deploy-profile';
export const TRANSFER_VERSION = 1;
export const PASSPHRASE_MIN = 10;
const KDF = { N: 2 ** 15, r: 8, p: 1 } as const;

/** The secrets of one profile a transfer may carry, by their name in the secret store (`<profile>.<name>`). */
export const TRANSFERRED_SECRETS = ['ssh-key', 'env', 'repo-key', 'host-key'] as const;

const b64 = z.string().regex(/^[A-Za-z0-9+/=]+$/).max(2_000_000);
const envelopeSchema = z.object({
  kdf: z.literal('scrypt'),
  // Bounded: a crafted file must not make the import allocate gigabytes.
  N: z.number().int().min(2 ** 14).max(2 ** 16),
  r: z.number().int().min(1).max(8),
  p: z.number().int().min(1).max(4),
  salt: b64,
  cipher: z.literal('aes-256-gcm'),
  iv: b64,
  tag: b64,
  data: b64,
});

export const transferFileSchema = z.object({
  format: z.literal(TRANSFER_FORMAT),
  version: z.literal(TRANSFER_VERSION),
  exportedAt: z.string(),
  appVersion: z.string().max(50),
  profile: profileSchema,
  /** Names of the secrets inside `secrets` (never their values); empty when exported without a passphrase. */
  secretNames: z.array(z.enum(TRANSFERRED_SECRETS)),
  secrets: envelopeSchema.nullable(),
});
export type TransferFile = z.infer<typeof transferFileSchema>;

function scrypt(passphrase: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(passphrase.normalize('NFKC'), salt, 32, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (e, key) => (e ? reject(e) : resolve(key))));
}

const aad = (profile: Profile) => Buffer.from(`${TRANSFER_FORMAT}/${TRANSFER_VERSION}/${profile.id}`);

/** The export file's text. `secrets` are encrypted with the passphrase; without one, none are included. */
export async function exportProfile(profile: Profile, secrets: Partial<Record<(typeof TRANSFERRED_SECRETS)[number], string>>, opts: { passphrase: string | null; appVersion: string; now?: Date }): Promise<string> {
  const names = TRANSFERRED_SECRETS.filter((n) => typeof secrets[n] === 'string' && secrets[n] !== '');
  let envelope: TransferFile['secrets'] = null;
  if (opts.passphrase !== null) {
    if (opts.passphrase.length < PASSPHRASE_MIN) throw new AppError('transfer.passphrase_too_short', { min: PASSPHRASE_MIN });
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = await scrypt(opts.passphrase, salt, KDF);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(profile));
    const plain = Buffer.from(JSON.stringify(Object.fromEntries(names.map((n) => [n, secrets[n]]))), 'utf8');
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    envelope = { kdf: 'scrypt', ...KDF, salt: salt.toString('base64'), cipher: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }
  const file: TransferFile = {
    format: TRANSFER_FORMAT,
    version: TRANSFER_VERSION,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    appVersion: opts.appVersion,
    profile,
    secretNames: envelope ? names : [],
    secrets: envelope,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads an export file: the profile to save and, with the right passphrase, its secrets. */
export async function readExport(text: string, passphrase: string | null): Promise<{ profile: ProfileInput; secrets: Partial<Record<(typeof TRANSFERRED_SECRETS)[number], string>>; sealed: boolean }> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('transfer.file_invalid', {});
  }
  const parsed = transferFileSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('transfer.file_invalid', {});
  const file = parsed.data;
  const { version: _v, createdAt: _c, updatedAt: _u, ...profile } = file.profile;
  if (!file.secrets) return { profile, secrets: {}, sealed: false };
  // Sealed secrets and no passphrase: the profile alone; the secrets are asked for later.
  if (passphrase === null || passphrase === '') return { profile, secrets: {}, sealed: true };
  const e = file.secrets;
  const key = await scrypt(passphrase, Buffer.from(e.salt, 'base64'), { N: e.N, r: e.r, p: e.p });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'));
  decipher.setAAD(aad(file.profile));
  decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]);
  } catch {
    throw new AppError('transfer.passphrase_wrong', {});
  }
  const values = z.partialRecord(z.enum(TRANSFERRED_SECRETS), z.string().max(200_000)).safeParse(JSON.parse(plain.toString('utf8')));
  plain.fill(0);
  if (!values.success) throw new AppError('transfer.file_invalid', {});
  return { profile, secrets: values.data, sealed: false };
}
