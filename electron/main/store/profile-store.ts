import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import { PROFILE_VERSION, profileSchema, type Profile, type ProfileInput, type ProfileSummary } from '../../shared/profile';
import type { StoreProblem } from '../../shared/contract';
import { readVersionedJson, writeJsonAtomic, type Migrations } from './json-file';

/**
 * Profile migrations. Version 0 is the shape of the first development builds: no `version`, a flat
 * `providerKind`, and no `secrets` map. Add the next one as `1: (v1) => v2` when the format changes.
 */
export const PROFILE_MIGRATIONS: Migrations = {
  0: (old) => {
    const { providerKind, ...rest } = old;
    const provider =
      providerKind === 'hetzner' || providerKind === 'existing'
        ? { kind: providerKind }
        : providerKind === 'ovh'
          ? { kind: 'ovh', endpoint: 'ovh-eu' }
          : null;
    return { ...rest, version: 1, provider, secrets: rest.secrets ?? {}, settings: rest.settings ?? {} };
  },
};

const spec = { schema: profileSchema, version: PROFILE_VERSION, migrations: PROFILE_MIGRATIONS };

export class ProfileStore {
  private readonly dir: string;

  constructor(dataDir: string, private readonly now: () => Date = () => new Date()) {
    this.dir = join(dataDir, 'profiles');
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  async list(): Promise<{ profiles: ProfileSummary[]; problems: StoreProblem[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: [], problems: [] };
      throw error;
    }
    const profiles: ProfileSummary[] = [];
    const problems: StoreProblem[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const result = await readVersionedJson(join(this.dir, name), spec, this.now);
      if (result.kind === 'ok') {
        const { id, name: profileName, phase, updatedAt, server } = result.value;
        profiles.push({ id, name: profileName, phase, updatedAt, host: server?.host ?? null });
      } else if (result.kind === 'problem') problems.push(result.problem);
    }
    profiles.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return { profiles, problems };
  }

  async get(id: string): Promise<Profile> {
    const result = await readVersionedJson(this.pathOf(id), spec, this.now);
    if (result.kind === 'ok') return result.value;
    if (result.kind === 'missing') throw new AppError('profile.not_found', { id });
    throw new AppError(result.problem.reason === 'future_version' ? 'profile.future_version' : 'profile.corrupt', {
      id,
      keptAs: result.problem.keptAs,
    });
  }

  async save(input: ProfileInput): Promise<Profile> {
    const stamp = this.now().toISOString();
    let createdAt = stamp;
    const existing = await readVersionedJson(this.pathOf(input.id), spec, this.now);
    if (existing.kind === 'ok') createdAt = existing.value.createdAt;
    const profile = profileSchema.parse({ ...input, version: PROFILE_VERSION, createdAt, updatedAt: stamp });
    try {
      await writeJsonAtomic(this.pathOf(profile.id), profile);
    } catch (error) {
      throw new AppError('profile.write_failed', { id: profile.id, reason: (error as NodeJS.ErrnoException).code ?? 'unknown' });
    }
    return profile;
  }

  /** Saves a change to a profile read before (the store keeps its creation time and stamps the update). */
  async update(profile: Profile, change: Partial<ProfileInput>): Promise<Profile> {
    const { version: _v, createdAt: _c, updatedAt: _u, ...input } = profile;
    return this.save({ ...input, ...change });
  }

  async delete(id: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(id));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
