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

export const UPGRADE_KINDS = ['phase-1-2', 'phase-2-3', 'phase-3-4', 'version'] as const;
export type UpgradeKind = (typeof UPGRADE_KINDS)[number];

/** How the server gets its new size. */
export const UPGRADE_ROUTES = ['hetzner-resize', 'ovh-cloud-resize', 'ovh-vps-order', 'in-place', 'k3s-migrate', 'k3s-progressive'] as const;
export type UpgradeRoute = (typeof UPGRADE_ROUTES)[number];

/** Every step an upgrade can hold, in the order they run. */
export const UPGRADE_STEPS = ['preflight', 'backup', 'snapshot', 'shutdown', 'change-type', 'poweron', 'ovh-resize', 'vps-order', 'vps-wait', 'wait-ssh', 'tuning', 'restart', 'health', 'record', 'cluster', 'dns-ttl', 'freeze', 'cluster-restore', 'cluster-health', 'dns-switch', 'cutover', 'p4-prod', 'p4-checks', 'p4-replicate', 'p4-bluegreen', 'p4-dns', 'keep-previous', 'checkout', 'env-update', 'pull', 'rollback'] as const;
export type UpgradeStepId = (typeof UPGRADE_STEPS)[number];

/** A tag, branch or commit of the repository (what `git rev-parse` resolves; no `..`, no leading dash). */
export const versionRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/+-]{0,99}$/)
  .refine((r) => !r.includes('..') && !r.endsWith('.lock') && !r.endsWith('/'), 'ref');
/** A key of the env example (what Compose reads). */
export const envKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/);

export const upgradeTargetSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('phase'), toPhase: z.union([z.literal(2), z.literal(3), z.literal(4)]) }).strict(), z.object({ kind: z.literal('version'), ref: versionRefSchema }).strict()]);
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
    /** Phase 2 → 3: the profile of the K3s deployment (made with the K3s screens) the data moves to. Default this one's `upgrade.clusterProfile` setting. */
    clusterProfileId: profileIdSchema.optional(),
    /** Phase 2 → 3: the cluster's public address (its ingress or load balancer); default the Kubernetes API's address. */
    ingress: z.union([z.ipv4(), z.ipv6()]).optional(),
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

/** Phase 2 → 3: the cluster, its database, the DNS switch (records now, the change, the resolvers that check it). */
export const migrationSchema = z.object({
  cluster: z.object({ profileId: z.string(), environment: z.string().nullable(), deployedAt: z.string().nullable(), ref: z.string().nullable() }),
  /** The cluster's PostgreSQL as this computer reaches it (a port-forward or a given address); the password is a secret. */
  database: z.object({ host: z.string(), port: z.number(), user: z.string(), database: z.string() }).nullable(),
  dns: z.object({
    domain: z.string().nullable(),
    current: z.array(z.object({ type: z.enum(['A', 'AAAA']), value: z.string(), ttl: z.number() })),
    /** The TTL advised before the switch (seconds); `lowerTtl`: today's is longer. */
    lowerTtlTo: z.number(),
    lowerTtl: z.boolean(),
    /** The records to change: the name, its type, what it points at now and what it must point at. */
    changes: z.array(z.object({ name: z.string(), type: z.enum(['A', 'AAAA']), from: z.array(z.string()), to: z.string() })),
    /** The resolvers the propagation is checked on. */
    resolvers: z.array(z.string()),
  }),
  /** Back to the server: its address, untouched (read-only during the switch). */
  rollback: z.object({ host: z.string(), addresses: z.array(z.string()) }),
});
export type Migration = z.infer<typeof migrationSchema>;

/** What the user confirms during a phase 2 → 3 run (the run stops and waits for it). */
export const UPGRADE_CONFIRMATIONS = ['ttl', 'cutover'] as const;
export type UpgradeConfirmation = (typeof UPGRADE_CONFIRMATIONS)[number];

/** Phase 3 → 4: the roadmap's progressive path as a checklist, each item's state saved in the profile. */
export const PHASE4_ITEMS = ['p4-prod', 'p4-checks', 'p4-replicate', 'p4-bluegreen', 'p4-dns'] as const;
export type Phase4Item = (typeof PHASE4_ITEMS)[number];
export const phase4ItemSchema = z.object({
  id: z.enum(PHASE4_ITEMS),
  state: z.enum(['ok', 'pending', 'failed', 'unknown']),
  /** The app checked it (true) or the user confirmed it (false). */
  checked: z.boolean(),
  confirmedAt: z.string().nullable(),
  detail: messageSchema,
  commands: z.array(z.string()),
});
export type Phase4ItemView = z.infer<typeof phase4ItemSchema>;

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
  /** Phase 2 → 3 only. */
  migration: migrationSchema.optional(),
  /** Phase 3 → 4 only: the checklist. */
  checklist: z.array(phase4ItemSchema).optional(),
  /** Version update only: the refs, and what changes in the env example between them. */
  version: versionChangeSchema.nullable().optional(),
});
export type UpgradePlan = z.infer<typeof upgradePlanSchema>;

const readyOfSchema = z.object({ ready: z.number().int().nonnegative(), total: z.number().int().nonnegative() });
/** One health sample for the before/after figures: a server's (phases 1–2) or a cluster's (K3s: nodes and pods, no server figures). */
export const healthSummarySchema = z.object({
  at: z.number(),
  cpus: z.number().nullable(),
  cpuPercent: z.number().nullable(),
  ramUsedPercent: z.number().nullable(),
  load1: z.number().nullable(),
  p99Ms: z.number().nullable(),
  nodes: readyOfSchema.nullable().optional(),
  pods: readyOfSchema.nullable().optional(),
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
  /** Each step's state, with its title's parameters (the plan's), so a banner can name it without the plan. */
  steps: z.array(z.object({ id: z.enum(UPGRADE_STEPS), state: stepStateSchema, startedAt: z.string().optional(), endedAt: z.string().optional(), titleParams: z.record(z.string(), z.union([z.string(), z.number()])).optional() })),
  /** Measured: from the first step that stops the application to the health check after it. */
  downtimeMs: z.number().nullable(),
  before: healthSummarySchema.nullable(),
  after: healthSummarySchema.nullable(),
  backupId: z.string().nullable(),
  error: envelopeSchema.nullable(),
  /** Phase 2 → 3: what the run waits for the user to confirm (null: nothing). */
  waitingFor: z.enum(UPGRADE_CONFIRMATIONS).nullable().optional(),
  /** Phase 2 → 3: the propagation seen on each resolver at the last check. */
  propagation: z.array(z.object({ resolver: z.string(), addresses: z.array(z.string()), switched: z.boolean() })).optional(),
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
        /** Phase 2 → 3: what the user confirms (the TTL lowered or left; the cluster checked, the server may go). */
        confirm: z.array(z.enum(UPGRADE_CONFIRMATIONS)).max(UPGRADE_CONFIRMATIONS.length).optional(),
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
  /** Phase 2 → 3: the cluster's PostgreSQL as this computer reaches it; the password goes to the secret store. */
  'upgrade.setClusterDatabase': method(
    z
      .object({
        profileId: profileIdSchema,
        clusterProfileId: profileIdSchema,
        host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/),
        port: z.number().int().min(1).max(65535),
        user: z.string().min(1).max(63).regex(/^[A-Za-z0-9_]+$/),
        database: z.string().min(1).max(63).regex(/^[A-Za-z0-9_]+$/),
        password: z.string().min(1).max(500),
      })
      .strict(),
    z.object({ saved: z.literal(true) }),
  ),
  /** Phase 2 → 3 not confirmed yet: back to the server (its database writable again; the DNS records to put back). */
  'upgrade.rollback': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ rolledBack: z.literal(true), records: migrationSchema.shape.dns.shape.changes, propagated: z.boolean() }), true),
  /** Phase 3 → 4: an item of the checklist confirmed (or unconfirmed) by the user, saved in the profile. */
  'upgrade.phase4Confirm': method(z.object({ profileId: profileIdSchema, item: z.enum(PHASE4_ITEMS), done: z.boolean() }).strict(), z.object({ items: z.array(phase4ItemSchema) })),
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
