import { z } from 'zod';
import { empty, method } from './contract-method';
import { profileIdSchema } from './profile';

// Contract methods and events for proven backups (dump, checksum, download, scratch restore, compare),
// the daily backups the server keeps, restore, and provider snapshots; spread into contract.ts.

const envelopeSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });

export const backupIdSchema = z.string().regex(/^[0-9]{8}-[0-9]{6}-(manual|upgrade|safety)-[a-f0-9]{6}$/, 'backup_id');
/** A proven backup's id, or a daily dump's file name. */
export const backupRefSchema = z.union([backupIdSchema, z.string().regex(/^[A-Za-z0-9_.-]{1,100}-[0-9]{8}-[0-9]{6}\.sql\.gz$/, 'backup_file')]);

export const tableStatSchema = z.object({
  /** `schema.table` */
  table: z.string().max(300),
  rows: z.number().int().min(0),
  /** Greatest value of the table's timestamp and date columns, ISO in UTC; null: none (or empty). */
  newest: z.string().max(64).nullable(),
});
export type TableStat = z.infer<typeof tableStatSchema>;

export const tableMismatchSchema = z.object({
  table: z.string(),
  expectedRows: z.number().nullable(),
  actualRows: z.number().nullable(),
  expectedNewest: z.string().nullable(),
  actualNewest: z.string().nullable(),
});
export type TableMismatch = z.infer<typeof tableMismatchSchema>;

export const VERIFY_PLACES = ['server', 'local'] as const;
export type VerifyPlace = (typeof VERIFY_PLACES)[number];

export const verificationSchema = z.object({
  at: z.iso.datetime(),
  where: z.enum(VERIFY_PLACES),
  /**
   * proven: restored, every table's rows and newest timestamp equal to the source's; restorable: restored
   * (a daily dump has no source figures to compare); mismatch, truncated, corrupt: it is not a usable backup.
   */
  outcome: z.enum(['proven', 'restorable', 'mismatch', 'truncated', 'corrupt']),
  restoreMs: z.number().min(0),
  totalMs: z.number().min(0),
  tables: z.number().int().min(0),
  rows: z.number().int().min(0),
  newest: z.string().nullable(),
  mismatches: z.array(tableMismatchSchema).max(50),
  detail: z.string().max(300).nullable(),
});
export type Verification = z.infer<typeof verificationSchema>;

export const backupViewSchema = z.object({
  /** Proven: the backup id; daily: the file name. */
  id: z.string(),
  kind: z.enum(['proven', 'daily']),
  reason: z.enum(['manual', 'upgrade', 'safety', 'daily']),
  createdAt: z.number(),
  sizeBytes: z.number(),
  sha256: z.string().nullable(),
  onServer: z.boolean(),
  /** This computer's copy: complete (checksum equal) or partial (a download to resume). */
  local: z.object({ complete: z.boolean(), bytes: z.number() }).nullable(),
  verification: verificationSchema.nullable(),
  /** The source's figures when the backup was made (proven backups). */
  source: z.object({ tables: z.number(), rows: z.number(), newest: z.string().nullable() }).nullable(),
});
export type BackupView = z.infer<typeof backupViewSchema>;

const moneySchema = z.object({ net: z.number(), gross: z.number().nullable(), currency: z.string() });

export const snapshotViewSchema = z.object({
  id: z.string(),
  provider: z.enum(['hetzner', 'ovh']),
  description: z.string(),
  createdAt: z.number().nullable(),
  status: z.string(),
  sizeGb: z.number().nullable(),
  costMonthly: moneySchema.nullable(),
});
export type SnapshotView = z.infer<typeof snapshotViewSchema>;

export const BACKUP_OPERATIONS = ['create', 'verify', 'download', 'restore', 'snapshot', 'install-daily'] as const;
export type BackupOperation = (typeof BACKUP_OPERATIONS)[number];

export const BACKUP_STAGES = ['connect', 'dump', 'stage', 'download', 'checksum', 'verify', 'upload', 'safety', 'stop', 'restore', 'start', 'health', 'snapshot', 'prune', 'install'] as const;
export type BackupStage = (typeof BACKUP_STAGES)[number];

export const backupListSchema = z.object({
  profileId: profileIdSchema,
  /** The database the deployment backs up; null: the recipe names none (nothing to back up). */
  database: z.object({ service: z.string(), user: z.string(), database: z.string() }).nullable(),
  /** How many days the server's daily backup job keeps its dumps (from the job the app installs). */
  dailyRetentionDays: z.number().nullable(),
  /** Whether the daily job is installed on the server (null: not checked, e.g. unreachable). */
  dailyInstalled: z.boolean().nullable(),
  /** How many proven backups are kept on the server and on this computer. */
  keep: z.object({ server: z.number(), local: z.number() }),
  backups: z.array(backupViewSchema),
  /** Provider snapshots of the deployment's server (null: the provider has none, or it is not configured). */
  snapshots: z.array(snapshotViewSchema).nullable(),
  /** Price of one snapshot GB per month, to show before one is taken (null: no provider snapshot). */
  snapshotPrice: z.object({ provider: z.enum(['hetzner', 'ovh']), perGbMonth: moneySchema, estimateGb: z.number().nullable() }).nullable(),
  /** Why the server could not be read (the local copies are listed anyway). */
  serverError: envelopeSchema.nullable(),
  /** The folder of this computer's copies. */
  localDir: z.string(),
});
export type BackupList = z.infer<typeof backupListSchema>;

export const backupProgressSchema = z.object({
  profileId: profileIdSchema,
  operation: z.enum(BACKUP_OPERATIONS),
  backupId: z.string().nullable(),
  stage: z.enum(BACKUP_STAGES),
  bytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
  /** Bytes per second of the download, when downloading. */
  rate: z.number().nullable(),
  /** The download was resumed from this byte (a cut connection or an earlier partial copy). */
  resumedFrom: z.number().nullable(),
});
export type BackupProgress = z.infer<typeof backupProgressSchema>;

export const backupFinishedSchema = z.object({
  profileId: profileIdSchema,
  operation: z.enum(BACKUP_OPERATIONS),
  backupId: z.string().nullable(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  error: envelopeSchema.nullable(),
  backup: backupViewSchema.nullable(),
  snapshot: snapshotViewSchema.nullable(),
});
export type BackupFinished = z.infer<typeof backupFinishedSchema>;

const ref = z.object({ profileId: profileIdSchema, backupId: backupRefSchema }).strict();
const started = z.object({ started: z.literal(true) });

export const backupMethods = {
  'backup.list': method(z.object({ profileId: profileIdSchema }).strict(), backupListSchema),
  /** A proven backup: dump, checksum, download, then the scratch restore and comparison (`verify`: where; none: dump and download only). */
  'backup.create': method(z.object({ profileId: profileIdSchema, verify: z.enum([...VERIFY_PLACES, 'none']).default('server') }).strict(), started, true),
  'backup.verify': method(ref.extend({ where: z.enum(VERIFY_PLACES).default('server') }).strict(), started, true),
  'backup.download': method(ref, started, true),
  /** Replaces the deployment's database with this backup, after a safety dump; `confirm` is the user's yes. */
  'backup.restore': method(ref.extend({ confirm: z.literal(true) }).strict(), started, true),
  'backup.snapshot': method(z.object({ profileId: profileIdSchema }).strict(), started, true),
  /** Installs (or repairs) the server's daily backup job. */
  'backup.installDaily': method(z.object({ profileId: profileIdSchema }).strict(), started, true),
  'backup.cancel': method(empty, z.object({ cancelled: z.boolean() })),
  'backup.status': method(
    z.object({ profileId: profileIdSchema }).strict(),
    z.object({ active: z.object({ operation: z.enum(BACKUP_OPERATIONS), backupId: z.string().nullable(), last: backupProgressSchema.nullable() }).nullable() }),
  ),
} as const;

export const backupEvents = {
  'backup.progress': backupProgressSchema,
  'backup.finished': backupFinishedSchema,
} as const;
