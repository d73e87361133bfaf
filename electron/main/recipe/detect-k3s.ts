// The K3s part of recipe detection (phases 3–4): the `infrastructure/` folder and its entry points, per
// environment — (a) a deploy script and the environments it accepts (its `case`/usage text), the tools it checks
// for, the variables it requires and where it writes the kubeconfig; or (b) a per-environment stack
// (`environments/<env>/{terraform,ansible,kustomize|helm}` and a Makefile wrapping them). A Terraform root is
// read to say what it provisions: a single VPS (Compose) or nothing at all is not a K3s path, and the entry
// point then serves no phase. Paths are discovered, never assumed; a few file reads, each counted.
import { K3S_TOOLS, OVH_VARIABLES, phaseOfEnvironment, type K3sEntryPoint, type K3sStackEnv, type K3sTool } from '../../shared/k3s-entry';
import type { Recipe, RecipeMessage } from '../../shared/recipe';

type Missing = Recipe['missing'][number];

export interface K3sDetection {
  k3s: Recipe['k3s'];
  phases: { 3: boolean; 4: boolean };
  missing: Missing[];
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const depth = (p: string): number => (p === '' ? 0 : p.split('/').length);
const PROD = /^(prod|production|prd|live)$/i;
/** At most this many .tf files are read per Terraform root (main, variables, outputs are what matters). */
const TF_READS_PER_ROOT = 4;

/** `a/b/../c` → `a/c`; null when it climbs out of the repository. */
function normalize(path: string): string | null {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export function environmentsOf(script: string): string[] {
  const found = new Set<string>();
  // case "$1" in  dev|staging|prod) … ;;  (or one pattern per line)
  const caseBlock = /case\s+"?\$\{?(?:1|ENV\w*|ENVIRONMENT)\b[^\n]*\bin\b([\s\S]*?)\besac\b/u.exec(script);
  if (caseBlock) {
    for (const m of (caseBlock[1] ?? '').matchAll(/^\s*\(?([\w|."' -]+)\)/gmu)) {
      for (const alt of (m[1] ?? '').split('|')) {
        const v = alt.trim().replace(/^["']|["']$/gu, '');
        if (/^[a-z][\w-]*$/iu.test(v)) found.add(v);
      }
    }
  }
  if (found.size === 0) {
    const usage = /usage:[^\n]*[<{[(]\s*([\w-]+(?:\s*\|\s*[\w-]+)+)\s*[>}\])]/iu.exec(script);
    for (const v of (usage?.[1] ?? '').split('|')) if (v.trim()) found.add(v.trim());
  }
  return [...found];
}

/** Comments out of a shell script (a `#` at a word start, outside quotes is good enough for reading checks). */
function shellCode(script: string): string {
  return script
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
}

/** The tools a script checks for (`command -v x`, `which x`, `type x`) or runs. */
export function toolsOfScript(script: string): K3sTool[] {
  const code = shellCode(script);
  const out = new Set<K3sTool>();
  for (const tool of K3S_TOOLS) {
    const word = tool.replace(/-/g, '\\-');
    if (new RegExp(`(^|[\\s;&|("'\`$/])${word}(?=[\\s;&|)"'\`]|$)`, 'm').test(code)) out.add(tool);
  }
  // A loop over the tools it requires: `for tool in terraform ansible-playbook helm; do command -v "$tool"`.
  for (const m of code.matchAll(/for\s+\w+\s+in\s+([^;\n]+);?\s*(?:\n\s*)?do[\s\S]{0,200}?command\s+-v/g)) {
    for (const w of (m[1] ?? '').split(/\s+/)) if ((K3S_TOOLS as readonly string[]).includes(w)) out.add(w as K3sTool);
  }
  return K3S_TOOLS.filter((t) => out.has(t));
}

/** Variables a script refuses to run without: `${X:?…}`, `[ -z "$X" ]`, and `for v in A B; do … ${!v…}` loops. */
export function variablesOfScript(script: string): string[] {
  const code = shellCode(script);
  const out = new Set<string>();
  for (const m of code.matchAll(/\$\{([A-Z_][A-Z0-9_]*):?\?/g)) out.add(m[1]!);
  for (const m of code.matchAll(/-z\s+"?\$\{?([A-Z_][A-Z0-9_]*)/g)) out.add(m[1]!);
  for (const m of code.matchAll(/for\s+(\w+)\s+in\s+([A-Z_][A-Z0-9_ ]*?)\s*;?\s*(?:\n\s*)?do([\s\S]{0,300}?)done/g)) {
    const loopVar = m[1]!;
    if (new RegExp(`\\$\\{!${loopVar}\\b`).test(m[3] ?? '')) for (const w of (m[2] ?? '').split(/\s+/)) if (/^[A-Z_][A-Z0-9_]*$/.test(w)) out.add(w);
  }
  // The script's own arguments and shell internals are not variables the user provides.
  for (const internal of ['ENV', 'ENVIRONMENT', 'HOME', 'PATH', 'PWD', 'SCRIPT_DIR', 'ROOT_DIR', 'DIR']) out.delete(internal);
  return [...out].sort();
}

/** Where a script writes the kubeconfig, with `{env}` for the environment. */
export function kubeconfigOfScript(script: string): string {
  const m = /(?:~|\$HOME|\$\{HOME\})\/\.kube\/([\w.-]*)\$\{?(?:ENV|ENVIRONMENT|1)\}?([\w.-]*)/.exec(script);
  if (m) return `~/.kube/${m[1] ?? ''}{env}${m[2] ?? ''}`;
  const fixed = /(?:~|\$HOME|\$\{HOME\})\/\.kube\/([\w.-]+)/.exec(script);
  return fixed ? `~/.kube/${fixed[1]}` : '~/.kube/koprogo-{env}';
}

/** The Terraform folder a script works in (`cd …/terraform…` or `-chdir=…`), resolved against the script's folder. */
function terraformDirOfScript(script: string, scriptPath: string, env: string): string | null {
  const code = shellCode(script).replace(/\$\{?(ENV|ENVIRONMENT|1)\}?/g, env);
  const m = /(?:cd\s+"?|-chdir=)([^"\s;&|]*terraform[^"\s;&|]*)/.exec(code);
  if (!m) return null;
  const raw = (m[1] ?? '').replace(/^\$\(dirname\s+"?\$0"?\)|^\$\{?SCRIPT_DIR\}?|^\$\{?DIR\}?/, '.');
  if (raw.startsWith('/') || raw.includes('$')) return null;
  return normalize(`${dirOf(scriptPath)}/${raw}`);
}

// ---- Terraform ------------------------------------------------------------------------------------

const COMPUTE = /^(ovh_cloud_project_instance|openstack_compute_instance_v2|ovh_vps|ovh_cloud_project_kube|hcloud_server|scaleway_instance_server|aws_instance|google_compute_instance|azurerm_linux_virtual_machine|digitalocean_droplet)$/;

export interface TerraformAnalysis {
  kind: 'cluster' | 'single_vps' | 'empty' | 'no_cluster';
  resources: string[];
  /** Variables without a default. */
  variables: string[];
  kubeconfigOutput: boolean;
}

/** The text of a `{ … }` block starting at `open` (the index of its brace). */
function blockAt(text: string, open: number): string {
  let level = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') level++;
    else if (c === '}' && --level === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

/** What a Terraform root provisions, from its .tf files (a reading, not an HCL evaluation). */
export function analyzeTerraform(texts: readonly string[]): TerraformAnalysis {
  const text = texts.join('\n').replace(/^\s*(#|\/\/).*$/gm, '');
  const resources: string[] = [];
  let compute = 0;
  let cluster = false;
  for (const m of text.matchAll(/resource\s+"([\w-]+)"\s+"[\w-]+"\s*\{/g)) {
    const type = m[1]!;
    resources.push(type);
    if (COMPUTE.test(type)) {
      const body = blockAt(text, (m.index ?? 0) + m[0].length - 1);
      const many = /\b(count|for_each)\s*=/.test(body) && !/\bcount\s*=\s*1\b/.test(body);
      compute += many ? 2 : 1;
      if (type === 'ovh_cloud_project_kube' || /k3s|kubeadm|rke2/i.test(body)) cluster = true;
    }
  }
  for (const m of text.matchAll(/module\s+"([\w-]+)"\s*\{/g)) {
    const body = blockAt(text, (m.index ?? 0) + m[0].length - 1);
    const source = /source\s*=\s*"([^"]*)"/.exec(body)?.[1] ?? '';
    resources.push(`module.${m[1]}`);
    if (/k3s|k8s|kube|cluster|rke/i.test(`${m[1]} ${source}`)) cluster = true;
  }
  const variables: string[] = [];
  for (const m of text.matchAll(/variable\s+"([\w-]+)"\s*\{/g)) {
    const body = blockAt(text, (m.index ?? 0) + m[0].length - 1);
    if (!/\bdefault\s*=/.test(body)) variables.push(m[1]!);
  }
  const kubeconfigOutput = /output\s+"kubeconfig"\s*\{/.test(text);
  const kind = resources.length === 0 ? 'empty' : cluster || compute >= 2 ? 'cluster' : compute === 1 ? 'single_vps' : 'no_cluster';
  return { kind, resources: [...new Set(resources)].slice(0, 50), variables: [...new Set(variables)].sort(), kubeconfigOutput };
}

// ---- Detection ------------------------------------------------------------------------------------

function makefileTargets(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^([A-Za-z][\w.-]*)\s*:(?!=)/gm)) if (!out.includes(m[1]!) && m[1] !== 'PHONY') out.push(m[1]!);
  return out.slice(0, 40);
}

const NOT_K3S: Record<TerraformAnalysis['kind'], K3sEntryPoint['notK3s']> = { cluster: null, single_vps: 'single_vps', empty: 'empty_terraform', no_cluster: 'no_cluster' };
const NOT_K3S_CODE: Record<NonNullable<K3sEntryPoint['notK3s']>, string> = {
  single_vps: 'recipe.k3s_not_cluster_single_vps',
  empty_terraform: 'recipe.k3s_not_cluster_empty_terraform',
  no_cluster: 'recipe.k3s_not_cluster_no_cluster',
};

/** Finds the K3s entry points under the repository's infrastructure/ folder. `read` counts as one request per file. */
export async function detectK3s(files: readonly string[], read: (path: string) => Promise<string | null>): Promise<K3sDetection> {
  const missing: Missing[] = [];
  const msg = (code: string, params: RecipeMessage['params'], severity: Missing['severity']): void => void missing.push({ code, params, severity });
  const infraRoots = [...new Set(files.map((f) => /^((?:[^/]+\/)?infrastructure)\//u.exec(f)?.[1]).filter((x): x is string => x !== undefined))].sort((a, b) => depth(a) - depth(b));
  const infra = infraRoots[0];
  if (!infra) {
    msg('recipe.no_k3s', {}, 'info');
    return { k3s: null, phases: { 3: false, 4: false }, missing };
  }
  const inside = files.filter((f) => f.startsWith(`${infra}/`));
  const has = (d: string): boolean => inside.some((f) => f.startsWith(`${infra}/${d}/`));
  const tfFilesIn = (dir: string): string[] => inside.filter((f) => dirOf(f) === dir && f.endsWith('.tf')).sort((a, b) => tfRank(a) - tfRank(b) || a.localeCompare(b)).slice(0, TF_READS_PER_ROOT);
  const analyze = async (dir: string): Promise<TerraformAnalysis> => {
    const texts: string[] = [];
    for (const f of tfFilesIn(dir)) {
      const t = await read(f);
      if (t !== null) texts.push(t.slice(0, 200_000));
    }
    return analyzeTerraform(texts);
  };
  const entryPoints: K3sEntryPoint[] = [];

  // (a) The deploy script.
  const deployScript = inside.find((f) => f === `${infra}/scripts/deploy.sh`) ?? inside.find((f) => /\/deploy[^/]*\.sh$/u.test(f) && !f.includes('/environments/')) ?? null;
  let environments: string[] = [];
  if (deployScript) {
    const text = await read(deployScript);
    environments = text === null ? [] : environmentsOf(text);
    if (environments.length === 0) msg('recipe.k3s_environments_unknown', { file: deployScript }, 'warning');
    else if (!environments.some((e) => PROD.test(e))) msg('recipe.k3s_no_prod_environment', { environments: environments.join(', ') }, 'warning');
    const script = text ?? '';
    const tools = toolsOfScript(script);
    let terraform: K3sEntryPoint['terraform'] = null;
    let notK3s: K3sEntryPoint['notK3s'] = null;
    if (tools.includes('terraform') || tools.includes('tofu') || has('terraform')) {
      const env = environments[0] ?? 'dev';
      const used = terraformDirOfScript(script, deployScript, env);
      const candidates = [used, `${infra}/terraform/environments/${env}`, `${infra}/terraform`].filter((d): d is string => !!d);
      const dir = candidates.find((d) => tfFilesIn(d).length > 0) ?? candidates[0] ?? `${infra}/terraform`;
      const anyTf = inside.some((f) => f.endsWith('.tf') && f.includes('/terraform/'));
      const a = anyTf ? await analyze(dir) : { kind: 'empty' as const, resources: [], variables: [], kubeconfigOutput: false };
      terraform = { paths: [dir], resources: a.resources };
      notK3s = NOT_K3S[a.kind];
    }
    const envPhases = environments.length > 0 ? [...new Set(environments.map(phaseOfEnvironment))].sort() : [3, 4];
    entryPoints.push({
      id: `script:${deployScript}`,
      kind: 'script',
      path: deployScript,
      environments,
      phases: notK3s ? [] : (envPhases as (3 | 4)[]),
      notK3s,
      terraform,
      tools,
      variables: [...new Set([...OVH_VARIABLES, ...variablesOfScript(script)])],
      kubeconfig: kubeconfigOfScript(script),
      stack: null,
      makefile: null,
    });
    if (notK3s) msg(NOT_K3S_CODE[notK3s], { path: terraform?.paths[0] ?? deployScript, entry: deployScript }, 'warning');
  }

  // (b) Per-environment stacks: <infra>/environments/<env>/{terraform,ansible,kustomize,helm}.
  const envDirs = [...new Set(inside.map((f) => new RegExp(`^${escape(infra)}/environments/([A-Za-z][\\w-]*)/`).exec(f)?.[1]).filter((x): x is string => !!x))].sort(envOrder);
  if (envDirs.length > 0) {
    const stackRoot = `${infra}/environments`;
    const stack: K3sStackEnv[] = [];
    const notK3sOf: K3sEntryPoint['notK3s'][] = [];
    const allResources: string[] = [];
    const tfPaths: string[] = [];
    const tools = new Set<K3sTool>();
    for (const env of envDirs) {
      const d = `${stackRoot}/${env}`;
      const within = inside.filter((f) => f.startsWith(`${d}/`));
      const tfDir = [`${d}/terraform`, d].find((x) => within.some((f) => dirOf(f) === x && f.endsWith('.tf'))) ?? null;
      let analysis: TerraformAnalysis | null = null;
      if (tfDir) {
        analysis = await analyze(tfDir);
        tfPaths.push(tfDir);
        allResources.push(...analysis.resources);
        tools.add('terraform');
      } else if (within.some((f) => f.startsWith(`${d}/terraform/`))) analysis = { kind: 'empty', resources: [], variables: [], kubeconfigOutput: false };
      const ansibleDir = `${d}/ansible`;
      const inventory = within.find((f) => f.startsWith(`${ansibleDir}/`) && /\/(inventory|hosts)([./][^/]*)?$/.test(f.slice(ansibleDir.length)) ) ?? null;
      const playbook = within.find((f) => dirOf(f) === ansibleDir && /^(site|playbook|main|k3s)[\w-]*\.ya?ml$/.test(base(f))) ?? within.find((f) => dirOf(f) === ansibleDir && /\.ya?ml$/.test(f) && !base(f).startsWith('requirements')) ?? null;
      const ansible = inventory && playbook ? { inventory: inventory.includes('/inventory/') ? `${ansibleDir}/inventory` : inventory, playbook } : null;
      if (ansible) tools.add('ansible-playbook');
      const kustomization = within.filter((f) => /\/kustomization\.ya?ml$/.test(f) && f.includes('/kustomize/')).sort((a, b) => depth(a) - depth(b));
      const overlay = kustomization.find((f) => f.includes(`/overlays/${env}/`)) ?? kustomization[0] ?? null;
      const kustomize = overlay ? dirOf(overlay) : null;
      if (kustomize) ['kustomize', 'kubectl'].forEach((t) => tools.add(t as K3sTool));
      const values = within.find((f) => /\/(helm\/)?values[\w-]*\.ya?ml$/.test(f) && f.includes('/helm/')) ?? null;
      const chartFile = [...within, ...inside].find((f) => base(f) === 'Chart.yaml') ?? null;
      const helm = !kustomize && chartFile ? { chart: dirOf(chartFile), values } : null;
      if (helm) ['helm', 'kubectl'].forEach((t) => tools.add(t as K3sTool));
      const kubeconfigFile = within.find((f) => /kubeconfig[^/]*$/i.test(base(f)) && !f.endsWith('.tf')) ?? null;
      const notK3s = analysis ? NOT_K3S[analysis.kind] : ansible ? null : 'empty_terraform';
      notK3sOf.push(notK3s);
      stack.push({
        name: env,
        phase: phaseOfEnvironment(env),
        terraform: tfDir,
        kubeconfigOutput: analysis?.kubeconfigOutput ?? false,
        ansible,
        kustomize,
        helm,
        kubeconfigFile,
        variables: (analysis?.variables ?? []).map((v) => `TF_VAR_${v}`),
      });
    }
    const makefilePath = inside.find((f) => f === `${infra}/Makefile`) ?? files.find((f) => f === 'Makefile') ?? null;
    let makefile: K3sEntryPoint['makefile'] = null;
    if (makefilePath) {
      const text = await read(makefilePath);
      if (text !== null) makefile = { path: makefilePath, targets: makefileTargets(text) };
    }
    const served = stack.filter((_, i) => notK3sOf[i] === null);
    const notK3s = served.length === 0 ? (notK3sOf.find((r) => r !== null) ?? 'no_cluster') : null;
    entryPoints.push({
      id: `stack:${stackRoot}`,
      kind: 'stack',
      path: stackRoot,
      environments: envDirs,
      phases: [...new Set(served.map((s) => s.phase))].sort() as (3 | 4)[],
      notK3s,
      terraform: tfPaths.length > 0 ? { paths: tfPaths, resources: [...new Set(allResources)].slice(0, 50) } : null,
      tools: K3S_TOOLS.filter((t) => tools.has(t)),
      variables: [...new Set([...OVH_VARIABLES, ...stack.flatMap((s) => s.variables)])],
      kubeconfig: null,
      stack,
      makefile,
    });
    if (notK3s) msg(NOT_K3S_CODE[notK3s], { path: tfPaths[0] ?? stackRoot, entry: stackRoot }, 'warning');
    if (environments.length === 0) environments = envDirs;
  }

  if (entryPoints.length === 0) msg('recipe.k3s_no_deploy_script', { dir: infra }, 'blocking');
  const phases = { 3: entryPoints.some((e) => e.phases.includes(3)), 4: entryPoints.some((e) => e.phases.includes(4)) };
  return {
    k3s: { root: infra, terraform: has('terraform'), ansible: has('ansible'), helm: has('helm'), deployScript, environments, entryPoints },
    phases,
    missing,
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** main.tf first, then variables and outputs: the files that say what the root provisions and needs. */
function tfRank(path: string): number {
  const b = base(path);
  return b === 'main.tf' ? 0 : b === 'variables.tf' ? 1 : b === 'outputs.tf' ? 2 : 3;
}

/** dev, staging, then production: the order a founder climbs them. */
function envOrder(a: string, b: string): number {
  const rank = (e: string) => (PROD.test(e) ? 2 : /^stag/i.test(e) ? 1 : 0);
  return rank(a) - rank(b) || a.localeCompare(b);
}
