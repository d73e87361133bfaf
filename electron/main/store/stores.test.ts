import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { ProfileInput } from '../../shared/profile';
import { migrateToCurrent, readVersionedJson, writeJsonAtomic } from './json-file';
import { ProfileStore } from './profile-store';
import { WizardStore } from './wizard-store';

// ESM namespaces cannot be spied on: wrap the two calls we want to observe, delegating to the real ones.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, rename: vi.fn(real.rename), open: vi.fn(real.open) };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'koprogo-store-'));
});
afterEach(() => {
  vi.mocked(fsp.rename).mockClear();
  vi.mocked(fsp.open).mockClear();
});

const profile = (over: Partial<ProfileInput> = {}): ProfileInput => ({
  id: 'acme-prod',
  name: 'ACME production',
  phase: 1,
  provider: { kind: 'hetzner', location: 'fsn1' },
  server: null,
  repo: { url: 'https://github.com/acme/koprogo', ref: 'v1.2.0' },
  settings: { timezone: 'Europe/Brussels' },
  secrets: { hetznerToken: { ref: 'secret:hetzner.acme' } },
  ...over,
});

describe('atomic JSON writes', () => {
  it('writes the whole document with mode 0600 and leaves no temp file', async () => {
    const file = join(dir, 'a', 'doc.json');
    await writeJsonAtomic(file, { hello: 'world' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ hello: 'world' });
    expect(readdirSync(join(dir, 'a'))).toEqual(['doc.json']);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps the previous content when the rename fails (crash between write and rename)', async () => {
    const file = join(dir, 'doc.json');
    await writeJsonAtomic(file, { v: 1 });
    const rename = vi.mocked(fsp.rename).mockRejectedValueOnce(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await expect(writeJsonAtomic(file, { v: 2 })).rejects.toThrow('EIO');
    expect(rename).toHaveBeenCalled();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1 });
    expect(readdirSync(dir)).toEqual(['doc.json']);
  });

  it('syncs the data before renaming', async () => {
    const calls: string[] = [];
    const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    vi.mocked(fsp.open).mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await real.open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        calls.push(`sync:${String(args[0]).endsWith('.tmp') ? 'tmp' : 'dir'}`);
        return sync();
      };
      return handle;
    });
    vi.mocked(fsp.rename).mockImplementation(async (a, b) => {
      calls.push('rename');
      return real.rename(a, b);
    });
    await writeJsonAtomic(join(dir, 'doc.json'), { v: 1 });
    expect(calls).toEqual(['sync:tmp', 'rename', 'sync:dir']);
    vi.mocked(fsp.open).mockImplementation(real.open);
    vi.mocked(fsp.rename).mockImplementation(real.rename);
  });
});

describe('versioned files', () => {
  const schema = z.object({ version: z.literal(2), name: z.string(), tags: z.array(z.string()) });
  const spec = {
    schema,
    version: 2,
    migrations: {
      0: (o: Record<string, unknown>) => ({ ...o, version: 1, name: String(o.title ?? '') }),
      1: (o: Record<string, unknown>) => ({ ...o, version: 2, tags: [] }),
    },
  };

  it('migrates step by step from an unversioned file', () => {
    expect(migrateToCurrent({ title: 'x' }, spec)).toEqual({ title: 'x', name: 'x', version: 2, tags: [] });
    expect(migrateToCurrent({ version: 3 }, spec)).toBe('future');
    expect(migrateToCurrent({ version: 'one' }, spec)).toBe('unmigratable');
  });

  it('a corrupt file is moved aside, reported, and never silently lost', async () => {
    const file = join(dir, 'doc.json');
    writeFileSync(file, '{"version": 2, "name": "trunc');
    const result = await readVersionedJson(file, spec, () => new Date('2026-11-26T10:00:00Z'));
    expect(result).toEqual({ kind: 'problem', problem: { file: 'doc.json', keptAs: 'doc.json.corrupt-2026-11-26T10-00-00-000Z', reason: 'corrupt' } });
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(join(dir, 'doc.json.corrupt-2026-11-26T10-00-00-000Z'), 'utf8')).toBe('{"version": 2, "name": "trunc');
  });

  it('valid JSON of the wrong shape is also kept aside', async () => {
    const file = join(dir, 'doc.json');
    writeFileSync(file, '{"version": 2, "name": 42, "tags": []}');
    const result = await readVersionedJson(file, spec);
    expect(result.kind).toBe('problem');
    expect(readdirSync(dir).some((n) => n.startsWith('doc.json.corrupt-'))).toBe(true);
  });

  it('a file from a newer app version is kept aside, not overwritten', async () => {
    const file = join(dir, 'doc.json');
    writeFileSync(file, '{"version": 9, "whatever": true}');
    const result = await readVersionedJson(file, spec);
    expect(result.kind === 'problem' && result.problem.reason).toBe('future_version');
    const kept = readdirSync(dir).find((n) => n.startsWith('doc.json.newer-'));
    expect(kept && readFileSync(join(dir, kept), 'utf8')).toBe('{"version": 9, "whatever": true}');
  });
});

describe('profile store', () => {
  it('saves, lists and reads back a profile with timestamps', async () => {
    let now = new Date('2026-11-26T10:00:00Z');
    const store = new ProfileStore(dir, () => now);
    const saved = await store.save(profile());
    expect(saved).toMatchObject({ version: 1, id: 'acme-prod', createdAt: '2026-11-26T10:00:00.000Z' });
    now = new Date('2026-11-26T11:00:00Z');
    const again = await store.save(profile({ phase: 2 }));
    expect(again.createdAt).toBe('2026-11-26T10:00:00.000Z');
    expect(again.updatedAt).toBe('2026-11-26T11:00:00.000Z');
    expect(await store.get('acme-prod')).toEqual(again);
    expect((await store.list()).profiles).toEqual([{ id: 'acme-prod', name: 'ACME production', phase: 2, updatedAt: '2026-11-26T11:00:00.000Z', host: null }]);
  });

  it('stores references to secrets, never values', async () => {
    const store = new ProfileStore(dir);
    await store.save(profile());
    const text = readFileSync(join(dir, 'profiles', 'acme-prod.json'), 'utf8');
    expect(text).toContain('secret:hetzner.acme');
    // A value instead of a reference is refused by the schema.
    await expect(store.save(profile({ secrets: { hetznerToken: { ref: 'hcloud-token-VALUE' } } }))).rejects.toThrow();
  });

  it('reports a corrupt profile and keeps the others', async () => {
    const store = new ProfileStore(dir);
    await store.save(profile());
    writeFileSync(join(dir, 'profiles', 'broken.json'), 'not json at all');
    const { profiles, problems } = await store.list();
    expect(profiles.map((p) => p.id)).toEqual(['acme-prod']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'broken.json', reason: 'corrupt' });
    expect(readdirSync(join(dir, 'profiles')).some((n) => n.startsWith('broken.json.corrupt-'))).toBe(true);
  });

  it('get of a corrupt profile is a typed error naming where the file was kept', async () => {
    const store = new ProfileStore(dir);
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    writeFileSync(join(dir, 'profiles', 'acme-prod.json'), '{');
    const error = await store.get('acme-prod').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('profile.corrupt');
    expect(String((error as AppError).params.keptAs)).toMatch(/^acme-prod\.json\.corrupt-/);
    await expect(store.get('nope')).rejects.toMatchObject({ code: 'profile.not_found' });
  });

  it('migrates a version-0 profile, keeping the original as a backup', async () => {
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    const v0 = { id: 'old', name: 'Old one', phase: 2, providerKind: 'ovh', server: null, repo: null, settings: {}, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' };
    writeFileSync(join(dir, 'profiles', 'old.json'), JSON.stringify(v0));
    const store = new ProfileStore(dir);
    const migrated = await store.get('old');
    expect(migrated).toMatchObject({ version: 1, provider: { kind: 'ovh', endpoint: 'ovh-eu' }, secrets: {} });
    expect(JSON.parse(readFileSync(join(dir, 'profiles', 'old.json'), 'utf8')).version).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'profiles', 'old.json.v0.bak'), 'utf8'))).toEqual(v0);
    expect((await store.list()).profiles.map((p) => p.id)).toEqual(['old']);
  });

  it('delete says whether something was deleted', async () => {
    const store = new ProfileStore(dir);
    await store.save(profile());
    expect(await store.delete('acme-prod')).toBe(true);
    expect(await store.delete('acme-prod')).toBe(false);
  });
});

describe('wizard store', () => {
  it('starts fresh, then restores what was saved', async () => {
    const store = new WizardStore(dir);
    expect(await store.load()).toEqual({ state: { step: 'phase', phase: null, copros: null, lotsPerCopro: null, profileId: null }, problem: null });
    await store.save({ step: 'where', phase: 3, copros: 60, lotsPerCopro: 8, profileId: null });
    expect((await new WizardStore(dir).load()).state).toEqual({ step: 'where', phase: 3, copros: 60, lotsPerCopro: 8, profileId: null });
  });

  it('a corrupt wizard file is reported and the wizard starts fresh', async () => {
    writeFileSync(join(dir, 'wizard.json'), '{"version":1,"step":"nowhere"}');
    const { state, problem } = await new WizardStore(dir).load();
    expect(state.step).toBe('phase');
    expect(problem).toMatchObject({ file: 'wizard.json', reason: 'corrupt' });
  });
});
