// A small typed client for the parts of the Hetzner Cloud API the app uses (no maintained npm
// client exists). Every answer is checked with zod. Reads are retried on 5xx and network errors
// with exponential backoff and jitter; 429, `locked` and `conflict` are retried for every method
// (the request was not performed); a write whose outcome is unknown (network error, 5xx, lost
// answer) is never repeated blindly: the operations below look the resource up again first, by the
// labels this app puts on everything it creates.
import type { NetworkCheck } from '../../network/doctor';
import { abortableSleep } from '../sleep';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { HetznerError, isHetznerError, type HetznerApiFailure, type HetznerErrorCode } from './errors';
import * as S from './schemas';
import { credentialFetch, isCredentialSafeUrl } from '../../security/credential-fetch';

export const HETZNER_API_URL = 'https://api.hetzner.cloud/v1';

/** Labels on every resource this app creates. */
export const MANAGED_BY_LABEL = 'managed-by';
export const MANAGED_BY_VALUE = 'koprogo-deploy';
export const PROFILE_LABEL = 'koprogo-profile';
/** Per-snapshot label used to find a snapshot again after a lost answer. */
export const SNAPSHOT_LABEL = 'koprogo-snapshot';

/** Inbound SSH, HTTP and HTTPS (and ping) from anywhere; everything outbound stays open. */
export const WEB_FIREWALL_RULES: S.FirewallRule[] = [
  { direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'], destination_ips: [], description: 'SSH' },
  { direction: 'in', protocol: 'tcp', port: '80', source_ips: ['0.0.0.0/0', '::/0'], destination_ips: [], description: 'HTTP' },
  { direction: 'in', protocol: 'tcp', port: '443', source_ips: ['0.0.0.0/0', '::/0'], destination_ips: [], description: 'HTTPS' },
  { direction: 'in', protocol: 'icmp', port: null, source_ips: ['0.0.0.0/0', '::/0'], destination_ips: [], description: 'ping' },
];

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestRecord {
  method: Method;
  /** Path below the base URL, without the query. */
  path: string;
  /** HTTP status, or 0 when no answer arrived (network error, timeout, lost answer). */
  status: number;
  attempt: number;
  durationMs: number;
}

export interface HetznerClientOptions {
  token: string;
  /** Default https://api.hetzner.cloud/v1 (tests: the fake's url). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Run on the first request of a call that got no HTTP answer: an error to report instead (offline), or null. */
  networkCheck?: NetworkCheck;
  /** Injectable for tests: waits (backoff, rate limit, polling). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable for tests: jitter in [0, 1). */
  random?: () => number;
  /** Injectable for tests: ms since epoch (RateLimit-Reset and deadlines). */
  now?: () => number;
  /** Attempts for a retryable failure (5xx/network on a read, locked, conflict); default 5. */
  maxAttempts?: number;
  /** First backoff delay; default 500 ms, doubled per attempt up to maxDelayMs (default 20 s), jittered. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per request; default 30 s. */
  requestTimeoutMs?: number;
  /** Total time one call may spend waiting for the rate limit before giving up; default 5 min. */
  rateLimitMaxWaitMs?: number;
  /** Action polling: first delay, growth factor and cap (defaults 1 s, ×1.5, 10 s: a 90 s create costs ~13 polls). */
  pollInitialMs?: number;
  pollFactor?: number;
  pollMaxMs?: number;
  /** Called after every HTTP exchange (logging, benches). Never receives the token. */
  onRequest?: (record: RequestRecord) => void;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** Safe to repeat after an unknown outcome (reads, deletes, probes that cannot create anything). */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (action: S.Action) => void;
}

export interface CreateServerSpec {
  /** Hostname-like, unique in the project. */
  name: string;
  /** The app profile this server belongs to (a label value: ≤ 63 chars, alphanumerics, `-`, `_`, `.`). */
  profileId: string;
  serverType: string;
  location: string;
  /** System image name (e.g. "debian-12") or image id. */
  image: string | number;
  sshKeyIds: number[];
  /** cloud-init user data (see cloud-init.ts); a secret: it holds the host private key. */
  userData: string;
  firewallIds?: number[];
  /** Extra labels (ours are added and win). */
  labels?: Record<string, string>;
}

export interface CreateServerResult {
  server: S.Server;
  /** created: this call made it; recovered: made by this call but the answer was lost, found by label; reused: it already existed. */
  outcome: 'created' | 'recovered' | 'reused';
  /** Actions to wait for (create_server, then next_actions); empty when recovered or reused: wait for the status instead. */
  actions: S.Action[];
  /** HTTP requests this call made. */
  requests: number;
}

/** A list answer: the items under `key`, and the documented pagination meta. */
type Page<K extends string, T> = { [P in K]: T[] } & { meta?: { pagination?: S.Pagination | undefined } | undefined };

interface RateLimitState {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

const LABEL_VALUE = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$/;

const defaultSleep = abortableSleep;

/** Hetzner's SSH key fingerprint: MD5 of the key blob, colon-separated hex. */
export function hetznerFingerprint(publicKey: string): string {
  const b64 = publicKey.trim().split(/\s+/)[1];
  if (!b64) throw new HetznerError('hetzner.invalid_input', { field: 'public_key' });
  return (createHash('md5').update(Buffer.from(b64, 'base64')).digest('hex').match(/../g) ?? []).join(':');
}

export function managedSelector(profileId?: string): string {
  return profileId === undefined ? `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` : `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${PROFILE_LABEL}=${profileId}`;
}

export function isManaged(resource: { labels: Record<string, string> }, profileId?: string): boolean {
  return resource.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && (profileId === undefined || resource.labels[PROFILE_LABEL] === profileId);
}

export class HetznerClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly requestTimeoutMs: number;
  private readonly rateLimitMaxWaitMs: number;
  private readonly poll: { initial: number; factor: number; max: number };
  private rate: RateLimitState | null = null;
  private requests = 0;

  constructor(private readonly opts: HetznerClientOptions) {
    this.baseUrl = (opts.baseUrl ?? HETZNER_API_URL).replace(/\/+$/, '');
    // The token goes to the API root only: https (or the loopback fake a test names), never with a redirect
    // elsewhere. A different root can only come from an explicit override (providerEndpointsFromEnv, tests).
    if (!isCredentialSafeUrl(this.baseUrl, { allowLoopbackHttp: true })) throw new Error('The Hetzner API root must be an https address');
    this.fetchImpl = credentialFetch({ allowedOrigins: [this.baseUrl], allowLoopbackHttp: true, fetch: opts.fetch ?? globalThis.fetch.bind(globalThis) });
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 20_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.rateLimitMaxWaitMs = opts.rateLimitMaxWaitMs ?? 300_000;
    this.poll = { initial: opts.pollInitialMs ?? 1000, factor: opts.pollFactor ?? 1.5, max: opts.pollMaxMs ?? 10_000 };
  }

  /** HTTP requests sent since this client was made (every attempt counts; the `provider-requests` figure). */
  get requestCount(): number {
    return this.requests;
  }

  /** The last RateLimit-* headers seen. */
  get rateLimit(): Readonly<RateLimitState> | null {
    return this.rate;
  }

  // ---- Token --------------------------------------------------------------------------------------

  /**
   * Hetzner has no token introspection. We send POST /ssh_keys with an empty body: a wrong token gets
   * 401, a read-only token 403 (`token_readonly`), a read & write token 400 `invalid_input`: the
   * body is rejected before anything is created, so the probe has no side effect.
   */
  async validateToken(signal?: AbortSignal): Promise<{ access: 'read_write' }> {
    try {
      await this.call('POST', '/ssh_keys', S.sshKeyResponse, { body: {}, idempotent: true, signal });
    } catch (error) {
      if (isHetznerError(error, 'hetzner.invalid_input')) return { access: 'read_write' };
      if (isHetznerError(error) && error.api?.status === 403) throw new HetznerError('hetzner.token_read_only', { httpMethod: 'POST', path: '/ssh_keys', apiCode: error.api.code }, error.api);
      throw error;
    }
    // Cannot happen with an empty body; if it ever does, the key is nameless garbage: say so loudly.
    throw new HetznerError('hetzner.response_invalid', { httpMethod: 'POST', path: '/ssh_keys', reason: 'empty key accepted' });
  }

  // ---- Catalogue ----------------------------------------------------------------------------------

  listLocations(signal?: AbortSignal): Promise<S.Location[]> {
    return this.listAll('/locations', 'locations', S.locationsResponse, {}, signal);
  }

  listServerTypes(signal?: AbortSignal): Promise<S.ServerType[]> {
    return this.listAll('/server_types', 'server_types', S.serverTypesResponse, {}, signal);
  }

  async getPricing(signal?: AbortSignal): Promise<S.Pricing> {
    return (await this.call('GET', '/pricing', S.pricingResponse, { signal })).pricing;
  }

  async findSystemImage(name = 'debian-12', architecture = 'x86', signal?: AbortSignal): Promise<S.Image> {
    const images = await this.listAll('/images', 'images', S.imagesResponse, { type: 'system', name, architecture }, signal);
    const image = images.find((i) => i.name === name && i.architecture === architecture);
    if (!image) throw new HetznerError('hetzner.not_found', { resource: 'image', name, architecture });
    return image;
  }

  async getImage(id: number, signal?: AbortSignal): Promise<S.Image> {
    return (await this.call('GET', `/images/${id}`, S.imageResponse, { signal })).image;
  }

  // ---- SSH keys -----------------------------------------------------------------------------------

  listSshKeys(filter: { name?: string; fingerprint?: string; labelSelector?: string } = {}, signal?: AbortSignal): Promise<S.SshKey[]> {
    return this.listAll('/ssh_keys', 'ssh_keys', S.sshKeysResponse, { name: filter.name, fingerprint: filter.fingerprint, label_selector: filter.labelSelector }, signal);
  }

  /**
   * The app's public key in the project, uploaded once: an existing key with the same fingerprint is
   * reused whatever its name; a different key under our name is a conflict, not overwritten.
   */
  async ensureSshKey(spec: { name: string; publicKey: string; labels?: Record<string, string> }, signal?: AbortSignal): Promise<S.SshKey> {
    const fingerprint = hetznerFingerprint(spec.publicKey);
    const byFingerprint = async (): Promise<S.SshKey | undefined> => (await this.listSshKeys({ fingerprint }, signal))[0];
    const found = await byFingerprint();
    if (found) return found;
    const body = { name: spec.name, public_key: spec.publicKey.trim(), labels: { ...spec.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.call('POST', '/ssh_keys', S.sshKeyResponse, { body, signal })).ssh_key;
      } catch (error) {
        if (isUniqueness(error)) {
          const again = await byFingerprint();
          if (again) return again;
          throw new HetznerError('hetzner.ssh_key_conflict', { name: spec.name }, (error as HetznerError).api);
        }
        if (!isHetznerError(error, 'hetzner.unknown_outcome')) throw error;
        const again = await byFingerprint();
        if (again) return again;
        if (attempt >= this.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt), signal);
      }
    }
  }

  // ---- Firewalls ----------------------------------------------------------------------------------

  listFirewalls(filter: { name?: string; labelSelector?: string } = {}, signal?: AbortSignal): Promise<S.Firewall[]> {
    return this.listAll('/firewalls', 'firewalls', S.firewallsResponse, { name: filter.name, label_selector: filter.labelSelector }, signal);
  }

  /** Our firewall by name, created once; a firewall with that name that we did not create is a conflict. */
  async ensureFirewall(spec: { name: string; rules?: S.FirewallRule[]; labels?: Record<string, string> }, signal?: AbortSignal): Promise<S.Firewall> {
    const byName = async (): Promise<S.Firewall | undefined> => {
      const fw = (await this.listFirewalls({ name: spec.name }, signal))[0];
      if (fw && !isManaged(fw)) throw new HetznerError('hetzner.firewall_conflict', { name: spec.name });
      return fw;
    };
    const found = await byName();
    if (found) return found;
    const rules = (spec.rules ?? WEB_FIREWALL_RULES).map((r) => ({ ...r, port: r.port ?? undefined, description: r.description ?? undefined }));
    const body = { name: spec.name, rules, labels: { ...spec.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.call('POST', '/firewalls', S.createFirewallResponse, { body, signal })).firewall;
      } catch (error) {
        if (!isUniqueness(error) && !isHetznerError(error, 'hetzner.unknown_outcome')) throw error;
        const again = await byName();
        if (again) return again;
        if (isUniqueness(error) || attempt >= this.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt), signal);
      }
    }
  }

  // ---- Servers ------------------------------------------------------------------------------------

  listServers(filter: { name?: string; labelSelector?: string } = {}, signal?: AbortSignal): Promise<S.Server[]> {
    return this.listAll('/servers', 'servers', S.serversResponse, { name: filter.name, label_selector: filter.labelSelector }, signal);
  }

  /** Servers this app created (for one profile, or all). */
  findManagedServers(profileId?: string, signal?: AbortSignal): Promise<S.Server[]> {
    return this.listServers({ labelSelector: managedSelector(profileId) }, signal);
  }

  async getServer(id: number, signal?: AbortSignal): Promise<S.Server> {
    return (await this.call('GET', `/servers/${id}`, S.serverResponse, { signal })).server;
  }

  /**
   * Creates the profile's server at most once. Looks it up by label first (a duplicate click, a
   * restart), creates it, and after an unknown outcome looks it up again before anything else; a
   * uniqueness_error on the name reuses the existing server only if it carries our labels.
   */
  async createServerOnce(spec: CreateServerSpec, signal?: AbortSignal): Promise<CreateServerResult> {
    if (!LABEL_VALUE.test(spec.profileId)) throw new HetznerError('hetzner.invalid_input', { field: 'profileId' });
    const before = this.requests;
    const done = (server: S.Server, outcome: CreateServerResult['outcome'], actions: S.Action[] = []): CreateServerResult => ({
      server,
      outcome,
      actions,
      requests: this.requests - before,
    });
    const lookup = async (): Promise<S.Server | undefined> => {
      const mine = await this.findManagedServers(spec.profileId, signal);
      // Several (made by hand, or by an older version): prefer the expected name, then the oldest.
      return mine.find((s) => s.name === spec.name) ?? [...mine].sort((a, b) => a.id - b.id)[0];
    };

    const existing = await lookup();
    if (existing) return done(existing, 'reused');

    const body = {
      name: spec.name,
      server_type: spec.serverType,
      location: spec.location,
      image: spec.image,
      ssh_keys: spec.sshKeyIds,
      user_data: spec.userData,
      start_after_create: true,
      firewalls: (spec.firewallIds ?? []).map((firewall) => ({ firewall })),
      labels: { ...spec.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PROFILE_LABEL]: spec.profileId },
      public_net: { enable_ipv4: true, enable_ipv6: true },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.call('POST', '/servers', S.createServerResponse, { body, signal });
        return done(res.server, 'created', [res.action, ...res.next_actions]);
      } catch (error) {
        if (isUniqueness(error)) {
          const byName = (await this.listServers({ name: spec.name }, signal))[0];
          if (byName && isManaged(byName, spec.profileId)) return done(byName, 'reused');
          throw new HetznerError('hetzner.server_name_taken', { name: spec.name }, (error as HetznerError).api);
        }
        if (!isHetznerError(error, 'hetzner.unknown_outcome')) throw error;
        // If even the lookup fails, the outcome stays unknown: say that, not "unavailable".
        const found = await lookup().catch((e: unknown) => {
          throw isHetznerError(e, 'hetzner.unavailable') ? error : e;
        });
        if (found) return done(found, 'recovered');
        if (attempt >= this.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt), signal);
      }
    }
  }

  /** createServerOnce, then waits until the server runs (its actions, or its status when recovered/reused). */
  async createServerAndWait(spec: CreateServerSpec, opts: WaitOptions = {}): Promise<CreateServerResult> {
    const before = this.requests;
    const res = await this.createServerOnce(spec, opts.signal);
    for (const a of res.actions) await this.waitForAction(a.id, opts);
    let server = res.server;
    if (res.actions.length === 0 && server.status === 'off') await this.runAction(server.id, 'poweron', {}, opts);
    if (res.actions.length > 0 || server.status !== 'running') server = await this.waitForServerStatus(server.id, 'running', opts);
    return { ...res, server, requests: this.requests - before };
  }

  /** Deletes a server; one already gone is not an error (returns null). */
  async deleteServer(id: number, opts: WaitOptions & { wait?: boolean } = {}): Promise<S.Action | null> {
    try {
      const { action } = await this.call('DELETE', `/servers/${id}`, S.actionResponse, { idempotent: true, signal: opts.signal });
      return opts.wait === false ? action : await this.waitForAction(action.id, opts);
    } catch (error) {
      if (isHetznerError(error, 'hetzner.not_found')) return null;
      throw error;
    }
  }

  /**
   * Changes the server type: graceful shutdown (hard power-off if it does not stop in time),
   * change_type, power on. `upgradeDisk: false` keeps the disk so the change can be undone.
   */
  async resizeServer(id: number, serverType: string, opts: WaitOptions & { upgradeDisk: boolean; shutdownTimeoutMs?: number }): Promise<S.Server> {
    let server = await this.getServer(id, opts.signal);
    if (server.server_type.name !== serverType) {
      if (server.status !== 'off') {
        await this.runAction(id, 'shutdown', {}, opts);
        try {
          await this.waitForServerStatus(id, 'off', { ...opts, timeoutMs: opts.shutdownTimeoutMs ?? 120_000 });
        } catch (error) {
          if (!isHetznerError(error, 'hetzner.action_timeout')) throw error;
          await this.runAction(id, 'poweroff', {}, opts);
          await this.waitForServerStatus(id, 'off', opts);
        }
      }
      try {
        const { action } = await this.call('POST', `/servers/${id}/actions/change_type`, S.actionResponse, {
          body: { server_type: serverType, upgrade_disk: opts.upgradeDisk },
          signal: opts.signal,
        });
        await this.waitForAction(action.id, opts);
      } catch (error) {
        if (!isHetznerError(error, 'hetzner.unknown_outcome')) throw error;
        // The change may be running: wait until the server is unlocked, then check what it became.
        const after = await this.waitUnlocked(id, opts);
        if (after.server_type.name !== serverType) {
          const { action } = await this.call('POST', `/servers/${id}/actions/change_type`, S.actionResponse, {
            body: { server_type: serverType, upgrade_disk: opts.upgradeDisk },
            signal: opts.signal,
          });
          await this.waitForAction(action.id, opts);
        }
      }
      server = await this.getServer(id, opts.signal);
    }
    if (server.status !== 'running') {
      await this.runAction(id, 'poweron', {}, opts);
      server = await this.waitForServerStatus(id, 'running', opts);
    }
    return server;
  }

  /**
   * A snapshot of the server's disk. A label unique to this snapshot lets us find it again after a
   * lost answer, so a retry never makes a second snapshot.
   */
  async createSnapshot(
    serverId: number,
    spec: { description: string; profileId?: string; labels?: Record<string, string>; snapshotKey?: string },
    opts: WaitOptions = {},
  ): Promise<S.Image> {
    const key = spec.snapshotKey ?? `${this.now().toString(36)}-${Math.floor(this.random() * 1e9).toString(36)}`;
    const labels: Record<string, string> = { ...spec.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SNAPSHOT_LABEL]: key };
    if (spec.profileId !== undefined) labels[PROFILE_LABEL] = spec.profileId;
    const lookup = async (): Promise<S.Image | undefined> =>
      (await this.listAll('/images', 'images', S.imagesResponse, { type: 'snapshot', label_selector: `${SNAPSHOT_LABEL}=${key}` }, opts.signal))[0];
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.call('POST', `/servers/${serverId}/actions/create_image`, S.createImageResponse, {
          body: { type: 'snapshot', description: spec.description, labels },
          signal: opts.signal,
        });
        await this.waitForAction(res.action.id, opts);
        return await this.getImage(res.image.id, opts.signal);
      } catch (error) {
        if (!isHetznerError(error, 'hetzner.unknown_outcome')) throw error;
        const found = await lookup();
        if (found) return await this.waitForImage(found.id, opts);
        if (attempt >= this.maxAttempts) throw error;
        await this.sleep(this.backoff(attempt), opts.signal);
      }
    }
  }

  // ---- Actions and waits ---------------------------------------------------------------------------

  async getAction(id: number, signal?: AbortSignal): Promise<S.Action> {
    return (await this.call('GET', `/actions/${id}`, S.actionResponse, { signal })).action;
  }

  /** Polls an action with a growing interval until it succeeds (returned) or fails (thrown), or the timeout. */
  async waitForAction(id: number, opts: WaitOptions = {}): Promise<S.Action> {
    return this.pollUntil(
      async () => {
        const action = await this.getAction(id, opts.signal);
        opts.onProgress?.(action);
        if (action.status === 'error') {
          throw new HetznerError('hetzner.action_failed', { actionId: id, command: action.command, apiCode: action.error?.code ?? 'unknown' });
        }
        return action.status === 'success' ? action : undefined;
      },
      { actionId: id },
      opts,
    );
  }

  async waitForServerStatus(id: number, status: S.ServerStatus, opts: WaitOptions = {}): Promise<S.Server> {
    return this.pollUntil(
      async () => {
        const server = await this.getServer(id, opts.signal);
        return server.status === status ? server : undefined;
      },
      { serverId: id, status },
      opts,
    );
  }

  async waitForImage(id: number, opts: WaitOptions = {}): Promise<S.Image> {
    return this.pollUntil(
      async () => {
        const image = await this.getImage(id, opts.signal);
        if (image.status === 'unavailable') throw new HetznerError('hetzner.action_failed', { imageId: id, command: 'create_image', apiCode: 'unavailable' });
        return image.status === 'available' ? image : undefined;
      },
      { imageId: id },
      opts,
    );
  }

  private async waitUnlocked(id: number, opts: WaitOptions): Promise<S.Server> {
    return this.pollUntil(
      async () => {
        const server = await this.getServer(id, opts.signal);
        return server.locked === true ? undefined : server;
      },
      { serverId: id, status: 'unlocked' },
      opts,
    );
  }

  private async pollUntil<T>(check: () => Promise<T | undefined>, params: Record<string, string | number>, opts: WaitOptions): Promise<T> {
    const deadline = this.now() + (opts.timeoutMs ?? 600_000);
    let delay = this.poll.initial;
    for (;;) {
      await this.sleep(Math.min(delay, Math.max(0, deadline - this.now())), opts.signal);
      const value = await check();
      if (value !== undefined) return value;
      if (this.now() >= deadline) throw new HetznerError('hetzner.action_timeout', { ...params, timeoutMs: opts.timeoutMs ?? 600_000 });
      delay = Math.min(this.poll.max, delay * this.poll.factor);
    }
  }

  /** Power actions are idempotent in effect (asking twice does no harm), so they are retried freely. */
  private async runAction(id: number, action: 'poweron' | 'poweroff' | 'shutdown', body: object, opts: WaitOptions): Promise<S.Action> {
    const res = await this.call('POST', `/servers/${id}/actions/${action}`, S.actionResponse, { body, idempotent: true, signal: opts.signal });
    return this.waitForAction(res.action.id, opts);
  }

  // ---- HTTP -----------------------------------------------------------------------------------------

  /** Every page of a list (per_page 50, the documented maximum). */
  async listAll<K extends string, T>(path: string, key: K, schema: z.ZodType<Page<K, T>>, query: CallOptions['query'], signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let page: number | null = 1;
    for (let guard = 0; page !== null && guard < 1000; guard++) {
      const res: Page<K, T> = await this.call('GET', path, schema, { query: { ...query, page, per_page: 50 }, signal });
      out.push(...res[key]);
      const next: number | null = res.meta?.pagination?.next_page ?? null;
      page = next !== null && next > page ? next : null;
    }
    return out;
  }

  /** One API call with retries; the answer is checked with `schema`. */
  async call<T>(method: Method, path: string, schema: z.ZodType<T>, opts: CallOptions = {}): Promise<T> {
    const idempotent = opts.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    const where = { httpMethod: method, path };
    let rateWaited = 0;
    let rateHits = 0;
    for (let attempt = 1; ; attempt++) {
      rateWaited += await this.respectRateLimit(rateWaited, where, opts.signal);
      const started = this.now();
      let res: Response;
      let text: string;
      this.requests++;
      try {
        const signals = [AbortSignal.timeout(this.requestTimeoutMs), ...(opts.signal ? [opts.signal] : [])];
        res = await this.fetchImpl(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.opts.token}`,
            Accept: 'application/json',
            'User-Agent': 'koprogo-deploy',
            ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.any(signals),
        });
        text = await res.text();
      } catch (error) {
        this.record(method, path, 0, attempt, started);
        if (opts.signal?.aborted) throw opts.signal.reason;
        // No network at all is said at once, not after five attempts (nothing was performed then).
        if (attempt === 1 && this.opts.networkCheck) {
          const offline = await this.opts.networkCheck(url.href);
          if (offline) throw offline;
        }
        // No answer: the request may or may not have been performed.
        const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
        if (!idempotent) throw new HetznerError('hetzner.unknown_outcome', { ...where, reason });
        if (attempt >= this.maxAttempts) throw new HetznerError('hetzner.unavailable', { ...where, reason, attempts: attempt });
        await this.sleep(this.backoff(attempt), opts.signal);
        continue;
      }
      this.record(method, path, res.status, attempt, started);
      this.readRateLimit(res.headers);

      if (res.ok) {
        const parsed = schema.safeParse(parseJson(text));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new HetznerError('hetzner.response_invalid', { ...where, field: issue ? issue.path.join('.') : '', issue: issue?.code ?? '' });
        }
        return parsed.data;
      }

      const api = apiFailure(res.status, text);
      if (res.status === 429) {
        const wait = this.rateLimitWait(++rateHits);
        if (rateWaited + wait > this.rateLimitMaxWaitMs) throw new HetznerError('hetzner.rate_limited', { ...where, waitedMs: rateWaited }, api);
        rateWaited += wait;
        await this.sleep(wait, opts.signal);
        if (this.rate) this.rate.remaining = 1; // one request's worth has refilled; the answer's headers correct it
        attempt--; // waiting for the budget is not a failed attempt
        continue;
      }
      // Not performed: safe to repeat whatever the method.
      if (api.code === 'locked' || api.code === 'conflict') {
        if (attempt >= this.maxAttempts) throw new HetznerError('hetzner.api_error', { ...where, status: res.status, apiCode: api.code }, api);
        await this.sleep(this.backoff(attempt), opts.signal);
        continue;
      }
      if (res.status >= 500) {
        if (!idempotent) throw new HetznerError('hetzner.unknown_outcome', { ...where, reason: 'server_error', status: res.status, apiCode: api.code }, api);
        if (attempt >= this.maxAttempts) throw new HetznerError('hetzner.unavailable', { ...where, status: res.status, apiCode: api.code, attempts: attempt }, api);
        await this.sleep(this.backoff(attempt), opts.signal);
        continue;
      }
      throw mapApiError(method, path, api);
    }
  }

  private record(method: Method, path: string, status: number, attempt: number, started: number): void {
    this.opts.onRequest?.({ method, path, status, attempt, durationMs: this.now() - started });
  }

  /** Exponential backoff with jitter: half fixed, half random, so retries of many clients spread out. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + (cap / 2) * this.random());
  }

  private readRateLimit(headers: Headers): void {
    const limit = Number(headers.get('RateLimit-Limit'));
    const remaining = Number(headers.get('RateLimit-Remaining'));
    const reset = Number(headers.get('RateLimit-Reset'));
    if (!headers.has('RateLimit-Remaining') || !Number.isFinite(remaining)) return;
    this.rate = {
      limit: Number.isFinite(limit) && limit > 0 ? limit : 3600,
      remaining,
      resetAtMs: Number.isFinite(reset) && reset > 0 ? reset * 1000 : this.now() + 1000,
    };
  }

  /**
   * RateLimit-Reset is when the budget is full again; it refills evenly until then, so one request
   * is available after (reset − now) / (limit − remaining). Waits that long (at least 1 s), jittered.
   */
  private rateLimitWait(attempt: number): number {
    const r = this.rate;
    if (!r) return this.backoff(attempt);
    const missing = Math.max(1, r.limit - r.remaining);
    const perRequest = Math.max(0, r.resetAtMs - this.now()) / missing;
    return Math.ceil(Math.max(1000, perRequest) * (1 + 0.2 * this.random()));
  }

  /** Before sending: when the last answer said the budget is spent, wait for one request's worth. */
  private async respectRateLimit(waitedSoFar: number, where: { httpMethod: Method; path: string }, signal?: AbortSignal): Promise<number> {
    const r = this.rate;
    if (!r || r.remaining > 0 || this.now() >= r.resetAtMs) return 0;
    const wait = this.rateLimitWait(1);
    if (waitedSoFar + wait > this.rateLimitMaxWaitMs) throw new HetznerError('hetzner.rate_limited', { ...where, waitedMs: waitedSoFar });
    await this.sleep(wait, signal);
    r.remaining = 1; // optimistic: the answer's headers correct it
    return wait;
  }
}

function parseJson(text: string): unknown {
  try {
    return text.length === 0 ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function apiFailure(status: number, text: string): HetznerApiFailure {
  const parsed = S.errorBody.safeParse(parseJson(text));
  if (parsed.success) return { status, code: parsed.data.error.code, message: parsed.data.error.message, details: parsed.data.error.details };
  return { status, code: `http_${status}`, message: '', details: undefined };
}

function isUniqueness(error: unknown): boolean {
  return isHetznerError(error) && error.api?.code === 'uniqueness_error';
}

function mapApiError(method: Method, path: string, api: HetznerApiFailure): HetznerError {
  const params = { httpMethod: method, path, status: api.status, apiCode: api.code };
  let code: HetznerErrorCode = 'hetzner.api_error';
  if (api.status === 401 || api.code === 'unauthorized') code = 'hetzner.token_invalid';
  else if (api.code === 'token_readonly' || (api.status === 403 && api.code === 'forbidden' && method !== 'GET')) code = 'hetzner.token_read_only';
  else if (api.code === 'resource_limit_exceeded') code = 'hetzner.limit_exceeded';
  else if (api.code === 'resource_unavailable') code = 'hetzner.resource_unavailable';
  else if (api.status === 403) code = 'hetzner.forbidden';
  else if (api.status === 404 || api.code === 'not_found') code = 'hetzner.not_found';
  else if (api.code === 'invalid_input' || api.code === 'json_error') {
    code = 'hetzner.invalid_input';
    const fields = S.invalidInputDetails.safeParse(api.details);
    if (fields.success) return new HetznerError(code, { ...params, fields: fields.data.fields.map((f) => f.name).join(',') }, api);
  }
  return new HetznerError(code, params, api);
}
