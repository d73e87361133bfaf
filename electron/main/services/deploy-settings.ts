import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { Profile } from '../../shared/profile';
import { defaultComposeSettings } from '../engine/steps/compose-plan';
import type { ComposeDeploySettings } from '../engine/types';

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
  'monitoring.metrics': relPath.optional(),
  'monitoring.postgresMetrics': relPath.optional(),
  'tuning.postgres': z.string().max(64).optional(),
  'tuning.backend': z.string().max(64).optional(),
  'layout.stateDir': absPath.optional(),
  'layout.appRoot': absPath.optional(),
  'layout.cronDir': absPath.optional(),
  'layout.aptConfDir': absPath.optional(),
  'layout.fail2banDir': absPath.optional(),
  'layout.backupDir': absPath.optional(),
  'layout.binDir': absPath.optional(),
  'layout.hostsFile': absPath.optional(),
});

export function composeSettingsFrom(profile: Profile, secrets: { envContent: string; publicKey: string; repoKey?: string | null }): ComposeDeploySettings {
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
    healthUrl: s.healthUrl,
    healthTimeoutSec: s.healthTimeoutSec,
    postgres: pg,
    monitoring: { metrics: s['monitoring.metrics'] ?? null, postgresMetrics: s['monitoring.postgresMetrics'] ?? null },
    tuning: { postgresService: s['tuning.postgres'] ?? null, backendService: s['tuning.backend'] ?? null },
  });
}
