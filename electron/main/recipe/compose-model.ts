// The Compose model of a combination of files: each file read with js-yaml, then merged the way
// `docker compose -f a -f b` merges them (the compose-spec merge rules, which Compose v1 follows for the keys
// read here): mappings merged key by key, `command`/`entrypoint`/`healthcheck.test` replaced, `ports` and
// `expose` concatenated (an overlay cannot take a published port away), `volumes` merged by container path,
// `environment`/`labels` merged as maps whatever their syntax, `!reset`/`!override` honoured.
//
// js-yaml rather than the hand-written detect-yaml.ts: the model must read every YAML a repository may hold
// (flow collections over several lines, Compose's own tags) and the app writes YAML back from it (the phase-2
// override, the 127.0.0.1 copies), which must round-trip through the same parser Compose's output is read with.
import yaml from 'js-yaml';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type ComposeMap = { [k: string]: unknown };

/** Compose's `!reset` (drop what earlier files set) and `!override` (replace instead of merge), Compose ≥ 2.24. */
export class ResetTag {
  constructor(readonly value: unknown) {}
}
export class OverrideTag {
  constructor(readonly value: unknown) {}
}

const KINDS = ['scalar', 'sequence', 'mapping'] as const;
const kindOf = (v: unknown): (typeof KINDS)[number] => (Array.isArray(v) ? 'sequence' : typeof v === 'object' && v !== null ? 'mapping' : 'scalar');
// Read back as classes, written back as the same tags (a copy of a file keeps them).
const COMPOSE_TAGS = KINDS.flatMap((kind) => [
  new yaml.Type('!reset', { kind, construct: (d: unknown) => new ResetTag(d), predicate: (d: unknown) => d instanceof ResetTag && kindOf(d.value) === kind, represent: (d: object) => (d as ResetTag).value as object }),
  new yaml.Type('!override', { kind, construct: (d: unknown) => new OverrideTag(d), predicate: (d: unknown) => d instanceof OverrideTag && kindOf(d.value) === kind, represent: (d: object) => (d as OverrideTag).value as object }),
]);
/** YAML 1.2 core (as Compose reads it: no timestamps, `yes` is a string) with `<<` merges and Compose's tags. */
// (`types` is exported by js-yaml 4 but missing from its typings.)
const MERGE = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;
const SCHEMA = yaml.CORE_SCHEMA.extend([MERGE, ...COMPOSE_TAGS]);

export interface ComposeFileParse {
  value: ComposeMap | null;
  error: { line: number; message: string } | null;
}

export const isMap = (v: unknown): v is ComposeMap => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ResetTag) && !(v instanceof OverrideTag);

/** Reads one compose file; a YAML error is reported with its (1-based) line, never thrown. */
export function parseComposeFile(text: string): ComposeFileParse {
  try {
    const value = yaml.load(text, { schema: SCHEMA });
    if (value === undefined || value === null) return { value: {}, error: null };
    if (!isMap(value)) return { value: null, error: { line: 1, message: 'the file is not a mapping' } };
    return { value, error: null };
  } catch (err) {
    if (err instanceof yaml.YAMLException) return { value: null, error: { line: (err.mark?.line ?? 0) + 1, message: err.reason || err.message } };
    return { value: null, error: { line: 0, message: err instanceof Error ? err.message : String(err) } };
  }
}

/** YAML text Compose reads back exactly: no line folding, no anchors, double quotes where needed. */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { schema: SCHEMA, lineWidth: -1, noRefs: true, quotingType: '"', forceQuotes: true, sortKeys: false });
}

// ---- Normalised reading of service keys -------------------------------------------------------------------

const str = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** `KEY: value` maps and `- KEY=value` lists alike; a bare `- KEY` maps to null. */
export function toEnvMap(v: unknown): Record<string, string | null> {
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? null : str(x)]));
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = str(item);
      const i = s.indexOf('=');
      if (i > 0) out[s.slice(0, i)] = s.slice(i + 1);
      else if (s !== '') out[s] = null;
    }
  }
  return out;
}

export interface PortSpec {
  /** Host port (may hold `${VAR:-x}`), null when Compose picks a random one. */
  published: string | null;
  target: number;
  protocol: string;
  /** null: every interface. */
  hostIp: string | null;
  /** The entry as the file has it. */
  raw: unknown;
}

/** `[host_ip:][published:]target[/protocol]` (parts may be `${VAR:-x}`, IPv6 in brackets) or the long syntax. */
export function parsePort(p: unknown): PortSpec | null {
  if (isMap(p)) {
    const target = Number(str(p.target));
    if (!Number.isFinite(target) || str(p.target) === '') return null;
    const published = p.published === undefined || p.published === null || str(p.published) === '' ? null : str(p.published);
    return { published, target, protocol: str(p.protocol) || 'tcp', hostIp: p.host_ip ? str(p.host_ip) : null, raw: p };
  }
  const text = str(p);
  const slash = text.lastIndexOf('/');
  const spec = slash > 0 && !text.slice(slash).includes('}') ? text.slice(0, slash) : text;
  const protocol = spec === text ? 'tcp' : text.slice(slash + 1);
  const parts = spec.match(/(\$\{[^}]*\}|\[[^\]]*\]|[^:]+)/gu) ?? [];
  const targetText = parts[parts.length - 1] ?? '';
  const target = Number(targetText.split('-')[0]);
  if (!Number.isFinite(target) || targetText === '') return null;
  const published = parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null;
  const hostIp = parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':').replace(/^\[|\]$/gu, '') : null;
  return { published, target, protocol, hostIp, raw: p };
}

/** Only on this machine: loopback addresses. Everything else (none, 0.0.0.0, ::, a public address) is open. */
export function isLoopback(hostIp: string | null): boolean {
  if (hostIp === null) return false;
  const h = hostIp.trim().replace(/^\[|\]$/gu, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/u.test(h);
}

export interface VolumeMount {
  /** Named volume, host path, or null (anonymous). */
  source: string | null;
  type: 'volume' | 'bind' | 'tmpfs' | 'other';
  target: string;
  readOnly: boolean;
}

export function parseVolumeMount(v: unknown): VolumeMount | null {
  if (isMap(v)) {
    const target = str(v.target);
    if (target === '') return null;
    const type = str(v.type) === 'bind' ? 'bind' : str(v.type) === 'tmpfs' ? 'tmpfs' : str(v.type) === 'volume' || v.type === undefined ? 'volume' : 'other';
    return { source: v.source ? str(v.source) : null, type, target, readOnly: v.read_only === true };
  }
  const s = str(v);
  if (s === '') return null;
  const parts = s.split(':');
  if (parts.length === 1) return { source: null, type: 'volume', target: s, readOnly: false };
  const [source = '', target = '', mode = ''] = parts;
  const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || source.startsWith('$');
  return { source, type: bind ? 'bind' : 'volume', target, readOnly: mode.split(',').includes('ro') };
}

export function commandOf(v: unknown): string[] | string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(str);
  return str(v);
}

// ---- Merging --------------------------------------------------------------------------------------------

const REPLACED = new Set(['command', 'entrypoint', 'image', 'container_name', 'restart', 'user', 'working_dir', 'hostname', 'network_mode', 'profiles', 'env_file']);
const AS_MAP = new Set(['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']);
const UNIQUE_LIST = new Set(['ports', 'expose', 'dns', 'dns_search', 'cap_add', 'cap_drop', 'external_links', 'volumes_from', 'security_opt', 'tmpfs', 'devices']);

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof ResetTag || x instanceof OverrideTag ? x.value : x))) as T);
}

function listToMap(v: unknown): ComposeMap {
  if (isMap(v)) return v;
  const out: ComposeMap = {};
  if (Array.isArray(v)) for (const x of v) out[str(x)] = null;
  return out;
}

function uniqueConcat(a: unknown, b: unknown): unknown[] {
  const out = [...(Array.isArray(a) ? a : a === undefined || a === null ? [] : [a])];
  const seen = new Set(out.map((x) => JSON.stringify(x)));
  for (const x of Array.isArray(b) ? b : b === undefined || b === null ? [] : [b]) {
    const k = JSON.stringify(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

function mergeVolumes(a: unknown, b: unknown): unknown[] {
  const out = new Map<string, unknown>();
  const add = (list: unknown): void => {
    for (const v of Array.isArray(list) ? list : []) out.set(parseVolumeMount(v)?.target ?? JSON.stringify(v), v);
  };
  add(a);
  add(b);
  return [...out.values()];
}

function mergeDeep(a: unknown, b: unknown): unknown {
  if (b instanceof ResetTag) return undefined;
  if (b instanceof OverrideTag) return clone(b.value);
  if (isMap(a) && isMap(b)) {
    const out: ComposeMap = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const merged = mergeDeep(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return clone(b);
}

function mergeServiceKey(key: string, a: unknown, b: unknown): unknown {
  if (b instanceof ResetTag) return undefined;
  if (b instanceof OverrideTag) return clone(b.value);
  if (a === undefined) return clone(b);
  if (REPLACED.has(key)) return clone(b);
  if (AS_MAP.has(key)) return { ...toEnvMap(a), ...toEnvMap(b) };
  if (key === 'depends_on' || key === 'networks') return mergeDeep(listToMap(a), listToMap(b));
  if (key === 'build') return mergeDeep(typeof a === 'string' ? { context: a } : a, typeof b === 'string' ? { context: b } : b);
  if (key === 'healthcheck' && isMap(a) && isMap(b)) return { ...a, ...clone(b) };
  if (key === 'volumes') return mergeVolumes(a, b);
  if (UNIQUE_LIST.has(key)) return uniqueConcat(a, b);
  if (isMap(a) && isMap(b)) return mergeDeep(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return uniqueConcat(a, b);
  return clone(b);
}

export function mergeService(into: ComposeMap, overlay: ComposeMap): ComposeMap {
  const out: ComposeMap = { ...into };
  for (const [k, v] of Object.entries(overlay)) {
    const merged = mergeServiceKey(k, out[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

export interface ComposeProject {
  /** Services in the order they first appear. */
  services: Record<string, ComposeMap>;
  volumes: Record<string, ComposeMap | null>;
  networks: Record<string, ComposeMap | null>;
  /** The top-level `name:` (the project name), when a file sets one. */
  name: string | null;
  /** Per file, the services it mentions (to know which file publishes what). */
  perFile: Array<{ path: string; services: Record<string, ComposeMap> }>;
}

/** Merges the files of a combination, in order, as Compose does. */
export function mergeComposeFiles(files: ReadonlyArray<{ path: string; value: ComposeMap }>): ComposeProject {
  const services: Record<string, ComposeMap> = {};
  const volumes: Record<string, ComposeMap | null> = {};
  const networks: Record<string, ComposeMap | null> = {};
  let name: string | null = null;
  const perFile: ComposeProject['perFile'] = [];
  for (const f of files) {
    const own: Record<string, ComposeMap> = {};
    if (isMap(f.value.services)) {
      for (const [svc, body] of Object.entries(f.value.services)) {
        const b = isMap(body) ? body : {};
        own[svc] = b;
        services[svc] = mergeService(services[svc] ?? {}, b);
      }
    }
    for (const [target, key] of [
      [volumes, 'volumes'],
      [networks, 'networks'],
    ] as const) {
      const section = f.value[key];
      if (isMap(section)) for (const [k, v] of Object.entries(section)) target[k] = isMap(v) ? (mergeDeep(target[k] ?? {}, v) as ComposeMap) : (target[k] ?? null);
    }
    if (typeof f.value.name === 'string' && f.value.name !== '') name = f.value.name;
    perFile.push({ path: f.path, services: own });
  }
  return { services, volumes, networks, name, perFile };
}

/** Services `docker compose up` starts: those without `profiles` (a profile must be asked for). */
export function defaultServices(project: ComposeProject): Array<[string, ComposeMap]> {
  return Object.entries(project.services).filter(([, s]) => !(Array.isArray(s.profiles) && s.profiles.length > 0));
}

// ---- Interpolation --------------------------------------------------------------------------------------

/**
 * Compose's interpolation of `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}` and `$$`
 * against an environment; an unset variable without default becomes ''. Pure (no process environment).
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/gu, (m, dollar: string, name?: string, colon?: string, op?: string, word?: string, bare?: string) => {
    if (dollar === '$') return '$';
    const key = name ?? bare ?? '';
    const v = env[key];
    const unset = v === undefined || (colon === ':' && v === '');
    if (op === '-') return unset ? interpolate(word ?? '', env) : (v ?? '');
    if (op === '+') return unset ? '' : interpolate(word ?? '', env);
    if (op === '?') return unset ? '' : (v ?? '');
    void m;
    return v ?? '';
  });
}

/** The variable names a string refers to (`${A:-x}` → A). */
export function variablesOf(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/gu)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean);
}
