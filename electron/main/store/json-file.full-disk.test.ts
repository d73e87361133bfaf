import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, runOk } from '../testing';
import { writeFileAtomic } from './json-file';

// A disk that fills up half-way through an atomic write (a real 64 KiB tmpfs): the old file stays whole and
// no temporary copy is left behind (it could hold a profile or an encrypted secret).

let dir: string;

beforeAll(async () => {
  requireRoot('json-file full disk');
  dir = mkdtempSync(join(tmpdir(), 'kgt-fulldisk-'));
  await runOk('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
});
afterAll(async () => {
  if (dir) await runOk('umount', [dir]);
});

describe('writeFileAtomic on a full disk', () => {
  it('fails, keeps the old file, and leaves no temporary file', async () => {
    const path = join(dir, 'profile.json');
    writeFileSync(path, 'old\n');
    await expect(writeFileAtomic(path, 'x'.repeat(256 * 1024))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['profile.json']);
  });
});
