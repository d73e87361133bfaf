import { z } from 'zod';
import { empty, method } from './contract-method';
import { profileIdSchema, profileSummarySchema } from './profile';

// Contract methods and events of the desktop lifecycle: auto-update, moving a deployment to another
// computer (profile export / import), and the diagnostics export; spread into contract.ts.

const envelopeSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });

export const updateStateSchema = z.object({
  /** unsupported: web mode, the CLI, or a build without auto-update. */
  status: z.enum(['unsupported', 'idle', 'checking', 'up_to_date', 'available', 'downloading', 'ready', 'error']),
  current: z.string(),
  available: z.object({ version: z.string(), notes: z.string().nullable(), date: z.string().nullable() }).nullable(),
  percent: z.number().nullable(),
  error: envelopeSchema.nullable(),
  /** Downloaded, and waiting for the running deployment to end before it installs. */
  waitingForDeployment: z.boolean(),
  checkedAt: z.string().nullable(),
});
export type UpdateState = z.infer<typeof updateStateSchema>;

const passphrase = z.string().max(1000);

export const lifecycleMethods = {
  'update.status': method(empty, updateStateSchema),
  'update.check': method(empty, updateStateSchema),
  'update.install': method(empty, z.object({ scheduled: z.enum(['now', 'after_deployment']) }), true),
  // The file's text comes back to the renderer, which saves it; secrets only inside the encrypted envelope.
  'profiles.export': method(
    z.object({ id: profileIdSchema, passphrase: passphrase.nullable() }).strict(),
    z.object({ filename: z.string(), content: z.string(), secrets: z.array(z.string()) }),
  ),
  'profiles.import': method(
    z.object({ content: z.string().min(1).max(2_000_000), passphrase: passphrase.nullable() }).strict(),
    z.object({ profile: profileSummarySchema, restored: z.array(z.string()), sealed: z.boolean() }),
    true,
  ),
  'diagnostics.export': method(empty, z.object({ filename: z.string(), zip: z.string(), files: z.array(z.string()), bytes: z.number() })),
} as const;

export const lifecycleEvents = {
  'update.state': updateStateSchema,
} as const;
