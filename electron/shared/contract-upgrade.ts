import { z } from 'zod';
import { empty, method } from './contract-method';
import { planEntrySchema, stepStateSchema } from './deploy';
import { profileIdSchema, serverSchema } from './profile';

// Contract methods and events for upgrades: a plan first (every command and API call, the monthly
// cost change, the expected downtime), then a run that is resumable and locked like a deployment,
// the timeline marks of the dashboard, and recognising a deployment from its server. Spread into
// contract.ts.
//
// This version moves phase 1 → 2. Each move is one upgrade kind and one target of the union below;
// the app version update (`{ kind: 'version', ref }`) and the moves 2 → 3 and 3 → 4 slot in here,
// and every switch over UPGRADE_KINDS / UPGRADE_ROUTES / UPGRADE_STEPS is exhaustive.

const envelopeSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });
const messageSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) });

export const UPGRADE_KINDS = ['phase-1-2', 'version'] as const;
export type UpgradeKind = (typeof UPGRADE_KINDS)[number];

/** How the server gets its new size. */
export const UPGRADE_ROUTES = ['hetzner-resize', 'ovh-cloud-resize', 'ovh-vps-order', 'in-place'] as const;
export type UpgradeRoute = (typeof UPGRADE_ROUTES)[number];

/** Every step an upgrade can hold, in the order they run. */
export const UPGRADE_STEPS = ['preflight', 'backup', 'snapshot', 'shutdown', 'change-type', 'poweron', 'ovh-resize', 'vps-order', 'vps-wait', 'wait-ssh', 'tuning', 'restart', 'health', 'record', 'keep-previous', 'checkout', 'env-update', 'pull', 'rollback'] as const;
export type UpgradeStepId = (typeof UPGRADE_STEPS)[number];

/** A tag, branch or commit of the repository (what `git rev-parse` resolves; no `..`, no leading dash). */
export const versionRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/+-]{0,99}$/)
  .refine((r) => !r.includes('..') && !r.endsWith('.lock') && !r.endsWith('/'), 'ref');
/** A key of the env example (what Compose reads). */
export const envKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/);

export const upgradeTargetSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('phase'), toPhase: z.literal(2) }).strict(), z.object({ kind: z.literal('version'), ref: versionRefSchema }).strict()]);
export type UpgradeTarget = z.infer<typeof upgradeTargetSchema>;

export const upgradeOptionsSchema = z
  .object({
    /** Another offer than the one the app proposes (same location). */
    offerId: z.string().max(120).optional(),
    /** Hetzner: enlarge the disk too (a later downgrade is then impossible). Default false. */
    upgradeDisk: z.boolean().optional(),
    /** A provider snapshot before the move (costs a little per month). Default: where the provider offers one. */
    snapshot: z.boolean().optional(),
    /** Where the proven backup is restored to be checked. Default the server. */
    verify: z.enum(['server', 'local']).optional(),
    /** Version update: the new keys of the env example, as the user filled them (secret: never in a plan or a journal). */
    env: z.record(envKeySchema, z.string().max(4000)).optional(),
    /** Version update: a failed update also restores the database from the proven backup. Default false. */
    restoreDatabase: z.boolean().optional(),
  })
  .strict();
export type UpgradeOptions = z.infer<typeof upgradeOptionsSchema>;

const moneySchema = z.object({ net: z.number(), gross: z.number().nullable(), currency: z.string() });
export type Money = z.infer<typeof moneySchema>;

export const upgradeOfferSchema = z.object({
  id: z.string(),
  name: z.string(),
  vcpu: z.number(),
  ramGb: z.number(),
  diskGb: z.number(),
  priceMonthly: moneySchema,
});
export type UpgradeOffer = z.infer<typeof upgradeOfferSchema>;

/** One provider API call the step makes (shown in the plan beside the remote commands). */
const apiCallSchema = z.object({ method: z.enum(['GET', 'POST', 'PUT', 'DELETE']), path: z.string(), body: z.string().nullable() });

/** A key the new env example adds: a form field before the plan (its example value as the default, unless a placeholder). */
export const envAddedKeySchema = z.object({
  key: envKeySchema,
  comment: z.string().nullable(),
  group: z.string().nullable(),
  /** The example's value ('' when it is a placeholder the user must replace). */
  example: z.string(),
  secret: z.boolean(),
  /** No value yet: the update cannot start until the user gives one. */
  missing: z.boolean(),
});
export type EnvAddedKey = z.infer<typeof envAddedKeySchema>;

export const versionChangeSchema = z.object({
  from: z.object({ ref: z.string(), commit: z.string().nullable() }),
  to: z.object({ ref: z.string(), commit: z.string() }),
  /** The env example file compared (relative to the checkout), null when the repository has none. */
  envExample: z.string().nullable(),
  added: z.array(envAddedKeySchema),
  /** Keys the new example no longer has (kept in `.env`: shown, not removed). */
  removed: z.array(envKeySchema),
  restoreDatabase: z.boolean(),
});
export type VersionChange = z.infer<typeof versionChangeSchema>;

/** What a version update that did not become healthy left: rolled back or not, and the failing services' logs. */
export const rollbackViewSchema = z.object({
  state: z.enum(['rolled-back', 'failed']),
  /** The services that were not healthy (space-separated, as the health wait names them). */
  services: z.string(),
  logs: z.array(z.object({ service: z.string(), lines: z.array(z.string()) })),
  databaseRestored: z.boolean(),
});
export type RollbackView = z.infer<typeof rollbackViewSchema>;

export const upgradeStepViewSchema = z.object({
  id: z.enum(UPGRADE_STEPS),
  titleParams: z.record(z.string(), z.union([z.string(), z.number()])),
  /** The application is unavailable during this step. */
  downtime: z.boolean(),
  api: z.array(apiCallSchema),
  /** Remote commands and files, as the deployment plan shows them (secrets masked). */
  remote: z.array(planEntrySchema),
});
export type UpgradeStepView = z.infer<typeof upgradeStepViewSchema>;

export const upgradePlanSchema = z.object({
  profileId: profileIdSchema,
  kind: z.enum(UPGRADE_KINDS),
  route: z.enum(UPGRADE_ROUTES),
  /** What the user confirms: `upgrade.start` refuses a plan that changed since (prices, offers, options). */
  planHash: z.string(),
  fromPhase: z.number(),
  toPhase: z.number(),
  current: upgradeOfferSchema.nullable(),
  target: upgradeOfferSchema.nullable(),
  /** Other offers the server can move to (same location; a smaller disk than today's is impossible). */
  choices: z.array(upgradeOfferSchema),
  upgradeDisk: z.boolean(),
  /** The disk kept (GB) and the one the new offer comes with; null: not applicable. */
  disk: z.object({ keptGb: z.number().nullable(), offeredGb: z.number().nullable() }),
  snapshot: z.object({ available: z.boolean(), chosen: z.boolean(), maxCostMonthly: moneySchema.nullable() }),
  cost: z.object({ before: moneySchema.nullable(), after: moneySchema.nullable(), deltaMonthly: z.number().nullable(), currency: z.string() }),
  /** Expected downtime, seconds. */
  downtime: z.object({ minSec: z.number(), maxSec: z.number() }),
  /** OVH VPS: the upgrade order, priced by OVH; the user confirms this price. */
  order: z.object({ planCode: z.string(), priceNet: z.number(), priceGross: z.number().nullable(), currency: z.string(), duration: z.string() }).nullable(),
  verify: z.enum(['server', 'local']),
  steps: z.array(upgradeStepViewSchema),
  warnings: z.array(messageSchema),
  /** Version update only: the refs, and what changes in the env example between them. */
  version: versionChangeSchema.nullable().optional(),
});
export type UpgradePlan = z.infer<typeof upgradePlanSchema>;

export const healthSummarySchema = z.object({
  at: z.number(),
  cpus: z.number(),
  cpuPercent: z.number().nullable(),
  ramUsedPercent: z.number(),
  load1: z.number(),
  p99Ms: z.number().nullable(),
});
export type HealthSummary = z.infer<typeof healthSummarySchema>;

export const upgradeRunSchema = z.object({
  runId: z.string(),
  kind: z.enum(UPGRADE_KINDS),
  route: z.enum(UPGRADE_ROUTES),
  toPhase: z.number(),
  planHash: z.string(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  steps: z.array(z.object({ id: z.enum(UPGRADE_STEPS), state: stepStateSchema, startedAt: z.string().optional(), endedAt: z.string().optional() })),
  /** Measured: from the first step that stops the application to the health check after it. */
  downtimeMs: z.number().nullable(),
  before: healthSummarySchema.nullable(),
  after: healthSummarySchema.nullable(),
  backupId: z.string().nullable(),
  error: envelopeSchema.nullable(),
  /** Version update: the ref it moved to, and its roll back when it did not become healthy. */
  ref: z.string().optional(),
  rollback: rollbackViewSchema.nullable().optional(),
});
export type UpgradeRun = z.infer<typeof upgradeRunSchema>;

export const timelineMarkSchema = z.object({
  at: z.number(),
  kind: z.enum(['start', 'down', 'up', 'end', 'failed', 'rolledback']),
  runId: z.string(),
  toPhase: z.number(),
  /** Version update: the ref it moved to. */
  ref: z.string().optional(),
});
export type TimelineMark = z.infer<typeof timelineMarkSchema>;

const target = { profileId: profileIdSchema, target: upgradeTargetSchema, options: upgradeOptionsSchema.default({}) };

export const recognizedSchema = z.object({
  profileId: profileIdSchema,
  /** The deployment the server's journal names, and how its last run ended. */
  journal: z.object({ profileId: z.string(), runId: z.string(), outcome: z.string(), finishedAt: z.string().nullable() }),
  phase: z.number(),
  composeProject: z.string().nullable(),
  composeFiles: z.array(z.string()),
  checkout: z.string().nullable(),
  repo: z.object({ url: z.string(), ref: z.string() }).nullable(),
  deployUser: z.string().nullable(),
  postgres: z.object({ service: z.string(), user: z.string(), database: z.string() }).nullable(),
  /** The saved profile (null when `save` was false). */
  saved: z.boolean(),
});
export type Recognized = z.infer<typeof recognizedSchema>;

export const upgradeMethods = {
  'upgrade.plan': method(z.object(target).strict(), upgradePlanSchema),
  'upgrade.start': method(
    z
      .object({
        ...target,
        planHash: z.string().min(1).max(100),
        /** OVH VPS: the order price the user saw and accepted (the order is refused if OVH asks more). */
        confirmPrice: z.number().min(0).optional(),
        /** Start again from the first step instead of resuming an interrupted upgrade. */
        fresh: z.boolean().optional(),
      })
      .strict(),
    z.object({ started: z.literal(true), runId: z.string() }),
    true,
  ),
  'upgrade.cancel': method(empty, z.object({ cancelled: z.boolean() })),
  'upgrade.status': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ active: z.boolean(), run: upgradeRunSchema.nullable() })),
  'upgrade.timeline': method(z.object({ profileId: profileIdSchema, from: z.number().int().min(0), to: z.number().int().min(0) }).strict(), z.object({ marks: z.array(timelineMarkSchema) })),
  /** "A server the app deployed, from another computer": connects, reads the app's journal there and makes the profile. */
  'upgrade.recognize': method(
    z
      .object({
        host: serverSchema.shape.host,
        port: serverSchema.shape.port,
        user: serverSchema.shape.user,
        /** The fingerprint the user accepted (trust on first use, shown by server.probe). */
        hostKeySha256: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/),
        keyPath: z.string().min(1).max(1000),
        /** Where the app keeps its state on that server (default /var/lib/koprogo-deploy). */
        stateDir: z.string().regex(/^\/[A-Za-z0-9._/-]{1,199}$/).optional(),
        save: z.boolean().default(true),
      })
      .strict(),
    recognizedSchema,
    true,
  ),
  /** The version update's ref picker: the repository's tags and branches, as the server's checkout sees them. */
  'upgrade.versions': method(
    z.object({ profileId: profileIdSchema }).strict(),
    z.object({ current: z.string().nullable(), commit: z.string().nullable(), refs: z.array(z.object({ name: z.string(), kind: z.enum(['tag', 'branch']), commit: z.string() })) }),
    true,
  ),
} as const;

export const upgradeEvents = {
  'upgrade.step': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.enum(UPGRADE_STEPS), state: stepStateSchema, durationMs: z.number().optional(), error: envelopeSchema.optional() }),
  'upgrade.progress': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.enum(UPGRADE_STEPS), message: messageSchema, percent: z.number().nullable() }),
  'upgrade.log': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.enum(UPGRADE_STEPS), line: z.string() }),
  'upgrade.finished': z.object({ profileId: profileIdSchema, run: upgradeRunSchema }),
} as const;
