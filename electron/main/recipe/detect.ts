// Recipe detection: from a repository's file list and a few file reads, learn how it deploys — which compose files
// make production, the env example, services/ports/healthchecks, the PostgreSQL to back up, the monitoring scripts
// and the K3s `infrastructure/` — and which phases that enables. Paths are discovered, never assumed.
// Sources: GitHub (tree + contents through GitHubClient) or a local folder. Unknown layouts are explained, not fatal.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { GitHubClient, RepoId } from '../github/client';
import { GitHubError } from '../github/errors';
import { detectK3s } from './detect-k3s';
import { parseComposeYaml, type YamlValue } from './detect-yaml';
import { parseEnvFile } from './env-file';
import { RecipeSchema, type Recipe, type RecipeCombination, type RecipeMessage, type RecipeOverrides, type RecipeService } from '../../shared/recipe';

export { RecipeSchema, type Recipe, type RecipeMessage, type RecipeService };

export interface RecipeSource {
  listFiles(): Promise<string[]>;
  /** The file's text, or null when it does not exist or cannot be read. */
  readText(path: string): Promise<string | null>;
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

const COMPOSE_FILE = /^(?:docker-)?compose(?:[.-]([\w.-]+?))?\.ya?ml$/iu;
const ENV_EXAMPLE = /^(?:\.env(?:\.[\w-]+)*\.(?:example|sample|dist|template)|[\w-]+\.env\.(?:example|sample)|env\.example|\.env\.example)$/iu;
const PROD_NAMES = ['production', 'prod', 'prd', 'live'];
const ENV_FOLDER_NAMES = new Set([...PROD_NAMES, 'staging', 'stage', 'preprod', 'dev', 'development', 'test', 'demo']);

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const depth = (p: string): number => (p === '' ? 0 : p.split('/').length);
const isMap = (v: YamlValue | undefined): v is Record<string, YamlValue> => typeof v === 'object' && v !== null && !Array.isArray(v);

function composeSuffix(path: string): string | null {
  const m = COMPOSE_FILE.exec(base(path));
  return m ? (m[1] ?? '').toLowerCase() : null;
}

function findCombinations(files: readonly string[]): Combo[] {
  const compose = files.filter((f) => composeSuffix(f) !== null && !f.split('/').some((s) => LOCAL_SKIP.has(s)));
  const byDir = new Map<string, string[]>();
  for (const f of compose) byDir.set(dirOf(f), [...(byDir.get(dirOf(f)) ?? []), f]);
  const envExamplesIn = (d: string): string[] => files.filter((f) => dirOf(f) === d && ENV_EXAMPLE.test(base(f)));
  const combos: Combo[] = [];
  const used = new Set<string>();
  // Per-environment folders: <x>/<env>/ holding an env example and a compose file.
  for (const [d, fs] of byDir) {
    const env = base(d).toLowerCase();
    const examples = envExamplesIn(d);
    if (d === '' || !ENV_FOLDER_NAMES.has(env) || examples.length === 0) continue;
    let parentBase: string | undefined;
    for (let p = dirOf(d); ; p = dirOf(p)) {
      parentBase = (byDir.get(p) ?? []).find((f) => composeSuffix(f) === '');
      if (parentBase || p === '') break;
    }
    const override = fs.find((f) => composeSuffix(f) === 'override') ?? fs[0];
    if (!override) continue;
    combos.push({ kind: 'env-folder', files: parentBase ? [parentBase, override] : [override], environment: base(d), envExample: examples[0] ?? null });
    fs.forEach((f) => used.add(f));
    if (parentBase) used.add(parentBase);
  }
  for (const [d, fs] of [...byDir].sort(([a], [b]) => depth(a) - depth(b) || a.localeCompare(b))) {
    const baseFile = fs.find((f) => composeSuffix(f) === '');
    const overlay = (names: string[]) => fs.find((f) => names.includes(composeSuffix(f) ?? ''));
    const prod = overlay(['prod', 'production']);
    const vps = overlay(['vps']);
    const exampleFor = (hints: string[]): string | null => {
      const ex = [...envExamplesIn(d), ...(d === '' ? [] : envExamplesIn(''))];
      return ex.find((e) => hints.some((h) => base(e).toLowerCase().includes(`.${h}.`))) ?? ex.find((e) => base(e).toLowerCase() === '.env.example') ?? ex[0] ?? null;
    };
    if (baseFile && prod) combos.push({ kind: 'base+prod', files: [baseFile, prod], environment: 'production', envExample: exampleFor(['prod', 'production', 'vps']) });
    if (baseFile && vps) combos.push({ kind: 'base+vps', files: [baseFile, vps], environment: 'production', envExample: exampleFor(['vps', 'prod', 'production']) });
    if (!baseFile) {
      for (const f of fs.filter((x) => !used.has(x) && ['prod', 'production', 'vps'].includes(composeSuffix(x) ?? ''))) {
        combos.push({ kind: 'single', files: [f], environment: 'production', envExample: exampleFor([composeSuffix(f) ?? '']) });
      }
    }
    if (baseFile && !used.has(baseFile)) combos.push({ kind: 'base-only', files: [baseFile], environment: null, envExample: exampleFor([]) });
  }
  return combos;
}

const KIND_RANK: Record<Combo['kind'], number> = { chosen: 0, 'base+prod': 0, 'base+vps': 1, single: 2, 'env-folder': 3, 'base-only': 5 };

function chooseProduction(combos: readonly Combo[]): { combo: Combo; choice: RecipeMessage } | null {
  const rank = (c: Combo): number => {
    let r = KIND_RANK[c.kind] * 10;
    if (c.kind === 'env-folder') r += PROD_NAMES.includes((c.environment ?? '').toLowerCase()) ? 0 : 5;
    return r * 100 + depth(dirOf(c.files[c.files.length - 1] ?? ''));
  };
  const best = [...combos].sort((a, b) => rank(a) - rank(b))[0];
  if (!best) return null;
  const files = best.files.join(' + ');
  const code = {
    'base+prod': 'recipe.choice.prod_overlay',
    'base+vps': 'recipe.choice.vps_overlay',
    single: 'recipe.choice.single_production_file',
    'env-folder': 'recipe.choice.environment_folder',
    'base-only': 'recipe.choice.base_only',
    chosen: 'recipe.choice.chosen_by_user',
  }[best.kind];
  return { combo: best, choice: { code, params: { files, environment: best.environment ?? '', alternatives: combos.length - 1 } } };
}

function asStrings(v: YamlValue | undefined): string[] {
  if (Array.isArray(v)) return v.map((x) => (x === null ? '' : String(x)));
  if (isMap(v)) return Object.keys(v);
  return v === undefined || v === null ? [] : [String(v)];
}

/** `KEY: value` maps and `- KEY=value` lists alike. */
function envMap(v: YamlValue | undefined): Record<string, string> {
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? '' : String(x)]));
  const out: Record<string, string> = {};
  for (const item of asStrings(v)) {
    const i = item.indexOf('=');
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function parsePorts(v: YamlValue | undefined): RecipeService['ports'] {
  const out: RecipeService['ports'] = [];
  for (const p of Array.isArray(v) ? v : []) {
    if (isMap(p)) {
      const target = Number(p.target);
      if (Number.isFinite(target)) out.push({ published: p.published === undefined || p.published === null ? null : String(p.published), target, protocol: String(p.protocol ?? 'tcp'), hostIp: p.host_ip ? String(p.host_ip) : null });
      continue;
    }
    // [host_ip:][published:]target[/protocol], where parts may be ${VAR:-x} (containing ':').
    const text = String(p);
    const [spec = '', protocol = 'tcp'] = text.split('/');
    const parts = spec.match(/(\$\{[^}]*\}|\[[^\]]*\]|[^:]+)/gu) ?? [];
    const target = Number(parts[parts.length - 1]);
    if (!Number.isFinite(target)) continue;
    out.push({ published: parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null, target, protocol, hostIp: parts.length >= 3 ? (parts[0] ?? null) : null });
  }
  return out;
}

function healthText(v: YamlValue | undefined): string | null {
  if (!isMap(v)) return null;
  if (v.disable === true) return null;
  const t = v.test;
  if (Array.isArray(t)) {
    const [kind, ...rest] = t.map(String);
    if (kind === 'NONE') return null;
    return kind === 'CMD' || kind === 'CMD-SHELL' ? rest.join(' ') : [kind, ...rest].join(' ');
  }
  return t === undefined || t === null ? null : String(t);
}

/** Applies a compose overlay the way `docker compose -f a -f b` does, for the keys we read. */
function mergeServices(into: Record<string, Record<string, YamlValue>>, doc: YamlValue): void {
  if (!isMap(doc) || !isMap(doc.services)) return;
  for (const [name, svc] of Object.entries(doc.services)) {
    if (!isMap(svc)) continue;
    const cur = into[name] ?? {};
    for (const [k, v] of Object.entries(svc)) {
      if ((k === 'environment' || k === 'labels') && cur[k] !== undefined) cur[k] = { ...envMap(cur[k]), ...envMap(v) };
      else if (k === 'healthcheck' && isMap(cur[k]) && isMap(v)) cur[k] = { ...cur[k], ...v };
      else cur[k] = v;
    }
    into[name] = cur;
  }
}

/** `${VAR:-default}` / `${VAR}` resolved from the env example; a literal stays as it is. */
function resolveVar(value: string, env: Record<string, string>): { value: string; fromEnv: boolean } {
  const m = /^\$\{(\w+)(?::?[-=]([^}]*))?\}$/u.exec(value.trim());
  if (!m) return { value, fromEnv: false };
  const key = m[1] ?? '';
  if (env[key] !== undefined && env[key] !== '') return { value: env[key] ?? '', fromEnv: true };
  return { value: m[2] ?? '', fromEnv: false };
}

const HEALTH_URL = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(\/[^\s"'|;&)]*)?/u;

function healthEndpoint(services: readonly RecipeService[]): Recipe['health'] {
  const score = (s: RecipeService): number => (/backend|api|app|server|koprogo/iu.test(s.name) ? 0 : 1);
  const candidates = services.filter((s) => s.healthcheck && /\b(curl|wget)\b/u.test(s.healthcheck) && HEALTH_URL.test(s.healthcheck)).sort((a, b) => score(a) - score(b));
  const s = candidates[0];
  if (!s?.healthcheck) return null;
  const m = HEALTH_URL.exec(s.healthcheck);
  if (!m) return null;
  const containerPort = m[1] ? Number(m[1]) : m[0].startsWith('https') ? 443 : 80;
  const published = s.ports.find((p) => p.target === containerPort)?.published ?? null;
  return { service: s.name, url: m[0], path: m[2] ?? '/', containerPort, publishedPort: published };
}

function monitoringKind(path: string): 'vps' | 'postgres' | 'capacity' | 'other' {
  const b = base(path).toLowerCase();
  if (b.includes('postgres') || b.includes('pg_')) return 'postgres';
  if (b.includes('capacity')) return 'capacity';
  if (b.includes('vps') || b.includes('system') || b.includes('host')) return 'vps';
  return 'other';
}

/** Detects the recipe; `overrides` are files the user pointed at (they win over what detection finds). */
export async function detectRecipe(source: RecipeSource, overrides: RecipeOverrides = {}): Promise<Recipe> {
  const missing: Recipe['missing'] = [];
  const filesRead: string[] = [];
  const read = async (path: string): Promise<string | null> => {
    filesRead.push(path);
    return source.readText(path);
  };
  // Sorted: the recipe must not depend on the order a source lists files in.
  const files = (await source.listFiles()).filter((f) => !f.split('/').some((s) => s === 'node_modules' || s === '.git')).sort();
  if (files.length === 0) missing.push({ code: 'recipe.empty_repository', params: {}, severity: 'blocking' });

  // Compose
  const found = findCombinations(files);
  const userFiles = overrides.composeFiles?.filter((f) => files.includes(f)) ?? [];
  for (const f of overrides.composeFiles ?? []) if (!files.includes(f)) missing.push({ code: 'recipe.chosen_file_missing', params: { file: f }, severity: 'blocking' });
  if (overrides.envExample && !files.includes(overrides.envExample)) missing.push({ code: 'recipe.chosen_file_missing', params: { file: overrides.envExample }, severity: 'warning' });
  const userCombo: Combo | null =
    userFiles.length > 0
      ? { kind: 'chosen', files: userFiles, environment: null, envExample: overrides.envExample && files.includes(overrides.envExample) ? overrides.envExample : null }
      : null;
  const combos = userCombo ? [userCombo, ...found] : found;
  const chosen = chooseProduction(combos);
  // Compose's project directory is the first file's folder: that is where `.env` goes.
  const composeDir = chosen ? dirOf(chosen.combo.files[0] ?? '') : null;
  const merged: Record<string, Record<string, YamlValue>> = {};
  if (!chosen) missing.push({ code: 'recipe.no_compose', params: {}, severity: 'blocking' });
  else {
    if (chosen.combo.kind === 'base-only') missing.push({ code: 'recipe.no_production_compose', params: { file: chosen.combo.files[0] ?? '' }, severity: 'warning' });
    for (const f of chosen.combo.files) {
      const text = await read(f);
      if (text === null) {
        missing.push({ code: 'recipe.compose_unreadable', params: { file: f }, severity: 'blocking' });
        continue;
      }
      const parsed = parseComposeYaml(text);
      const firstError = parsed.errors[0];
      if (firstError) missing.push({ code: 'recipe.compose_invalid', params: { file: f, line: firstError.line, reason: firstError.message }, severity: 'blocking' });
      else mergeServices(merged, parsed.value);
    }
  }

  // Env example
  let envExample: Recipe['envExample'] = null;
  const envValues: Record<string, string> = {};
  const userExample = overrides.envExample && files.includes(overrides.envExample) ? overrides.envExample : null;
  const examplePath = userExample ?? chosen?.combo.envExample ?? (files.find((f) => dirOf(f) === (composeDir ?? '') && ENV_EXAMPLE.test(base(f))) ?? files.find((f) => dirOf(f) === '' && ENV_EXAMPLE.test(base(f))) ?? null);
  if (examplePath) {
    const text = await read(examplePath);
    if (text === null) missing.push({ code: 'recipe.env_example_unreadable', params: { file: examplePath }, severity: 'warning' });
    else {
      const env = parseEnvFile(text);
      for (const e of env.entries) envValues[e.key] = e.value;
      envExample = { path: examplePath, keys: env.entries.map((e) => e.key), problems: env.problems.filter((p) => p.severity === 'error').length };
      if (envExample.problems > 0) missing.push({ code: 'recipe.env_example_problems', params: { file: examplePath, count: envExample.problems }, severity: 'warning' });
    }
  } else if (chosen) missing.push({ code: 'recipe.no_env_example', params: { dir: composeDir ?? '' }, severity: 'warning' });

  // Services
  const services: RecipeService[] = Object.entries(merged).map(([name, s]) => ({
    name,
    image: s.image === undefined || s.image === null ? null : String(s.image),
    build: s.build !== undefined && s.build !== null,
    ports: parsePorts(s.ports),
    healthcheck: healthText(s.healthcheck),
    dependsOn: asStrings(s.depends_on),
  }));
  if (chosen && services.length === 0 && !missing.some((m) => m.code === 'recipe.compose_invalid' || m.code === 'recipe.compose_unreadable')) {
    missing.push({ code: 'recipe.no_services', params: { files: chosen.combo.files.join(' + ') }, severity: 'blocking' });
  }
  const health = healthEndpoint(services);
  if (chosen && services.length > 0 && !health) missing.push({ code: 'recipe.no_http_healthcheck', params: {}, severity: 'warning' });

  // PostgreSQL
  let postgres: Recipe['postgres'] = null;
  const pg = Object.entries(merged).find(([, s]) => /(^|\/)(postgres|postgis|postgresql)(:|$)/iu.test(String(s.image ?? '')));
  if (pg) {
    const [service, s] = pg;
    const env = envMap(s.environment);
    const user = env.POSTGRES_USER !== undefined ? resolveVar(env.POSTGRES_USER, envValues) : envValues.POSTGRES_USER ? { value: envValues.POSTGRES_USER, fromEnv: true } : null;
    const db = env.POSTGRES_DB !== undefined ? resolveVar(env.POSTGRES_DB, envValues) : envValues.POSTGRES_DB ? { value: envValues.POSTGRES_DB, fromEnv: true } : null;
    const userName = user?.value || 'postgres';
    postgres = { service, image: String(s.image), user: userName, database: db?.value || userName, userFrom: !user?.value ? 'default' : user.fromEnv ? 'env-example' : 'compose' };
  } else if (chosen && services.length > 0) missing.push({ code: 'recipe.no_postgres', params: {}, severity: 'warning' });

  // Monitoring
  const scripts = files.filter((f) => /(^|\/)monitoring\/(.+\/)?[^/]+\.sh$/u.test(f)).map((path) => ({ path, kind: monitoringKind(path) }));
  const thresholdsPath = files.find((f) => /(^|\/)monitoring\/.*thresholds[^/]*\.env$/u.test(f)) ?? files.find((f) => /thresholds[^/]*\.env$/u.test(f)) ?? null;
  let thresholds: Recipe['monitoring']['thresholds'] = null;
  if (thresholdsPath) {
    const text = await read(thresholdsPath);
    thresholds = { path: thresholdsPath, keys: text === null ? [] : parseEnvFile(text).entries.map((e) => e.key) };
  }
  if (scripts.length === 0) missing.push({ code: 'recipe.no_monitoring_scripts', params: {}, severity: 'info' });
  if (!thresholdsPath) missing.push({ code: 'recipe.no_thresholds', params: {}, severity: 'info' });

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
    monitoring: { scripts, thresholds },
    k3s,
    phases: { 1: compose, 2: compose, 3: kube.phases[3], 4: kube.phases[4] },
    missing,
    filesRead,
  });
}
