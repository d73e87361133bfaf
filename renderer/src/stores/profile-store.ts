import { create } from 'zustand';
import type { MethodOutput } from '../../../electron/shared/contract';
import { AppError, type ErrorEnvelope } from '../../../electron/shared/errors';
import type { PhaseId } from '../../../electron/shared/phases';
import type { Profile, ProfileInput } from '../../../electron/shared/profile';
import { api } from '../app-api';

// The deployment profile the wizard fills in. The main side keeps it on disk; `profiles.save` takes
// the whole profile each time, so every change here is merged into the last saved copy and saves
// are queued one after the other (two quick edits never overwrite each other).

export const DEFAULT_PROFILE_ID = 'koprogo';
export const DEFAULT_PROFILE_NAME = 'KoproGo';

/** Non-secret settings key where the last successful server check is remembered (JSON). */
export const SERVER_CHECK_SETTING = 'serverCheck';

export type ServerCheck = MethodOutput<'server.check'>;
export interface SavedServerCheck extends ServerCheck {
  /** `user@host:port` the check was made against; a different server makes it stale. */
  target: string;
  checkedAt: string;
}

export type EnvSummary = MethodOutput<'deploy.hasEnv'>;

export type ProfilePatch = Partial<Omit<ProfileInput, 'id'>>;

interface ProfileStore {
  profile: Profile | null;
  /** Public half of the profile's SSH key; null when none is saved (undefined: not asked yet). */
  publicKey: string | null | undefined;
  /** Which `.env` keys are saved (never the values); null: not asked yet. */
  env: EnvSummary | null;
  error: ErrorEnvelope | null;
  loading: boolean;
  /** Loads the profile, whether it has a key and a `.env`. Missing profile: `profile` stays null. */
  load(id: string): Promise<void>;
  /** The profile with this id, created (or moved to `phase`) as needed. */
  ensure(id: string, phase: PhaseId): Promise<Profile | null>;
  /** Merges a change into the saved profile and saves it. Throws AppError. */
  save(patch: ProfilePatch | ((current: Profile) => ProfilePatch)): Promise<Profile>;
  setPublicKey(publicKey: string | null): void;
  setEnv(env: EnvSummary): void;
}

export function toEnvelope(error: unknown, method?: string): ErrorEnvelope {
  if (error instanceof AppError) return error.toEnvelope();
  return new AppError('internal.unexpected', method ? { method } : {}).toEnvelope();
}

function inputOf(profile: Profile): ProfileInput {
  const { version: _v, createdAt: _c, updatedAt: _u, ...input } = profile;
  return input;
}

export function serverTarget(server: { host: string; port: number; user: string }): string {
  return `${server.user}@${server.host}:${server.port}`;
}

/** The last successful check of the profile's current server, if any. */
export function savedServerCheck(profile: Profile | null): SavedServerCheck | null {
  const raw = profile?.settings[SERVER_CHECK_SETTING];
  if (!raw || !profile?.server) return null;
  try {
    const parsed = JSON.parse(raw) as SavedServerCheck;
    return parsed.target === serverTarget(profile.server) ? parsed : null;
  } catch {
    return null;
  }
}

let queue: Promise<unknown> = Promise.resolve();

export const useProfile = create<ProfileStore>((set, get) => ({
  profile: null,
  publicKey: undefined,
  env: null,
  error: null,
  loading: false,
  async load(id) {
    set({ loading: true });
    try {
      const [profile, key, env] = await Promise.all([
        api()['profiles.get']({ id }).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'profile.not_found') return null;
          throw error;
        }),
        api()['server.publicKey']({ profileId: id }).catch(() => ({ publicKey: null })),
        api()['deploy.hasEnv']({ profileId: id }).catch(() => null),
      ]);
      set({ profile, publicKey: key.publicKey, env, error: null });
    } catch (error) {
      set({ error: toEnvelope(error, 'profiles.get') });
    } finally {
      set({ loading: false });
    }
  },
  async ensure(id, phase) {
    if (get().profile?.id !== id) await get().load(id);
    if (get().error) return null;
    const current = get().profile;
    if (current && current.phase === phase) return current;
    const input: ProfileInput = current
      ? { ...inputOf(current), phase }
      : { id, name: DEFAULT_PROFILE_NAME, phase, provider: { kind: 'existing' }, server: null, repo: null, settings: {}, secrets: {} };
    try {
      const saved = await api()['profiles.save'](input);
      set({ profile: saved, error: null });
      return saved;
    } catch (error) {
      set({ error: toEnvelope(error, 'profiles.save') });
      return null;
    }
  },
  save(patch) {
    const run = async () => {
      const current = get().profile;
      if (!current) throw new AppError('profile.not_found', { id: DEFAULT_PROFILE_ID });
      const change = typeof patch === 'function' ? patch(current) : patch;
      const saved = await api()['profiles.save']({ ...inputOf(current), ...change });
      set({ profile: saved, error: null });
      return saved;
    };
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  },
  setPublicKey(publicKey) {
    set({ publicKey });
  },
  setEnv(env) {
    set({ env });
  },
}));
