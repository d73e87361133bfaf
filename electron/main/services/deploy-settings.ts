import { GITHUB_COM_TOKEN_SECRET } from '../github/token-hosts';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import type { RecipeExposure } from '../../shared/recipe';
import { defaultComposeSettings } from '../engine/steps/compose-plan';
import type { ComposeDeploySettings, MonitoringSettings } from '../engine/types';
import { isMovingTag, tagOf } from '../recipe/analysis';
import { bindLocalCopies } from '../recipe/bind-local';
import { interpolate } from '../recipe/compose-model';
import { parseEnvFile } from '../recipe/env-file';

// From a saved profile (plus the secrets it references) to the settings the step builders take.
// Every value is validated here: what reaches a script is a known shape, and quoted there.

/** Control characters (newlines included) never belong in a path or a name that reaches a script. */
const hasControl = (p: string) => [...p].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

const name = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/);
const relPath = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !hasControl(p), 'relative_path');
const absPath = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..') && !hasControl(p), 'absolute_path');

/** A zone of the IANA list this runtime knows (as timedatectl's list on the server does), or UTC. */
function knownZone(tz: string): boolean {
  if (tz === 'UTC' || tz.startsWith('Etc/')) return true;
  try {
    return Intl.supportedValuesOf('timeZone').includes(tz);
  } catch {
    return true;
  }
}

export const deploySettingsSchema = z.object({
  hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'hostname').default('koprogo'),
  timezone: z
    .string()
    .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+){0,2}$/, 'timezone')
    .refine(knownZone, 'timezone')
    .default('Europe/Brussels'),
  deployUser: name.default('koprogo'),
  composeFiles: z
    .string()
    .default('docker-compose.yml,docker-compose.prod.yml')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(relPath).min(1).max(10)),
  composeProject: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'compose_project').default('koprogo'),
  envFile: relPath.default('.env'),
  checkoutName: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('app'),
  /** '' when the health endpoint is not published on the server (only the services' healthchecks count). */
  healthUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default('http://127.0.0.1:8080/health'),
  /** known_hosts lines pinning the Git host's SSH keys, for a private repository cloned over SSH. */
  'repo.knownHosts': z
    .string()
    .max(10_000)
    .refine((text) => text.split('\n').every((l) => l.trim() === '' || /^[^\s]+ (ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/.test(l.trim())), 'known_hosts')
    .optional(),
  /** The health endpoint through the public domain, checked from this computer once DNS points at the server. */
  publicHealthUrl: z.url({ protocol: /^https?$/ }).optional(),
  healthTimeoutSec: z.coerce.number().int().min(10).max(3600).default(300),
  'postgres.service': z.string().max(64).optional(),
  'postgres.user': z.string().max(64).optional(),
  'postgres.database': z.string().max(64).optional(),
  'monitoring.metrics': z.union([z.literal(''), relPath]).optional(),
  'monitoring.postgresMetrics': z.union([z.literal(''), relPath]).optional(),
  'tuning.postgres': z.string().max(64).optional(),
  'tuning.backend': z.string().max(64).optional(),
  // ---- issue 11: what the recipe says the production combination runs (see recipe/recipe-settings.ts) ----
  'tuning.postgresCommand': z.string().max(10_000).optional(),
  'tuning.backendResources': z.string().max(10_000).optional(),
  'health.hostPort': z.string().max(100).optional(),
  'health.proxyHost': z.string().max(300).optional(),
  'health.proxyPort': z.string().max(100).optional(),
  'health.proxyScheme': z.union([z.literal(''), z.enum(['http', 'https'])]).optional(),
  'health.path': z.string().max(300).optional(),
  'postgres.passwordExpr': z.string().max(300).optional(),
  'monitoring.capacity': z.union([z.literal(''), relPath]).optional(),
  'monitoring.needs': z.string().max(10_000).optional(),
  'monitoring.retentionDays': z.string().regex(/^(\d{1,3})?$/).optional(),
  'compose.pull': z.string().max(10_000).optional(),
  'compose.build': z.string().max(2_000).optional(),
  'registry.host': z.string().regex(/^([a-z0-9.-]+(:\d{1,5})?)?$/i).optional(),
  'registry.user': z.string().regex(/^[A-Za-z0-9._@-]{0,100}$/).optional(),
  'registry.auth': z.enum(['', 'github', 'password']).optional(),
  'exposure.ports': z.string().max(10_000).optional(),
  /** The user's choice in the plan: bind the exposed internal ports to 127.0.0.1 ('yes') or keep them ('no'). */
  'exposure.bindLocal': z.enum(['', 'yes', 'no']).optional(),
  'backup.volumes': z.string().max(10_000).optional(),
  'backup.paths': z.string().max(10_000).optional(),
  'adopt.containerNames': z.string().max(2_000).optional(),
  'layout.logrotateDir': absPath.optional(),
  'layout.stateDir': absPath.optional(),
  'layout.appRoot': absPath.optional(),
  'layout.cronDir': absPath.optional(),
  'layout.aptConfDir': absPath.optional(),
  'layout.fail2banDir': absPath.optional(),
  'layout.backupDir': absPath.optional(),
  'layout.binDir': absPath.optional(),
  'layout.hostsFile': absPath.optional(),
});

/** The secret-store name of the GitHub token (recipe-service keeps the same name). */
/** The github.com token's secret name (github/token-hosts.ts): GHCR, GitHub's registry, takes the same token. */
export const GITHUB_TOKEN_SECRET_NAME = GITHUB_COM_TOKEN_SECRET;

// ---- The structures kept as JSON in settings (validated when read back) ----------------------------------------

const commandSchema = z.union([z.array(z.string().max(2000)).max(200), z.string().max(5000)]);
const resourcesSchema = z.record(z.string(), z.unknown());
const needsSchema = z.record(z.string(), z.object({ packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]{0,60}$/)), psql: z.boolean(), databaseUrl: z.boolean(), warningExit: z.boolean() }));
const pullSchema = z.array(z.object({ service: z.string().max(64), image: z.string().max(500) })).max(50);
const exposureSchema = z.array(
  z.object({ service: z.string().max(64), kind: z.string().max(20), published: z.string().max(100).nullable(), target: z.number().int(), protocol: z.string().max(10), file: relPath }),
).max(100);
const volumesSchema = z.array(z.object({ volume: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/), name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/).nullable() })).max(50);
const pathsSchema = z.array(z.union([relPath, absPath])).max(50);

/** A JSON setting: absent or empty → undefined; unreadable → the deployment is not ready (names the key). */
function jsonSetting<T>(settings: Record<string, string | undefined>, key: string, schema: z.ZodType<T>): T | undefined {
  const text = settings[key];
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('deploy.not_ready', { missing: key });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('deploy.not_ready', { missing: key });
  return parsed.data;
}

function interpolateDeep(v: unknown, env: Record<string, string>): unknown {
  if (typeof v === 'string') return interpolate(v, env);
  if (Array.isArray(v)) return v.map((x) => interpolateDeep(x, env));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateDeep(x, env)]));
  return v;
}

const list = (text: string | undefined): string[] => (text ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/** What the deployment needs besides the profile: secrets, and the compose files as the recipe read them. */
export interface DeploySecrets {
  envContent: string;
  publicKey: string;
  repoKey?: string | null;
  /** The GitHub sign-in (a token with read:packages): GHCR's password. */
  githubToken?: string | null;
  /** Another registry's password or token. */
  registryPassword?: string | null;
  /** The production compose files' text (for the 127.0.0.1 copies). */
  composeTexts?: Record<string, string> | null;
  /**
   * 'server': only what reaching the server needs (layout, project, files), e.g. to read its `.env` or break its
   * lock; what the steps alone need (registry credentials, the recipe's files) is then not required.
   */
  purpose?: 'steps' | 'server';
}

export function composeSettingsFrom(profile: Profile, secrets: DeploySecrets): ComposeDeploySettings {
  if (!profile.server) throw new AppError('deploy.not_ready', { missing: 'server' });
  if (!profile.repo) throw new AppError('deploy.not_ready', { missing: 'repository' });
  if (profile.phase !== 1 && profile.phase !== 2) throw new AppError('deploy.not_ready', { missing: 'phase 1–2' });
  const parsed = deploySettingsSchema.safeParse(profile.settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('deploy.not_ready', { missing: issue ? issue.path.join('.') : 'settings' });
  }
  const s = parsed.data;
  if (secrets.repoKey && !s['repo.knownHosts']?.trim()) throw new AppError('deploy.not_ready', { missing: 'repo.knownHosts' });
  const layout = Object.fromEntries(
    Object.entries(s)
      .filter(([k, v]) => k.startsWith('layout.') && v !== undefined)
      .map(([k, v]) => [k.slice('layout.'.length), v]),
  );
  const pg = s['postgres.service'] && s['postgres.user'] && s['postgres.database'] ? { service: s['postgres.service'], user: s['postgres.user'], database: s['postgres.database'] } : null;
  const raw = profile.settings;
  // The values Compose interpolates the files with (image tags, the API domain, the proxy's port).
  const env: Record<string, string> = Object.fromEntries(parseEnvFile(secrets.envContent).entries.map((e) => [e.key, e.value]));

  // Images: prebuilt first; a moving tag resolved with the .env is re-pulled on every run.
  const pull = jsonSetting(raw, 'compose.pull', pullSchema);
  const images =
    pull === undefined && raw['compose.build'] === undefined
      ? undefined
      : { pull: (pull ?? []).map((p) => ({ service: p.service, image: interpolate(p.image, env), moving: isMovingTag(tagOf(p.image, env)) })), build: list(raw['compose.build']) };
  let registry: ComposeDeploySettings['registry'] = null;
  const auth = raw['registry.auth'] ?? '';
  if (s['registry.host'] && auth !== '') {
    const password = auth === 'github' ? secrets.githubToken : secrets.registryPassword;
    if (!password && secrets.purpose !== 'server') throw new AppError('deploy.not_ready', { missing: auth === 'github' ? 'GitHub sign-in (read:packages)' : 'registry password' });
    registry = { host: s['registry.host'], user: s['registry.user'] || 'koprogo', password: password ?? '' };
  }

  // The backend's health through the reverse proxy, with the route's Host header.
  let healthUrl = s.healthUrl;
  const forSteps = secrets.purpose !== 'server';
  if (forSteps && healthUrl === '' && s['health.hostPort']) {
    const port = Number(interpolate(s['health.hostPort'], env).trim());
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppError('deploy.not_ready', { missing: 'health.hostPort' });
    healthUrl = `http://127.0.0.1:${port}${s['health.path'] || '/'}`;
  }
  let healthProxy: ComposeDeploySettings['healthProxy'] = null;
  if (forSteps && s['health.proxyHost'] && s['health.proxyPort'] && s['health.proxyScheme']) {
    const host = interpolate(s['health.proxyHost'], env).trim();
    const port = Number(interpolate(s['health.proxyPort'], env).trim() || (s['health.proxyScheme'] === 'https' ? 443 : 80));
    if (!HOSTNAME.test(host)) throw new AppError('deploy.not_ready', { missing: 'health.proxyHost' });
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppError('deploy.not_ready', { missing: 'health.proxyPort' });
    healthProxy = { host, port, scheme: s['health.proxyScheme'] };
    healthUrl = `${s['health.proxyScheme']}://${host}:${port}${s['health.path'] || '/'}`;
  }

  // Internal ports published on every interface: bound to 127.0.0.1 by the app's copies, when the user said so.
  const exposure = (jsonSetting(raw, 'exposure.ports', exposureSchema) ?? []) as RecipeExposure[];
  let bindLocal: ComposeDeploySettings['bindLocal'];
  if (exposure.length > 0 && s['exposure.bindLocal'] === 'yes') {
    // The copies are made from the files as the recipe read them: a recipe of another repository or version is not used.
    const texts = secrets.composeTexts;
    if ((!texts || exposure.some((e) => texts[e.file] === undefined)) && secrets.purpose !== 'server') throw new AppError('deploy.not_ready', { missing: 'recipe' });
    bindLocal = bindLocalCopies(s.composeFiles, secrets.composeTexts ?? {}, exposure);
  }

  // The monitoring scripts' needs.
  const needs = jsonSetting(raw, 'monitoring.needs', needsSchema) ?? {};
  const scheduled = [s['monitoring.metrics'], s['monitoring.postgresMetrics'], s['monitoring.capacity']].filter((x): x is string => !!x);
  const scriptNeeds = scheduled.map((p) => needs[p]).filter((n): n is NonNullable<typeof n> => n !== undefined);
  const wantsDb = scriptNeeds.some((n) => n.databaseUrl || n.psql);
  const dbPassword = s['postgres.passwordExpr'] ? interpolate(s['postgres.passwordExpr'], env) : (env.POSTGRES_PASSWORD ?? '');
  const monitoringNeeds: MonitoringSettings | undefined = raw['monitoring.needs'] === undefined && raw['monitoring.retentionDays'] === undefined ? undefined : {
    packages: [...new Set(scriptNeeds.flatMap((n) => n.packages))],
    psql: scriptNeeds.some((n) => n.psql) && pg !== null,
    database: wantsDb && pg ? { url: `postgresql://${encodeURIComponent(pg.user)}@localhost:5432/${encodeURIComponent(pg.database)}`, password: dbPassword } : null,
    warningExit: scheduled.filter((p) => needs[p]?.warningExit),
    retentionDays: Number(s['monitoring.retentionDays'] || 7) || 7,
  };

  const volumes = jsonSetting(raw, 'backup.volumes', volumesSchema);
  const paths = jsonSetting(raw, 'backup.paths', pathsSchema);
  const command = jsonSetting(raw, 'tuning.postgresCommand', commandSchema);
  const resources = jsonSetting(raw, 'tuning.backendResources', resourcesSchema);
  return defaultComposeSettings({
    phase: profile.phase,
    layout: { ...defaultComposeSettings({}).layout, ...layout },
    hostname: s.hostname,
    timezone: s.timezone,
    deployUser: s.deployUser,
    deployUserPublicKey: secrets.publicKey,
    sshPort: profile.server.port,
    repo: {
      url: profile.repo.url,
      ref: profile.repo.ref,
      ...(secrets.repoKey ? { deployKey: { privateKey: secrets.repoKey, knownHosts: s['repo.knownHosts'] ?? '' } } : {}),
    },
    checkoutName: s.checkoutName,
    composeFiles: s.composeFiles,
    composeProject: s.composeProject,
    envFile: s.envFile,
    envContent: secrets.envContent,
    healthUrl,
    healthTimeoutSec: s.healthTimeoutSec,
    postgres: pg,
    monitoring: { metrics: s['monitoring.metrics'] || null, postgresMetrics: s['monitoring.postgresMetrics'] || null, capacity: s['monitoring.capacity'] || null },
    tuning: {
      postgresService: s['tuning.postgres'] || null,
      backendService: s['tuning.backend'] || null,
      ...(command !== undefined ? { postgresCommand: command } : {}),
      // Compose interpolates deploy.resources (`${BACKEND_MEM_LIMIT:-384M}`): compared with 500M as it will be.
      ...(resources !== undefined ? { backendResources: interpolateDeep(resources, env) as Record<string, unknown> } : {}),
    },
    ...(monitoringNeeds ? { monitoringNeeds } : {}),
    ...(images ? { images } : {}),
    registry,
    healthProxy,
    ...(bindLocal ? { bindLocal } : {}),
    ...(volumes || paths ? { backupData: { volumes: volumes ?? [], paths: paths ?? [] } } : {}),
    ...(list(s['adopt.containerNames']).length > 0 ? { adoptContainerNames: list(s['adopt.containerNames']) } : {}),
  });
}
