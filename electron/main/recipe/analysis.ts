// What the merged production combination says about the deployment: which service is the backend (the one
// the reverse proxy routes the API to), its health endpoint and how the server reaches it, the images to pull
// or build, internal ports published on every interface, which state the daily backup must cover, what the
// phase-2 tuning starts from, and the container names that identify a copy already running. Pure functions.
import type { RecipeBackup, RecipeExposure, RecipeImages, ServiceKind } from '../../shared/recipe';
import { commandOf, defaultServices, interpolate, isLoopback, isMap, parsePort, parseVolumeMount, toEnvMap, type ComposeMap, type ComposeProject, type PortSpec } from './compose-model';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

// ---- Kinds of services ------------------------------------------------------------------------------------

const IMAGE_KINDS: Array<[RegExp, ServiceKind]> = [
  [/(^|\/)(postgres|postgis|timescaledb|mysql|mariadb|mongo|cockroach|cassandra|clickhouse|couchdb)(:|$|-)/iu, 'database'],
  [/(^|\/)(redis|valkey|dragonfly(db)?|memcached|keydb)(:|$|-)/iu, 'cache'],
  [/(^|\/)(minio|seaweedfs|garage|localstack|ceph|mc)(:|$|-)/iu, 'storage'],
  [/(^|\/)(grafana|prometheus|alertmanager|loki|pgadmin4?|adminer|portainer|kibana|phpmyadmin|mailhog|mailpit|jaeger|uptime-kuma|node-exporter|cadvisor|promtail)(:|$|-)/iu, 'dashboard'],
  [/(^|\/)(traefik|caddy|nginx|haproxy|envoy|nginx-proxy)(:|$|-)/iu, 'proxy'],
];
const NAME_KINDS: Array<[RegExp, ServiceKind]> = [
  [/^(postgres|postgresql|db|database|mysql|mariadb|mongo|mongodb|pg)(-|_|$)/iu, 'database'],
  [/^(redis|cache|valkey|dragonfly|memcached)(-|_|$)/iu, 'cache'],
  [/^(minio|s3|storage|object-storage)(-|_|$)/iu, 'storage'],
  [/^(grafana|prometheus|pgadmin|adminer|portainer|dashboard|monitoring)(-|_|$)/iu, 'dashboard'],
  [/^(traefik|proxy|caddy|nginx|reverse-proxy|haproxy)(-|_|$)/iu, 'proxy'],
  [/^(backend|api|server|app|koprogo-api|koprogo-backend)(-|_|$)/iu, 'backend'],
  [/^(frontend|web|ui|client|www)(-|_|$)/iu, 'frontend'],
];

export function serviceKind(name: string, svc: ComposeMap): ServiceKind {
  const image = str(svc.image);
  for (const [re, kind] of IMAGE_KINDS) if (re.test(image)) return kind;
  for (const [re, kind] of NAME_KINDS) if (re.test(name)) return kind;
  return 'other';
}

// ---- Reverse proxy and routes -------------------------------------------------------------------------------

export interface Route {
  service: string;
  /** The Host rule's first host, as written (may hold `${API_DOMAIN}`). */
  host: string | null;
  pathPrefix: string | null;
}

export interface ProxyInfo {
  service: string;
  httpPort: string | null;
  httpsPort: string | null;
  routes: Route[];
}

/** Traefik's Docker-provider labels (`traefik.http.routers.<r>.rule=Host(`…`) && PathPrefix(`/api`)`) and nginx-proxy's VIRTUAL_HOST. */
function routesOf(project: ComposeProject): Route[] {
  const routes: Route[] = [];
  for (const [name, svc] of defaultServices(project)) {
    const labels = toEnvMap(svc.labels);
    if (str(labels['traefik.enable']) === 'false') continue;
    for (const [k, v] of Object.entries(labels)) {
      const m = /^traefik\.http\.routers\.([^.]+)\.rule$/u.exec(k);
      if (!m || v === null) continue;
      // `.service=api@internal` is Traefik's own dashboard, not this container.
      const target = labels[`traefik.http.routers.${m[1]}.service`];
      if (target && target.includes('@')) continue;
      const host = /Host\(\s*[`"']([^`"']+)[`"']/u.exec(v)?.[1] ?? null;
      const pathPrefix = /PathPrefix\(\s*[`"']([^`"']+)[`"']/u.exec(v)?.[1] ?? null;
      routes.push({ service: name, host, pathPrefix });
    }
    const env = toEnvMap(svc.environment);
    if (env.VIRTUAL_HOST) routes.push({ service: name, host: env.VIRTUAL_HOST.split(',')[0] ?? null, pathPrefix: env.VIRTUAL_PATH ?? null });
  }
  return routes;
}

export function proxyOf(project: ComposeProject): ProxyInfo | null {
  const proxies = defaultServices(project).filter(([name, s]) => serviceKind(name, s) === 'proxy');
  const routes = routesOf(project);
  for (const [name, svc] of proxies) {
    const ports = (Array.isArray(svc.ports) ? svc.ports : []).map(parsePort).filter((p): p is PortSpec => p !== null);
    const http = ports.find((p) => p.target === 80) ?? null;
    const https = ports.find((p) => p.target === 443) ?? null;
    if (http || https) return { service: name, httpPort: http?.published ?? null, httpsPort: https?.published ?? null, routes };
  }
  return null;
}

// ---- The backend and its health -----------------------------------------------------------------------------

const SIDE_KINDS = new Set<ServiceKind>(['database', 'cache', 'storage', 'dashboard', 'proxy']);

/** The service the proxy routes the API to; else a service named like a backend; never a side service. */
export function backendOf(project: ComposeProject, routes: readonly Route[]): string | null {
  const services = defaultServices(project);
  const kindOf = new Map(services.map(([n, s]) => [n, serviceKind(n, s)]));
  const app = (n: string): boolean => !SIDE_KINDS.has(kindOf.get(n) ?? 'other');
  const api = routes.find((r) => app(r.service) && r.pathPrefix !== null && /^\/api(\/|$)/u.test(r.pathPrefix));
  if (api) return api.service;
  const apiHost = routes.find((r) => app(r.service) && r.host !== null && /api/iu.test(r.host));
  if (apiHost) return apiHost.service;
  const named = services.find(([n]) => kindOf.get(n) === 'backend');
  if (named) return named[0];
  const routed = routes.find((r) => app(r.service) && kindOf.get(r.service) !== 'frontend');
  return routed?.service ?? null;
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

const HEALTH_URL = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(\/[^\s"'|;&)]*)?/u;

export interface HealthInfo {
  service: string;
  url: string;
  path: string;
  containerPort: number;
  publishedPort: string | null;
  via: 'host' | 'proxy' | 'container';
  host: string | null;
  proxyPort: string | null;
  proxyScheme: 'http' | 'https' | null;
}

/**
 * The backend's own health endpoint (its HTTP healthcheck, or a route found in its OpenAPI document), and how
 * the server reaches it: a port published on the host, else through the proxy with the route's Host header,
 * else only the healthchecks.
 */
export function healthOf(project: ComposeProject, backend: string | null, proxy: ProxyInfo | null, openApiPath: string | null): HealthInfo | null {
  if (!backend) return null;
  const svc = project.services[backend];
  if (!svc) return null;
  const check = healthText(svc.healthcheck);
  const m = check && /\b(curl|wget)\b/u.test(check) ? HEALTH_URL.exec(check) : null;
  const route = proxy?.routes.find((r) => r.service === backend) ?? null;
  const labels = toEnvMap(svc.labels);
  const lbPort = Object.entries(labels).find(([k]) => /^traefik\.http\.services\.[^.]+\.loadbalancer\.server\.port$/u.test(k))?.[1];
  const containerPort = m?.[1] ? Number(m[1]) : m ? (m[0].startsWith('https') ? 443 : 80) : lbPort ? Number(lbPort) : NaN;
  const path = m ? (m[2] ?? '/') : openApiPath;
  if (path === null || !Number.isFinite(containerPort)) return null;
  const url = m ? m[0] : `http://localhost:${containerPort}${path}`;
  const ports = (Array.isArray(svc.ports) ? svc.ports : []).map(parsePort).filter((p): p is PortSpec => p !== null);
  const published = ports.find((p) => p.target === containerPort)?.published ?? null;
  const base = { service: backend, url, path, containerPort, publishedPort: published };
  if (published !== null) return { ...base, via: 'host', host: null, proxyPort: null, proxyScheme: null };
  if (proxy && route?.host) {
    const https = proxy.httpsPort !== null;
    return { ...base, via: 'proxy', host: route.host, proxyPort: https ? proxy.httpsPort : proxy.httpPort, proxyScheme: https ? 'https' : 'http' };
  }
  return { ...base, via: 'container', host: null, proxyPort: null, proxyScheme: null };
}

/** A health route in an OpenAPI document (`/api/v1/health`, `/healthz`…). */
export function healthPathFromOpenApi(text: string): string | null {
  const paths = [...text.matchAll(/^\s{0,4}["']?(\/[\w./{}-]*(?:health|healthz|ready|readyz|live|livez|ping)[\w./-]*)["']?\s*:/gimu)].map((m) => m[1] ?? '');
  const json = [...text.matchAll(/"(\/[\w./{}-]*(?:health|healthz|ready|live|ping)[\w./-]*)"\s*:/giu)].map((m) => m[1] ?? '');
  const all = [...paths, ...json].filter(Boolean).sort((a, b) => Number(!/health/iu.test(a)) - Number(!/health/iu.test(b)) || a.length - b.length);
  return all[0] ?? null;
}

// ---- Ports open to the internet -------------------------------------------------------------------------------

/**
 * Internal ports published on every interface: Docker writes its own iptables rules, so ufw does not stop them.
 * The proxy's 80/443 are meant to be public; everything else is listed (per file, as Compose concatenates them).
 */
export function exposureOf(project: ComposeProject): RecipeExposure[] {
  const out: RecipeExposure[] = [];
  const seen = new Set<string>();
  const active = new Set(defaultServices(project).map(([n]) => n));
  for (const f of project.perFile) {
    for (const [name, svc] of Object.entries(f.services)) {
      if (!active.has(name)) continue;
      const kind = serviceKind(name, project.services[name] ?? svc);
      for (const p of (Array.isArray(svc.ports) ? svc.ports : []).map(parsePort)) {
        if (!p || isLoopback(p.hostIp)) continue;
        if (kind === 'proxy' && (p.target === 80 || p.target === 443)) continue;
        const key = `${name} ${p.published ?? ''} ${p.target} ${p.protocol}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ service: name, kind, published: p.published, target: p.target, protocol: p.protocol, file: f.path });
      }
    }
  }
  return out;
}

// ---- Images -----------------------------------------------------------------------------------------------------

const MOVING_TAGS = /^(latest|main|master|edge|nightly|dev|develop|stable|beta|next|head|trunk)$|[-_.](latest|main|master|edge|nightly|dev)$|^(latest|main|master|edge|nightly|dev)[-_.]/iu;

/** Registry host of an image reference (`ghcr.io/a/b:1` → ghcr.io), null for Docker Hub. */
export function registryOf(image: string): string | null {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : null;
}

/** The tag of an image reference after interpolation with `env` (no tag: latest). */
export function tagOf(image: string, env: Readonly<Record<string, string>>): string {
  const resolved = interpolate(image, env);
  if (resolved.includes('@')) return resolved.slice(resolved.indexOf('@'));
  const last = resolved.slice(resolved.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
}

export function isMovingTag(tag: string): boolean {
  return !tag.startsWith('@') && (tag === '' || MOVING_TAGS.test(tag));
}

function buildLanguage(context: string, files: ReadonlySet<string>): RecipeImages['build'][number]['language'] {
  const at = (n: string): boolean => files.has(context === '' ? n : `${context}/${n}`);
  if (at('Cargo.toml')) return 'rust';
  if (at('go.mod')) return 'go';
  if (at('package.json')) return 'node';
  if (at('requirements.txt') || at('pyproject.toml')) return 'python';
  return 'other';
}

function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * Prebuilt first: a service naming an image is pulled (even when it also has a `build:` section, which is
 * for development); only a service without an image is built on the server.
 */
export function imagesOf(project: ComposeProject, opts: { projectDir: string; files: readonly string[]; env: Readonly<Record<string, string>>; repoPrivate: boolean | null; repoOwner: string | null }): RecipeImages {
  const tree = new Set(opts.files);
  const pull: RecipeImages['pull'] = [];
  const build: RecipeImages['build'] = [];
  for (const [name, svc] of defaultServices(project)) {
    const image = str(svc.image);
    const hasBuild = svc.build !== undefined && svc.build !== null;
    // `image: koprogo-backend:local` beside a build section names the image it builds, not one to pull.
    const localName = hasBuild && !interpolate(image, opts.env).includes('/');
    if (image !== '' && !localName) {
      const registry = registryOf(interpolate(image, opts.env));
      const own = opts.repoOwner !== null && interpolate(image, opts.env).toLowerCase().includes(`/${opts.repoOwner.toLowerCase()}/`);
      pull.push({ service: name, image, registry, moving: isMovingTag(tagOf(image, opts.env)), private: opts.repoPrivate === true && registry === 'ghcr.io' && own });
      continue;
    }
    if (hasBuild) {
      const b = typeof svc.build === 'string' ? { context: svc.build } : isMap(svc.build) ? svc.build : {};
      const context = normalizePath(`${opts.projectDir}/${str(b.context) || '.'}`);
      build.push({ service: name, context, dockerfile: str(b.dockerfile) || null, language: buildLanguage(context, tree) });
    }
  }
  const ci = opts.files.find((f) => /^\.github\/workflows\/[^/]*(docker|image|build-push|publish|release|ghcr)[^/]*\.ya?ml$/iu.test(f)) ?? null;
  return { pull, build, ci };
}

// ---- State to back up -------------------------------------------------------------------------------------------

const LOGS = /(^|\/)(logs?|log)(\/|$)/iu;
const CERTS = /letsencrypt|acme|certs?($|\/)|ssl/iu;
const TEMP = /(^|\/)(tmp|cache|\.cache)(\/|$)/iu;

/**
 * The daily backup covers PostgreSQL (a dump) and every named volume or writable bind mount that holds user
 * data (object storage such as MinIO, uploads); logs, caches, certificates Traefik re-issues, the database's own
 * files (dumped instead), read-only configuration and the Docker socket are listed as not covered, with why.
 */
export function backupOf(project: ComposeProject, postgres: { service: string; database: string } | null, repo: { files: readonly string[]; projectDir: string } = { files: [], projectDir: '' }): RecipeBackup {
  // A bind mount of a folder the repository tracks is its source or configuration (the checkout has it), not data.
  const inRepository = (source: string): boolean => {
    if (!source.startsWith('.')) return false;
    const path = normalizePath(`${repo.projectDir}/${source}`);
    return repo.files.some((f) => f === path || f.startsWith(`${path}/`));
  };
  const covered: RecipeBackup['covered'] = [];
  const notCovered: RecipeBackup['notCovered'] = [];
  if (postgres) covered.push({ kind: 'postgres', service: postgres.service, source: postgres.database, target: '', what: 'database' });
  for (const [name, svc] of defaultServices(project)) {
    const kind = serviceKind(name, svc);
    for (const raw of Array.isArray(svc.volumes) ? svc.volumes : []) {
      const v = parseVolumeMount(raw);
      if (!v || v.source === null || v.type === 'tmpfs' || v.type === 'other') continue;
      const type = v.type === 'bind' ? 'bind' : 'volume';
      const entry = { kind: type, service: name, source: v.source, target: v.target } as const;
      if (v.source.includes('docker.sock')) notCovered.push({ ...entry, reason: 'socket' });
      else if (v.readOnly) notCovered.push({ ...entry, reason: 'read-only' });
      else if (type === 'bind' && inRepository(v.source)) notCovered.push({ ...entry, reason: 'in-repository' });
      // The dumped PostgreSQL's files are covered by the dump; another database's volume is copied as it is.
      else if (kind === 'database' && postgres?.service === name) notCovered.push({ ...entry, reason: 'database-files' });
      else if (kind === 'cache') notCovered.push({ ...entry, reason: 'cache' });
      else if (LOGS.test(v.target) || LOGS.test(v.source)) notCovered.push({ ...entry, reason: 'logs' });
      else if (CERTS.test(v.target) || CERTS.test(v.source)) notCovered.push({ ...entry, reason: 'certificates' });
      else if (TEMP.test(v.target)) notCovered.push({ ...entry, reason: 'temporary' });
      else covered.push({ ...entry, what: kind === 'storage' ? 'object-storage' : /upload|media|document|attachment|files/iu.test(`${v.target} ${v.source}`) ? 'uploads' : 'data' });
    }
  }
  return { covered, notCovered };
}

// ---- Phase-2 tuning, adoption -------------------------------------------------------------------------------------

export function tuningOf(project: ComposeProject, postgres: string | null, backend: string | null): { postgres: { service: string; command: string[] | string | null } | null; backend: { service: string; resources: Record<string, unknown> | null } | null } {
  const pg = postgres ? project.services[postgres] : undefined;
  const be = backend ? project.services[backend] : undefined;
  const resources = be && isMap(be.deploy) && isMap(be.deploy.resources) ? be.deploy.resources : null;
  return {
    postgres: postgres && pg ? { service: postgres, command: commandOf(pg.command) } : null,
    backend: backend && be ? { service: backend, resources } : null,
  };
}

/** The fixed container names (`container_name: koprogo-postgres`) that a copy started by other means also has. */
export function containerNamesOf(project: ComposeProject, env: Readonly<Record<string, string>>): string[] {
  return defaultServices(project)
    .map(([, s]) => interpolate(str(s.container_name), env))
    .filter((n) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/u.test(n));
}

/** The project name Compose gives the combination when nothing sets one: the project folder's name. */
export function defaultProjectName(projectDir: string, repoName: string | null): string {
  const folder = projectDir === '' ? (repoName ?? '') : projectDir.slice(projectDir.lastIndexOf('/') + 1);
  return folder.toLowerCase().replace(/[^a-z0-9_-]/gu, '');
}
