import { z } from 'zod';
import { method } from './contract-method';
import { phaseIdSchema, profileIdSchema } from './profile';

// Contract methods and events for the health dashboard; spread into the one table in contract.ts.

const levelSchema = z.enum(['ok', 'warn', 'critical']).nullable();
const pairSchema = z.object({ warn: z.number(), critical: z.number() });
const messageSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) });
const envelopeSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });

export const HEALTH_MODES = ['foreground', 'background', 'paused'] as const;
export type HealthMode = (typeof HEALTH_MODES)[number];

/** Metrics a chart can ask for (a subset of the stored history). */
export const HEALTH_CHART_METRICS = ['cpu', 'ram', 'load1', 'disk', 'p99Ms', 'pgConnections'] as const;
export type HealthChartMetric = (typeof HEALTH_CHART_METRICS)[number];

export const containerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  service: z.string(),
  state: z.string(),
  health: z.enum(['starting', 'healthy', 'unhealthy']).nullable(),
  status: z.enum(['healthy', 'unhealthy', 'starting', 'running', 'restarting', 'paused', 'stopped']),
  restartCount: z.number(),
  restartsSincePrevious: z.number().nullable(),
  startedAt: z.number().nullable(),
  cpuPercent: z.number().nullable(),
  memoryBytes: z.number().nullable(),
});

export const healthPointSchema = z.object({
  at: z.number(),
  cpuPercent: z.number().nullable(),
  ramUsedPercent: z.number(),
  swapUsedPercent: z.number().nullable(),
  diskUsedPercent: z.number().nullable(),
  dockerDiskUsedPercent: z.number().nullable(),
  load: z.object({ one: z.number(), five: z.number(), fifteen: z.number() }),
  cpus: z.number(),
  rebooted: z.boolean(),
  containers: z.array(containerViewSchema),
  postgres: z.object({ sizeBytes: z.number(), connections: z.number() }).nullable(),
  /** Why there is no database figure ('ok' when there is one; null: no database configured). */
  postgresStatus: z.string().nullable(),
  docker: z.object({ status: z.enum(['ok', 'skipped', 'not_sampled', 'missing', 'error']), error: z.string().nullable() }),
  /** When containers and database were read (they are read less often than the host figures); null: never. */
  containersAt: z.number().nullable(),
  scriptCpuMs: z.number(),
  durationMs: z.number(),
});
export type HealthPointView = z.infer<typeof healthPointSchema>;

export const certificateSchema = z.object({
  issuer: z.string(),
  subject: z.string(),
  validTo: z.string(),
  daysLeft: z.number(),
  selfSigned: z.boolean(),
  defaultCert: z.boolean(),
  trusted: z.boolean(),
});

export const httpsViewSchema = z.object({
  url: z.string(),
  checkedAt: z.number(),
  ok: z.boolean(),
  status: z.number().nullable(),
  latencyMs: z.number().nullable(),
  errorCode: z.string().nullable(),
  certificate: certificateSchema.nullable(),
  latency: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(), count: z.number() }),
});

export const clusterViewSchema = z.object({
  checkedAt: z.number(),
  error: envelopeSchema.nullable(),
  nodes: z.array(z.object({ name: z.string(), ready: z.boolean(), roles: z.array(z.string()), kubeletVersion: z.string() })),
  pods: z.array(z.object({ namespace: z.string(), name: z.string(), phase: z.string(), ready: z.boolean(), restarts: z.number(), node: z.string().nullable() })),
});

export const signalViewSchema = z.object({
  id: z.string(),
  metric: z.string(),
  targetPhase: phaseIdSchema,
  since: z.number(),
  window: z.object({ windowMs: z.number(), minShare: z.number(), minCoverage: z.number() }).nullable(),
  evidence: z.object({ value: z.number().optional(), threshold: z.number().optional(), share: z.number().optional(), coverage: z.number().optional() }),
  message: messageSchema,
});

export const recommendationViewSchema = z.object({
  nextPhase: phaseIdSchema,
  reasons: z.array(messageSchema),
  monthlyCost: z.object({ min: z.number(), max: z.number().nullable() }),
  message: messageSchema,
});

export const healthCurrentSchema = z.object({
  profileId: profileIdSchema,
  phase: phaseIdSchema,
  watching: z.boolean(),
  mode: z.enum(HEALTH_MODES).nullable(),
  /** A sample arrived and the last attempt succeeded. */
  live: z.boolean(),
  /** Since when the figures are not live any more (first failed attempt); null while live. */
  staleSince: z.number().nullable(),
  lastSampleAt: z.number().nullable(),
  retryAt: z.number().nullable(),
  error: envelopeSchema.nullable(),
  point: healthPointSchema.nullable(),
  thresholds: z.object({
    source: z.enum(['roadmap', 'repository']),
    ram: pairSchema,
    cpu: pairSchema,
    disk: pairSchema,
    /** Already scaled to the server's cores. */
    load: pairSchema,
    p99: pairSchema,
  }),
  levels: z.object({ cpu: levelSchema, ram: levelSchema, disk: levelSchema, load: levelSchema, p99: levelSchema }),
  https: httpsViewSchema.nullable(),
  /** K3s phases: nodes and pods (null: not a K3s deployment, or not available). */
  cluster: clusterViewSchema.nullable(),
  signals: z.object({
    at: z.number(),
    /** Minutes of the "constantly" window of RAM and load (shown to the user). */
    windowMinutes: z.number(),
    active: z.array(signalViewSchema),
    recommendation: recommendationViewSchema.nullable(),
  }),
});
export type HealthCurrent = z.infer<typeof healthCurrentSchema>;

const seriesSchema = z.object({ t: z.array(z.number()), v: z.array(z.number()) });

export const healthMethods = {
  'health.watch': method(
    z.object({ profileId: profileIdSchema, mode: z.enum(HEALTH_MODES) }).strict(),
    z.object({ watching: z.literal(true), mode: z.enum(HEALTH_MODES) }),
  ),
  'health.unwatch': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ stopped: z.boolean() })),
  'health.current': method(
    // refresh: take one sample now (and wait for it) before answering; the CLI's `status` uses it.
    z.object({ profileId: profileIdSchema, refresh: z.boolean().optional() }).strict(),
    healthCurrentSchema,
  ),
  'health.history': method(
    z
      .object({
        profileId: profileIdSchema,
        from: z.number().int().min(0),
        to: z.number().int().min(0),
        /** Points per series at most (the chart's width in pixels is a good value). */
        maxPoints: z.number().int().min(2).max(5000),
        metrics: z.array(z.enum(HEALTH_CHART_METRICS)).min(1).max(HEALTH_CHART_METRICS.length).optional(),
      })
      .strict()
      .refine((r) => r.to >= r.from, { path: ['to'], message: 'to_before_from' }),
    z.object({ from: z.number(), to: z.number(), series: z.record(z.string(), seriesSchema) }),
  ),
  'health.exportCsv': method(
    z.object({ profileId: profileIdSchema, from: z.number().int().min(0), to: z.number().int().min(0) }).strict(),
    z.object({ filename: z.string(), csv: z.string() }),
  ),
  'health.logs': method(
    z
      .object({
        profileId: profileIdSchema,
        container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/),
        lines: z.number().int().min(1).max(500).optional(),
      })
      .strict(),
    z.object({ container: z.string(), lines: z.array(z.string()), truncated: z.boolean() }),
  ),
} as const;

export const healthEvents = {
  /** After every sample or failed attempt of a watched profile: the whole current state. */
  'health.sample': healthCurrentSchema,
  /** Signals that just started (not repeated while they stay on): the desktop notification's twin, shown in the app (web mode has no other). */
  'health.signal': z.object({ profileId: profileIdSchema, profileName: z.string(), started: z.array(signalViewSchema), recommendation: recommendationViewSchema.nullable() }),
} as const;
