import { z } from 'zod';
import { profileIdSchema } from './profile';

// Contract types of the deployment: the plan, step and log events, run status.

export const planActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), as: z.enum(['root', 'login']), detached: z.boolean(), script: z.string() }),
  z.object({ kind: z.literal('file'), path: z.string(), mode: z.string(), owner: z.string(), secret: z.boolean(), content: z.string() }),
]);

export const planEntrySchema = z.object({
  stepId: z.string(),
  titleParams: z.record(z.string(), z.union([z.string(), z.number()])),
  check: z.string().nullable(),
  actions: z.array(planActionSchema),
  verify: z.string().nullable(),
});
export type PlanEntry = z.infer<typeof planEntrySchema>;

export const stepStateSchema = z.enum(['pending', 'checking', 'skipped', 'running', 'done', 'failed', 'cancelled']);

const envelopeSchema = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  remedy: z.string(),
});

export const stepEventSchema = z.object({
  profileId: profileIdSchema,
  runId: z.string(),
  stepId: z.string(),
  state: stepStateSchema,
  durationMs: z.number().optional(),
  error: envelopeSchema.optional(),
});

export const logEventSchema = z.object({
  profileId: profileIdSchema,
  runId: z.string(),
  stepId: z.string(),
  stream: z.enum(['stdout', 'stderr', 'engine']),
  line: z.string(),
});

export const runFinishedSchema = z.object({
  profileId: profileIdSchema,
  runId: z.string(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  failedStep: z.string().nullable(),
  error: envelopeSchema.nullable(),
  roundTrips: z.number(),
  /** The health endpoint seen from this computer through the public domain (when one is set). */
  publicHealth: z
    .object({
      url: z.string(),
      status: z.enum(['ok', 'dns_not_ready', 'unreachable', 'http_error']),
      addresses: z.array(z.string()),
      httpStatus: z.number().nullable(),
      latencyMs: z.number().nullable(),
    })
    .nullable()
    .optional(),
  /** Each monitoring script, run once by the deployment: its result and last line of output. */
  monitoring: z
    .array(z.object({ name: z.string(), status: z.enum(['ok', 'warning', 'critical', 'failed', 'broken', 'timeout']), exitCode: z.number(), detail: z.string() }))
    .optional(),
});

export const runStatusSchema = z.object({
  active: z.boolean(),
  runId: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']).nullable(),
  steps: z.array(z.object({ stepId: z.string(), state: stepStateSchema, startedAt: z.string().optional(), endedAt: z.string().optional() })),
  /** Why the last run stopped, kept across restarts of the app (null while running or after a success). */
  failedStep: z.string().nullable().default(null),
  error: envelopeSchema.nullable().default(null),
  finishedAt: z.string().nullable().default(null),
  /** The last run's last log lines, redacted when they were written. */
  log: z.array(z.object({ stepId: z.string(), stream: z.enum(['stdout', 'stderr', 'engine']), line: z.string() })).default([]),
});

/** Deployment settings kept (as strings) in a profile's non-secret `settings`. */
export const DEPLOY_SETTING_KEYS = [
  'hostname',
  'timezone',
  'deployUser',
  'composeFiles',
  'repo.knownHosts',
  'composeProject',
  'envFile',
  'checkoutName',
  'healthUrl',
  'publicHealthUrl',
  'healthTimeoutSec',
  'postgres.service',
  'postgres.user',
  'postgres.database',
  'monitoring.metrics',
  'monitoring.postgresMetrics',
  'tuning.postgres',
  'tuning.backend',
  'layout.stateDir',
  'layout.appRoot',
  'layout.cronDir',
  'layout.aptConfDir',
  'layout.fail2banDir',
  'layout.backupDir',
  'layout.binDir',
  'layout.hostsFile',
] as const;

/** Secret references a deployment uses: the SSH private key and the `.env` content. */
export const DEPLOY_SECRETS = { sshKey: 'ssh-key', env: 'env', repoKey: 'repo-key', registryPassword: 'registry-password' } as const;
