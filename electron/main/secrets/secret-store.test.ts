import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretStore, type Encryptor } from './secret-store';

// A stand-in for safeStorage: reversible, and visibly not the clear text.
const fakeEncryptor = (backend = 'gnome_libsecret'): Encryptor => ({
  isEncryptionAvailable: () => true,
  backend: () => backend,
  encryptString: (v) => Buffer.from([...Buffer.from(v, 'utf8')].map((b) => b ^ 0x5a)),
  decryptString: (d) => Buffer.from([...d].map((b) => b ^ 0x5a)).toString('utf8'),
});

describe('secret store', () => {
  it('keeps values encrypted on disk and reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koprogo-secrets-'));
    const store = createSecretStore(dir, fakeEncryptor());
    expect(store.persistent).toBe(true);
    await store.set('hetzner.token', 'CANARY-TOKEN-123 é');
    const files = readdirSync(join(dir, 'secrets'));
    expect(files).toEqual(['hetzner.token.json']);
    expect(readFileSync(join(dir, 'secrets', files[0]!), 'utf8')).not.toContain('CANARY');
    expect(await createSecretStore(dir, fakeEncryptor()).get('hetzner.token')).toBe('CANARY-TOKEN-123 é');
    await store.delete('hetzner.token');
    expect(await store.get('hetzner.token')).toBeNull();
  });

  it('writes nothing to disk when the OS offers no keychain (basic_text) or no encryption', async () => {
    for (const enc of [fakeEncryptor('basic_text'), null]) {
      const dir = mkdtempSync(join(tmpdir(), 'koprogo-secrets-'));
      const store = createSecretStore(dir, enc);
      expect(store.persistent).toBe(false);
      await store.set('ssh.key', 'CANARY');
      expect(await store.get('ssh.key')).toBe('CANARY');
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('refuses names that could escape its folder', async () => {
    const store = createSecretStore(mkdtempSync(join(tmpdir(), 'koprogo-secrets-')), fakeEncryptor());
    await expect(store.set('../evil', 'x')).rejects.toThrow();
  });
});
