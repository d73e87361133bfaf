// OVHcloud API client: the credential flow (consumer key, validation by the user in the browser),
// `/me`, the account's VPS, Public Cloud projects, flavors, images, SSH keys and instances.
//
// Why not call `@ovhcloud/node-ovh` for the transport. We follow its conventions exactly (endpoint
// hosts, base path `/1.0`, the `$1$` + sha1 signature, Content-Type and the `\uXXXX` escaping of
// non-ASCII in bodies; a test checks our signature against its `signRequest`), but node-ovh 3:
//  - sends with `https.request(options)` and no agent: there is no way to give it a CA, so it cannot
//    talk to a local HTTPS fake without changing process-wide TLS trust (globalAgent, NODE_EXTRA_CA_CERTS);
//  - signs `'https://' + host + path` without the port, so a signature for 127.0.0.1:<port> never
//    matches the URL actually requested;
//  - never signs a path containing "/auth", so `GET /auth/currentCredential` (which needs the consumer
//    key) cannot be called through it;
//  - reports a failure as (statusCode, message) only: OVH's `errorCode` (NOT_CREDENTIAL,
//    INVALID_CREDENTIAL, NOT_GRANTED_CALL, INVALID_SIGNATURE, QUERY_TIME_OUT, ...) is lost, and
//    network errors come back as bare errno numbers, so "not validated yet", "refused", "wrong
//    secret" and "lost answer" cannot be told apart;
//  - reads `/auth/time` once and never again, and has no overall request timeout.
// So this is a small signed client over node:https with the same signature.
//
// Secrets: the application secret and the consumer key are only used to build the request headers;
// they are never put in errors, logs or returned values (except the consumer key returned by
// requestCredential, which the caller stores as a secret).
import type { NetworkCheck } from '../../network/doctor';
import { abortableSleep } from '../sleep';
import { createHash } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { OvhError, type OvhApiFailure, type OvhErrorCode } from './errors';
import type { VpsPlan } from './offers';
import * as S from './schemas';

export type OvhEndpoint = 'ovh-eu' | 'ovh-ca' | 'ovh-us';

/** The API roots, as in node-ovh's endpoint table (`lib/endpoints.js`) with its default base path. */
export const OVH_ENDPOINTS: Readonly<Record<OvhEndpoint, string>> = {
  'ovh-eu': 'https://eu.api.ovh.com/1.0',
  'ovh-ca': 'https://ca.api.ovh.com/1.0',
  'ovh-us': 'https://api.us.ovhcloud.com/1.0',
};

/**
 * The access rules the app asks for, and no more: read the account (`/me`, to check the credential),
 * read the VPS (listing and picking an existing one), read the Public Cloud projects and create in
 * them (SSH key, instance). `*` covers sub-paths in OVH's rules.
 */
export const OVH_ACCESS_RULES: readonly S.AccessRule[] = [
  { method: 'GET', path: '/me' },
  { method: 'GET', path: '/vps' },
  { method: 'GET', path: '/vps/*' },
  { method: 'GET', path: '/cloud/project' },
  { method: 'GET', path: '/cloud/project/*' },
  { method: 'POST', path: '/cloud/project/*' },
  // Deleting the instances the app created ("delete" of the Provider interface), nothing else.
  { method: 'DELETE', path: '/cloud/project/*/instance/*' },
  // Reading the DNS zones: the phase-4 checklist says whether the domain's zone is in this account.
  { method: 'GET', path: '/domain/zone' },
  { method: 'GET', path: '/domain/zone/*' },
  // The phase 1 → 2 upgrade of a VPS: its upgrade offers and prices, the order, and how the order goes.
  { method: 'GET', path: '/order/upgrade/vps/*' },
  { method: 'POST', path: '/order/upgrade/vps/*' },
  { method: 'GET', path: '/me/order/*' },
];

/** OVH's request signature: "$1$" + sha1_hex(AS+CK+METHOD+URL+BODY+TIMESTAMP), URL being the full URL requested. */
export function signOvhRequest(applicationSecret: string, consumerKey: string, method: string, url: string, body: string, timestamp: number | string): string {
  return '$1$' + createHash('sha1').update([applicationSecret, consumerKey, method.toUpperCase(), url, body, String(timestamp)].join('+')).digest('hex');
}

/** JSON body as node-ovh sends it: non-ASCII escaped, so the signed text is the sent bytes. */
export function ovhJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export interface OvhClientOptions {
  endpoint: OvhEndpoint;
  /** Overrides the endpoint's root (tests: the fake's URL). */
  baseUrl?: string;
  applicationKey: string;
  applicationSecret: string;
  consumerKey?: string | null;
  /** Extra CA to trust (PEM): tests pass the fake's self-signed certificate. */
  ca?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Retries of a read (and of a write known not to have happened) on 429, 5xx or network failure; default 4. */
  retries?: number;
  /** Base of the exponential backoff; default 500 ms (with jitter, at most 10 s). */
  backoffMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** One line per request: method, path, status, OVH query id. Never a header value or a body. */
  log?: (entry: { method: string; path: string; status: number | 'network'; queryId: string | null; attempt: number }) => void;
  /** Run on the first request of a call that got no HTTP answer: an error to report instead (offline), or null. */
  networkCheck?: NetworkCheck;
}

export interface OvhVps {
  name: string;
  displayName: string | null;
  /** e.g. "VPS Starter", "VPS Comfort", "VPS-1". */
  offer: string;
  planCode: string;
  vcore: number;
  memoryGb: number;
  diskGb: number;
  /** e.g. "Region OpenStack: os-gra3". */
  zone: string;
  state: string;
  ips: string[];
}

export interface CreateInstanceInput {
  name: string;
  region: string;
  flavorId: string;
  imageId: string;
  sshKeyId?: string;
  userData?: string;
  /** Default true: the monthly price (cheaper than hourly over a month). */
  monthlyBilling?: boolean;
}

export interface CreatedInstance {
  instance: S.Instance;
  /** false: an instance with this name already existed and is reused. */
  created: boolean;
  /** true: the create's answer was lost and the instance was found by name afterwards. */
  recovered: boolean;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

type AuthMode = 'none' | 'app' | 'signed';

interface RawResponse {
  status: number;
  body: unknown;
  queryId: string | null;
}

/** A request that failed without an HTTP answer; `sent` false when we know it never left. */
class NetworkFailure extends Error {
  constructor(
    readonly reason: string,
    readonly sent: boolean,
  ) {
    super(reason);
  }
}

const defaultSleep = abortableSleep;

export class OvhClient {
  readonly endpoint: OvhEndpoint;
  readonly baseUrl: string;
  readonly #applicationKey: string;
  readonly #applicationSecret: string;
  #consumerKey: string | null;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #log: OvhClientOptions['log'];
  readonly #networkCheck: NetworkCheck | undefined;
  /** OVH's clock minus ours, in seconds; null until /auth/time was read. */
  #timeDelta: number | null = null;
  readonly #creating = new Map<string, Promise<CreatedInstance>>();

  constructor(opts: OvhClientOptions) {
    this.endpoint = opts.endpoint;
    this.baseUrl = (opts.baseUrl ?? OVH_ENDPOINTS[opts.endpoint]).replace(/\/+$/, '');
    this.#applicationKey = opts.applicationKey;
    this.#applicationSecret = opts.applicationSecret;
    this.#consumerKey = opts.consumerKey ?? null;
    this.#agent = new Agent({ keepAlive: true, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#retries = opts.retries ?? 4;
    this.#backoffMs = opts.backoffMs ?? 500;
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.log;
    this.#networkCheck = opts.networkCheck;
  }

  /** Never print the keys. */
  toJSON(): Record<string, string> {
    return { endpoint: this.endpoint, baseUrl: this.baseUrl };
  }

  get hasConsumerKey(): boolean {
    return this.#consumerKey !== null;
  }

  setConsumerKey(consumerKey: string | null): void {
    this.#consumerKey = consumerKey;
  }

  close(): void {
    this.#agent.destroy();
  }

  // ---- time -------------------------------------------------------------------------------------

  /** Reads OVH's clock (`GET /auth/time`, unauthenticated) and keeps the difference with ours. */
  async syncTime(signal?: AbortSignal): Promise<number> {
    const t = await this.#call('GET', '/auth/time', { auth: 'none', signal });
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new OvhError('ovh.response_invalid', { path: '/auth/time' });
    this.#timeDelta = Math.round(t) - Math.floor(this.#now() / 1000);
    return this.#timeDelta;
  }

  /** Seconds OVH's clock is ahead of ours (null before the first signed call). */
  get timeDelta(): number | null {
    return this.#timeDelta;
  }

  // ---- credentials ------------------------------------------------------------------------------

  /**
   * Asks OVH for a consumer key with these access rules. The user validates it on `validationUrl`
   * (opened in the system browser); the client uses the new key from now on.
   */
  async requestCredential(accessRules: readonly S.AccessRule[] = OVH_ACCESS_RULES, redirection?: string): Promise<S.CredentialRequest> {
    const body: Record<string, unknown> = { accessRules };
    if (redirection !== undefined) body.redirection = redirection;
    const res = this.#parse(S.credentialRequest, await this.#call('POST', '/auth/credential', { auth: 'app', body, write: 'safe' }), '/auth/credential');
    this.#consumerKey = res.consumerKey;
    return res;
  }

  /**
   * The consumer key's state. OVH answers `/auth/currentCredential` only for a validated key; before
   * validation it says 403 INVALID_CREDENTIAL ("This credential is not valid"), and once the key is
   * refused or expired, 403 NOT_CREDENTIAL ("This credential does not exist").
   */
  async credentialStatus(signal?: AbortSignal): Promise<S.CredentialStatus> {
    try {
      const c = await this.currentCredential(signal);
      return c.status;
    } catch (e) {
      if (e instanceof OvhError && e.intendedCode === 'ovh.credential_pending') return 'pendingValidation';
      if (e instanceof OvhError && e.intendedCode === 'ovh.invalid_credentials') return 'refused';
      throw e;
    }
  }

  async currentCredential(signal?: AbortSignal): Promise<S.CurrentCredential> {
    return this.#parse(S.currentCredential, await this.#call('GET', '/auth/currentCredential', { signal }), '/auth/currentCredential');
  }

  /**
   * Polls until the user validated the consumer key: `ovh.credential_refused` when it was refused or
   * expired, `ovh.validation_timeout` when the wait ran out (default 10 minutes). Backs off from
   * 2 s to 10 s between polls.
   */
  async waitForValidation(opts: WaitOptions & { consumerKey?: string } = {}): Promise<S.CurrentCredential> {
    if (opts.consumerKey !== undefined) this.#consumerKey = opts.consumerKey;
    const deadline = this.#now() + (opts.timeoutMs ?? 600_000);
    let interval = opts.intervalMs ?? 2000;
    const max = opts.maxIntervalMs ?? 10_000;
    let polls = 0;
    for (;;) {
      polls++;
      const status = await this.credentialStatus(opts.signal);
      if (status === 'validated') return this.currentCredential(opts.signal);
      if (status === 'refused' || status === 'expired') throw new OvhError('ovh.credential_refused', { status, polls });
      if (this.#now() + interval > deadline) throw new OvhError('ovh.validation_timeout', { polls });
      await this.#sleep(interval, opts.signal);
      interval = Math.min(max, Math.round(interval * 1.5));
    }
  }

  async me(signal?: AbortSignal): Promise<S.Me> {
    return this.#parse(S.me, await this.#call('GET', '/me', { signal }), '/me');
  }

  // ---- VPS --------------------------------------------------------------------------------------

  async listVpsNames(signal?: AbortSignal): Promise<string[]> {
    return this.#parse(stringList, await this.#call('GET', '/vps', { signal }), '/vps');
  }

  async vps(name: string, signal?: AbortSignal): Promise<OvhVps> {
    const p = `/vps/${encodeURIComponent(name)}`;
    const v = this.#parse(S.vps, await this.#call('GET', p, { signal }), '/vps/{serviceName}');
    const ips = this.#parse(stringList, await this.#call('GET', `${p}/ips`, { signal }), '/vps/{serviceName}/ips');
    return {
      name: v.name,
      displayName: v.displayName ?? null,
      offer: v.model.offer,
      planCode: v.model.name,
      vcore: v.model.vcore,
      memoryGb: v.model.memory / 1024,
      diskGb: v.model.disk,
      zone: v.zone,
      state: v.state,
      ips,
    };
  }

  /** Every VPS of the account, with its model and IPs. */
  async listVps(signal?: AbortSignal): Promise<OvhVps[]> {
    const out: OvhVps[] = [];
    for (const name of await this.listVpsNames(signal)) out.push(await this.vps(name, signal));
    return out;
  }

  /** The models this VPS can be upgraded to, with their monthly price (OVH's order API). */
  async vpsUpgradeOffers(serviceName: string, signal?: AbortSignal): Promise<{ planCode: string; productName: string; monthly: { value: number; currency: string } | null }[]> {
    const list = this.#parse(arrayOf(S.upgradeOffer), await this.#call('GET', `/order/upgrade/vps/${enc(serviceName)}`, { signal }), '/order/upgrade/vps/{serviceName}');
    return list.map((o) => {
      const p = o.prices.find((x) => x.duration === 'P1M') ?? o.prices[0];
      return { planCode: o.planCode, productName: o.productName, monthly: p ? { value: p.price.value, currency: p.price.currencyCode } : null };
    });
  }

  /** What the upgrade order costs now (GET simulates it: nothing is ordered). */
  async vpsUpgradeQuote(serviceName: string, planCode: string, signal?: AbortSignal): Promise<{ net: number; gross: number; currency: string }> {
    const o = this.#parse(S.upgradeOrder, await this.#call('GET', `/order/upgrade/vps/${enc(serviceName)}/${enc(planCode)}`, { query: { quantity: '1' }, signal }), '/order/upgrade/vps/{serviceName}/{planCode}');
    return { net: o.order.prices.withoutTax.value, gross: o.order.prices.withTax.value, currency: o.order.prices.withoutTax.currencyCode };
  }

  /** Places the upgrade order, paid with the account's preferred payment method when `autoPay`. Not idempotent. */
  async vpsUpgradeOrder(serviceName: string, planCode: string, autoPay: boolean, signal?: AbortSignal): Promise<{ orderId: number; url: string | null; net: number; gross: number; currency: string }> {
    const o = this.#parse(S.upgradeOrder, await this.#call('POST', `/order/upgrade/vps/${enc(serviceName)}/${enc(planCode)}`, { body: { quantity: 1, autoPayWithPreferredPaymentMethod: autoPay }, signal }), '/order/upgrade/vps/{serviceName}/{planCode}');
    return { orderId: o.order.orderId, url: o.order.url ?? null, net: o.order.prices.withoutTax.value, gross: o.order.prices.withTax.value, currency: o.order.prices.withoutTax.currencyCode };
  }

  async orderStatus(orderId: number, signal?: AbortSignal): Promise<S.OrderStatus> {
    return this.#parse(S.orderStatus, await this.#call('GET', `/me/order/${orderId}/status`, { signal }), '/me/order/{orderId}/status');
  }

  // ---- Public Cloud -----------------------------------------------------------------------------

  async listCloudProjects(signal?: AbortSignal): Promise<S.CloudProject[]> {
    const ids = this.#parse(stringList, await this.#call('GET', '/cloud/project', { signal }), '/cloud/project');
    const out: S.CloudProject[] = [];
    for (const id of ids) out.push(this.#parse(S.cloudProject, await this.#call('GET', `/cloud/project/${enc(id)}`, { signal }), '/cloud/project/{serviceName}'));
    return out;
  }

  /** Per region: the instances, cores and RAM the project may use and uses (the phase-4 checklist). */
  async projectQuotas(project: string, signal?: AbortSignal): Promise<S.Quota[]> {
    return this.#parse(arrayOf(S.quota), await this.#call('GET', `/cloud/project/${enc(project)}/quota`, { signal }), '/cloud/project/{serviceName}/quota');
  }

  /** The DNS zones this account manages. */
  async listDnsZones(signal?: AbortSignal): Promise<string[]> {
    return this.#parse(stringList, await this.#call('GET', '/domain/zone', { signal }), '/domain/zone');
  }

  async listRegions(project: string, signal?: AbortSignal): Promise<string[]> {
    return this.#parse(stringList, await this.#call('GET', `/cloud/project/${enc(project)}/region`, { signal }), '/cloud/project/{serviceName}/region');
  }

  async listFlavors(project: string, region: string, signal?: AbortSignal): Promise<S.Flavor[]> {
    return this.#parse(arrayOf(S.flavor), await this.#call('GET', `/cloud/project/${enc(project)}/flavor`, { query: { region }, signal }), '/cloud/project/{serviceName}/flavor');
  }

  async listImages(project: string, region: string, signal?: AbortSignal): Promise<S.Image[]> {
    return this.#parse(arrayOf(S.image), await this.#call('GET', `/cloud/project/${enc(project)}/image`, { query: { osType: 'linux', region }, signal }), '/cloud/project/{serviceName}/image');
  }

  async listSshKeys(project: string, signal?: AbortSignal): Promise<S.SshKey[]> {
    return this.#parse(arrayOf(S.sshKey), await this.#call('GET', `/cloud/project/${enc(project)}/sshkey`, { signal }), '/cloud/project/{serviceName}/sshkey');
  }

  /** Our SSH key in the project, uploaded once: found by name (same key) before and after an unknown outcome. */
  async ensureSshKey(project: string, name: string, publicKey: string, signal?: AbortSignal): Promise<S.SshKey> {
    const same = (k: S.SshKey): boolean => k.publicKey.trim().split(/\s+/).slice(0, 2).join(' ') === publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
    const find = async (): Promise<S.SshKey | undefined> => {
      const k = (await this.listSshKeys(project, signal)).find((x) => x.name === name);
      if (k && !same(k)) throw new OvhError('ovh.ssh_key_conflict', { name });
      return k;
    };
    const existing = await find();
    if (existing) return existing;
    try {
      return this.#parse(S.sshKey, await this.#call('POST', `/cloud/project/${enc(project)}/sshkey`, { body: { name, publicKey }, signal }), '/cloud/project/{serviceName}/sshkey');
    } catch (e) {
      if (!(e instanceof OvhError) || !['ovh.unknown_outcome', 'ovh.api_error'].includes(e.intendedCode)) throw e;
      const k = await find();
      if (k) return k;
      throw e;
    }
  }

  async listInstances(project: string, signal?: AbortSignal): Promise<S.Instance[]> {
    return this.#parse(arrayOf(S.instance), await this.#call('GET', `/cloud/project/${enc(project)}/instance`, { signal }), '/cloud/project/{serviceName}/instance');
  }

  async getInstance(project: string, id: string, signal?: AbortSignal): Promise<S.Instance> {
    return this.#parse(S.instance, await this.#call('GET', `/cloud/project/${enc(project)}/instance/${enc(id)}`, { signal }), '/cloud/project/{serviceName}/instance/{instanceId}');
  }

  /**
   * Creates the instance unless one with this name exists (OVH does not make names unique, so we
   * look before creating, and again after an answer we did not get). Concurrent calls for the same
   * project and name share one creation: one click, one instance.
   */
  createInstanceOnce(project: string, input: CreateInstanceInput, signal?: AbortSignal): Promise<CreatedInstance> {
    const key = `${project}\u0000${input.name}`;
    const running = this.#creating.get(key);
    if (running) return running;
    const p = this.#createInstance(project, input, signal).finally(() => this.#creating.delete(key));
    this.#creating.set(key, p);
    return p;
  }

  async #findInstance(project: string, input: CreateInstanceInput, signal?: AbortSignal): Promise<S.Instance | undefined> {
    const same = (await this.listInstances(project, signal)).filter((i) => i.name === input.name).sort((a, b) => a.created.localeCompare(b.created));
    const first = same[0];
    if (!first) return undefined;
    const match = same.find((i) => i.region === input.region && i.flavorId === input.flavorId);
    if (!match) throw new OvhError('ovh.instance_name_taken', { name: input.name, region: first.region });
    return match;
  }

  async #createInstance(project: string, input: CreateInstanceInput, signal?: AbortSignal): Promise<CreatedInstance> {
    const existing = await this.#findInstance(project, input, signal);
    if (existing) return { instance: existing, created: false, recovered: false };
    const body: Record<string, unknown> = {
      name: input.name,
      region: input.region,
      flavorId: input.flavorId,
      imageId: input.imageId,
      monthlyBilling: input.monthlyBilling ?? true,
    };
    if (input.sshKeyId !== undefined) body.sshKeyId = input.sshKeyId;
    if (input.userData !== undefined) body.userData = input.userData;
    try {
      const instance = this.#parse(S.instance, await this.#call('POST', `/cloud/project/${enc(project)}/instance`, { body, signal }), '/cloud/project/{serviceName}/instance');
      return { instance, created: true, recovered: false };
    } catch (e) {
      if (!(e instanceof OvhError) || e.intendedCode !== 'ovh.unknown_outcome') throw e;
      // The create may have happened: look for it (it can take a moment to be listed).
      for (let i = 0; i < 3; i++) {
        const found = await this.#findInstance(project, input, signal);
        if (found) return { instance: found, created: true, recovered: true };
        await this.#sleep(this.#backoffMs * 2 ** i, signal);
      }
      throw e;
    }
  }

  /** Polls until ACTIVE with a public IPv4 (backing off from 2 s to 10 s); ERROR → ovh.instance_failed. */
  async waitForInstance(project: string, id: string, opts: WaitOptions = {}): Promise<{ instance: S.Instance; ipv4: string; polls: number }> {
    const deadline = this.#now() + (opts.timeoutMs ?? 600_000);
    let interval = opts.intervalMs ?? 2000;
    const max = opts.maxIntervalMs ?? 10_000;
    let polls = 0;
    for (;;) {
      polls++;
      const instance = await this.getInstance(project, id, opts.signal);
      const ipv4 = instance.ipAddresses.find((a) => a.version === 4 && a.type === 'public')?.ip;
      if (instance.status === 'ACTIVE' && ipv4 !== undefined) return { instance, ipv4, polls };
      if (['ERROR', 'DELETED', 'DELETING', 'UNKNOWN'].includes(instance.status)) throw new OvhError('ovh.instance_failed', { id, status: instance.status });
      if (this.#now() + interval > deadline) throw new OvhError('ovh.instance_timeout', { id, status: instance.status, polls });
      await this.#sleep(interval, opts.signal);
      interval = Math.min(max, Math.round(interval * 1.5));
    }
  }

  // ---- prices ------------------------------------------------------------------------------------

  /**
   * Monthly prices of Public Cloud plan codes from OVH's public order catalogue for the account's
   * subsidiary (no credential needed): net and VAT as the catalogue gives them, in its currency.
   */
  async cloudMonthlyPrices(subsidiary: string, signal?: AbortSignal): Promise<{ currency: string; prices: Record<string, { net: number; tax: number }> }> {
    const c = this.#parse(S.catalog, await this.#call('GET', '/order/catalog/public/cloud', { auth: 'none', query: { ovhSubsidiary: subsidiary }, signal }), '/order/catalog/public/cloud');
    const prices: Record<string, { net: number; tax: number }> = {};
    for (const item of [...c.plans, ...c.addons]) {
      const p = item.pricings.find((x) => x.capacities.includes('renew') && x.intervalUnit === 'month' && x.interval === 1) ?? item.pricings.find((x) => x.intervalUnit === 'month');
      if (p) prices[item.planCode] = { net: p.price / 1e8, tax: p.tax / 1e8 };
    }
    return { currency: c.locale.currencyCode, prices };
  }

  /**
   * The VPS plans of OVH's public order catalogue for a subsidiary, with their monthly price without
   * commitment (net and VAT) and their specs. Plans without a monthly price or specs are left out.
   */
  async vpsCatalog(subsidiary: string, signal?: AbortSignal): Promise<{ currency: string; plans: (VpsPlan & { tax: number })[] }> {
    const c = this.#parse(S.vpsCatalog, await this.#call('GET', '/order/catalog/public/vps', { auth: 'none', query: { ovhSubsidiary: subsidiary }, signal }), '/order/catalog/public/vps');
    const plans: (VpsPlan & { tax: number })[] = [];
    for (const p of c.plans) {
      const price = p.pricings.find((x) => x.capacities.includes('renew') && x.intervalUnit === 'month' && x.interval === 1 && x.commitment === 0) ?? p.pricings.find((x) => x.capacities.includes('renew') && x.intervalUnit === 'month');
      const tech = p.blobs?.technical;
      const disk = tech?.storage?.disks.reduce((sum, d) => sum + d.capacity, 0);
      if (!price || !tech?.cpu || !tech.memory || disk === undefined) continue;
      plans.push({ planCode: p.planCode, offer: p.invoiceName, vcore: tech.cpu.cores, memoryGb: tech.memory.size, diskGb: disk, priceMonthly: price.price / 1e8, tax: price.tax / 1e8 });
    }
    return { currency: c.locale.currencyCode, plans };
  }

  // ---- instance lifecycle -------------------------------------------------------------------------

  /** Changes the flavor (a larger disk only, as OpenStack requires); after a lost answer, the instance says whether it happened. */
  async resizeInstance(project: string, id: string, flavorId: string, signal?: AbortSignal): Promise<void> {
    const before = await this.getInstance(project, id, signal);
    if (before.flavorId === flavorId) return;
    try {
      await this.#call('POST', `/cloud/project/${enc(project)}/instance/${enc(id)}/resize`, { body: { flavorId }, signal });
    } catch (e) {
      if (!(e instanceof OvhError) || e.intendedCode !== 'ovh.unknown_outcome') throw e;
      if ((await this.getInstance(project, id, signal)).flavorId !== flavorId) throw e;
    }
  }

  async listSnapshots(project: string, signal?: AbortSignal): Promise<S.Snapshot[]> {
    return this.#parse(arrayOf(S.snapshot), await this.#call('GET', `/cloud/project/${enc(project)}/snapshot`, { signal }), '/cloud/project/{serviceName}/snapshot');
  }

  /** A snapshot named `name`, made once (found by name before and after an unknown outcome), waited until active. */
  async snapshotInstance(project: string, id: string, name: string, opts: WaitOptions = {}): Promise<S.Snapshot> {
    const find = async (): Promise<S.Snapshot | undefined> => (await this.listSnapshots(project, opts.signal)).find((x) => x.name === name);
    if (!(await find())) {
      try {
        await this.#call('POST', `/cloud/project/${enc(project)}/instance/${enc(id)}/snapshot`, { body: { snapshotName: name }, signal: opts.signal });
      } catch (e) {
        if (!(e instanceof OvhError) || e.intendedCode !== 'ovh.unknown_outcome' || !(await find())) throw e;
      }
    }
    const deadline = this.#now() + (opts.timeoutMs ?? 1_800_000);
    let interval = opts.intervalMs ?? 2000;
    for (;;) {
      const snap = await find();
      if (snap?.status === 'active') return snap;
      if (snap && ['error', 'deleted', 'killed'].includes(snap.status)) throw new OvhError('ovh.instance_failed', { id, status: `snapshot ${snap.status}` });
      if (this.#now() + interval > deadline) throw new OvhError('ovh.instance_timeout', { id, status: snap?.status ?? 'missing', polls: 0 });
      await this.#sleep(interval, opts.signal);
      interval = Math.min(opts.maxIntervalMs ?? 10_000, Math.round(interval * 1.5));
    }
  }

  /** Deletes the instance; one already gone is not an error. */
  async deleteInstance(project: string, id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#call('DELETE', `/cloud/project/${enc(project)}/instance/${enc(id)}`, { signal, write: 'safe' });
    } catch (e) {
      if (e instanceof OvhError && e.intendedCode === 'ovh.not_found') return;
      throw e;
    }
  }

  // ---- transport --------------------------------------------------------------------------------

  #parse<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
    const r = schema.safeParse(value);
    if (!r.success) throw new OvhError('ovh.response_invalid', { path });
    return r.data;
  }

  /**
   * One API call with retries: reads (and writes marked 'safe') are retried on 429, 5xx and network
   * failures; a write whose answer is lost becomes `ovh.unknown_outcome` for the caller to look up.
   * A QUERY_TIME_OUT re-reads /auth/time once and tries again (the request was refused, not performed).
   */
  async #call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { auth?: AuthMode; query?: Record<string, string>; body?: unknown; signal?: AbortSignal | undefined; write?: 'safe' } = {},
  ): Promise<unknown> {
    const auth = opts.auth ?? 'signed';
    const idempotent = method === 'GET' || opts.write === 'safe';
    let resynced = false;
    for (let attempt = 1; ; attempt++) {
      let res: RawResponse;
      try {
        res = await this.#once(method, path, auth, opts.query, opts.body, opts.signal, attempt);
      } catch (e) {
        if (!(e instanceof NetworkFailure)) throw e;
        // No network at all is said at once, not after the retries (nothing was performed then).
        if (attempt === 1 && this.#networkCheck) {
          const offline = await this.#networkCheck(this.baseUrl + path);
          if (offline) throw offline;
        }
        if (!idempotent && e.sent) throw new OvhError('ovh.unknown_outcome', { call: `${method} ${pathTemplate(path)}`, reason: e.reason });
        if (attempt > this.#retries) throw new OvhError('ovh.unavailable', { call: `${method} ${pathTemplate(path)}`, reason: e.reason });
        await this.#backoff(attempt, opts.signal);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res.body;
      const failure = apiFailure(res);
      if (failure.errorCode === 'QUERY_TIME_OUT' && auth === 'signed' && !resynced) {
        resynced = true;
        await this.syncTime(opts.signal);
        continue;
      }
      const retryable = res.status === 429 || res.status >= 500;
      if (retryable && !idempotent && res.status !== 429) throw new OvhError('ovh.unknown_outcome', { call: `${method} ${pathTemplate(path)}`, status: res.status }, failure);
      if (retryable && attempt <= this.#retries) {
        await this.#backoff(attempt, opts.signal);
        continue;
      }
      throw this.#toError(method, path, failure);
    }
  }

  #toError(method: string, path: string, f: OvhApiFailure): OvhError {
    const params = { call: `${method} ${pathTemplate(path)}`, status: f.status, apiCode: f.errorCode };
    const code: OvhErrorCode = (() => {
      switch (f.errorCode) {
        case 'INVALID_KEY':
          return 'ovh.invalid_application_key';
        case 'INVALID_SIGNATURE':
          return 'ovh.signature_invalid';
        case 'NOT_CREDENTIAL':
        case 'NOT_AUTHENTICATED':
          return 'ovh.invalid_credentials';
        case 'INVALID_CREDENTIAL':
          return 'ovh.credential_pending';
        case 'NOT_GRANTED_CALL':
          return 'ovh.not_granted';
        case 'QUERY_TIME_OUT':
          return 'ovh.clock_skew';
      }
      if (f.status === 401) return 'ovh.invalid_credentials';
      if (f.status === 404) return 'ovh.not_found';
      if (f.status === 429) return 'ovh.rate_limited';
      if (f.status >= 500) return 'ovh.unavailable';
      if (f.status === 400) return 'ovh.invalid_input';
      return 'ovh.api_error';
    })();
    // Not `method`: OvhError uses params.method for the code while it is not a shared one.
    return new OvhError(code, params, f);
  }

  async #backoff(attempt: number, signal?: AbortSignal): Promise<void> {
    const cap = Math.min(10_000, this.#backoffMs * 2 ** (attempt - 1));
    await this.#sleep(Math.round(cap / 2 + (this.#random() * cap) / 2), signal);
  }

  async #once(method: string, path: string, auth: AuthMode, query: Record<string, string> | undefined, body: unknown, signal: AbortSignal | undefined, attempt: number): Promise<RawResponse> {
    if (signal?.aborted) throw signal.reason;
    const qs = query && Object.keys(query).length > 0 ? '?' + new URLSearchParams(query).toString() : '';
    const url = this.baseUrl + path + qs;
    const text = body === undefined ? '' : ovhJson(body);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth !== 'none') headers['X-Ovh-Application'] = this.#applicationKey;
    if (auth === 'signed') {
      if (this.#consumerKey === null) throw new OvhError('ovh.invalid_credentials', { reason: 'no_consumer_key' });
      if (this.#timeDelta === null) await this.syncTime(signal);
      const ts = String(Math.floor(this.#now() / 1000) + (this.#timeDelta ?? 0));
      headers['X-Ovh-Consumer'] = this.#consumerKey;
      headers['X-Ovh-Timestamp'] = ts;
      headers['X-Ovh-Signature'] = signOvhRequest(this.#applicationSecret, this.#consumerKey, method, url, text, ts);
    }
    const res = await new Promise<RawResponse>((resolve, reject) => {
      let sent = false;
      const req = httpsRequest(url, { method, headers: { ...headers, ...(text !== '' ? { 'Content-Length': String(Buffer.byteLength(text)) } : {}) }, agent: this.#agent, signal }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('error', () => reject(new NetworkFailure('response_aborted', true)));
        r.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          if (raw.length > 0) {
            try {
              parsed = JSON.parse(raw);
            } catch {
              parsed = raw;
            }
          }
          const q = r.headers['x-ovh-queryid'];
          resolve({ status: r.statusCode ?? 0, body: parsed, queryId: typeof q === 'string' ? q : null });
        });
      });
      req.setTimeout(this.#timeoutMs, () => req.destroy(new NetworkFailure('timeout', sent)));
      req.on('finish', () => (sent = true));
      req.on('error', (e: Error & { code?: string }) => {
        if (e instanceof NetworkFailure) return reject(e);
        if (signal?.aborted) return reject(signal.reason as Error);
        const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(e.code ?? '');
        reject(new NetworkFailure(e.code ?? 'network_error', sent && !neverSent));
      });
      if (text !== '') req.write(text);
      req.end();
    }).catch((e: unknown) => {
      this.#log?.({ method, path: pathTemplate(path), status: 'network', queryId: null, attempt });
      throw e;
    });
    this.#log?.({ method, path: pathTemplate(path), status: res.status, queryId: res.queryId, attempt });
    return res;
  }
}

const stringList = z.array(z.string());
function arrayOf<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  return z.array(item);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Path for logs and errors: ids replaced, so nothing user-specific leaks into messages. */
function pathTemplate(path: string): string {
  return path
    .replace(/^\/vps\/[^/]+/, '/vps/{serviceName}')
    .replace(/^\/cloud\/project\/[^/]+/, '/cloud/project/{serviceName}')
    .replace(/\/(instance|sshkey)\/[^/]+/, '/$1/{id}');
}

function apiFailure(res: RawResponse): OvhApiFailure {
  const b = res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : {};
  return {
    status: res.status,
    errorCode: typeof b.errorCode === 'string' ? b.errorCode : '',
    message: typeof b.message === 'string' ? b.message.slice(0, 300) : '',
    queryId: res.queryId,
  };
}
