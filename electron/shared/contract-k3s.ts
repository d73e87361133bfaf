import { z } from 'zod';
import { empty, method } from './contract-method';
import { k3sEntryPointSchema, k3sToolSchema } from './k3s-entry';
import { profileIdSchema } from './profile';

// Contract of the K3s deployments (phases 3–4): where the run happens (this computer or a control host over SSH),
// the pre-flight of tools and variables, the plan (what runs, in order, with the roadmap topology's monthly
// cost), the run under a pseudo-terminal (output, prompts bridged to dialogs, terminal input, cancel, replay),
// the phase-4 checklist. Spread into the one table in contract.ts.

export const K3S_RUNNERS = ['local', 'remote'] as const;
export type K3sRunner = (typeof K3S_RUNNERS)[number];

export const K3S_STEP_IDS = [
  'preflight',
  'prepare',
  'checkout',
  'deploy-script',
  'terraform-init',
  'terraform-plan',
  'terraform-apply',
  'ansible',
  'kustomize',
  'helm',
  'kubeconfig',
  'cluster',
] as const;
export type K3sStepId = (typeof K3S_STEP_IDS)[number];

const envelopeSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });
const messageSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) });

export const preflightToolSchema = z.object({
  id: k3sToolSchema,
  found: z.string().nullable(),
  path: z.string().nullable(),
  minimum: z.string(),
  pinned: z.string(),
  state: z.enum(['ok', 'missing', 'too_old', 'unknown_version']),
  /** use: as found; install: the app installs the pinned version (control host); user: the user must install it. */
  action: z.enum(['use', 'install', 'user']),
});
export type PreflightTool = z.infer<typeof preflightToolSchema>;

export const preflightVariableSchema = z.object({
  name: z.string(),
  /** provider: the OVH credentials the app keeps; settings: a value saved for this deployment; environment: already set where it runs. */
  source: z.enum(['provider', 'settings', 'environment', 'missing']),
  present: z.boolean(),
  secret: z.boolean(),
});
export type PreflightVariable = z.infer<typeof preflightVariableSchema>;

export const k3sWhereSchema = z.object({
  runner: z.enum(K3S_RUNNERS),
  /** native: bash on this computer; wsl: Windows through WSL; ssh: a control host. */
  via: z.enum(['native', 'wsl', 'ssh']),
  os: z.string(),
  arch: z.string(),
  distro: z.string().nullable(),
  host: z.string().nullable(),
});

export const preflightSchema = z.object({
  where: k3sWhereSchema,
  commands: z.array(z.object({ name: z.string(), path: z.string().nullable(), required: z.boolean() })),
  tools: z.array(preflightToolSchema),
  variables: z.array(preflightVariableSchema),
  ok: z.boolean(),
  /** Why it cannot start (translated codes), empty when ok. */
  problems: z.array(messageSchema),
});
export type Preflight = z.infer<typeof preflightSchema>;

/** What this computer offers for a local run: bash natively (macOS, Linux) or through WSL (Windows). */
export const localHostSchema = z.object({
  platform: z.string(),
  via: z.enum(['native', 'wsl']).nullable(),
  bash: z.string().nullable(),
  wsl: z.object({ available: z.boolean(), distros: z.array(z.string()), defaultDistro: z.string().nullable() }).nullable(),
  ptyAvailable: z.boolean(),
});
export type LocalHost = z.infer<typeof localHostSchema>;

export const topologySchema = z.object({
  environment: z.string(),
  phase: z.union([z.literal(3), z.literal(4)]),
  controlPlanes: z.number().int(),
  workers: z.number().int(),
  worker: z.object({ vcpu: z.number(), ramGb: z.number() }).nullable(),
  loadBalancer: z.boolean(),
  objectStorage: z.boolean(),
  /** The roadmap's monthly cost for this topology, euros excluding VAT. */
  monthlyEuros: z.number(),
  /** What the nodes add up to: the quota the OVH project needs. */
  totals: z.object({ instances: z.number().int(), vcpu: z.number(), ramGb: z.number() }),
});
export type Topology = z.infer<typeof topologySchema>;

export const k3sPlanStepSchema = z.object({
  id: z.enum(K3S_STEP_IDS),
  /** What runs, as the user would type it (values of secrets never appear: they travel as environment). */
  command: z.string(),
  /** Folder it runs in, relative to the checkout ('' the root), or null for the app's own work. */
  cwd: z.string().nullable(),
  /** Runs in the terminal (true) or is the app's own work (pre-flight, kubeconfig, cluster). */
  terminal: z.boolean(),
  /** May ask a question the user answers (Terraform's approval, a `(yes/no)` prompt). */
  interactive: z.boolean(),
});
export type K3sPlanStep = z.infer<typeof k3sPlanStepSchema>;

export const k3sPlanSchema = z.object({
  entry: k3sEntryPointSchema,
  environment: z.string(),
  phase: z.union([z.literal(3), z.literal(4)]),
  runner: z.enum(K3S_RUNNERS),
  repo: z.object({ url: z.string(), ref: z.string() }),
  steps: z.array(k3sPlanStepSchema),
  topology: topologySchema,
  /** Variables handed to the run as environment (names only). */
  variables: z.array(z.string()),
});
export type K3sPlan = z.infer<typeof k3sPlanSchema>;

export const planSummarySchema = z.object({ add: z.number().int(), change: z.number().int(), destroy: z.number().int(), noChanges: z.boolean() });
export type PlanSummary = z.infer<typeof planSummarySchema>;

export const K3S_PROMPT_KINDS = ['terraform-approve', 'yes-no', 'unknown'] as const;
export const k3sPromptSchema = z.object({
  id: z.string(),
  stepId: z.enum(K3S_STEP_IDS),
  kind: z.enum(K3S_PROMPT_KINDS),
  /** The question line as printed (colours removed, secrets masked). */
  question: z.string(),
  /** The last lines before it, for context. */
  context: z.string(),
  summary: planSummarySchema.nullable(),
  topology: topologySchema.nullable(),
});
export type K3sPrompt = z.infer<typeof k3sPromptSchema>;

const stepStateSchema = z.enum(['pending', 'checking', 'skipped', 'running', 'done', 'failed', 'cancelled']);
export type K3sStepState = z.infer<typeof stepStateSchema>;

export const k3sStatusSchema = z.object({
  active: z.boolean(),
  runId: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']).nullable(),
  steps: z.array(z.object({ stepId: z.string(), state: stepStateSchema, startedAt: z.string().optional(), endedAt: z.string().optional() })),
  prompt: k3sPromptSchema.nullable(),
  /** Bytes of (redacted) terminal output of the run so far: what `k3s.output` can replay. */
  outputBytes: z.number().int(),
  /** Whether the run goes on on a control host while nobody follows it (re-attach with k3s.start). */
  detached: z.boolean(),
});
export type K3sStatus = z.infer<typeof k3sStatusSchema>;

export const CHECKLIST_ITEMS = ['domain', 'dns', 'project', 'quota'] as const;
export const checklistItemSchema = z.object({
  id: z.enum(CHECKLIST_ITEMS),
  state: z.enum(['ok', 'warning', 'failed', 'unknown']),
  detail: messageSchema,
  /** Cannot be checked through the API: the user confirms it. */
  confirmable: z.boolean(),
});
export const checklistSchema = z.object({ items: z.array(checklistItemSchema), checkedAt: z.number(), ready: z.boolean() });
export type Checklist = z.infer<typeof checklistSchema>;

const domainSchema = z.string().max(253).regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'domain');
const variableValues = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/), z.string().max(10_000));

export const k3sMethods = {
  'k3s.localHost': method(empty, localHostSchema),
  'k3s.preflight': method(z.object({ profileId: profileIdSchema }).strict(), preflightSchema),
  /** `repo`: the repository and ref on screen (the Code step shows what will run before they are saved). */
  'k3s.plan': method(z.object({ profileId: profileIdSchema, repo: z.object({ url: z.string().min(1).max(500), ref: z.string().min(1).max(250) }).strict().optional() }).strict(), k3sPlanSchema),
  'k3s.variables': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ names: z.array(z.string()), persistent: z.boolean() })),
  'k3s.setVariables': method(z.object({ profileId: profileIdSchema, values: variableValues }).strict(), z.object({ saved: z.literal(true), names: z.array(z.string()), persistent: z.boolean() }), true),
  'k3s.start': method(z.object({ profileId: profileIdSchema, fresh: z.boolean().optional() }).strict(), z.object({ started: z.literal(true) }), true),
  'k3s.answer': method(z.object({ profileId: profileIdSchema, promptId: z.string().max(100), answer: z.enum(['yes', 'no']) }).strict(), z.object({ sent: z.boolean() }), true),
  'k3s.input': method(z.object({ profileId: profileIdSchema, text: z.string().min(1).max(4000) }).strict(), z.object({ sent: z.boolean() }), true),
  'k3s.cancel': method(z.object({ profileId: profileIdSchema }).strict(), z.object({ cancelled: z.boolean() }), true),
  'k3s.status': method(z.object({ profileId: profileIdSchema }).strict(), k3sStatusSchema),
  'k3s.output': method(
    z.object({ profileId: profileIdSchema, runId: z.string().max(80).optional(), offset: z.number().int().min(0), maxBytes: z.number().int().min(1).max(4_000_000).optional() }).strict(),
    z.object({ runId: z.string().nullable(), offset: z.number().int(), data: z.string(), total: z.number().int() }),
  ),
  'k3s.checklist': method(z.object({ profileId: profileIdSchema, domain: domainSchema.optional() }).strict(), checklistSchema),
} as const;

export const k3sEvents = {
  /** Terminal output (already redacted), in order: `offset` is the byte offset of `data` in the run's output. */
  'k3s.output': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.string(), offset: z.number().int(), data: z.string() }),
  'k3s.step': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.string(), state: stepStateSchema, durationMs: z.number().optional(), error: envelopeSchema.optional() }),
  /** A question waits for the user (null: answered or gone). */
  'k3s.prompt': z.object({ profileId: profileIdSchema, runId: z.string(), prompt: k3sPromptSchema.nullable() }),
  'k3s.finished': z.object({
    profileId: profileIdSchema,
    runId: z.string(),
    outcome: z.enum(['succeeded', 'failed', 'cancelled']),
    failedStep: z.string().nullable(),
    error: envelopeSchema.nullable(),
    /** The run goes on on the control host (the connection was lost): start again to re-attach. */
    detached: z.boolean(),
  }),
  /** The connection to the control host was lost during a step (re-attaching, attempt n), or is back. */
  'k3s.connection': z.object({ profileId: profileIdSchema, runId: z.string(), stepId: z.string(), state: z.enum(['lost', 'back']), attempt: z.number().int().min(0) }),
} as const;
