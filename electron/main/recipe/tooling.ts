// What the repository's own tooling runs: `docker compose` invocations in its Makefile targets, shell scripts,
// CI workflows, systemd units and docs, with the files (`-f`), `--env-file`, project name and folder they use.
// Only files whose names suggest deployment are read, and at most MAX_TOOLING_READS of them: the recipe costs
// GitHub API requests. Nothing is ever executed: scripts are read as text.
import yaml from 'js-yaml';
import { assignment, expandParams, logicalLines, shellWords, splitCommands, stripShellComment, type Vars } from './shell-words';

export type ToolingKind = 'makefile' | 'script' | 'workflow' | 'systemd' | 'docs';

export interface ToolingSource {
  kind: ToolingKind;
  file: string;
  /** Makefile target, workflow job, doc heading; null for a script or a unit. */
  target: string | null;
  line: number;
}

export interface ComposeInvocation {
  /** Where the user would start it (a Makefile target), then what it called (a script). */
  chain: ToolingSource[];
  /** Compose files as repository paths, in order (default discovery applied when no `-f`). */
  files: string[];
  /** Paths the tooling names that the repository does not have (a stale script). */
  missing: string[];
  /** `--env-file` as a repository path, or null (Compose then reads `.env` in the project folder). */
  envFile: string | null;
  /** `-p` / COMPOSE_PROJECT_NAME, or null. */
  project: string | null;
  /** The project folder (repository path): `--project-directory`, else the first file's folder. */
  projectDir: string;
  subcommand: string;
  args: string[];
  /** From names (target, script, files, env file): true production, false another environment, null unknown. */
  production: boolean | null;
}

export interface ToolingResult {
  invocations: ComposeInvocation[];
  /** Files read (in order), for the recipe's `filesRead`. */
  read: string[];
}

export const MAX_TOOLING_READS = 8;

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

const SKIP_DIRS = /(^|\/)(node_modules|vendor|target|dist|build|\.git|tests?|spec|__tests__|fixtures|examples?|monitoring)(\/|$)/u;
const DEPLOYISH = /deploy|prod|release|gitops|vps|launch|start|up\b|install|bootstrap|provision|update|upgrade|server|run/iu;
const PROD = /(^|[^a-z])(prod|production|prd|live)([^a-z]|$)/iu;
/** "VPS" says where, not which environment: production only when nothing names another one. */
const WEAK_PROD = /(^|[^a-z])(vps|server|deploy)([^a-z]|$)/iu;
const NOT_PROD = /(^|[^a-z])(dev|develop|development|local|test|tests|testing|staging|stage|integration|demo|ci|e2e|mcp|preview|sandbox|docs?|videos?|example)([^a-z]|$)/iu;

/** true / false / null from a piece of text (a name or a path). */
function classify(text: string): boolean | null {
  const prod = PROD.test(text);
  const other = NOT_PROD.test(text);
  if (prod && !other) return true;
  if (other && !prod) return false;
  if (!prod && !other && WEAK_PROD.test(text)) return true;
  return null;
}

/** Which files to read, most decisive first. */
export function toolingCandidates(files: readonly string[]): Array<{ path: string; kind: ToolingKind }> {
  const out: Array<{ path: string; kind: ToolingKind }> = [];
  const ok = (f: string): boolean => !SKIP_DIRS.test(dirOf(f));
  for (const f of files) if (/^(GNUmakefile|[Mm]akefile)$/u.test(base(f)) && ok(f) && f.split('/').length <= 4) out.push({ path: f, kind: 'makefile' });
  out.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  for (const f of files) if (/^\.github\/workflows\/[^/]+\.ya?ml$/u.test(f) && /deploy|prod|vps|(^|[^a-z])cd([^a-z]|$)/iu.test(base(f))) out.push({ path: f, kind: 'workflow' });
  for (const f of files) if (f.endsWith('.service') && ok(f)) out.push({ path: f, kind: 'systemd' });
  for (const f of files) if (/\.(sh|bash)$/u.test(f) && ok(f) && DEPLOYISH.test(base(f))) out.push({ path: f, kind: 'script' });
  for (const f of files) if (/\.md$/iu.test(f) && ok(f) && (f === 'README.md' || /deploy|prod|gitops|install|vps|ops/iu.test(f))) out.push({ path: f, kind: 'docs' });
  return out;
}

// ---- Paths ------------------------------------------------------------------------------------------------

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

class Tree {
  readonly files: Set<string>;
  readonly dirs: Set<string>;
  constructor(list: readonly string[]) {
    this.files = new Set(list);
    this.dirs = new Set(['']);
    for (const f of list) for (let d = dirOf(f); d !== ''; d = dirOf(d)) this.dirs.add(d);
  }

  /** A folder path as the repository knows it; an absolute folder (the checkout on someone's server) by its tail. */
  dir(path: string, cwd: string): string {
    if (path.startsWith('/') || path.startsWith('~')) {
      const parts = path.split('/').filter(Boolean);
      for (let i = 0; i < parts.length; i += 1) {
        const tail = parts.slice(i).join('/');
        if (this.dirs.has(tail) && tail !== '') return tail;
      }
      return '';
    }
    return normalize(`${cwd}/${path}`) ?? cwd;
  }

  /** A file path: relative to `cwd`, else to the script's folder, else the root; absolute by its longest known tail. */
  file(path: string, cwd: string, scriptDir: string): string | null {
    if (path.startsWith('/') || path.startsWith('~')) {
      const parts = path.split('/').filter(Boolean);
      for (let i = 0; i < parts.length; i += 1) {
        const tail = parts.slice(i).join('/');
        if (this.files.has(tail)) return tail;
      }
      return null;
    }
    for (const d of [cwd, scriptDir, '']) {
      const p = normalize(`${d}/${path}`);
      if (p !== null && this.files.has(p)) return p;
    }
    return null;
  }
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const DEFAULT_OVERRIDES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];

// ---- Reading commands ---------------------------------------------------------------------------------------

interface Context {
  tree: Tree;
  /** Reads a file (counted, cached by the caller); null when absent or over budget. */
  read: (path: string) => Promise<string | null>;
  makeTargets: Map<string, MakeTarget>;
  invocations: ComposeInvocation[];
  /** Scripts being read (recursion guard). */
  active: Set<string>;
}

interface Frame {
  chain: ToolingSource[];
  cwd: string;
  scriptDir: string;
  vars: Vars;
  /** Exported variables (Compose reads COMPOSE_FILE, COMPOSE_PROJECT_NAME from the environment). */
  env: Vars;
  depth: number;
}

const isComposeStart = (w: readonly string[], i: number): number => {
  if (w[i] === 'docker-compose' || /\/docker-compose$/u.test(w[i] ?? '')) return i + 1;
  if ((w[i] === 'docker' || /\/docker$/u.test(w[i] ?? '')) && w[i + 1] === 'compose') return i + 2;
  return -1;
};

const GLOBAL_WITH_VALUE = new Set(['-f', '--file', '--env-file', '-p', '--project-name', '--project-directory', '--profile', '--ansi', '--parallel', '--progress', '-c', '--context', '-H', '--host', '--log-level']);

function parseCompose(words: string[], start: number, frame: Frame, ctx: Context, line: number): void {
  const fileArgs: string[] = [];
  let envFile: string | null = null;
  let project: string | null = frame.env.COMPOSE_PROJECT_NAME ?? null;
  let projectDirArg: string | null = null;
  let i = start;
  for (; i < words.length; i += 1) {
    const w = words[i] ?? '';
    const eq = w.indexOf('=');
    const [flag, inline] = w.startsWith('--') && eq > 0 ? [w.slice(0, eq), w.slice(eq + 1)] : /^-f./u.test(w) ? ['-f', w.slice(2)] : [w, null];
    if (!flag.startsWith('-')) break;
    const value = inline ?? (GLOBAL_WITH_VALUE.has(flag) ? words[++i] : undefined);
    if (flag === '-f' || flag === '--file') fileArgs.push(value ?? '');
    else if (flag === '--env-file') envFile = value ?? null;
    else if (flag === '-p' || flag === '--project-name') project = value ?? null;
    else if (flag === '--project-directory') projectDirArg = value ?? null;
  }
  const subcommand = words[i] ?? '';
  const args = words.slice(i + 1);
  const chainText = frame.chain.map((c) => `${c.target ?? ''} ${c.file}`).join(' ');
  const missing: string[] = [];
  let files: string[] = [];
  const baseDir = projectDirArg !== null ? ctx.tree.dir(projectDirArg, frame.cwd) : frame.cwd;
  const envFiles = frame.env.COMPOSE_FILE && fileArgs.length === 0 ? frame.env.COMPOSE_FILE.split(':').filter(Boolean) : fileArgs;
  for (const f of envFiles) {
    if (f === '' || f.includes('$(') || f.includes('`')) {
      missing.push(f || '?');
      continue;
    }
    if (f === '-') continue;
    const resolved = ctx.tree.file(f, frame.cwd, frame.scriptDir);
    if (resolved) files.push(resolved);
    else missing.push(f);
  }
  if (envFiles.length === 0) {
    const found = DEFAULT_FILES.map((n) => (baseDir === '' ? n : `${baseDir}/${n}`)).find((p) => ctx.tree.files.has(p));
    if (found) {
      files = [found];
      const override = DEFAULT_OVERRIDES.map((n) => (baseDir === '' ? n : `${baseDir}/${n}`)).find((p) => ctx.tree.files.has(p));
      if (override) files.push(override);
    } else missing.push(baseDir === '' ? 'docker-compose.yml' : `${baseDir}/docker-compose.yml`);
  }
  const projectDir = projectDirArg !== null ? baseDir : files[0] ? dirOf(files[0]) : baseDir;
  let env: string | null = null;
  if (envFile !== null) {
    const resolved = ctx.tree.file(envFile, frame.cwd, frame.scriptDir);
    // An env file is usually not in the repository (it holds secrets): the path it would have.
    if (resolved) env = resolved;
    else if (envFile.startsWith('/') || envFile.startsWith('~')) {
      const d = ctx.tree.dir(dirOf(envFile), frame.cwd);
      env = d === '' ? base(envFile) : `${d}/${base(envFile)}`;
    } else env = normalize(`${frame.cwd}/${envFile}`);
  }
  // The most specific names decide first: the files and env file, then the target and scripts.
  const production = classify([...files, ...missing].join(' ')) ?? classify(env ?? '') ?? classify(project ?? '') ?? classify(args.join(' ')) ?? classify(chainText);
  const chain = frame.chain.map((c, k) => (k === frame.chain.length - 1 ? { ...c, line } : c));
  ctx.invocations.push({ chain, files, missing, envFile: env, project, projectDir, subcommand, args, production });
}

async function readShellLines(lines: Array<{ line: number; text: string }>, frame: Frame, ctx: Context, opts: { cwdPersists: boolean }): Promise<void> {
  let cwd = frame.cwd;
  for (const { line, text } of lines) {
    const f: Frame = { ...frame, cwd };
    await readShellLine(stripShellComment(text), f, ctx, line);
    if (opts.cwdPersists) cwd = f.cwd;
  }
}

/** Reads one logical line: assignments, `cd`, Compose invocations, scripts it runs, `make` targets, `ssh host "…"`. */
async function readShellLine(text: string, frame: Frame, ctx: Context, line: number): Promise<void> {
  for (const command of splitCommands(text)) {
    const a = assignment(command, frame.vars);
    if (a) {
      frame.vars[a.name] = a.value;
      if (a.exported || a.name.startsWith('COMPOSE_')) frame.env[a.name] = a.value;
      continue;
    }
    const exported = /^export\s+([A-Za-z_][A-Za-z0-9_]*)$/u.exec(command.trim());
    if (exported?.[1] && frame.vars[exported[1]] !== undefined) {
      frame.env[exported[1]] = frame.vars[exported[1]] ?? '';
      continue;
    }
    let words = shellWords(command, frame.vars);
    // `VAR=x cmd`: an environment for this command only.
    const env: Vars = { ...frame.env };
    while (words[0] && /^[A-Za-z_][A-Za-z0-9_]*=/u.test(words[0])) {
      const w = words.shift() ?? '';
      env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
    }
    while (['sudo', 'exec', 'time', 'nohup', 'command', 'env'].includes(words[0] ?? '') || (words[0] === 'sudo' && words[1]?.startsWith('-'))) words = words.slice(words[0] === 'sudo' && words[1] === '-u' ? 3 : 1);
    const w0 = words[0] ?? '';
    if (w0 === 'cd') {
      frame.cwd = words[1] ? ctx.tree.dir(words[1], frame.cwd) : '';
      continue;
    }
    const at = isComposeStart(words, 0);
    if (at > 0) {
      parseCompose(words, at, { ...frame, env }, ctx, line);
      continue;
    }
    if ((w0 === 'make' || w0 === '$(MAKE)' || w0 === 'gmake') && frame.depth < 6) {
      for (const t of words.slice(1).filter((x) => !x.startsWith('-') && !x.includes('='))) await runMakeTarget(t, frame, ctx);
      continue;
    }
    if ((w0 === 'ssh' || w0 === 'bash' || w0 === 'sh') && words.some((x) => /docker[ -]compose|\bcd\s/u.test(x))) {
      // `ssh host "cd /opt/app && docker compose …"`, `bash -c "…"`: the quoted command is a line of its own.
      for (const inner of words.filter((x) => /docker[ -]compose|\bcd\s/u.test(x))) await readShellLine(inner, { ...frame, env }, ctx, line);
      continue;
    }
    const script = (w0 === 'bash' || w0 === 'sh' || w0 === 'source' || w0 === '.') && words[1] && !words[1].startsWith('-') ? { path: words[1], args: words.slice(2) } : /\.(sh|bash)$/u.test(w0) ? { path: w0, args: words.slice(1) } : null;
    if (script && frame.depth < 6) {
      const resolved = ctx.tree.file(script.path, frame.cwd, frame.scriptDir);
      if (resolved) await runScript(resolved, script.args, { ...frame, env }, ctx);
    }
  }
}

async function runScript(path: string, args: string[], frame: Frame, ctx: Context): Promise<void> {
  if (ctx.active.has(path)) return;
  const text = await ctx.read(path);
  if (text === null) return;
  ctx.active.add(path);
  try {
    const vars: Vars = { ...frame.env };
    args.forEach((a, i) => (vars[String(i + 1)] = a));
    const source: ToolingSource = { kind: 'script', file: path, target: args.length > 0 ? args.join(' ') : null, line: 1 };
    await readShellLines(logicalLines(text), { chain: [...frame.chain, source], cwd: frame.cwd, scriptDir: dirOf(path), vars, env: { ...frame.env }, depth: frame.depth + 1 }, ctx, { cwdPersists: true });
  } finally {
    ctx.active.delete(path);
  }
}

// ---- Makefiles ------------------------------------------------------------------------------------------------

interface MakeTarget {
  file: string;
  name: string;
  line: number;
  deps: string[];
  recipe: Array<{ line: number; text: string }>;
  vars: Vars;
}

const expandMake = (s: string, vars: Vars, depth = 0): string =>
  depth > 8 ? s : s.replace(/\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]/gu, (_m, name: string) => (name === 'MAKE' ? 'make' : expandMake(vars[name] ?? '', vars, depth + 1))).replace(/\$\$/gu, '$');

export function parseMakefile(file: string, text: string): MakeTarget[] {
  const vars: Vars = {};
  const targets: MakeTarget[] = [];
  let current: MakeTarget | null = null;
  for (const { line, text: l } of logicalLines(text)) {
    if (l.startsWith('\t')) {
      if (current && l.trim() !== '' && !l.trim().startsWith('#')) current.recipe.push({ line, text: l.slice(1) });
      continue;
    }
    const t = l.replace(/#.*$/u, '').trimEnd();
    if (t.trim() === '') continue;
    const v = /^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(::=|:=|\?=|\+=|!=|=)\s*(.*)$/u.exec(t);
    if (v) {
      const [, name = '', op, value = ''] = v;
      if (op === '?=' && vars[name] !== undefined) continue;
      vars[name] = op === '+=' ? `${vars[name] ?? ''} ${value}`.trim() : op === '!=' ? '' : value;
      current = null;
      continue;
    }
    const m = /^([^:=\s][^:=]*?)\s*::?\s*(.*)$/u.exec(t);
    if (m && !m[1]?.startsWith('.')) {
      const [names = '', rest = ''] = [m[1], m[2]];
      const [deps = '', inline] = rest.split(';');
      for (const name of names.split(/\s+/u).filter(Boolean)) {
        current = { file, name, line, deps: deps.split(/\s+/u).filter(Boolean), recipe: inline ? [{ line, text: inline }] : [], vars };
        targets.push(current);
      }
      continue;
    }
    current = null;
  }
  return targets;
}

async function runMakeTarget(name: string, frame: Frame, ctx: Context): Promise<void> {
  const target = ctx.makeTargets.get(name);
  if (!target || frame.chain.some((c) => c.kind === 'makefile' && c.target === name)) return;
  const source: ToolingSource = { kind: 'makefile', file: target.file, target: name, line: target.line };
  const sub: Frame = { ...frame, chain: [...frame.chain, source], depth: frame.depth + 1 };
  for (const d of target.deps) await runMakeTarget(d, sub, ctx);
  // Each recipe line runs in its own shell: `cd` lasts for its line only.
  for (const r of target.recipe) {
    const text = expandMake(r.text, target.vars).replace(/^[@+-]+/u, '');
    await readShellLine(stripShellComment(text), { ...sub, cwd: dirOf(target.file), scriptDir: dirOf(target.file), vars: { ...sub.vars }, env: { ...sub.env } }, ctx, r.line);
  }
}

// ---- Workflows, units, docs ---------------------------------------------------------------------------------

function workflowBlocks(text: string): Array<{ job: string; cwd: string | null; text: string }> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch {
    return [];
  }
  const out: Array<{ job: string; cwd: string | null; text: string }> = [];
  const jobs = (doc as { jobs?: unknown })?.jobs;
  if (typeof jobs !== 'object' || jobs === null) return out;
  for (const [job, body] of Object.entries(jobs as Record<string, unknown>)) {
    const b = body as { steps?: unknown; defaults?: { run?: { 'working-directory'?: unknown } } };
    const jobCwd = typeof b?.defaults?.run?.['working-directory'] === 'string' ? b.defaults.run['working-directory'] : null;
    for (const step of Array.isArray(b?.steps) ? b.steps : []) {
      const s = step as { run?: unknown; with?: Record<string, unknown>; 'working-directory'?: unknown };
      const cwd = typeof s?.['working-directory'] === 'string' ? s['working-directory'] : jobCwd;
      if (typeof s?.run === 'string') out.push({ job, cwd, text: s.run });
      for (const k of ['script', 'command', 'cmd', 'run']) if (typeof s?.with?.[k] === 'string') out.push({ job, cwd: null, text: s.with[k] as string });
    }
  }
  return out;
}

function unitLines(text: string): { cwd: string | null; lines: Array<{ line: number; text: string }> } {
  let cwd: string | null = null;
  const lines: Array<{ line: number; text: string }> = [];
  for (const { line, text: l } of logicalLines(text)) {
    const m = /^\s*(WorkingDirectory|ExecStart|ExecStartPre|ExecStartPost|ExecReload)\s*=\s*(.*)$/u.exec(l);
    if (!m) continue;
    if (m[1] === 'WorkingDirectory') cwd = m[2]?.replace(/^-/u, '').trim() ?? null;
    else lines.push({ line, text: (m[2] ?? '').replace(/^[-@+!:]+/u, '') });
  }
  return { cwd, lines };
}

function docBlocks(text: string): Array<{ heading: string; lines: Array<{ line: number; text: string }> }> {
  const out: Array<{ heading: string; lines: Array<{ line: number; text: string }> }> = [];
  let heading = '';
  let block: Array<{ line: number; text: string }> | null = null;
  text.replace(/\r\n?/gu, '\n').split('\n').forEach((l, i) => {
    if (block === null && /^#{1,6}\s/u.test(l)) heading = l.replace(/^#+\s*/u, '').trim();
    if (/^\s*(```|~~~)/u.test(l)) {
      if (block === null) block = [];
      else {
        out.push({ heading, lines: block });
        block = null;
      }
      return;
    }
    if (block !== null) block.push({ line: i + 1, text: l.replace(/^\s*\$\s+/u, '') });
  });
  return out;
}

// ---- Entry point ----------------------------------------------------------------------------------------------

/** Reads the tooling among `files` (a repository's file list) through `read` (counted by the caller). */
export async function readTooling(files: readonly string[], read: (path: string) => Promise<string | null>, maxReads = MAX_TOOLING_READS): Promise<ToolingResult> {
  const tree = new Tree(files);
  const readList: string[] = [];
  const cache = new Map<string, string | null>();
  const budgetRead = async (path: string): Promise<string | null> => {
    if (cache.has(path)) return cache.get(path) ?? null;
    if (readList.length >= maxReads) return null;
    readList.push(path);
    const text = await read(path);
    cache.set(path, text);
    return text;
  };
  const ctx: Context = { tree, read: budgetRead, makeTargets: new Map(), invocations: [], active: new Set() };
  const root = (chain: ToolingSource[], cwd: string): Frame => ({ chain, cwd, scriptDir: cwd, vars: {}, env: {}, depth: 0 });
  const decided = (): boolean => ctx.invocations.some((i) => i.production === true && i.subcommand === 'up' && i.missing.length === 0);

  const candidates = toolingCandidates(files);
  for (const c of candidates.filter((x) => x.kind === 'makefile')) {
    const text = await budgetRead(c.path);
    if (text === null) continue;
    const targets = parseMakefile(c.path, text);
    for (const t of targets) if (!ctx.makeTargets.has(t.name)) ctx.makeTargets.set(t.name, t);
    for (const t of targets) await runMakeTarget(t.name, root([], dirOf(c.path)), ctx);
  }
  for (const c of candidates.filter((x) => x.kind === 'workflow')) {
    const text = await budgetRead(c.path);
    if (text === null) continue;
    for (const b of workflowBlocks(text)) {
      const cwd = b.cwd ? tree.dir(b.cwd, '') : '';
      await readShellLines(logicalLines(b.text), root([{ kind: 'workflow', file: c.path, target: b.job, line: 1 }], cwd), ctx, { cwdPersists: true });
    }
  }
  for (const c of candidates.filter((x) => x.kind === 'systemd')) {
    const text = await budgetRead(c.path);
    if (text === null) continue;
    const u = unitLines(text);
    const cwd = u.cwd ? tree.dir(u.cwd, '') : dirOf(c.path);
    await readShellLines(u.lines, root([{ kind: 'systemd', file: c.path, target: null, line: 1 }], cwd), ctx, { cwdPersists: false });
  }
  for (const c of candidates.filter((x) => x.kind === 'script')) {
    if (decided() && !cache.has(c.path)) continue;
    if (ctx.invocations.some((i) => i.chain.some((s) => s.file === c.path))) continue;
    await runScript(c.path, [], root([], ''), ctx);
  }
  if (!decided()) {
    for (const c of candidates.filter((x) => x.kind === 'docs')) {
      const text = await budgetRead(c.path);
      if (text === null) continue;
      for (const b of docBlocks(text)) {
        const before = ctx.invocations.length;
        await readShellLines(b.lines, root([{ kind: 'docs', file: c.path, target: b.heading || null, line: b.lines[0]?.line ?? 1 }], ''), ctx, { cwdPersists: true });
        // A doc's heading ("Production deployment") says which environment its commands are for.
        for (const inv of ctx.invocations.slice(before)) if (inv.production === null) inv.production = classify(b.heading);
      }
      if (decided()) break;
    }
  }
  return { invocations: ctx.invocations, read: readList };
}

/** Priority of a source kind when several tools run production: the entry points people type first. */
const KIND_PRIORITY: Record<ToolingKind, number> = { makefile: 0, workflow: 1, systemd: 2, script: 3, docs: 4 };

export interface ToolingDecision {
  invocation: ComposeInvocation;
  /** Other production invocations with a different combination (the Code step says so). */
  conflicts: ComposeInvocation[];
}

/** The production `up` the tooling runs, if one can be told apart; stale ones (missing files) never decide. */
export function decideFromTooling(invocations: readonly ComposeInvocation[]): ToolingDecision | null {
  const ups = invocations.filter((i) => i.subcommand === 'up' && i.production === true && i.missing.length === 0 && i.files.length > 0);
  const sorted = [...ups].sort((a, b) => KIND_PRIORITY[a.chain[0]?.kind ?? 'docs'] - KIND_PRIORITY[b.chain[0]?.kind ?? 'docs']);
  const best = sorted[0];
  if (!best) return null;
  const key = (i: ComposeInvocation): string => JSON.stringify([i.files, i.envFile]);
  const conflicts = sorted.filter((i) => key(i) !== key(best) && KIND_PRIORITY[i.chain[0]?.kind ?? 'docs'] === KIND_PRIORITY[best.chain[0]?.kind ?? 'docs']);
  return { invocation: best, conflicts };
}

/** Pulls the same tooling runs around its `up` (same entry point): a sign the images are prebuilt. */
export function toolingPulls(invocations: readonly ComposeInvocation[], decided: ComposeInvocation): boolean {
  const head = JSON.stringify(decided.chain[0]);
  return invocations.some((i) => i.subcommand === 'pull' && JSON.stringify(i.chain[0]) === head);
}

export { expandParams };
