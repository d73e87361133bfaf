// Recipe detection: from a repository's file list and a few file reads, learn how it deploys — which compose files
// make production (what its own tooling runs, else what the file names say), the env example and env file, the
// backend and its health endpoint, images to pull or build, ports open to the internet, the state to back up, the
// PostgreSQL to dump, the monitoring scripts and what they need, and the K3s `infrastructure/` — and which phases
// that enables. Paths are discovered, never assumed. Sources: GitHub (tree + contents through GitHubClient) or a
// local folder. Unknown layouts are explained, not fatal.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { GitHubClient, RepoId } from '../github/client';
import { GitHubError } from '../github/errors';
import { backendOf, backupOf, containerNamesOf, defaultProjectName, exposureOf, healthOf, healthPathFromOpenApi, imagesOf, proxyOf, tuningOf } from './analysis';
import { base, chooseProduction, COMPOSE_FILE, dirOf, ENV_EXAMPLE, envExampleFor, findCombinations } from './combinations';
import { defaultServices, interpolate, isMap, mergeComposeFiles, parseComposeFile, parsePort, toEnvMap, type ComposeMap } from './compose-model';
import { detectK3s } from './detect-k3s';
import { parseEnvFile } from './env-file';
import { defaultCredentials, monitoringNeeds, retentionDays, seedCandidates } from './monitoring-needs';
import { readTooling } from './tooling';
import { RecipeSchema, type Recipe, type RecipeCombination, type RecipeMessage, type RecipeOverrides, type RecipeService } from '../../shared/recipe';

export { RecipeSchema, type Recipe, type RecipeMessage, type RecipeService };

export interface RecipeSource {
  listFiles(): Promise<string[]>;
  /** The file's text, or null when it does not exist or cannot be read. */
  readText(path: string): Promise<string | null>;
}

/** What the caller knows about the repository (GitHub): its owner, name and visibility. */
export interface RepoContext {
  owner?: string | null;
  name?: string | null;
  private?: boolean | null;
}

// ---- Output: the Recipe schema lives in electron/shared/recipe.ts (the renderer shows it) ----------------------

type Combo = RecipeCombination;

// ---- Sources --------------------------------------------------------------------------------------------------

/** Reads through the GitHub API: one tree request, then one contents request per file read. */
export function githubSource(client: GitHubClient, repo: RepoId, ref: string): RecipeSource {
  return {
    async listFiles() {
      return (await client.getTree(repo, ref)).files;
    },
    async readText(path) {
      try {
        return await client.getFileText(repo, path, ref);
      } catch (err) {
        if (err instanceof GitHubError && (err.intendedCode === 'github.not_found' || err.intendedCode === 'github.too_large')) return null;
        throw err;
      }
    },
  };
}

const LOCAL_SKIP = new Set(['.git', 'node_modules', 'target', 'dist', 'build', 'out', '.next', 'coverage', 'vendor']);
const LOCAL_MAX_FILES = 50_000;
const LOCAL_MAX_BYTES = 512 * 1024;

/** Reads a folder on this machine (for `cli detect <path>`). */
export function localFolderSource(root: string): RecipeSource {
  return {
    async listFiles() {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          if (out.length >= LOCAL_MAX_FILES) return;
          const full = join(dir, e.name);
          if (e.isDirectory()) {
            if (!LOCAL_SKIP.has(e.name)) await walk(full);
          } else if (e.isFile()) out.push(relative(root, full).split(sep).join('/'));
        }
      };
      await walk(root);
      return out.sort();
    },
    async readText(path) {
      if (path.split('/').includes('..')) return null;
      const full = join(root, ...path.split('/'));
      try {
        if ((await stat(full)).size > LOCAL_MAX_BYTES) return null;
        return await readFile(full, 'utf8');
      } catch {
        return null;
      }
    },
  };
}

// ---- Detection ------------------------------------------------------------------------------------------------

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

function asStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => (x === null ? '' : str(x)));
  if (isMap(v)) return Object.keys(v);
  return v === undefined || v === null ? [] : [str(v)];
}

function healthText(v: unknown): string | null {
  if (!isMap(v) || v.disable === true) return null;
  const t = v.test;
  if (Array.isArray(t)) {
    const [kind, ...rest] = t.map(str);
    if (kind === 'NONE') return null;
    return kind === 'CMD' || kind === 'CMD-SHELL' ? rest.join(' ') : [kind, ...rest].join(' ');
  }
  return t === undefined || t === null ? null : str(t);
}

function recipeService(name: string, s: ComposeMap): RecipeService {
  return {
    name,
    image: s.image === undefined || s.image === null ? null : str(s.image),
    build: s.build !== undefined && s.build !== null,
    ports: (Array.isArray(s.ports) ? s.ports : []).flatMap((p) => {
      const port = parsePort(p);
      return port ? [{ published: port.published, target: port.target, protocol: port.protocol, hostIp: port.hostIp }] : [];
    }),
    healthcheck: healthText(s.healthcheck),
    dependsOn: asStrings(s.depends_on),
  };
}

/** `${VAR:-default}` / `${VAR}` resolved from the env example; a literal stays as it is. */
function resolveVar(value: string, env: Record<string, string>): { value: string; fromEnv: boolean } {
  const m = /^\$\{(\w+)(?::?[-=]([^}]*))?\}$/u.exec(value.trim());
  if (!m) return { value, fromEnv: false };
  const key = m[1] ?? '';
  if (env[key] !== undefined && env[key] !== '') return { value: env[key] ?? '', fromEnv: true };
  return { value: m[2] ?? '', fromEnv: false };
}

function monitoringKind(path: string): 'vps' | 'postgres' | 'capacity' | 'other' {
  const b = base(path).toLowerCase();
  if (b.includes('postgres') || b.includes('pg_')) return 'postgres';
  if (b.includes('capacity')) return 'capacity';
  if (b.includes('vps') || b.includes('system') || b.includes('host')) return 'vps';
  return 'other';
}

/** Monitoring scripts read to learn what they need (the ones the deployment schedules). */
const MAX_MONITORING_READS = 4;

/**
 * Detects the recipe; `overrides` are files the user pointed at (they win over what detection finds); `repo` is
 * what the caller knows of the repository (its images may be private when it is).
 */
export async function detectRecipe(source: RecipeSource, overrides: RecipeOverrides = {}, repo: RepoContext = {}): Promise<Recipe> {
  const missing: Recipe['missing'] = [];
  const filesRead: string[] = [];
  const cache = new Map<string, string | null>();
  // Each file is requested once, whichever part of the detection needs it.
  const read = async (path: string): Promise<string | null> => {
    if (cache.has(path)) return cache.get(path) ?? null;
    filesRead.push(path);
    const text = await source.readText(path);
    cache.set(path, text);
    return text;
  };
  // Sorted: the recipe must not depend on the order a source lists files in.
  const files = (await source.listFiles()).filter((f) => !f.split('/').some((s) => s === 'node_modules' || s === '.git')).sort();
  if (files.length === 0) missing.push({ code: 'recipe.empty_repository', params: {}, severity: 'blocking' });

  // What the repository's own tooling runs (Makefile, scripts, CI, systemd, docs).
  const userFiles = overrides.composeFiles?.filter((f) => files.includes(f)) ?? [];
  // Not read when the tree has no compose file at all (nothing the tooling runs could be deployed).
  const anyCompose = files.some((f) => COMPOSE_FILE.test(base(f)));
  const tooling = anyCompose && userFiles.length === 0 ? await readTooling(files, read) : { invocations: [], read: [] };

  // Compose
  const found = findCombinations(files);
  for (const f of overrides.composeFiles ?? []) if (!files.includes(f)) missing.push({ code: 'recipe.chosen_file_missing', params: { file: f }, severity: 'blocking' });
  if (overrides.envExample && !files.includes(overrides.envExample)) missing.push({ code: 'recipe.chosen_file_missing', params: { file: overrides.envExample }, severity: 'warning' });
  const userCombo: Combo | null =
    userFiles.length > 0
      ? { kind: 'chosen', files: userFiles, environment: null, envExample: overrides.envExample && files.includes(overrides.envExample) ? overrides.envExample : null }
      : null;
  const { combos, chosen } = chooseProduction(files, userCombo ? [userCombo, ...found] : found, tooling.invocations);
  if (chosen) missing.push(...chosen.notes);
  // Compose's project directory is the first file's folder: that is where `.env` goes, unless the tooling says otherwise.
  const composeDir = chosen ? dirOf(chosen.combo.files[0] ?? '') : null;
  const docs: Array<{ path: string; value: ComposeMap }> = [];
  if (!chosen) missing.push({ code: 'recipe.no_compose', params: {}, severity: 'blocking' });
  else {
    if (chosen.combo.kind === 'base-only') missing.push({ code: 'recipe.no_production_compose', params: { file: chosen.combo.files[0] ?? '' }, severity: 'warning' });
    for (const f of chosen.combo.files) {
      const text = await read(f);
      if (text === null) {
        missing.push({ code: 'recipe.compose_unreadable', params: { file: f }, severity: 'blocking' });
        continue;
      }
      const parsed = parseComposeFile(text);
      if (parsed.error || !parsed.value) missing.push({ code: 'recipe.compose_invalid', params: { file: f, line: parsed.error?.line ?? 0, reason: parsed.error?.message ?? '' }, severity: 'blocking' });
      else docs.push({ path: f, value: parsed.value });
    }
  }
  const project = mergeComposeFiles(docs);
  if (chosen?.combo.kind === 'standalone' && defaultServices(project).some(([, s]) => s.image === undefined && s.build === undefined)) {
    missing.push({ code: 'recipe.overlay_without_base', params: { file: chosen.combo.files[0] ?? '' }, severity: 'warning' });
  }

  // Env example and the env file Compose reads
  let envExample: Recipe['envExample'] = null;
  const envValues: Record<string, string> = {};
  const userExample = overrides.envExample && files.includes(overrides.envExample) ? overrides.envExample : null;
  const envFile = chosen ? (chosen.combo.envFile ?? (composeDir === '' ? '.env' : `${composeDir}/.env`)) : null;
  const examplePath = userExample ?? chosen?.combo.envExample ?? (composeDir !== null ? envExampleFor(files, composeDir, envFile) : null) ?? (files.find((f) => dirOf(f) === '' && ENV_EXAMPLE.test(base(f))) ?? null);
  if (examplePath) {
    const exampleText = await read(examplePath);
    if (exampleText === null) missing.push({ code: 'recipe.env_example_unreadable', params: { file: examplePath }, severity: 'warning' });
    else {
      const env = parseEnvFile(exampleText);
      for (const e of env.entries) envValues[e.key] = e.value;
      envExample = { path: examplePath, keys: env.entries.map((e) => e.key), problems: env.problems.filter((p) => p.severity === 'error').length };
      if (envExample.problems > 0) missing.push({ code: 'recipe.env_example_problems', params: { file: examplePath, count: envExample.problems }, severity: 'warning' });
    }
  } else if (chosen) missing.push({ code: 'recipe.no_env_example', params: { dir: composeDir ?? '' }, severity: 'warning' });

  // Services, the backend and its health
  const services: RecipeService[] = Object.entries(project.services).map(([name, s]) => recipeService(name, s));
  if (chosen && services.length === 0 && !missing.some((m) => m.code === 'recipe.compose_invalid' || m.code === 'recipe.compose_unreadable')) {
    missing.push({ code: 'recipe.no_services', params: { files: chosen.combo.files.join(' + ') }, severity: 'blocking' });
  }
  const proxy = proxyOf(project);
  const backend = backendOf(project, proxy?.routes ?? []) ?? services.find((s) => s.healthcheck && /\b(curl|wget)\b/u.test(s.healthcheck))?.name ?? null;
  let health = healthOf(project, backend, proxy, null);
  const openApi = files.find((f) => /(^|\/)(openapi|swagger)[^/]*\.(ya?ml|json)$/iu.test(f) && !f.includes('node_modules'));
  if (!health && backend && openApi) {
    const text = await read(openApi);
    const path = text ? healthPathFromOpenApi(text) : null;
    if (path) health = healthOf(project, backend, proxy, path);
  }
  if (chosen && services.length > 0 && !health) missing.push({ code: 'recipe.no_http_healthcheck', params: {}, severity: 'warning' });

  // PostgreSQL
  let postgres: Recipe['postgres'] = null;
  const pg = Object.entries(project.services).find(([, s]) => /(^|\/)(postgres|postgis|postgresql)(:|$)/iu.test(str(s.image)));
  if (pg) {
    const [service, s] = pg;
    const env = toEnvMap(s.environment);
    const user = typeof env.POSTGRES_USER === 'string' ? resolveVar(env.POSTGRES_USER, envValues) : envValues.POSTGRES_USER ? { value: envValues.POSTGRES_USER, fromEnv: true } : null;
    const db = typeof env.POSTGRES_DB === 'string' ? resolveVar(env.POSTGRES_DB, envValues) : envValues.POSTGRES_DB ? { value: envValues.POSTGRES_DB, fromEnv: true } : null;
    const userName = user?.value || 'postgres';
    const passwordExpr = typeof env.POSTGRES_PASSWORD === 'string' ? env.POSTGRES_PASSWORD : envValues.POSTGRES_PASSWORD !== undefined ? '${POSTGRES_PASSWORD}' : null;
    postgres = { service, image: str(s.image), user: userName, database: db?.value || userName, userFrom: !user?.value ? 'default' : user.fromEnv ? 'env-example' : 'compose', passwordExpr };
  } else if (chosen && services.length > 0) missing.push({ code: 'recipe.no_postgres', params: {}, severity: 'warning' });

  // Images, exposure, backup coverage, tuning, adoption
  const images = imagesOf(project, { projectDir: composeDir ?? '', files, env: envValues, repoPrivate: repo.private ?? null, repoOwner: repo.owner ?? null });
  const exposure = exposureOf(project);
  const backup = backupOf(project, postgres, { files, projectDir: composeDir ?? '' });
  const tuning = tuningOf(project, postgres?.service ?? null, backend);
  const toolingProject = chosen?.combo.kind === 'tooling' ? (tooling.invocations.find((i) => JSON.stringify(i.chain) === JSON.stringify(chosen.combo.source))?.project ?? null) : null;
  const adoption = {
    containerNames: containerNamesOf(project, envValues),
    project: chosen ? (toolingProject ?? project.name ?? (envValues.COMPOSE_PROJECT_NAME || null) ?? defaultProjectName(composeDir ?? '', repo.name ?? null)) : null,
  };
  if (adoption.project !== null) adoption.project = interpolate(adoption.project, envValues) || null;

  // Monitoring
  const scripts: Recipe['monitoring']['scripts'] = [];
  let monitoringReads = 0;
  for (const path of files.filter((f) => /(^|\/)monitoring\/(.+\/)?[^/]+\.sh$/u.test(f))) {
    const kind = monitoringKind(path);
    const text = kind !== 'other' && monitoringReads < MAX_MONITORING_READS ? (monitoringReads++, await read(path)) : null;
    scripts.push(text === null ? { path, kind } : { path, kind, needs: monitoringNeeds(text) });
  }
  const thresholdsPath = files.find((f) => /(^|\/)monitoring\/.*thresholds[^/]*\.env$/u.test(f) && !/example/iu.test(f)) ?? files.find((f) => /thresholds[^/]*\.env$/u.test(f)) ?? null;
  let thresholds: Recipe['monitoring']['thresholds'] = null;
  if (thresholdsPath) {
    const text = await read(thresholdsPath);
    thresholds = { path: thresholdsPath, keys: text === null ? [] : parseEnvFile(text).entries.map((e) => e.key) };
  }
  if (scripts.length === 0) missing.push({ code: 'recipe.no_monitoring_scripts', params: {}, severity: 'info' });
  if (!thresholdsPath) missing.push({ code: 'recipe.no_thresholds', params: {}, severity: 'info' });
  // The repository's own log retention, from its scripts or the monitoring README.
  const monitoringReadme = scripts.length > 0 ? files.find((f) => /(^|\/)monitoring\/README\.md$/iu.test(f)) : undefined;
  if (monitoringReadme) await read(monitoringReadme);
  const retention = retentionDays([...cache.values()].filter((t): t is string => t !== null));

  // Accounts the repository seeds with a known password
  const seed = seedCandidates(files)[0];
  if (seed) await read(seed);
  const credentials = [...cache.entries()].flatMap(([path, text]) => (text === null || /\.ya?ml$/u.test(path) ? [] : defaultCredentials(path, text))).slice(0, 3);

  // K3s infrastructure/ (detect-k3s.ts)
  const kube = await detectK3s(files, read);
  missing.push(...kube.missing);
  const k3s = kube.k3s;

  const compose = chosen !== null && services.length > 0;
  if (!compose && !kube.phases[3] && !kube.phases[4] && files.length > 0) missing.unshift({ code: 'recipe.unknown_layout', params: { files: files.length }, severity: 'blocking' });

  return RecipeSchema.parse({
    composeCombinations: combos,
    production: chosen?.combo ?? null,
    choice: chosen?.choice ?? null,
    composeDir,
    envExample,
    services,
    health,
    postgres,
    monitoring: { scripts, thresholds, retentionDays: retention },
    k3s,
    phases: { 1: compose, 2: compose, 3: kube.phases[3], 4: kube.phases[4] },
    missing,
    filesRead,
    envFile,
    tooling: tooling.invocations.slice(0, 20).map((i) => ({ chain: i.chain, files: i.files, missing: i.missing, envFile: i.envFile, subcommand: i.subcommand, production: i.production })),
    backend,
    images,
    proxy: proxy ? { service: proxy.service, httpPort: proxy.httpPort, httpsPort: proxy.httpsPort } : null,
    exposure,
    backup,
    tuning,
    defaultCredentials: credentials,
    adoption,
  });
}
