// A local fake of the Hetzner Cloud API (https://docs.hetzner.cloud), for tests and benches: the
// endpoints the app's client uses, with the documented field names, status codes and error bodies,
// pagination (per_page 25 by default, 50 at most), RateLimit-* headers and 429, bearer tokens
// (read-write and read-only), actions that take several polls (or some virtual time) to finish,
// and fault injection: failNext (5xx, 429, ...) and dropNextResponse (the request is performed, the
// answer is lost). In process, on 127.0.0.1: it goes away with the test process.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback';

// ---- Catalogue ----------------------------------------------------------------------------------

export interface FakeLocation {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface FakeServerType {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: 'local' | 'network';
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  deprecated: boolean;
  deprecation: { announced: string; unavailable_after: string } | null;
  prices: {
    location: string;
    price_hourly: { net: string; gross: string };
    price_monthly: { net: string; gross: string };
    included_traffic: number;
    price_per_tb_traffic: { net: string; gross: string };
  }[];
}

export const FAKE_LOCATIONS: readonly FakeLocation[] = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central' },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central' },
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.045821, longitude: -77.487073, network_zone: 'us-east' },
  { id: 5, name: 'hil', description: 'Hillsboro, OR', country: 'US', city: 'Hillsboro, OR', latitude: 45.54222, longitude: -122.951924, network_zone: 'us-west' },
  { id: 6, name: 'sin', description: 'Singapore', country: 'SG', city: 'Singapore', latitude: 1.283333, longitude: 103.833333, network_zone: 'ap-southeast' },
];

const EU = ['fsn1', 'nbg1', 'hel1'];
const US = ['ash', 'hil'];
/** The fixture account pays German VAT, so gross = net × 1.19 whatever the location. */
const VAT = 1.19;

/** "4.5100000000000000": the API's 16-decimal strings. */
export function decimal(value: number): string {
  return `${value.toFixed(4)}000000000000`;
}

function prices(monthlyNetByLocation: Record<string, number>, includedTb: number): FakeServerType['prices'] {
  return Object.entries(monthlyNetByLocation).map(([location, net]) => ({
    location,
    price_hourly: { net: decimal(net / 720), gross: decimal((net / 720) * VAT) },
    price_monthly: { net: decimal(net), gross: decimal(net * VAT) },
    included_traffic: includedTb * 1024 ** 4,
    price_per_tb_traffic: { net: decimal(1), gross: decimal(VAT) },
  }));
}

const at = (locations: string[], net: number): Record<string, number> => Object.fromEntries(locations.map((l) => [l, net]));

function type(
  id: number,
  name: string,
  cores: number,
  memory: number,
  disk: number,
  cpu: 'shared' | 'dedicated',
  arch: 'x86' | 'arm',
  price: Record<string, number>,
  deprecated = false,
): FakeServerType {
  return {
    id,
    name,
    description: name.toUpperCase(),
    cores,
    memory,
    disk,
    storage_type: 'local',
    cpu_type: cpu,
    architecture: arch,
    deprecated,
    deprecation: deprecated ? { announced: '2024-06-06T00:00:00+00:00', unavailable_after: '2024-09-06T00:00:00+00:00' } : null,
    prices: prices(price, Object.keys(price).some((l) => US.includes(l)) ? 1 : 20),
  };
}

/**
 * A catalogue shaped like Hetzner's in 2024–2025 (specs as published, EU net monthly prices close to
 * the real ones, US/SG prices higher, the CX and CAX lines only in the EU, one deprecated type).
 */
export const FAKE_SERVER_TYPES: readonly FakeServerType[] = [
  type(1, 'cx11', 1, 2, 20, 'shared', 'x86', at(EU, 3.29), true),
  type(22, 'cpx11', 2, 2, 40, 'shared', 'x86', { ...at(EU, 4.35), ...at(US, 4.99), sin: 6.49 }),
  type(104, 'cx22', 2, 4, 40, 'shared', 'x86', at(EU, 3.79)),
  type(45, 'cax11', 2, 4, 40, 'shared', 'arm', at(EU, 3.79)),
  type(23, 'cpx21', 3, 4, 80, 'shared', 'x86', { ...at(EU, 7.55), ...at(US, 8.49), sin: 11.49 }),
  type(105, 'cx32', 4, 8, 80, 'shared', 'x86', at(EU, 6.8)),
  type(93, 'cax21', 4, 8, 80, 'shared', 'arm', at(EU, 6.49)),
  type(24, 'cpx31', 4, 8, 160, 'shared', 'x86', { ...at(EU, 13.6), ...at(US, 15.49), sin: 20.99 }),
  type(96, 'ccx13', 2, 8, 80, 'dedicated', 'x86', { ...at(EU, 12.49), ...at(US, 14.49), sin: 19.49 }),
  type(106, 'cx42', 8, 16, 160, 'shared', 'x86', at(EU, 16.4)),
  type(25, 'cpx41', 8, 16, 240, 'shared', 'x86', { ...at(EU, 25.2), ...at(US, 28.49), sin: 38.99 }),
];

export interface FakeImage {
  id: number;
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  os_flavor: string;
  os_version: string | null;
  architecture: 'x86' | 'arm';
  labels: Record<string, string>;
  deprecated: string | null;
  rapid_deploy: boolean;
  created_from: { id: number; name: string } | null;
}

const SYSTEM_IMAGES: FakeImage[] = [
  sysImage(114690387, 'debian-12', 'Debian 12', 'debian', '12', 'x86'),
  sysImage(114690389, 'debian-12', 'Debian 12', 'debian', '12', 'arm'),
  sysImage(161547269, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'x86'),
];

function sysImage(id: number, name: string, description: string, flavor: string, version: string, arch: 'x86' | 'arm'): FakeImage {
  return {
    id, type: 'system', status: 'available', name, description, image_size: null, disk_size: 5, created: '2023-06-13T06:00:02+00:00',
    os_flavor: flavor, os_version: version, architecture: arch, labels: {}, deprecated: null, rapid_deploy: true, created_from: null,
  };
}

// ---- State --------------------------------------------------------------------------------------

export interface FakeAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
  /** Polls still needed (count mode) or the virtual time it ends (duration mode). */
  pollsLeft: number;
  endsAt: number | null;
  polls: number;
  onSuccess: (() => void) | null;
}

export interface FakeServer {
  id: number;
  name: string;
  status: 'running' | 'initializing' | 'starting' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';
  created: string;
  server_type: FakeServerType;
  location: FakeLocation;
  image: FakeImage;
  labels: Record<string, string>;
  ipv4: string;
  /** Not returned by the API; kept so tests can check what cloud-init would receive. */
  user_data: string | null;
  ssh_keys: number[];
  firewalls: number[];
  /** Size of the primary disk in GB: the type's at creation; kept by change_type with upgrade_disk false. */
  disk: number;
  /** GETs of the server left before a shut-down server reads `off` (shutdownLagPolls). */
  stoppingPolls: number;
}

export interface FakeSshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
  created: string;
}

export interface FakeFirewall {
  id: number;
  name: string;
  labels: Record<string, string>;
  created: string;
  rules: unknown[];
  applied_to: { type: 'server'; server: { id: number } }[];
}

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Which token was presented (never the token itself). */
  auth: 'read_write' | 'read_only' | 'invalid' | 'none';
  /** true when the answer was dropped (dropNextResponse). */
  dropped: boolean;
}

export interface HetznerFakeState {
  servers: FakeServer[];
  ssh_keys: FakeSshKey[];
  firewalls: FakeFirewall[];
  actions: FakeAction[];
  /** Snapshots created through create_image (system images are not listed here). */
  images: FakeImage[];
  requests: FakeRequest[];
}

// ---- Options and handle -------------------------------------------------------------------------

export interface RequestFilter {
  method?: string;
  /** Only requests other than GET. */
  writes?: boolean;
  /** Path below /v1 (e.g. "/servers"); a string matches exactly, a RegExp is tested. */
  path?: string | RegExp;
}

export interface HetznerFakeOptions {
  serverTypes?: readonly FakeServerType[];
  locations?: readonly FakeLocation[];
  /** GET /actions/{id} (or GET of the server) calls before a running action succeeds; default 3. */
  actionPolls?: number;
  /** When set, actions end after this much time on `now()` instead of after a number of polls. */
  actionDurationMs?: number;
  /** Clock in ms (rate limit refill, RateLimit-Reset, action durations); default Date.now. */
  now?: () => number;
  /** Requests per hour (RateLimit-Limit); default 3600, refilled gradually as Hetzner documents. */
  rateLimit?: number;
  /** Public IPv4 of created servers; default 203.0.113.<n> (TEST-NET-3). */
  publicIpv4?: string | ((serverId: number) => string);
  /** Code of the 403 a read-only token gets on a write: Hetzner's `token_readonly` (default) or `forbidden`. */
  readOnlyErrorCode?: 'token_readonly' | 'forbidden';
  /**
   * As documented, a shutdown action succeeds once the ACPI request is sent, not when the server is off:
   * the server reads `stopping` for this many GETs of it after the action succeeded; default 0.
   */
  shutdownLagPolls?: number;
  /**
   * change_type requests answered 409 `server_not_stopped` after a shutdown although the server reads
   * `off` (the platform has not released it yet; a retry a moment later works); default 0.
   */
  notStoppedAfterShutdown?: number;
}

export interface FakeServerSeed {
  name: string;
  serverType: string;
  location?: string;
  labels?: Record<string, string>;
  ipv4?: string;
  status?: FakeServer['status'];
}

export interface FailOptions extends RequestFilter {
  /** Error code in the body; default by status (503 service_error, 500 server_error, 429 rate_limit_exceeded...). */
  code?: string;
  /** Perform the request, then answer with the failure (e.g. a 502 from a gateway after the backend succeeded). */
  afterCommit?: boolean;
}

export interface HetznerFake {
  /** Base URL, http://127.0.0.1:<port>/v1 */
  url: string;
  /** Read & Write token. */
  token: string;
  /** Read-only token. */
  readOnlyToken: string;
  state: HetznerFakeState;
  /** Sets the remaining request budget (the limit stays as configured). */
  setRateLimit(remaining: number): void;
  /** The next `count` requests matching `filter` fail with `status`. */
  failNext(status: number, count?: number, opts?: FailOptions): void;
  /**
   * The next request matching `filter` (default: the next non-GET request) is performed, then its
   * socket is destroyed before any byte of the answer is written: the "lost response".
   */
  dropNextResponse(filter?: RequestFilter): void;
  /** The next action started (optionally of this command) ends in status "error". */
  failNextAction(command?: string, error?: { code: string; message: string }): void;
  /** Requests received (optionally only those matching). */
  requestCount(filter?: RequestFilter): number;
  /** A server that already exists in the project (e.g. one the app created in an earlier session). */
  addServer(seed: FakeServerSeed): FakeServer;
  stop(): Promise<void>;
}

interface Failure extends FailOptions {
  status: number;
  left: number;
}

interface Reply {
  status: number;
  body: unknown;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = {},
  ) {
    super(message);
  }
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  423: 'locked',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'service_error',
  504: 'timeout',
};

const DATACENTER_SUFFIX: Record<string, string> = { fsn1: 'dc14', nbg1: 'dc3', hel1: 'dc2', ash: 'dc1', hil: 'dc1', sin: 'dc1' };

/** Hetzner's SSH key fingerprint: MD5 of the key blob, colon-separated hex. */
export function md5Fingerprint(publicKey: string): string | null {
  const b64 = publicKey.trim().split(/\s+/)[1];
  if (!b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return null;
  const hex = createHash('md5').update(Buffer.from(b64, 'base64')).digest('hex');
  return hex.match(/../g)?.join(':') ?? null;
}

/** A clock that only moves when someone sleeps on it: lets the client's waits and the fake's refill agree instantly. */
export interface VirtualClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Total virtual time slept. */
  readonly slept: number;
}

export function createVirtualClock(start = Date.UTC(2025, 0, 1)): VirtualClock {
  let t = start;
  let slept = 0;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      // Yield to I/O so the fake can answer, then jump.
      await new Promise<void>((r) => setImmediate(r));
      if (signal?.aborted) throw signal.reason;
      t += Math.max(0, ms);
      slept += Math.max(0, ms);
    },
    get slept() {
      return slept;
    },
  };
}

// ---- Label selector ----------------------------------------------------------------------------

type LabelTest = (labels: Record<string, string>) => boolean;

/** Hetzner's label selector: `k==v`, `k=v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma = and. */
export function parseLabelSelector(selector: string): LabelTest {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const tests = parts.map((raw): LabelTest => {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p))) {
      const [, k = '', op, v = ''] = m;
      return op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
    }
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const [, k = '', op, list = ''] = m;
      const values = list.split(',').map((s) => s.trim());
      return op === 'in' ? (l) => l[k] !== undefined && values.includes(l[k]) : (l) => l[k] === undefined || !values.includes(l[k]);
    }
    if ((m = /^!(\S+)$/.exec(p))) {
      const k = m[1] ?? '';
      return (l) => !(k in l);
    }
    if (/^[^\s!=()]+$/.test(p)) return (l) => p in l;
    throw new ApiError(400, 'invalid_input', `invalid label_selector: ${p}`, { fields: [{ name: 'label_selector', messages: ['is invalid'] }] });
  });
  return (labels) => tests.every((t) => t(labels));
}

// ---- The server ---------------------------------------------------------------------------------

const HOSTNAME = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const LABEL_VALUE = /^([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?)?$/;

export async function startHetznerFake(opts: HetznerFakeOptions = {}): Promise<HetznerFake> {
  const now = opts.now ?? Date.now;
  const serverTypes = opts.serverTypes ?? FAKE_SERVER_TYPES;
  const locations = opts.locations ?? FAKE_LOCATIONS;
  const actionPolls = Math.max(1, opts.actionPolls ?? 3);
  const limit = opts.rateLimit ?? 3600;
  const refillPerMs = limit / 3_600_000;
  const token = `fake-rw-${randomBytes(24).toString('hex')}`;
  const readOnlyToken = `fake-ro-${randomBytes(24).toString('hex')}`;
  const readOnlyCode = opts.readOnlyErrorCode ?? 'token_readonly';

  const state: HetznerFakeState = { servers: [], ssh_keys: [], firewalls: [], actions: [], images: [], requests: [] };
  let remaining = limit;
  let refilledAt = now();
  const failures: Failure[] = [];
  const drops: RequestFilter[] = [];
  const actionFailures: { command: string | undefined; error: { code: string; message: string } }[] = [];
  const shutdownLag = Math.max(0, opts.shutdownLagPolls ?? 0);
  let notStoppedLeft = 0;
  let nextId = 1000;
  const iso = (ms = now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

  const matches = (f: RequestFilter, method: string, path: string): boolean =>
    (f.method === undefined || f.method.toUpperCase() === method) &&
    (f.writes !== true || method !== 'GET') &&
    (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path)));

  // ---- rate limit
  function refill(): void {
    const t = now();
    remaining = Math.min(limit, remaining + (t - refilledAt) * refillPerMs);
    refilledAt = t;
  }
  function rateHeaders(): Record<string, string> {
    const resetMs = now() + (limit - remaining) / refillPerMs;
    return {
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, Math.floor(remaining))),
      'RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
    };
  }

  // ---- actions
  function startAction(command: string, resources: { id: number; type: string }[], onSuccess: (() => void) | null): FakeAction {
    const failIdx = actionFailures.findIndex((f) => f.command === undefined || f.command === command);
    const fail = failIdx >= 0 ? actionFailures.splice(failIdx, 1)[0] : undefined;
    const a: FakeAction = {
      id: nextId++,
      command,
      status: 'running',
      progress: 0,
      started: iso(),
      finished: null,
      resources,
      error: null,
      pollsLeft: actionPolls,
      endsAt: opts.actionDurationMs !== undefined ? now() + opts.actionDurationMs : null,
      polls: 0,
      onSuccess: fail ? null : onSuccess,
    };
    if (fail) a.error = fail.error;
    state.actions.push(a);
    return a;
  }
  function finish(a: FakeAction): void {
    a.progress = 100;
    a.finished = iso();
    if (a.error) {
      a.status = 'error';
      return;
    }
    a.status = 'success';
    a.onSuccess?.();
  }
  /** A poll of the action (or of its resource) moves a count-mode action on. */
  function poll(a: FakeAction): void {
    if (a.status !== 'running') return;
    a.polls++;
    if (a.endsAt === null) {
      a.pollsLeft--;
      if (a.pollsLeft <= 0) finish(a);
      else a.progress = Math.floor((100 * (actionPolls - a.pollsLeft)) / actionPolls);
    }
  }
  /** Duration-mode actions end by time, whoever looks. */
  function tick(): void {
    const t = now();
    for (const a of state.actions) {
      if (a.status !== 'running' || a.endsAt === null) continue;
      if (t >= a.endsAt) finish(a);
      else a.progress = Math.floor((100 * (t - (a.endsAt - (opts.actionDurationMs ?? 0)))) / (opts.actionDurationMs || 1));
    }
  }
  const runningOn = (serverId: number): FakeAction[] =>
    state.actions.filter((a) => a.status === 'running' && a.resources.some((r) => r.type === 'server' && r.id === serverId));
  const publicAction = (a: FakeAction) => ({
    id: a.id,
    command: a.command,
    status: a.status,
    progress: a.progress,
    started: a.started,
    finished: a.finished,
    resources: a.resources,
    error: a.error,
  });

  // ---- representations
  const publicType = (t: FakeServerType) => ({ ...t, locations: t.prices.map((p) => ({ id: locations.find((l) => l.name === p.location)?.id ?? 0, name: p.location, deprecation: t.deprecation })) });
  const publicServer = (s: FakeServer) => ({
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    public_net: {
      ipv4: { id: s.id + 500000, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4.split('.').reverse().join('.')}.clients.your-server.de` },
      ipv6: { id: s.id + 600000, ip: `2001:db8:${s.id.toString(16)}::/64`, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: s.firewalls.map((id) => ({ id, status: 'applied' })),
    },
    private_net: [],
    server_type: publicType(s.server_type),
    datacenter: {
      id: s.location.id,
      name: `${s.location.name}-${DATACENTER_SUFFIX[s.location.name] ?? 'dc1'}`,
      description: `${s.location.city} DC`,
      location: s.location,
    },
    image: s.image,
    iso: null,
    rescue_enabled: false,
    locked: runningOn(s.id).length > 0,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: s.server_type.prices[0]?.included_traffic ?? 0,
    protection: { delete: false, rebuild: false },
    labels: s.labels,
    volumes: [],
    load_balancers: [],
    primary_disk_size: s.disk,
    placement_group: null,
  });

  // ---- helpers
  function paginate<T>(key: string, items: T[], q: URLSearchParams): Reply {
    const perPageRaw = q.get('per_page');
    const pageRaw = q.get('page');
    const perPage = perPageRaw === null ? 25 : Number(perPageRaw);
    const page = pageRaw === null ? 1 : Number(pageRaw);
    if (!Number.isInteger(perPage) || perPage < 1) throw new ApiError(400, 'invalid_input', 'invalid input in field \'per_page\'', { fields: [{ name: 'per_page', messages: ['is invalid'] }] });
    if (!Number.isInteger(page) || page < 1) throw new ApiError(400, 'invalid_input', 'invalid input in field \'page\'', { fields: [{ name: 'page', messages: ['is invalid'] }] });
    const per = Math.min(50, perPage);
    const last = Math.max(1, Math.ceil(items.length / per));
    return {
      status: 200,
      body: {
        [key]: items.slice((page - 1) * per, page * per),
        meta: {
          pagination: {
            page,
            per_page: per,
            previous_page: page > 1 ? page - 1 : null,
            next_page: page < last ? page + 1 : null,
            last_page: last,
            total_entries: items.length,
          },
        },
      },
    };
  }
  function bySelector<T extends { labels: Record<string, string> }>(items: T[], q: URLSearchParams): T[] {
    const sel = q.get('label_selector');
    if (!sel) return items;
    const test = parseLabelSelector(sel);
    return items.filter((i) => test(i.labels));
  }
  function invalid(field: string, message: string): ApiError {
    return new ApiError(400, 'invalid_input', `invalid input in field '${field}'`, { fields: [{ name: field, messages: [message] }] });
  }
  function object(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'json_error', 'Invalid JSON: expected an object');
    return body as Record<string, unknown>;
  }
  function labelsOf(v: unknown): Record<string, string> {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('labels', 'is not an object');
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string' || !LABEL_VALUE.test(val) || k.startsWith('hetzner.cloud/')) throw invalid('labels', 'is invalid');
      out[k] = val;
    }
    return out;
  }
  function uniqueness(field: string, message: string): ApiError {
    return new ApiError(409, 'uniqueness_error', message, { fields: [{ name: field }] });
  }
  const findServer = (id: string): FakeServer => {
    const s = state.servers.find((x) => String(x.id) === id);
    if (!s) throw new ApiError(404, 'not_found', `server with ID '${id}' not found`);
    return s;
  };
  const serverAction = (s: FakeServer, command: string, onSuccess: () => void): Reply => {
    if (runningOn(s.id).length > 0) throw new ApiError(423, 'locked', 'server is locked');
    return { status: 201, body: { action: publicAction(startAction(command, [{ id: s.id, type: 'server' }], onSuccess)) } };
  };

  // ---- routes
  function route(method: string, path: string, q: URLSearchParams, body: unknown): Reply {
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/locations') {
      const name = q.get('name');
      return paginate('locations', locations.filter((l) => !name || l.name === name), q);
    }
    if (method === 'GET' && path === '/server_types') {
      const name = q.get('name');
      return paginate('server_types', serverTypes.filter((t) => !name || t.name === name).map(publicType), q);
    }
    if (method === 'GET' && path === '/pricing') {
      return {
        status: 200,
        body: {
          pricing: {
            currency: 'EUR',
            vat_rate: '19.00',
            server_types: serverTypes.map((t) => ({ id: t.id, name: t.name, prices: t.prices })),
            // As published: snapshots cost 0.0119 € per GB and month (excl. VAT).
            image: { price_per_gb_month: { net: decimal(0.0119), gross: decimal(0.0119 * VAT) } },
          },
        },
      };
    }
    if (method === 'GET' && path === '/images') {
      const types = q.getAll('type');
      const name = q.get('name');
      const arch = q.get('architecture');
      const status = q.get('status');
      const all = [...SYSTEM_IMAGES, ...state.images];
      const list = bySelector(all, q).filter(
        (i) => (types.length === 0 || types.includes(i.type)) && (!name || i.name === name) && (!arch || i.architecture === arch) && (!status || i.status === status),
      );
      return paginate('images', list, q);
    }
    if (method === 'GET' && (m = /^\/images\/(\d+)$/.exec(path))) {
      const img = [...SYSTEM_IMAGES, ...state.images].find((i) => String(i.id) === m?.[1]);
      if (!img) throw new ApiError(404, 'not_found', `image with ID '${m[1] ?? ''}' not found`);
      for (const a of state.actions) if (a.resources.some((r) => r.type === 'image' && r.id === img.id)) poll(a);
      return { status: 200, body: { image: img } };
    }
    if (method === 'GET' && path === '/ssh_keys') {
      const name = q.get('name');
      const fp = q.get('fingerprint');
      return paginate('ssh_keys', bySelector(state.ssh_keys, q).filter((k) => (!name || k.name === name) && (!fp || k.fingerprint === fp)), q);
    }
    if (method === 'POST' && path === '/ssh_keys') {
      const b = object(body);
      if (typeof b.name !== 'string' || b.name.length === 0) throw invalid('name', 'is missing');
      if (typeof b.public_key !== 'string') throw invalid('public_key', 'is missing');
      const fingerprint = md5Fingerprint(b.public_key);
      if (!fingerprint || !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) /.test(b.public_key.trim())) throw invalid('public_key', 'is invalid');
      const labels = labelsOf(b.labels);
      if (state.ssh_keys.some((k) => k.name === b.name)) throw uniqueness('name', 'SSH key with the same name already exists');
      if (state.ssh_keys.some((k) => k.fingerprint === fingerprint)) throw uniqueness('public_key', 'SSH key with the same fingerprint already exists');
      const key: FakeSshKey = { id: nextId++, name: b.name, fingerprint, public_key: b.public_key.trim(), labels, created: iso() };
      state.ssh_keys.push(key);
      return { status: 201, body: { ssh_key: key } };
    }
    if (method === 'GET' && path === '/firewalls') {
      const name = q.get('name');
      return paginate('firewalls', bySelector(state.firewalls, q).filter((f) => !name || f.name === name), q);
    }
    if (method === 'POST' && path === '/firewalls') {
      const b = object(body);
      if (typeof b.name !== 'string' || b.name.length === 0) throw invalid('name', 'is missing');
      const labels = labelsOf(b.labels);
      const rules = b.rules === undefined ? [] : b.rules;
      if (!Array.isArray(rules)) throw invalid('rules', 'is not an array');
      for (const r of rules as Record<string, unknown>[]) {
        if (r.direction !== 'in' && r.direction !== 'out') throw invalid('rules', 'direction is invalid');
        if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(String(r.protocol))) throw invalid('rules', 'protocol is invalid');
        if ((r.protocol === 'tcp' || r.protocol === 'udp') && typeof r.port !== 'string') throw invalid('rules', 'port is missing');
      }
      if (state.firewalls.some((f) => f.name === b.name)) throw uniqueness('name', 'firewall with the same name already exists');
      const fw: FakeFirewall = {
        id: nextId++,
        name: b.name,
        labels,
        created: iso(),
        rules: (rules as Record<string, unknown>[]).map((r) => ({ source_ips: [], destination_ips: [], description: null, port: null, ...r })),
        applied_to: [],
      };
      state.firewalls.push(fw);
      return { status: 201, body: { firewall: fw, actions: [] } };
    }
    if (method === 'GET' && path === '/servers') {
      const name = q.get('name');
      const statuses = q.getAll('status');
      const list = bySelector(state.servers, q).filter((s) => (!name || s.name === name) && (statuses.length === 0 || statuses.includes(s.status)));
      return paginate('servers', list.map(publicServer), q);
    }
    if (method === 'POST' && path === '/servers') return createServerRoute(object(body));
    if ((m = /^\/servers\/(\d+)$/.exec(path))) {
      const s = findServer(m[1] ?? '');
      if (method === 'GET') {
        for (const a of runningOn(s.id)) poll(a);
        if (s.status === 'stopping' && --s.stoppingPolls <= 0) s.status = 'off';
        return { status: 200, body: { server: publicServer(s) } };
      }
      if (method === 'DELETE') {
        state.servers = state.servers.filter((x) => x !== s);
        for (const fw of state.firewalls) fw.applied_to = fw.applied_to.filter((r) => r.server.id !== s.id);
        return { status: 200, body: { action: publicAction(startAction('delete_server', [{ id: s.id, type: 'server' }], null)) } };
      }
    }
    if (method === 'POST' && (m = /^\/servers\/(\d+)\/actions\/([a-z_]+)$/.exec(path))) {
      const s = findServer(m[1] ?? '');
      const b = object(body ?? {});
      switch (m[2]) {
        case 'poweron':
          return serverAction(s, 'start_server', () => (s.status = 'running'));
        case 'poweroff':
          return serverAction(s, 'stop_server', () => (s.status = 'off'));
        case 'shutdown':
          // Sends ACPI; the server goes off shortly after the action succeeds (after shutdownLagPolls reads).
          return serverAction(s, 'shutdown_server', () => {
            notStoppedLeft = opts.notStoppedAfterShutdown ?? 0;
            if (shutdownLag > 0) {
              s.status = 'stopping';
              s.stoppingPolls = shutdownLag;
            } else s.status = 'off';
          });
        case 'change_type': {
          const t = serverTypes.find((x) => x.name === b.server_type || x.id === b.server_type);
          if (!t) throw invalid('server_type', 'server type not found');
          if (t.deprecated) throw new ApiError(400, 'invalid_server_type', 'server type is deprecated');
          if (typeof b.upgrade_disk !== 'boolean') throw invalid('upgrade_disk', 'is missing');
          if (t.disk < s.disk) throw new ApiError(400, 'invalid_server_type', 'disk of the new server type is too small');
          if (s.status !== 'off') throw new ApiError(409, 'server_not_stopped', 'server must be stopped before changing type');
          if (notStoppedLeft > 0) {
            notStoppedLeft--;
            throw new ApiError(409, 'server_not_stopped', 'server must be stopped before changing type');
          }
          const upgradeDisk = b.upgrade_disk;
          return serverAction(s, 'change_server_type', () => {
            s.server_type = t;
            if (upgradeDisk) s.disk = t.disk;
          });
        }
        case 'create_image': {
          const kind = b.type ?? 'snapshot';
          if (kind !== 'snapshot' && kind !== 'backup') throw invalid('type', 'is invalid');
          const labels = labelsOf(b.labels);
          if (runningOn(s.id).length > 0) throw new ApiError(423, 'locked', 'server is locked');
          const img: FakeImage = {
            id: nextId++,
            type: kind,
            status: 'creating',
            name: null,
            description: typeof b.description === 'string' ? b.description : `${s.name}-${iso()}`,
            image_size: null,
            disk_size: s.server_type.disk,
            created: iso(),
            os_flavor: s.image.os_flavor,
            os_version: s.image.os_version,
            architecture: s.image.architecture,
            labels,
            deprecated: null,
            rapid_deploy: false,
            created_from: { id: s.id, name: s.name },
          };
          state.images.push(img);
          const action = startAction('create_image', [{ id: s.id, type: 'server' }, { id: img.id, type: 'image' }], () => {
            img.status = 'available';
            img.image_size = 1.2;
          });
          return { status: 201, body: { image: img, action: publicAction(action) } };
        }
      }
    }
    if (method === 'GET' && (m = /^\/actions\/(\d+)$/.exec(path))) {
      const a = state.actions.find((x) => String(x.id) === m?.[1]);
      if (!a) throw new ApiError(404, 'not_found', `action with ID '${m[1] ?? ''}' not found`);
      poll(a);
      return { status: 200, body: { action: publicAction(a) } };
    }
    throw new ApiError(404, 'not_found', 'not found');
  }

  function createServerRoute(b: Record<string, unknown>): Reply {
    if (typeof b.name !== 'string' || !HOSTNAME.test(b.name)) throw invalid('name', 'is not a valid hostname');
    const t = serverTypes.find((x) => x.name === b.server_type || x.id === b.server_type);
    if (!t) throw invalid('server_type', 'server type not found');
    const all = [...SYSTEM_IMAGES, ...state.images];
    const img =
      typeof b.image === 'number'
        ? all.find((i) => i.id === b.image)
        : all.find((i) => i.name === b.image && i.architecture === t.architecture);
    if (!img) throw invalid('image', 'image not found');
    const locName = b.location ?? 'fsn1';
    const loc = locations.find((l) => l.name === locName);
    if (!loc) throw invalid('location', 'location not found');
    if (!t.prices.some((p) => p.location === loc.name)) throw new ApiError(412, 'resource_unavailable', `server type ${t.name} is not available in ${loc.name}`);
    if (t.deprecated) throw new ApiError(400, 'invalid_server_type', 'server type is deprecated');
    const labels = labelsOf(b.labels);
    if (b.user_data !== undefined && typeof b.user_data !== 'string') throw invalid('user_data', 'is not a string');
    if (typeof b.user_data === 'string' && Buffer.byteLength(b.user_data) > 32 * 1024) throw invalid('user_data', 'is too long');
    const keyRefs = b.ssh_keys === undefined ? [] : b.ssh_keys;
    if (!Array.isArray(keyRefs)) throw invalid('ssh_keys', 'is not an array');
    const keys = keyRefs.map((ref) => {
      const k = state.ssh_keys.find((x) => x.id === ref || x.name === ref);
      if (!k) throw invalid('ssh_keys', `SSH key ${String(ref)} not found`);
      return k.id;
    });
    const fwRefs = b.firewalls === undefined ? [] : b.firewalls;
    if (!Array.isArray(fwRefs)) throw invalid('firewalls', 'is not an array');
    const fws = fwRefs.map((ref: unknown) => {
      const id = typeof ref === 'object' && ref !== null ? (ref as { firewall?: unknown }).firewall : undefined;
      const fw = state.firewalls.find((f) => f.id === id);
      if (!fw) throw invalid('firewalls', 'firewall not found');
      return fw;
    });
    if (state.servers.some((s) => s.name === b.name)) throw uniqueness('name', 'server name is already used');
    const id = nextId++;
    const ip = typeof opts.publicIpv4 === 'function' ? opts.publicIpv4(id) : (opts.publicIpv4 ?? `203.0.113.${(id % 250) + 1}`);
    const s: FakeServer = {
      id,
      name: b.name,
      status: 'initializing',
      created: iso(),
      server_type: t,
      location: loc,
      image: img,
      labels,
      ipv4: ip,
      user_data: typeof b.user_data === 'string' ? b.user_data : null,
      ssh_keys: keys,
      firewalls: fws.map((f) => f.id),
      disk: t.disk,
      stoppingPolls: 0,
    };
    state.servers.push(s);
    for (const fw of fws) fw.applied_to.push({ type: 'server', server: { id } });
    const startAfter = b.start_after_create !== false;
    const res = [{ id, type: 'server' }];
    const action = startAction('create_server', res, () => (s.status = startAfter ? 'starting' : 'off'));
    // As documented, the server is started by a follow-up action listed in next_actions.
    const next = startAfter ? [startAction('start_server', res, () => (s.status = 'running'))] : [];
    return { status: 201, body: { server: publicServer(s), action: publicAction(action), next_actions: next.map(publicAction), root_password: null } };
  }

  // ---- HTTP plumbing
  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    const raw = await readBody(req);
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : null;
    const auth: FakeRequest['auth'] = presented === null ? 'none' : presented === token ? 'read_write' : presented === readOnlyToken ? 'read_only' : 'invalid';
    const entry: FakeRequest = { method, path, query: url.search, status: 0, auth, dropped: false };
    state.requests.push(entry);

    refill();
    tick();
    let reply: Reply;
    let failure: Failure | undefined;
    try {
      if (remaining < 1) throw new ApiError(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached');
      remaining -= 1;
      failure = failures.find((f) => f.left > 0 && matches(f, method, path));
      if (failure) failure.left--;
      if (failure && !failure.afterCommit) throw injected(failure);
      if (auth === 'none' || auth === 'invalid') throw new ApiError(401, 'unauthorized', 'unable to authenticate');
      if (auth === 'read_only' && method !== 'GET') {
        throw new ApiError(403, readOnlyCode, readOnlyCode === 'token_readonly' ? 'The token is only allowed to perform GET requests' : 'insufficient permissions');
      }
      let body: unknown = undefined;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new ApiError(400, 'json_error', 'Invalid JSON in request body');
        }
      }
      reply = route(method, path, url.searchParams, body);
      if (failure?.afterCommit) throw injected(failure);
    } catch (e) {
      if (!(e instanceof ApiError)) {
        reply = { status: 500, body: { error: { code: 'server_error', message: String(e), details: {} } } };
      } else {
        reply = { status: e.status, body: { error: { code: e.code, message: e.message, details: e.details } } };
      }
    }
    entry.status = reply.status;
    const dropIdx = drops.findIndex((f) => matches(f, method, path));
    if (dropIdx >= 0) {
      drops.splice(dropIdx, 1);
      entry.dropped = true;
      req.socket.destroy();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      ...rateHeaders(),
    });
    res.end(text);
  }

  function injected(f: Failure): ApiError {
    const code = f.code ?? DEFAULT_CODES[f.status] ?? 'server_error';
    return new ApiError(f.status, code, `injected failure (${code})`);
  }

  const listener = await listenOnLoopback(server);
  const port = listener.port;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    token,
    readOnlyToken,
    state,
    setRateLimit(n) {
      refill();
      remaining = Math.max(0, Math.min(limit, n));
    },
    failNext(status, count = 1, o = {}) {
      failures.push({ ...o, status, left: count });
    },
    dropNextResponse(filter) {
      drops.push(filter ?? { writes: true });
    },
    failNextAction(command, error = { code: 'action_failed', message: 'Action failed' }) {
      actionFailures.push({ command, error });
    },
    requestCount(filter) {
      return filter ? state.requests.filter((r) => matches(filter, r.method, r.path)).length : state.requests.length;
    },
    addServer(seed) {
      const t = serverTypes.find((x) => x.name === seed.serverType);
      const loc = locations.find((l) => l.name === (seed.location ?? 'fsn1'));
      if (!t || !loc) throw new Error(`addServer: unknown type or location ${seed.serverType}@${seed.location ?? 'fsn1'}`);
      const id = nextId++;
      const srv: FakeServer = {
        id,
        name: seed.name,
        status: seed.status ?? 'running',
        created: iso(),
        server_type: t,
        location: loc,
        image: SYSTEM_IMAGES.find((i) => i.architecture === t.architecture)!,
        labels: { ...seed.labels },
        ipv4: seed.ipv4 ?? `203.0.113.${(id % 250) + 1}`,
        user_data: null,
        ssh_keys: [],
        firewalls: [],
        disk: t.disk,
        stoppingPolls: 0,
      };
      state.servers.push(srv);
      return srv;
    },
    stop: () => (stopped ??= listener.close()),
  };
}
