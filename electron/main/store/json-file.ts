import { open, rename, readFile, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { StoreProblem } from '../../shared/contract';

/**
 * Writes JSON so that a crash at any moment leaves either the old file or the new one, never a mix:
 * temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export async function writeJsonAtomic(path: string, data: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, mode);
}

/** The same for any text. */
export async function writeFileAtomic(path: string, body: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    // A disk that filled up half-way leaves no partial copy behind.
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; Windows cannot open directories, which is harmless there.
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    /* not supported on this platform */
  } finally {
    await handle?.close();
  }
}

/** Migration from version N to N+1, indexed by N. Version 0 is a file without a `version` field. */
export type Migrations = Record<number, (old: Record<string, unknown>) => Record<string, unknown>>;

export interface VersionedFileSpec<T> {
  schema: z.ZodType<T>;
  version: number;
  migrations: Migrations;
}

export type ReadResult<T> =
  | { kind: 'missing' }
  | { kind: 'ok'; value: T; migratedFrom: number | null }
  | { kind: 'problem'; problem: StoreProblem };

export function migrateToCurrent(raw: Record<string, unknown>, spec: { version: number; migrations: Migrations }): Record<string, unknown> | 'future' | 'unmigratable' {
  const found = raw.version === undefined ? 0 : raw.version;
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 0) return 'unmigratable';
  if (found > spec.version) return 'future';
  let current = raw;
  for (let v = found; v < spec.version; v++) {
    const step = spec.migrations[v];
    if (!step) return 'unmigratable';
    current = step(current);
  }
  return current;
}

/**
 * Reads a versioned JSON file. Anything unreadable is moved aside (never deleted, never overwritten)
 * and reported, so the user can be told and nothing is silently lost.
 */
export async function readVersionedJson<T>(path: string, spec: VersionedFileSpec<T>, now: () => Date = () => new Date()): Promise<ReadResult<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'problem', problem: await moveAside(path, 'corrupt', now()) };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'problem', problem: await moveAside(path, 'corrupt', now()) };
  }
  const foundVersion = (raw as Record<string, unknown>).version;
  const migrated = migrateToCurrent(raw as Record<string, unknown>, spec);
  if (migrated === 'future') return { kind: 'problem', problem: await moveAside(path, 'future_version', now()) };
  if (migrated === 'unmigratable') return { kind: 'problem', problem: await moveAside(path, 'corrupt', now()) };
  const parsed = spec.schema.safeParse(migrated);
  if (!parsed.success) return { kind: 'problem', problem: await moveAside(path, 'corrupt', now()) };
  const from = typeof foundVersion === 'number' ? foundVersion : 0;
  if (from !== spec.version) {
    // Keep the original next to the migrated file until the user has used the new version once.
    await writeJsonAtomic(`${path}.v${from}.bak`, raw);
    await writeJsonAtomic(path, parsed.data);
    return { kind: 'ok', value: parsed.data, migratedFrom: from };
  }
  return { kind: 'ok', value: parsed.data, migratedFrom: null };
}

async function moveAside(path: string, reason: StoreProblem['reason'], at: Date): Promise<StoreProblem> {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const keptAs = `${path}.${reason === 'corrupt' ? 'corrupt' : 'newer'}-${stamp}`;
  await rename(path, keptAs);
  return { file: basename(path), keptAs: basename(keptAs), reason };
}
