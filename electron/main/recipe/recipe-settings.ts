// The profile settings a recipe decides (the deploy engine reads them; the plan's review shows the risks). Profile
// settings are strings: lists are comma-separated, structures JSON. Every key is always written (empty when the
// recipe has nothing for it), so a key a previous recipe set never survives a new detection.
import type { Recipe } from '../../shared/recipe';

/** Keys this function owns (and writes, empty or not). */
export const RECIPE_SETTING_KEYS = [
  'composeFiles',
  'envFile',
  'healthUrl',
  'health.hostPort',
  'health.proxyHost',
  'health.proxyPort',
  'health.proxyScheme',
  'health.path',
  'postgres.service',
  'postgres.user',
  'postgres.database',
  'postgres.passwordExpr',
  'monitoring.metrics',
  'monitoring.postgresMetrics',
  'monitoring.capacity',
  'monitoring.thresholds',
  'monitoring.needs',
  'monitoring.retentionDays',
  'tuning.postgres',
  'tuning.backend',
  'tuning.postgresCommand',
  'tuning.backendResources',
  'compose.pull',
  'compose.build',
  'compose.buildLanguages',
  'compose.imagesCi',
  'registry.host',
  'registry.auth',
  'exposure.ports',
  'backup.volumes',
  'backup.paths',
  'backup.notCovered',
  'adopt.containerNames',
  'adopt.predictedProject',
  'app.defaultCredentials',
] as const;

const json = (v: unknown): string => JSON.stringify(v);

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

export function settingsFromRecipe(recipe: Recipe): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(RECIPE_SETTING_KEYS.filter((k) => k !== 'composeFiles' && k !== 'envFile' && k !== 'healthUrl').map((k) => [k, '']));
  if (recipe.production) out.composeFiles = recipe.production.files.join(',');
  if (recipe.envFile !== null) out.envFile = recipe.envFile;
  else if (recipe.composeDir !== null) out.envFile = recipe.composeDir === '' ? '.env' : `${recipe.composeDir}/.env`;
  // The backend's health: from the server itself when published on the host; through the reverse proxy with the
  // route's Host header when only the proxy is published; else the services' own healthchecks decide.
  const h = recipe.health;
  if (h?.via === 'host' && h.publishedPort && /^\d+$/.test(h.publishedPort)) out.healthUrl = `http://127.0.0.1:${h.publishedPort}${h.path}`;
  else if (recipe.production) out.healthUrl = '';
  // A published port set by the .env (`${BACKEND_PORT:-8080}`): the URL is made when the .env is known.
  out['health.hostPort'] = h?.via === 'host' && h.publishedPort && !/^\d+$/.test(h.publishedPort) ? h.publishedPort : '';
  if (out['health.hostPort'] !== '') out['health.path'] = h?.path ?? '/';
  if (h?.via === 'proxy' && h.host && h.proxyPort && h.proxyScheme) {
    out['health.proxyHost'] = h.host;
    out['health.proxyPort'] = h.proxyPort;
    out['health.proxyScheme'] = h.proxyScheme;
    out['health.path'] = h.path;
  }
  if (recipe.postgres) {
    out['postgres.service'] = recipe.postgres.service;
    out['postgres.user'] = recipe.postgres.user;
    out['postgres.database'] = recipe.postgres.database;
    out['postgres.passwordExpr'] = recipe.postgres.passwordExpr ?? '';
  }
  const script = (kind: string) => recipe.monitoring.scripts.find((s) => s.kind === kind);
  const scheduled = ['vps', 'postgres', 'capacity'].map(script).filter((s): s is NonNullable<typeof s> => s !== undefined);
  out['monitoring.metrics'] = script('vps')?.path ?? '';
  out['monitoring.postgresMetrics'] = script('postgres')?.path ?? '';
  out['monitoring.capacity'] = script('capacity')?.path ?? '';
  out['monitoring.thresholds'] = recipe.monitoring.thresholds?.path ?? '';
  if (scheduled.some((s) => s.needs)) out['monitoring.needs'] = json(Object.fromEntries(scheduled.filter((s) => s.needs).map((s) => [s.path, s.needs])));
  if (recipe.monitoring.retentionDays !== null) out['monitoring.retentionDays'] = String(recipe.monitoring.retentionDays);
  // Phase-2 tuning keeps what the repository sets.
  if (recipe.tuning.postgres) {
    out['tuning.postgres'] = recipe.tuning.postgres.service;
    if (recipe.tuning.postgres.command !== null) out['tuning.postgresCommand'] = json(recipe.tuning.postgres.command);
  }
  if (recipe.tuning.backend) {
    out['tuning.backend'] = recipe.tuning.backend.service;
    if (recipe.tuning.backend.resources) out['tuning.backendResources'] = json(recipe.tuning.backend.resources);
  }
  // Prebuilt images first; what only builds is said before the plan.
  if (recipe.production) {
    out['compose.pull'] = json(recipe.images.pull.map((p) => ({ service: p.service, image: p.image })));
    out['compose.build'] = recipe.images.build.map((b) => b.service).join(',');
    if (recipe.images.build.length > 0) out['compose.buildLanguages'] = json(recipe.images.build.map((b) => ({ service: b.service, language: b.language })));
    out['compose.imagesCi'] = recipe.images.ci ?? '';
  }
  const privateImages = recipe.images.pull.filter((p) => p.private && p.registry);
  if (privateImages[0]?.registry) {
    out['registry.host'] = privateImages[0].registry;
    // GHCR: the GitHub sign-in the app already has (its token needs read:packages).
    out['registry.auth'] = privateImages[0].registry === 'ghcr.io' ? 'github' : 'password';
  }
  if (recipe.exposure.length > 0) out['exposure.ports'] = json(recipe.exposure);
  const volumes = recipe.backup.covered.filter((c) => c.kind === 'volume').map((c) => ({ volume: c.source, name: null }));
  // Bind mounts are relative to the project folder; the backup reads them from the checkout.
  const dir = recipe.composeDir ?? '';
  const paths = recipe.backup.covered.filter((c) => c.kind === 'bind').map((c) => (c.source.startsWith('/') ? c.source : normalize(`${dir}/${c.source}`)));
  if (volumes.length > 0) out['backup.volumes'] = json(volumes);
  if (paths.length > 0) out['backup.paths'] = json(paths);
  if (recipe.backup.notCovered.length > 0) out['backup.notCovered'] = json(recipe.backup.notCovered.map((n) => ({ service: n.service, source: n.source, reason: n.reason })));
  out['adopt.containerNames'] = recipe.adoption.containerNames.join(',');
  out['adopt.predictedProject'] = recipe.adoption.project ?? '';
  if (recipe.defaultCredentials.length > 0) out['app.defaultCredentials'] = json(recipe.defaultCredentials);
  return out;
}
