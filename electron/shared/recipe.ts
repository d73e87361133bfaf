import { z } from 'zod';
import { k3sEntryPointSchema } from './k3s-entry';

// What the app learnt about how a repository deploys (its recipe), and the configuration form built
// from its env example. Detected on the main side (electron/main/recipe), shown by the renderer.


export const recipeMessageSchema = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) });
export type RecipeMessage = z.infer<typeof recipeMessageSchema>;

const portSchema = z.object({ published: z.string().nullable(), target: z.number(), protocol: z.string(), hostIp: z.string().nullable() });
const serviceSchema = z.object({
  name: z.string(),
  image: z.string().nullable(),
  build: z.boolean(),
  ports: z.array(portSchema),
  healthcheck: z.string().nullable(),
  dependsOn: z.array(z.string()),
});
const healthSchema = z.object({ service: z.string(), url: z.string(), path: z.string(), containerPort: z.number(), publishedPort: z.string().nullable() });
const comboSchema = z.object({
  kind: z.enum(['base+prod', 'base+vps', 'env-folder', 'base-only', 'single', 'chosen']),
  files: z.array(z.string()),
  environment: z.string().nullable(),
  envExample: z.string().nullable(),
});

export const RecipeSchema = z.object({
  composeCombinations: z.array(comboSchema),
  production: comboSchema.nullable(),
  /** Why this combination was chosen (i18n code + params). */
  choice: recipeMessageSchema.nullable(),
  /** The folder the compose command runs in (where `.env` goes); '' is the repository root. */
  composeDir: z.string().nullable(),
  envExample: z.object({ path: z.string(), keys: z.array(z.string()), problems: z.number() }).nullable(),
  services: z.array(serviceSchema),
  health: healthSchema.nullable(),
  postgres: z
    .object({ service: z.string(), image: z.string(), user: z.string(), database: z.string(), userFrom: z.enum(['compose', 'env-example', 'default']) })
    .nullable(),
  monitoring: z.object({
    scripts: z.array(z.object({ path: z.string(), kind: z.enum(['vps', 'postgres', 'capacity', 'other']) })),
    thresholds: z.object({ path: z.string(), keys: z.array(z.string()) }).nullable(),
  }),
  k3s: z
    .object({
      root: z.string(),
      terraform: z.boolean(),
      ansible: z.boolean(),
      helm: z.boolean(),
      deployScript: z.string().nullable(),
      environments: z.array(z.string()),
      /** Each way the repository deploys K3s, with the phases it serves (electron/main/recipe/detect-k3s.ts). */
      entryPoints: z.array(k3sEntryPointSchema),
    })
    .nullable(),
  phases: z.object({ 1: z.boolean(), 2: z.boolean(), 3: z.boolean(), 4: z.boolean() }),
  missing: z.array(recipeMessageSchema.extend({ severity: z.enum(['blocking', 'warning', 'info']) })),
  filesRead: z.array(z.string()),
});
export type Recipe = z.infer<typeof RecipeSchema>;
export type RecipeService = z.infer<typeof serviceSchema>;
export type RecipeCombination = z.infer<typeof comboSchema>;


/** Files the user pointed at when detection did not find them where expected. */
export const recipeOverridesSchema = z
  .object({
    composeFiles: z.array(z.string().min(1).max(300)).min(1).max(10).optional(),
    envExample: z.string().min(1).max(300).optional(),
  })
  .strict();
export type RecipeOverrides = z.infer<typeof recipeOverridesSchema>;

// ---- The configuration form built from the env example ---------------------------------------------------------

export const ENV_KINDS = ['secret', 'domain', 'email', 'url', 'logLevel', 'number', 'boolean', 'htpasswd', 'text'] as const;
export type EnvFieldKind = (typeof ENV_KINDS)[number];

export const configFieldSchema = z.object({
  key: z.string(),
  kind: z.enum(ENV_KINDS),
  /** Section heading from the example's comments. */
  group: z.string().nullable(),
  /** The comment above the key: the help text. */
  help: z.string().nullable(),
  /** What the field holds now (a saved value, the example's default, or a generated secret). */
  value: z.string(),
  source: z.enum(['saved', 'example', 'generated', 'empty']),
  /** The example's value, shown as a hint (null for secrets). */
  example: z.string().nullable(),
  exampleIsPlaceholder: z.boolean(),
  choices: z.array(z.string()).nullable(),
  /** htpasswd: the user of the saved or example value. */
  htpasswdUser: z.string().nullable(),
  /** The value interpolates other keys (`${POSTGRES_PASSWORD}`): written as the example has it, not asked. */
  derived: z.boolean(),
  /** On a re-run: a key the new example adds. */
  added: z.boolean(),
});
export type ConfigField = z.infer<typeof configFieldSchema>;

export const configFormSchema = z.object({
  envExample: z.string().nullable(),
  fields: z.array(configFieldSchema),
  /** Keys of the saved `.env` the new example no longer has (values are not sent). */
  removed: z.array(z.string()),
  /** The form merges a saved `.env` with the example. */
  rerun: z.boolean(),
  /** Where the kept values come from: none, the `.env` saved by this app, or the one on the server. */
  mergedWith: z.enum(['none', 'saved', 'server']),
  /** Lines of the example Compose would refuse or read differently. */
  exampleProblems: z.array(z.object({ line: z.number(), kind: z.string() })),
});
export type ConfigForm = z.infer<typeof configFormSchema>;

export const CONFIG_PROBLEMS = [
  'empty',
  'placeholder',
  'weak_secret',
  'bad_email',
  'bad_domain',
  'bad_url',
  'bad_number',
  'bad_boolean',
  'bad_choice',
  'bad_htpasswd',
  'htpasswd_user',
  'domain_not_found',
  'not_writable',
] as const;
export type ConfigProblem = (typeof CONFIG_PROBLEMS)[number];
export const configProblemSchema = z.object({ key: z.string(), problem: z.enum(CONFIG_PROBLEMS) });

const envKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(200);
export const configValuesSchema = z
  .object({
    values: z.record(envKey, z.string().max(10_000)),
    htpasswd: z.record(envKey, z.object({ user: z.string().max(200), password: z.string().max(1000) }).strict()).default({}),
    /** Removed keys the user chose to drop (the others are kept at the end of the file). */
    dropRemoved: z.array(envKey).max(500).default([]),
  })
  .strict();
export type ConfigValues = z.input<typeof configValuesSchema>;

export const DNS_STATES = ['points_here', 'points_elsewhere', 'no_records', 'not_found', 'error'] as const;
export const dnsResultSchema = z.object({
  domain: z.string(),
  state: z.enum(DNS_STATES),
  addresses: z.array(z.string()),
});
export type DnsResult = z.infer<typeof dnsResultSchema>;
