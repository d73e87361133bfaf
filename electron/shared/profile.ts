import { z } from 'zod';
import { PHASE_IDS } from './phases';

// A deployment profile as saved on disk: everything needed to re-run a deployment, except secret
// values. Secrets are referenced by an opaque id resolved by the secret store.

export const PROFILE_VERSION = 1;

export const phaseIdSchema = z.union(PHASE_IDS.map((id) => z.literal(id)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>]);

export const profileIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'profile_id');

export const secretRefSchema = z.object({
  /** Opaque id in the secret store, never the value. */
  ref: z.string().regex(/^secret:[a-z0-9._-]{1,120}$/),
});

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:-]+$/, 'host');

export const serverSchema = z.object({
  host: hostSchema,
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'unix_user'),
  /** SHA256 fingerprint pinned after the first verified contact. */
  hostKeySha256: z.string().max(100).optional(),
});

export const providerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('hetzner'), location: z.string().max(40).optional(), serverType: z.string().max(40).optional() }),
  z.object({
    kind: z.literal('ovh'),
    endpoint: z.enum(['ovh-eu', 'ovh-ca', 'ovh-us']),
    offer: z.string().max(80).optional(),
  }),
  z.object({ kind: z.literal('existing') }),
]);

export const repoSchema = z.object({
  url: z.string().min(1).max(500),
  ref: z.string().min(1).max(250),
});

export const settingValueSchema = z.string().max(10_000);

export const profileSchema = z.object({
  version: z.literal(PROFILE_VERSION),
  id: profileIdSchema,
  name: z.string().min(1).max(120),
  phase: phaseIdSchema,
  provider: providerSchema.nullable(),
  server: serverSchema.nullable(),
  repo: repoSchema.nullable(),
  /** Non-secret settings (e.g. timezone, domains). */
  settings: z.record(z.string().max(200), settingValueSchema),
  /** Name → reference in the secret store. */
  secrets: z.record(z.string().max(200), secretRefSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export type Profile = z.infer<typeof profileSchema>;

/**
 * A profile setting: when the deployment began running at its current phase (ms since the epoch, written when a
 * move is recorded). The upgrade signals read only what was measured since: the old server's figures do not
 * recommend the next phase right after a move.
 */
export const PHASE_SINCE_SETTING = 'upgrade.phaseSince';

/** The start of the deployment's current phase (0: not known, every sample counts). */
export function phaseSinceOf(profile: Pick<Profile, 'settings'>): number {
  const v = Number(profile.settings[PHASE_SINCE_SETTING]);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** What a caller may send to save a profile: the store fills version and timestamps. */
export const profileInputSchema = profileSchema.omit({ version: true, createdAt: true, updatedAt: true });
export type ProfileInput = z.infer<typeof profileInputSchema>;

export const profileSummarySchema = profileSchema.pick({ id: true, name: true, phase: true, updatedAt: true }).extend({
  /** The server's address; null while the profile has none (it is not a deployment yet). */
  host: z.string().nullable(),
});
export type ProfileSummary = z.infer<typeof profileSummarySchema>;
