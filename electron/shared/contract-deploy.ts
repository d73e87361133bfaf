import { z } from 'zod';
import { empty, method } from './contract-method';
import { logEventSchema, planEntrySchema, runFinishedSchema, runStatusSchema, stepEventSchema } from './deploy';
import { adoptionSchema, planReviewSchema } from './deploy-review';
import { profileIdSchema, serverSchema } from './profile';
import { MISSING_SECRETS } from './secret-kinds';

// Contract methods and events for server access and the deployment run; spread into the one table in contract.ts.

export { MISSING_SECRETS, type MissingSecretKind } from './secret-kinds';

/** The monthly price of the offer the server was created from, as the provider lists it. */
export const planCostSchema = z.object({ offer: z.string(), net: z.number(), gross: z.number(), currency: z.string() });
export { OFFER_PRICE_SETTING } from './offer-price';

export const deployMethods = {
  // ---- server access (a server I already have) ----
  'server.generateKey': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ publicKey: z.string() }), true),
  'server.importKey': method(z.object({ profileId: profileIdSchema, path: z.string().min(1).max(1000) }).strict(), z.object({ publicKey: z.string() }), true),
  'server.publicKey': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ publicKey: z.string().nullable() })),
  'server.probe': method(
    z.object({ host: serverSchema.shape.host, port: serverSchema.shape.port, user: serverSchema.shape.user }).strict(),
    z.object({ fingerprint: z.string() }),
  ),
  'server.check': method(
    z.object({ profileId: profileIdSchema }).strict(),
    z.object({ privilege: z.enum(['root', 'sudo']), os: z.string(), memoryMb: z.number(), diskFreeGb: z.number() }),
  ),
  // ---- deployment ----
  'deploy.setEnv': method(z.object({ profileId: profileIdSchema, content: z.string().max(200_000) }).strict(), z.object({ saved: z.literal(true), persistent: z.boolean() }), true),
  'deploy.hasEnv': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ present: z.boolean(), keys: z.array(z.string()) })),
  'deploy.repoKey': method(
    z.object({ profileId: profileIdSchema, action: z.enum(['get', 'generate', 'forget']) }).strict(),
    z.object({ publicKey: z.string().nullable() }),
    true,
  ),
  'deploy.plan': method(
    z.object({ profileId: profileIdSchema }).strict(),
    z.object({
      entries: z.array(planEntrySchema),
      /** What the user should weigh before confirming: internal ports open to the internet, builds and their cost, backups, health. */
      review: planReviewSchema.optional(),
      /** What was already found and the user should know before confirming (a domain pointing elsewhere). */
      warnings: z.array(z.object({ code: z.string(), params: z.record(z.string(), z.string()) })).default([]),
      /** The chosen offer's monthly price (null: a server the user brought, or not known). */
      cost: planCostSchema.nullable().default(null),
    }),
  ),
  // A copy of the application the repository's own scripts started on the server (read-only), and adopting it.
  'deploy.adoption': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ found: adoptionSchema.nullable() })),
  'deploy.adopt': method(z.object({ profileId: profileIdSchema, project: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/) }).strict(), z.object({ adopted: z.literal(true), envMerged: z.boolean() }), true),
  'deploy.start': method(z.object({ profileId: profileIdSchema, fresh: z.boolean().optional() }).strict(), z.object({ started: z.literal(true) }), true),
  'deploy.cancel': method(empty, z.object({ cancelled: z.boolean() })),
  'deploy.status': method(z.object({ profileId: profileIdSchema }).strict(), runStatusSchema),
  // ---- secrets lost with a session (web mode, the CLI, Linux without keychain) ----
  'deploy.secrets': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ persistent: z.boolean(), missing: z.array(z.enum(MISSING_SECRETS)) })),
  'server.provideKey': method(z.object({ profileId: profileIdSchema, privateKey: z.string().min(1).max(20_000) }).strict(), z.object({ publicKey: z.string() }), true),
  'deploy.envFromServer': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ found: z.boolean(), keys: z.array(z.string()) }), true),
  'deploy.breakLock': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ broken: z.literal(true) }), true),
} as const;

export const deployEvents = {
  'deploy.step': stepEventSchema,
  'deploy.log': logEventSchema,
  'deploy.finished': runFinishedSchema,
} as const;
