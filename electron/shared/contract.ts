import { z } from 'zod';
import { LANGUAGES } from './contract-languages';
import { COPROS_MAX, LOTS_PER_COPRO_MAX, PHASE_IDS } from './phases';
import { phaseIdSchema, profileIdSchema, profileInputSchema, profileSchema, profileSummarySchema } from './profile';
import { WIZARD_STEPS } from './wizard-steps';
import { empty, method } from './contract-method';
import { deployEvents, deployMethods } from './contract-deploy';
import { providerEvents, providerMethods } from './contract-providers';
import { recipeEvents, recipeMethods } from './contract-recipe';
import { healthEvents, healthMethods } from './contract-health';
import { lifecycleEvents, lifecycleMethods } from './contract-lifecycle';
import { k3sEvents, k3sMethods } from './contract-k3s';
import { backupEvents, backupMethods } from './contract-backup';
import { upgradeEvents, upgradeMethods } from './contract-upgrade';

export { LANGUAGES, type Language } from './contract-languages';
export { WIZARD_STEPS, type WizardStepId } from './wizard-steps';

// The one contract between the renderer and the main side. Electron IPC, the WebSocket of web mode
// and the CLI all dispatch through this table; inputs are validated on the main side, outputs too.

export const languageSchema = z.enum(LANGUAGES);

/** Largest serialized request any front door accepts (bytes). */
export const MAX_MESSAGE_BYTES = 1_000_000;

const rangeSchema = z.object({ min: z.number(), max: z.number().nullable() });

export const phaseSchema = z.object({
  id: phaseIdSchema,
  costMonthly: rangeSchema,
  copros: rangeSchema,
  vcpu: rangeSchema,
  ramGb: rangeSchema,
  diskGb: z.number().nullable(),
  objectStorageBackups: z.boolean(),
  highAvailability: z.enum(['no', 'partial', 'yes']),
  autoscaling: z.boolean(),
  slaPercent: z.number().nullable(),
  complexity: z.enum(['low', 'medium', 'high']),
  team: z.object({ min: z.number(), max: z.number(), kind: z.enum(['dev', 'devops']) }),
  hosting: z.array(z.string()),
  stack: z.array(z.string()),
  pricePerCopro: z.number(),
  runtime: z.enum(['compose', 'k3s']),
});

export const recommendInputSchema = z
  .object({
    copros: z.number().int().min(0).max(COPROS_MAX),
    lotsPerCopro: z.number().min(1).max(LOTS_PER_COPRO_MAX),
    /** The phase the user has selected, for the cost/margin figures; defaults to the recommended one. */
    selected: phaseIdSchema.optional(),
  })
  .strict();

const reasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('within'), phase: phaseIdSchema, copros: z.number(), coproLimit: z.number(), lots: z.number(), lotsLimit: z.number() }),
  z.object({ kind: z.literal('copros'), phase: phaseIdSchema, copros: z.number(), previousLimit: z.number() }),
  z.object({ kind: z.literal('lots'), phase: phaseIdSchema, lots: z.number(), previousLotsLimit: z.number(), lotsPerCopro: z.number() }),
]);

const economicsSchema = z.object({
  phase: phaseIdSchema,
  copros: z.number(),
  revenueMonthly: z.number(),
  costMonthly: rangeSchema,
  marginPercent: z.number().nullable(),
});

export const recommendOutputSchema = z.object({
  recommendation: z.object({
    phase: phaseIdSchema,
    reason: reasonSchema,
    totalLots: z.number(),
    nearNextSignal: z.object({ nextPhase: phaseIdSchema, at: z.number() }).nullable(),
  }),
  economics: economicsSchema,
});

export const settingsSchema = z.object({
  /** null: follow the operating system. */
  language: languageSchema.nullable(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const wizardStateSchema = z.object({
  step: z.enum(WIZARD_STEPS),
  phase: phaseIdSchema.nullable(),
  copros: z.number().int().min(0).max(COPROS_MAX).nullable(),
  lotsPerCopro: z.number().min(1).max(LOTS_PER_COPRO_MAX).nullable(),
  /** The deployment profile the wizard is filling in (created at the "Where" step). */
  profileId: profileIdSchema.nullable().default(null),
});
export type WizardState = z.infer<typeof wizardStateSchema>;

/** A file that could not be read back; it was moved aside, never deleted. */
export const storeProblemSchema = z.object({
  file: z.string(),
  keptAs: z.string(),
  reason: z.enum(['corrupt', 'future_version']),
});
export type StoreProblem = z.infer<typeof storeProblemSchema>;

export const appInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  frontDoor: z.enum(['electron', 'web', 'cli', 'test']),
  systemLanguages: z.array(z.string()),
  /** False when secrets (keys, tokens, the .env) live for this session only: said up front, before any is given. */
  secretsPersist: z.boolean(),
});

export const contract = {
  'app.info': method(empty, appInfoSchema),
  'phases.list': method(empty, z.array(phaseSchema).length(PHASE_IDS.length)),
  'phases.recommend': method(recommendInputSchema, recommendOutputSchema),
  'settings.get': method(empty, settingsSchema),
  'settings.set': method(settingsSchema.strict(), settingsSchema, true),
  'wizard.load': method(empty, z.object({ state: wizardStateSchema, problem: storeProblemSchema.nullable() })),
  'wizard.save': method(wizardStateSchema.strict(), z.object({ saved: z.literal(true) }), true),
  'wizard.reset': method(empty, z.object({ state: wizardStateSchema }), true),
  'profiles.list': method(empty, z.object({ profiles: z.array(profileSummarySchema), problems: z.array(storeProblemSchema) })),
  'profiles.get': method(z.object({ id: profileIdSchema }).strict(), profileSchema),
  'profiles.save': method(profileInputSchema.strict(), profileSchema, true),
  'profiles.delete': method(
    z.object({ id: profileIdSchema }).strict(),
    z.object({ deleted: z.boolean(), deployKey: z.enum(['deleted', 'already_gone', 'failed', 'none']) }),
    true,
  ),
  // In web mode the browser tab opens the link itself once the main side has allowed it.
  'shell.openExternal': method(
    z.object({ url: z.string().max(2000) }).strict(),
    z.object({ url: z.string(), openedBy: z.enum(['system', 'client']) }),
  ),
  // Each domain declares its methods in its own file (contract-<domain>.ts).
  ...deployMethods,
  ...providerMethods,
  ...recipeMethods,
  ...healthMethods,
  ...lifecycleMethods,
  ...k3sMethods,
  ...backupMethods,
  ...upgradeMethods,
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Contract[M]['output']>;

export const METHOD_NAMES = Object.keys(contract) as MethodName[];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}

/** Events pushed from the main side to every window / browser tab. */
export const events = {
  'profiles.changed': z.object({ ids: z.array(profileIdSchema) }),
  'settings.changed': settingsSchema,
  ...deployEvents,
  ...providerEvents,
  ...recipeEvents,
  ...healthEvents,
  ...lifecycleEvents,
  ...k3sEvents,
  ...backupEvents,
  ...upgradeEvents,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

/** The renderer's view of the contract: one async function per method. Rejects with AppError. */
export type Api = { [M in MethodName]: (input: MethodInput<M>) => Promise<MethodOutput<M>> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

/** What the preload exposes / the WebSocket carries: raw envelopes, not yet unwrapped. */
export const IPC_CALL_CHANNEL = 'api:call';
export const IPC_EVENT_CHANNEL = 'api:event';
