import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { verificationSchema, type Verification } from '../../shared/contract-backup';
import { readVersionedJson, writeJsonAtomic } from '../store/json-file';
import { manifestSchema, type Manifest } from './manifest';

// This computer's copies of proven backups: user data, so in the app's data folder, 0600 files in a
// 0700 folder per deployment: `<id>.dump` (complete, checksum equal), `<id>.dump.part` (a download to
// resume) and `<id>.json` (the manifest and what the verifications found).

export const RECORD_VERSION = 1;

export const localRecordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  manifest: manifestSchema,
  verifications: z.array(verificationSchema).max(50),
});
export type LocalRecord = z.infer<typeof localRecordSchema>;

export interface LocalCopy {
  record: LocalRecord;
  /** Bytes of the complete dump, or of the partial download; 0: none. */
  bytes: number;
  complete: boolean;
}

export class LocalBackupStore {
  constructor(private readonly dataDir: string) {}

  dir(profileId: string): string {
    return join(this.dataDir, 'backups', profileId);
  }

  dumpPath(profileId: string, id: string): string {
    return join(this.dir(profileId), `${id}.dump`);
  }

  private recordPath(profileId: string, id: string): string {
    return join(this.dir(profileId), `${id}.json`);
  }

  async ensureDir(profileId: string): Promise<string> {
    const dir = this.dir(profileId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async read(profileId: string, id: string): Promise<LocalRecord | null> {
    const r = await readVersionedJson(this.recordPath(profileId, id), { schema: localRecordSchema, version: RECORD_VERSION, migrations: {} });
    return r.kind === 'ok' ? r.value : null;
  }

  async save(profileId: string, manifest: Manifest, verifications: Verification[] = []): Promise<LocalRecord> {
    await this.ensureDir(profileId);
    const record: LocalRecord = { version: RECORD_VERSION, manifest, verifications: verifications.slice(-50) };
    await writeJsonAtomic(this.recordPath(profileId, manifest.id), record);
    return record;
  }

  async addVerification(profileId: string, manifest: Manifest, v: Verification): Promise<LocalRecord> {
    const existing = await this.read(profileId, manifest.id);
    return this.save(profileId, manifest, [...(existing?.verifications ?? []), v]);
  }

  async copy(profileId: string, id: string): Promise<{ bytes: number; complete: boolean }> {
    const full = this.dumpPath(profileId, id);
    try {
      return { bytes: (await stat(full)).size, complete: true };
    } catch {
      try {
        return { bytes: (await stat(`${full}.part`)).size, complete: false };
      } catch {
        return { bytes: 0, complete: false };
      }
    }
  }

  async list(profileId: string): Promise<LocalCopy[]> {
    let names: string[];
    try {
      names = await readdir(this.dir(profileId));
    } catch {
      return [];
    }
    const out: LocalCopy[] = [];
    // Only backup records (other files of the folder are not read as one, nor moved aside as corrupt).
    for (const name of names.filter((n) => /^[0-9]{8}-[0-9]{6}-[a-z]+-[a-f0-9]{6}\.json$/.test(n))) {
      const record = await this.read(profileId, name.slice(0, -'.json'.length));
      if (!record) continue;
      const c = await this.copy(profileId, record.manifest.id);
      out.push({ record, ...c });
    }
    return out.sort((a, b) => b.record.manifest.createdAt.localeCompare(a.record.manifest.createdAt));
  }

  async remove(profileId: string, id: string): Promise<void> {
    const base = this.dumpPath(profileId, id);
    await Promise.all([rm(base, { force: true }), rm(`${base}.part`, { force: true }), rm(this.recordPath(profileId, id), { force: true })]);
  }
}
