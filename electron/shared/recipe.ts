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
const healthSchema = z.object({
  service: z.string(),
  url: z.string(),
  path: z.string(),
  containerPort: z.number(),
  publishedPort: z.string().nullable(),
  /** How the server checks it: a port published on the host, the reverse proxy (with `host` as Host header), or only the healthchecks. */
  via: z.enum(['host', 'proxy', 'container']).default('host'),
  /** The Host header through the proxy, as the compose file has it (may hold `${API_DOMAIN}`). */
  host: z.string().nullable().default(null),
  /** The proxy's published port and scheme used for the check (may hold `${VAR:-80}`). */
  proxyPort: z.string().nullable().default(null),
  proxyScheme: z.enum(['http', 'https']).nullable().default(null),
});

/** A file of the repository's own tooling that runs Compose (a Makefile target, a script, a workflow job, a unit, a doc). */
export const toolingSourceSchema = z.object({
  kind: z.enum(['makefile', 'script', 'workflow', 'systemd', 'docs']),
  file: z.string(),
  target: z.string().nullable(),
  line: z.number(),
});
export type ToolingSourceInfo = z.infer<typeof toolingSourceSchema>;

const comboSchema = z.object({
  kind: z.enum(['tooling', 'standalone', 'shared-base', 'base+prod', 'base+vps', 'env-folder', 'base-only', 'single', 'chosen']),
  files: z.array(z.string()),
  environment: z.string().nullable(),
  envExample: z.string().nullable(),
  /** kind 'tooling': the entry point that runs it, then what it called (e.g. Makefile target deploy-prod → a script). */
  source: z.array(toolingSourceSchema).optional(),
  /** The `--env-file` the tooling passes (repository path), when it passes one. */
  envFile: z.string().nullable().optional(),
});

// ---- What the production combination runs (issue 11) -------------------------------------------------------

const invocationSchema = z.object({
  chain: z.array(toolingSourceSchema),
  files: z.array(z.string()),
  missing: z.array(z.string()),
  envFile: z.string().nullable(),
  subcommand: z.string(),
  production: z.boolean().nullable(),
});

export const SERVICE_KINDS = ['database', 'backend', 'storage', 'dashboard', 'cache', 'proxy', 'frontend', 'other'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export const BUILD_LANGUAGES = ['rust', 'node', 'go', 'python', 'other'] as const;

const imagesSchema = z.object({
  /** Services whose image is pulled from a registry (prebuilt first). */
  pull: z.array(
    z.object({
      service: z.string(),
      image: z.string(),
      /** Registry host (ghcr.io, 127.0.0.1:5000), null for Docker Hub. */
      registry: z.string().nullable(),
      /** A tag that moves (`latest`, `*-latest`, `main`…): re-pulled on every deployment. */
      moving: z.boolean(),
      /** The image is likely private (the repository's own images of a private repository). */
      private: z.boolean(),
    }),
  ),
  /** Services that can only be built from source on the server. */
  build: z.array(z.object({ service: z.string(), context: z.string(), dockerfile: z.string().nullable(), language: z.enum(BUILD_LANGUAGES) })),
  /** A CI workflow of the repository that publishes images (a way to avoid building on the server). */
  ci: z.string().nullable(),
});
export type RecipeImages = z.infer<typeof imagesSchema>;

const exposureSchema = z.object({
  service: z.string(),
  kind: z.enum(SERVICE_KINDS),
  /** Host port as written (may hold `${VAR:-x}`), null: a random one. */
  published: z.string().nullable(),
  target: z.number(),
  protocol: z.string(),
  /** The file that publishes it. */
  file: z.string(),
});
export type RecipeExposure = z.infer<typeof exposureSchema>;

const backupSchema = z.object({
  covered: z.array(z.object({ kind: z.enum(['postgres', 'volume', 'bind']), service: z.string(), source: z.string(), target: z.string(), what: z.enum(['database', 'object-storage', 'uploads', 'data']) })),
  notCovered: z.array(
    z.object({ kind: z.enum(['volume', 'bind']), service: z.string(), source: z.string(), target: z.string(), reason: z.enum(['logs', 'cache', 'certificates', 'database-files', 'read-only', 'socket', 'temporary', 'in-repository']) }),
  ),
});
export type RecipeBackup = z.infer<typeof backupSchema>;

const monitoringNeedsSchema = z.object({
  /** Debian packages its commands need (bc, jq, curl…). */
  packages: z.array(z.string()),
  /** It calls psql: the app provides one that runs inside the PostgreSQL container. */
  psql: z.boolean(),
  /** It reads DATABASE_URL. */
  databaseUrl: z.boolean(),
  /** Exit 1 means "warning" and 2 "critical" (not a broken script). */
  warningExit: z.boolean(),
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
    .object({
      service: z.string(),
      image: z.string(),
      user: z.string(),
      database: z.string(),
      userFrom: z.enum(['compose', 'env-example', 'default']),
      /** The service's POSTGRES_PASSWORD as written (`${POSTGRES_PASSWORD:-koprogo123}`), resolved with the `.env` for the monitoring scripts. */
      passwordExpr: z.string().nullable().default(null),
    })
    .nullable(),
  monitoring: z.object({
    scripts: z.array(z.object({ path: z.string(), kind: z.enum(['vps', 'postgres', 'capacity', 'other']), needs: monitoringNeedsSchema.optional() })),
    thresholds: z.object({ path: z.string(), keys: z.array(z.string()) }).nullable(),
    /** Days the repository keeps its monitoring logs (its own `find -mtime +N`), null: not said (the app keeps 7). */
    retentionDays: z.number().nullable().default(null),
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
  // ---- issue 11: what the production combination runs ----
  /** The env file Compose reads for the production combination (repository path): the tooling's `--env-file`, else `.env` in the project folder. */
  envFile: z.string().nullable().default(null),
  /** Compose invocations found in the repository's tooling (at most 20), for the Code step. */
  tooling: z.array(invocationSchema).default([]),
  /** The application's backend service (the one the proxy routes the API to). */
  backend: z.string().nullable().default(null),
  images: imagesSchema.default({ pull: [], build: [], ci: null }),
  /** The reverse proxy in front (Traefik…) and the ports it publishes. */
  proxy: z.object({ service: z.string(), httpPort: z.string().nullable(), httpsPort: z.string().nullable() }).nullable().default(null),
  /** Internal ports published on every interface (Docker bypasses ufw). */
  exposure: z.array(exposureSchema).default([]),
  backup: backupSchema.default({ covered: [], notCovered: [] }),
  /** What the phase-2 tuning starts from: the PostgreSQL command and the backend's deploy.resources as the combination sets them. */
  tuning: z
    .object({
      postgres: z.object({ service: z.string(), command: z.union([z.array(z.string()), z.string()]).nullable() }).nullable(),
      backend: z.object({ service: z.string(), resources: z.record(z.string(), z.unknown()).nullable() }).nullable(),
    })
    .default({ postgres: null, backend: null }),
  /** Application accounts the repository seeds with a known password (to change after deploying). */
  defaultCredentials: z.array(z.object({ file: z.string(), user: z.string(), password: z.string() })).default([]),
  /** What identifies a copy already started by the repository's own scripts. */
  adoption: z.object({ containerNames: z.array(z.string()), project: z.string().nullable() }).default({ containerNames: [], project: null }),
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
  /** 'repository': filled from the chosen repository (an image owner `your-username/koprogo`). */
  source: z.enum(['saved', 'example', 'generated', 'empty', 'repository']),
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
  'too_long',
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
