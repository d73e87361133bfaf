// Which compose files make production. First what the repository's own tooling runs for production (a Makefile
// target, a script, a CI workflow, a systemd unit, its docs); else the names of the files: a production compose
// complete on its own (`deploy/production/docker-compose.yml`) alone, an environment folder's override on the
// base of a parent or of the shared folder the tooling names, the root base with its `.prod`/`.vps` overlay.
// When the rules cannot decide, the choice says so (the Code step asks), it never guesses silently.
import type { RecipeCombination, RecipeMessage } from '../../shared/recipe';
import { decideFromTooling, type ComposeInvocation, type ToolingSource } from './tooling';

type Combo = RecipeCombination;

export const COMPOSE_FILE = /^(?:docker-)?compose(?:[.-]([\w.-]+?))?\.ya?ml$/iu;
export const ENV_EXAMPLE = /^(?:\.env(?:\.[\w-]+)*\.(?:example|sample|dist|template)|[\w-]+\.env\.(?:example|sample)|env\.example|\.env\.example)$/iu;
export const PROD_NAMES = ['production', 'prod', 'prd', 'live'];
const ENV_FOLDER_NAMES = new Set([...PROD_NAMES, 'staging', 'stage', 'preprod', 'dev', 'development', 'test', 'demo', 'integration', 'vps']);
const SKIP = new Set(['.git', 'node_modules', 'target', 'dist', 'build', 'out', '.next', 'coverage', 'vendor']);

export const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
export const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
export const depth = (p: string): number => (p === '' ? 0 : p.split('/').length);

export function composeSuffix(path: string): string | null {
  const m = COMPOSE_FILE.exec(base(path));
  return m ? (m[1] ?? '').toLowerCase() : null;
}

/** A shared base folder's file: `infrastructure/_shared/docker-compose/docker-compose.base.yml`. */
const isSharedBase = (f: string): boolean => composeSuffix(f) === 'base' || /(^|\/)_?(shared|common|base)(\/|$)/iu.test(dirOf(f));

/** The env example that goes with a combination: beside its project folder, named like its env file when it can. */
export function envExampleFor(files: readonly string[], dir: string, envFile: string | null, hints: readonly string[] = []): string | null {
  const examplesIn = (d: string): string[] => files.filter((f) => dirOf(f) === d && ENV_EXAMPLE.test(base(f)));
  const candidates = [...examplesIn(dir), ...(envFile && dirOf(envFile) !== dir ? examplesIn(dirOf(envFile)) : []), ...(dir === '' ? [] : examplesIn(''))];
  if (envFile) {
    const name = base(envFile).toLowerCase();
    const named = candidates.find((e) => base(e).toLowerCase().startsWith(`${name}.`));
    if (named) return named;
  }
  return (
    candidates.find((e) => hints.some((h) => base(e).toLowerCase().includes(`.${h}.`))) ??
    candidates.find((e) => base(e).toLowerCase() === '.env.example') ??
    candidates[0] ??
    null
  );
}

/** Combinations found from file names alone. */
export function findCombinations(files: readonly string[]): Combo[] {
  const compose = files.filter((f) => composeSuffix(f) !== null && !f.split('/').some((s) => SKIP.has(s)));
  const byDir = new Map<string, string[]>();
  for (const f of compose) byDir.set(dirOf(f), [...(byDir.get(dirOf(f)) ?? []), f]);
  const hasExample = (d: string): boolean => files.some((f) => dirOf(f) === d && ENV_EXAMPLE.test(base(f)));
  const combos: Combo[] = [];
  const used = new Set<string>();
  // Per-environment folders: <x>/<env>/ holding an env example and a compose file.
  for (const [d, fs] of byDir) {
    const env = base(d).toLowerCase();
    if (d === '' || !ENV_FOLDER_NAMES.has(env) || !hasExample(d)) continue;
    const full = fs.find((f) => composeSuffix(f) === '');
    const example = envExampleFor(files, d, null);
    if (full) {
      // A complete production compose of its own: used alone, never merged with the development file.
      combos.push({ kind: 'standalone', files: [full], environment: base(d), envExample: example });
      fs.forEach((f) => used.add(f));
      continue;
    }
    // The base of an override: in a parent folder below the root (the root's docker-compose.yml is most often the
    // development file: chooseProduction decides, and says so, when it is the only candidate).
    let parentBase: string | undefined;
    for (let p = dirOf(d); p !== ''; p = dirOf(p)) {
      parentBase = (byDir.get(p) ?? []).find((f) => composeSuffix(f) === '' || composeSuffix(f) === 'base');
      if (parentBase) break;
    }
    const override = fs.find((f) => composeSuffix(f) === 'override') ?? fs[0];
    if (!override) continue;
    combos.push({ kind: 'env-folder', files: parentBase ? [parentBase, override] : [override], environment: base(d), envExample: example });
    fs.forEach((f) => used.add(f));
    if (parentBase) used.add(parentBase);
  }
  for (const [d, fs] of [...byDir].sort(([a], [b]) => depth(a) - depth(b) || a.localeCompare(b))) {
    const baseFile = fs.find((f) => composeSuffix(f) === '');
    const overlay = (names: string[]) => fs.find((f) => names.includes(composeSuffix(f) ?? ''));
    const prod = overlay(['prod', 'production']);
    const vps = overlay(['vps']);
    const exampleFor = (hints: string[]): string | null => envExampleFor(files, d, null, hints);
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

const KIND_RANK: Record<Combo['kind'], number> = { chosen: 0, tooling: 1, standalone: 2, 'shared-base': 2, 'base+prod': 2, 'base+vps': 3, single: 4, 'env-folder': 5, 'base-only': 7 };

function rank(c: Combo): number {
  let r = KIND_RANK[c.kind] * 10;
  if (c.kind === 'env-folder' || c.kind === 'standalone') r += PROD_NAMES.includes((c.environment ?? '').toLowerCase()) ? 0 : 25;
  return r * 100 + depth(dirOf(c.files[c.files.length - 1] ?? ''));
}

/** `Makefile target deploy-prod`, for messages: the entry point of the chain. */
export function sourceParams(chain: readonly ToolingSource[]): Record<string, string> {
  const head = chain[0];
  const via = chain.slice(1).map((c) => c.file).join(' → ');
  return { sourceKind: head?.kind ?? 'docs', sourceFile: head?.file ?? '', target: head?.target ?? '', via };
}

export interface Choice {
  combo: Combo;
  choice: RecipeMessage;
  /** Messages about the choice: a tooling conflict, stale scripts, an overlay without a base (the Code step asks). */
  notes: Array<RecipeMessage & { severity: 'blocking' | 'warning' | 'info' }>;
}

/**
 * The production combination: the user's, else the tooling's, else the best by name. An environment folder
 * with only an override and no base is completed with the shared base the tooling names, or asked about.
 */
export function chooseProduction(files: readonly string[], combos: readonly Combo[], invocations: readonly ComposeInvocation[]): { combos: Combo[]; chosen: Choice | null } {
  const notes: Choice['notes'] = [];
  const all = [...combos];
  const decision = decideFromTooling(invocations);
  for (const inv of invocations.filter((i) => i.subcommand === 'up' && i.production === true && i.missing.length > 0).slice(0, 3)) {
    notes.push({ code: 'recipe.tooling_stale', params: { ...sourceParams(inv.chain), missing: inv.missing.join(', ') }, severity: 'info' });
  }
  if (decision) {
    const inv = decision.invocation;
    const env = inv.files.map((f) => base(dirOf(f))).find((d) => ENV_FOLDER_NAMES.has(d.toLowerCase())) ?? 'production';
    const tooling: Combo = { kind: 'tooling', files: inv.files, environment: env, envExample: envExampleFor(files, inv.projectDir, inv.envFile, ['prod', 'production', 'vps']), source: inv.chain, envFile: inv.envFile };
    all.unshift(tooling);
    for (const c of decision.conflicts.slice(0, 2)) notes.push({ code: 'recipe.tooling_conflict', params: { ...sourceParams(c.chain), files: c.files.join(' + ') }, severity: 'warning' });
  }
  // An override alone: the shared base the tooling names completes it; a guess (the one shared base of the tree,
  // or the root file) is said, so the Code step asks.
  const named = [...new Set(invocations.flatMap((i) => i.files).filter((f) => isSharedBase(f) && composeSuffix(f) !== null))];
  const inTree = files.filter((f) => isSharedBase(f) && composeSuffix(f) !== null && !f.split('/').some((x) => SKIP.has(x)));
  const root = files.find((f) => dirOf(f) === '' && composeSuffix(f) === '');
  const guessed = new Set<Combo>();
  for (const [i, c] of all.entries()) {
    if (c.kind !== 'env-folder' || c.files.length !== 1) continue;
    const shared = named.length === 1 ? named[0] : inTree.length === 1 ? inTree[0] : undefined;
    if (shared) all[i] = { ...c, kind: 'shared-base', files: [shared, ...c.files] };
    else if (root) all[i] = { ...c, files: [root, ...c.files] };
    if ((shared && named.length !== 1) || (!shared && root)) guessed.add(all[i] as Combo);
  }
  const sorted = [...all].sort((a, b) => rank(a) - rank(b));
  const best = sorted[0];
  if (!best) return { combos: all, chosen: null };
  if (guessed.has(best)) notes.push({ code: 'recipe.base_guessed', params: { file: best.files[1] ?? '', base: best.files[0] ?? '' }, severity: 'warning' });
  if (best.kind === 'env-folder' && best.files.length === 1) {
    notes.push({ code: 'recipe.overlay_without_base', params: { file: best.files[0] ?? '' }, severity: 'warning' });
  }
  const tie = sorted[1];
  if (tie && best.kind !== 'tooling' && best.kind !== 'chosen' && rank(tie) === rank(best) && JSON.stringify(tie.files) !== JSON.stringify(best.files)) {
    notes.push({ code: 'recipe.choice_uncertain', params: { files: best.files.join(' + '), other: tie.files.join(' + ') }, severity: 'warning' });
  }
  const code = {
    tooling: `recipe.choice.tooling_${best.source?.[0]?.kind ?? 'docs'}`,
    standalone: 'recipe.choice.standalone',
    'shared-base': 'recipe.choice.shared_base',
    'base+prod': 'recipe.choice.prod_overlay',
    'base+vps': 'recipe.choice.vps_overlay',
    single: 'recipe.choice.single_production_file',
    'env-folder': 'recipe.choice.environment_folder',
    'base-only': 'recipe.choice.base_only',
    chosen: 'recipe.choice.chosen_by_user',
  }[best.kind];
  const params: Record<string, string | number> = { files: best.files.join(' + '), environment: best.environment ?? '', alternatives: all.length - 1, ...(best.source ? sourceParams(best.source) : {}) };
  return { combos: all, chosen: { combo: best, choice: { code, params }, notes } };
}
