import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../store/json-file';

// Secrets (provider tokens, generated passwords, private keys, the .env values) never touch disk in
// clear. Profiles hold references (`secret:<name>`); values live here. Services see only this
// interface; Electron's safeStorage comes in through `Encryptor` so tests and the CLI need no Electron.

export interface SecretStore {
  /** False when secrets only live for this session (no OS keychain available). */
  readonly persistent: boolean;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Electron's safeStorage, seen through the three calls we use. */
export interface Encryptor {
  isEncryptionAvailable(): boolean;
  /** Linux: 'basic_text' means no keychain (values would only be obfuscated). */
  backend(): string;
  encryptString(value: string): Buffer;
  decryptString(data: Buffer): string;
}

const NAME = /^[a-z0-9._-]{1,120}$/;

export class MemorySecretStore implements SecretStore {
  readonly persistent = false;
  private readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name) ?? null;
  }
  async set(name: string, value: string) {
    assertName(name);
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
}

const fileSchema = z.object({ version: z.literal(1), data: z.string() });

/** Encrypted by the OS keychain (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux). */
export class EncryptedFileSecretStore implements SecretStore {
  readonly persistent = true;
  constructor(
    private readonly dir: string,
    private readonly encryptor: Encryptor,
  ) {}

  private path(name: string): string {
    assertName(name);
    return join(this.dir, `${name}.json`);
  }

  async get(name: string): Promise<string | null> {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(this.path(name), 'utf8')));
      if (!parsed.success) return null;
      return this.encryptor.decryptString(Buffer.from(parsed.data.data, 'base64'));
    } catch {
      return null;
    }
  }

  async set(name: string, value: string): Promise<void> {
    const data = this.encryptor.encryptString(value).toString('base64');
    await writeJsonAtomic(this.path(name), { version: 1, data });
  }

  async delete(name: string): Promise<void> {
    await unlink(this.path(name)).catch(() => undefined);
  }
}

/** The store to use: encrypted on disk when the OS offers real protection, else session-only. */
export function createSecretStore(dataDir: string, encryptor: Encryptor | null): SecretStore {
  if (encryptor && encryptor.isEncryptionAvailable() && encryptor.backend() !== 'basic_text') {
    return new EncryptedFileSecretStore(join(dataDir, 'secrets'), encryptor);
  }
  return new MemorySecretStore();
}

function assertName(name: string): void {
  if (!NAME.test(name)) throw new Error('invalid secret name');
}
