// A local fake of the OVHcloud API (https://eu.api.ovh.com/console), for tests and benches: the
// endpoints the app's OVH client uses, over HTTPS with a self-signed certificate made at start
// (clients trust it through the `ca` they are given, nothing process-wide), with OVH's request
// signature checked exactly as OVH specifies it:
//   X-Ovh-Signature = "$1$" + sha1_hex(AS + "+" + CK + "+" + METHOD + "+" + URL + "+" + BODY + "+" + TIMESTAMP)
// where URL is the full URL requested (scheme, host, port, base path, path and query string).
//
// Error bodies are OVH's: { "message": "...", "httpCode": "403 Forbidden", "errorCode": "NOT_CREDENTIAL" }
// plus an X-Ovh-QueryId header. Authentication failures, in the order they are checked:
//   403 INVALID_KEY          "Invalid application key"           (unknown X-Ovh-Application)
//   401 NOT_AUTHENTICATED    "You must login first"              (no consumer key / signature headers)
//   400 QUERY_TIME_OUT       "Query out of time"                 (timestamp too far from the server's clock)
//   400 INVALID_SIGNATURE    "Invalid signature"                 (wrong application secret, URL, body...)
//   403 NOT_CREDENTIAL       "This credential does not exist"    (unknown, refused or expired consumer key)
//   403 INVALID_CREDENTIAL   "This credential is not valid"      (consumer key not validated yet)
//   403 NOT_GRANTED_CALL     "This call has not been granted"    (validated, but no access rule matches)
// `/auth/time` and `POST /auth/credential` need no consumer key; `/auth/currentCredential` needs a
// signed request but no access rule (like OVH, which answers it for any credential).
//
// ovh-eu, ovh-ca and ovh-us are the same API on different hosts: one fake stands for all three; the
// client is pointed at `fake.url` instead of the endpoint's host (base path `/1.0`, or `/v1`).
//
// Prices: OVH returns no price with a flavor or a VPS; the app reads them from the public order
// catalogue (`/order/catalog/public/cloud?ovhSubsidiary=FR`, `/order/catalog/public/vps?...`). The fake
// serves both from FAKE_CLOUD_PRICES and FAKE_VPS_PLANS, in the catalogue's shape (amounts in 1/100,000,000).
//
// Fault injection: failNext (any status/errorCode) and dropNextResponse (the request is performed,
// the answer is lost). Consumer keys are validated or refused by the test (validate/refuse/expire).
// In process, on 127.0.0.1: it goes away with the test process.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { VpsPlan } from '../providers/ovh/offers';
import { listenOnLoopback } from './loopback';

const execFileP = promisify(execFile);

// ---- Fixtures -----------------------------------------------------------------------------------

export interface FakeFlavor {
  id: string;
  name: string;
  region: string;
  /** MB */
  ram: number;
  /** GB */
  disk: number;
  vcpus: number;
  type: string;
  osType: 'linux' | 'windows';
  available: boolean;
  quota: number;
  inboundBandwidth: number;
  outboundBandwidth: number;
  planCodes: { monthly: string | null; hourly: string | null };
}

export const FAKE_REGIONS = ['GRA11', 'SBG5', 'BHS5', 'WAW1'] as const;

/** name, vcpus, ram MB, disk GB, type */
const FLAVOR_SPECS: [string, number, number, number, string][] = [
  ['d2-2', 1, 2000, 25, 'ovh.d2'],
  ['d2-4', 2, 4000, 50, 'ovh.d2'],
  ['d2-8', 4, 8000, 50, 'ovh.d2'],
  ['b3-8', 2, 8000, 50, 'ovh.b3'],
  ['b3-16', 4, 16000, 100, 'ovh.b3'],
  ['b2-7', 2, 7000, 50, 'ovh.ssd.eg'],
  ['b2-15', 4, 15000, 100, 'ovh.ssd.eg'],
  ['win-b2-7', 2, 7000, 50, 'ovh.ssd.eg'],
];

/**
 * Monthly prices (EUR excl. VAT, FR subsidiary, close to OVH's 2024–2025 public prices) by monthly
 * plan code. The app reads them from `/order/catalog/public/cloud?ovhSubsidiary=FR`.
 */
export const FAKE_CLOUD_PRICES: Readonly<Record<string, number>> = {
  'd2-2.monthly.postpaid': 6.29,
  'd2-4.monthly.postpaid': 12.06,
  'd2-8.monthly.postpaid': 23.7,
  'b3-8.monthly.postpaid': 30.5,
  'b3-16.monthly.postpaid': 61,
  'b2-7.monthly.postpaid': 26.4,
  'b2-15.monthly.postpaid': 52.8,
  'win-b2-7.monthly.postpaid': 42.2,
};

function flavorId(name: string, region: string): string {
  return createHash('sha1').update(`${name}@${region}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
}

export function fakeFlavors(region: string): FakeFlavor[] {
  return FLAVOR_SPECS.map(([name, vcpus, ram, disk, type]) => ({
    id: flavorId(name, region),
    name,
    region,
    ram,
    disk,
    vcpus,
    type,
    osType: name.startsWith('win-') ? 'windows' : 'linux',
    // b3 is not sold in BHS5 in this fixture: "available" false there.
    available: !(region === 'BHS5' && name.startsWith('b3-')),
    quota: 20,
    inboundBandwidth: 250,
    outboundBandwidth: 250,
    planCodes: { monthly: `${name}.monthly.postpaid`, hourly: `${name}.consumption` },
  }));
}

export interface FakeImage {
  id: string;
  name: string;
  region: string;
  type: 'linux' | 'windows';
  visibility: 'public' | 'private';
  status: 'active';
  minDisk: number;
  size: number;
  creationDate: string;
  user: string;
  flavorType: string | null;
  tags: string[];
  planCode: string | null;
}

export function fakeImages(region: string): FakeImage[] {
  return [
    ['Debian 12', 'debian'],
    ['Ubuntu 24.04', 'ubuntu'],
  ].map(([name, user]) => ({
    id: flavorId(name ?? '', region),
    name: name ?? '',
    region,
    type: 'linux',
    visibility: 'public',
    status: 'active',
    minDisk: 0,
    size: 2.2,
    creationDate: '2025-01-01T00:00:00Z',
    user: user ?? 'debian',
    flavorType: null,
    tags: [],
    planCode: null,
  }));
}

/** A VPS plan as the app keeps it after reading `/order/catalog/public/vps` (FR, EUR excl. VAT). */
export type FakeVpsPlan = VpsPlan;

/**
 * Two generations of OVH's VPS range. The 2023 line the roadmap names (Starter, Value, Essential,
 * Comfort, Elite) and the 2025 line (VPS-1...). Specs as published, prices rounded.
 */
export const FAKE_VPS_PLANS: readonly FakeVpsPlan[] = [
  { planCode: 'vps-starter-1-2-20', offer: 'VPS Starter', vcore: 1, memoryGb: 2, diskGb: 20, priceMonthly: 3.5 },
  { planCode: 'vps-value-1-2-40', offer: 'VPS Value', vcore: 1, memoryGb: 2, diskGb: 40, priceMonthly: 5.5 },
  { planCode: 'vps-essential-2-4-80', offer: 'VPS Essential', vcore: 2, memoryGb: 4, diskGb: 80, priceMonthly: 11 },
  { planCode: 'vps-comfort-4-8-160', offer: 'VPS Comfort', vcore: 4, memoryGb: 8, diskGb: 160, priceMonthly: 22 },
  { planCode: 'vps-elite-8-8-160', offer: 'VPS Elite', vcore: 8, memoryGb: 8, diskGb: 160, priceMonthly: 33 },
  { planCode: 'vps-2025-model1', offer: 'VPS-1', vcore: 4, memoryGb: 8, diskGb: 75, priceMonthly: 4.58 },
  { planCode: 'vps-2025-model2', offer: 'VPS-2', vcore: 6, memoryGb: 12, diskGb: 100, priceMonthly: 7.6 },
  { planCode: 'vps-2025-model3', offer: 'VPS-3', vcore: 8, memoryGb: 24, diskGb: 200, priceMonthly: 15.2 },
];

// ---- State --------------------------------------------------------------------------------------

export type FakeCredentialStatus = 'pendingValidation' | 'validated' | 'refused' | 'expired';

export interface FakeAccessRule {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
}

export interface FakeCredential {
  credentialId: number;
  consumerKey: string;
  applicationKey: string;
  status: FakeCredentialStatus;
  rules: FakeAccessRule[];
  redirection: string | null;
  creation: string;
  validationToken: string;
}

export interface FakeVps {
  name: string;
  displayName: string;
  plan: FakeVpsPlan;
  zone: string;
  state: 'running' | 'stopped' | 'installing' | 'maintenance' | 'rebooting';
  ips: string[];
}

export interface FakeSshKey {
  id: string;
  name: string;
  publicKey: string;
  fingerprint: string;
  regions: string[];
}

export interface FakeInstance {
  id: string;
  name: string;
  region: string;
  flavorId: string;
  imageId: string;
  sshKeyId: string | null;
  userData: string | null;
  monthlyBilling: boolean;
  created: string;
  status: 'BUILD' | 'ACTIVE' | 'ERROR';
  pollsLeft: number;
  ipv4: string;
}

export interface FakeSnapshot {
  id: string;
  name: string;
  region: string;
  status: 'queued' | 'saving' | 'active';
  pollsLeft: number;
  creationDate: string;
  /** Not in the API's answer: which instance it was taken from (tests). */
  instanceId: string;
}

/**
 * One region's quotas as `GET /cloud/project/{serviceName}/quota` returns them (cloud.quota.Quotas): instances,
 * cores and RAM (MB) allowed and used, keypairs, volumes (GB).
 */
export interface FakeQuota {
  region: string;
  instance: { maxCores: number; maxInstances: number; maxRam: number; usedCores: number; usedInstances: number; usedRAM: number };
  keypair: { maxCount: number };
  volume: { maxGigabytes: number; usedGigabytes: number; volumeCount: number };
}

/** A new project's default quotas (OVH raises them on request, or as the account ages). */
export function fakeQuotas(): FakeQuota[] {
  return FAKE_REGIONS.map((region) => ({
    region,
    instance: { maxCores: 64, maxInstances: 20, maxRam: 256_000, usedCores: 0, usedInstances: 0, usedRAM: 0 },
    keypair: { maxCount: 100 },
    volume: { maxGigabytes: 10_000, usedGigabytes: 0, volumeCount: 0 },
  }));
}

export interface FakeProject {
  id: string;
  description: string;
  status: 'ok' | 'creating' | 'suspended';
  quotas: FakeQuota[];
  sshKeys: FakeSshKey[];
  instances: FakeInstance[];
  snapshots: FakeSnapshot[];
}

export interface FakeRequest {
  method: string;
  /** Path under the base path, without the query string. */
  path: string;
  query: string;
  status: number;
  /** How the request authenticated: none, or the failure code, or 'ok'. */
  auth: 'none' | 'ok' | string;
  /** true when the answer was dropped (dropNextResponse). */
  dropped: boolean;
  /** Every header name the request carried, lowercased (tests check what is sent, never values). */
  headerNames: string[];
}

/** An upgrade order of a VPS (`POST /order/upgrade/vps/{serviceName}/{planCode}`). */
export interface FakeOrder {
  orderId: number;
  serviceName: string;
  planCode: string;
  priceNet: number;
  /** OVH's order states (GET /me/order/{orderId}/status). */
  status: 'notPaid' | 'checking' | 'delivering' | 'delivered' | 'cancelled';
  /** GETs of the VPS left before the new model is delivered (and the VPS has rebooted). */
  deliveryPolls: number;
}

export interface OvhFakeState {
  credentials: FakeCredential[];
  vps: FakeVps[];
  projects: FakeProject[];
  /** DNS zones the account manages (`GET /domain/zone`). */
  dnsZones: string[];
  requests: FakeRequest[];
  orders: FakeOrder[];
}

export interface RequestFilter {
  method?: string;
  /** Path under the base path (exact string, or a pattern). */
  path?: string | RegExp;
}

export interface FailOptions extends RequestFilter {
  status: number;
  errorCode?: string;
  message?: string;
  times?: number;
}

export interface OvhFakeOptions {
  /** The fake's clock minus the real clock, in seconds (OVH's clock "ahead" of ours when positive). */
  skewSeconds?: number;
  /** Accepted distance between X-Ovh-Timestamp and the fake's clock; default 30 s. */
  timestampWindowSeconds?: number;
  /** Default '/1.0' (what every OVH SDK uses). */
  basePath?: '/1.0' | '/v1';
  /** GETs of a new instance answered BUILD before it turns ACTIVE; default 2. */
  instanceBuildPolls?: number;
  /** The account's VPS; default: one VPS Starter and one VPS Comfort. */
  vps?: FakeVps[];
  /** The VPS order catalogue (`/order/catalog/public/vps`); default FAKE_VPS_PLANS. */
  vpsPlans?: readonly FakeVpsPlan[];
  /** Cloud project ids; default one project. */
  projects?: string[];
  /** Public IPv4 of new instances; default 203.0.113.<n> (TEST-NET-3). Tests give loopback addresses their sshd listens on. */
  publicIpv4?: (n: number) => string;
  /** DNS zones of the account; default one, koprogo.example. */
  dnsZones?: string[];
}

export interface OvhFake {
  /** https://127.0.0.1:<port>/1.0: what the client uses instead of https://eu.api.ovh.com/1.0. */
  url: string;
  /** PEM of the self-signed certificate: the only CA the client must trust. */
  ca: string;
  applicationKey: string;
  applicationSecret: string;
  state: OvhFakeState;
  /** The fake's current time, in seconds (with the skew). */
  time(): number;
  setSkew(seconds: number): void;
  validate(consumerKey: string): void;
  refuse(consumerKey: string): void;
  expire(consumerKey: string): void;
  /** A validated consumer key with these rules (default: everything), without the browser step. */
  issueConsumerKey(rules?: FakeAccessRule[]): string;
  credential(consumerKey: string): FakeCredential | undefined;
  /** The next matching request(s) get this error instead of being performed. */
  failNext(opts: FailOptions): void;
  /** The next matching request is performed, then its socket is destroyed before any answer byte. */
  dropNextResponse(filter?: RequestFilter): void;
  /** An order placed without automatic payment is paid (as the customer would on OVH's site). */
  payOrder(orderId: number): void;
  stop(): Promise<void>;
}

/** A self-signed ECDSA certificate for 127.0.0.1 (openssl), valid one day. */
export async function makeTestCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ovh-fake-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await execFileP('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** OVH's signature, as its SDKs compute it. */
export function ovhSignature(secret: string, consumerKey: string, method: string, url: string, body: string, timestamp: string | number): string {
  return '$1$' + createHash('sha1').update([secret, consumerKey, method, url, body, String(timestamp)].join('+')).digest('hex');
}

/** OVH access rule matching: `*` matches any sequence (including `/`), e.g. `/vps/*` covers `/vps/a/ips`. */
export function ruleMatches(rule: FakeAccessRule, method: string, path: string): boolean {
  if (rule.method !== method) return false;
  const re = new RegExp('^' + rule.path.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(path);
}

const HTTP_TEXT: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_VPS = (): FakeVps[] => [
  { name: 'vps-1a2b3c4d.vps.ovh.net', displayName: 'vps-1a2b3c4d.vps.ovh.net', plan: FAKE_VPS_PLANS[0] as FakeVpsPlan, zone: 'Region OpenStack: os-gra3', state: 'running', ips: ['51.68.10.11', '2001:41d0:304:200::1a2b'] },
  { name: 'vps-5e6f7a8b.vps.ovh.net', displayName: 'koprogo', plan: FAKE_VPS_PLANS[3] as FakeVpsPlan, zone: 'Region OpenStack: os-sbg5', state: 'running', ips: ['51.75.20.22'] },
];

export async function startOvhFake(opts: OvhFakeOptions = {}): Promise<OvhFake> {
  const { key, cert } = await makeTestCertificate();
  const basePath = opts.basePath ?? '/1.0';
  const window = opts.timestampWindowSeconds ?? 30;
  const buildPolls = Math.max(0, opts.instanceBuildPolls ?? 2);
  const vpsPlans = opts.vpsPlans ?? FAKE_VPS_PLANS;
  let skew = opts.skewSeconds ?? 0;
  const applicationKey = randomBytes(8).toString('hex');
  const applicationSecret = randomBytes(16).toString('hex');
  const state: OvhFakeState = {
    credentials: [],
    vps: opts.vps ?? DEFAULT_VPS(),
    projects: (opts.projects ?? ['5f0c3e2ab1d94f6e8a7b6c5d4e3f2a1b']).map((id) => ({ id, description: 'KoproGo', status: 'ok', quotas: fakeQuotas(), sshKeys: [], instances: [], snapshots: [] })),
    dnsZones: opts.dnsZones ?? ['koprogo.example'],
    requests: [],
    orders: [],
  };
  let nextOrderId = 245_000_000;
  const failures: (FailOptions & { left: number })[] = [];
  const drops: RequestFilter[] = [];
  let nextCredentialId = 1000;
  let nextIp = 10;

  const time = (): number => Math.floor(Date.now() / 1000) + skew;
  const iso = (): string => new Date(time() * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const matches = (f: RequestFilter, method: string, path: string): boolean =>
    (f.method === undefined || f.method.toUpperCase() === method) && (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path)));

  function newCredential(rules: FakeAccessRule[], redirection: string | null, status: FakeCredentialStatus): FakeCredential {
    const c: FakeCredential = {
      credentialId: nextCredentialId++,
      consumerKey: randomBytes(16).toString('hex'),
      applicationKey,
      status,
      rules,
      redirection,
      creation: iso(),
      validationToken: randomBytes(12).toString('hex'),
    };
    state.credentials.push(c);
    return c;
  }

  // ---- authentication
  type Auth = { kind: 'none' } | { kind: 'signed'; credential: FakeCredential };

  function authenticate(req: IncomingMessage, method: string, fullUrl: string, body: string, path: string, needRule: boolean): FakeCredential {
    const h = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (h('x-ovh-application') !== applicationKey) throw new HttpError(403, 'INVALID_KEY', 'Invalid application key');
    const ck = h('x-ovh-consumer');
    const ts = h('x-ovh-timestamp');
    const sig = h('x-ovh-signature');
    if (ck === undefined || ts === undefined || sig === undefined) throw new HttpError(401, 'NOT_AUTHENTICATED', 'You must login first');
    if (!/^\d+$/.test(ts) || Math.abs(Number(ts) - time()) > window) throw new HttpError(400, 'QUERY_TIME_OUT', 'Query out of time');
    if (sig !== ovhSignature(applicationSecret, ck, method, fullUrl, body, ts)) throw new HttpError(400, 'INVALID_SIGNATURE', 'Invalid signature');
    const c = state.credentials.find((x) => x.consumerKey === ck);
    if (!c || c.status === 'refused' || c.status === 'expired') throw new HttpError(403, 'NOT_CREDENTIAL', 'This credential does not exist');
    if (c.status !== 'validated') throw new HttpError(403, 'INVALID_CREDENTIAL', 'This credential is not valid');
    if (needRule && !c.rules.some((r) => ruleMatches(r, method, path))) throw new HttpError(403, 'NOT_GRANTED_CALL', 'This call has not been granted');
    return c;
  }

  // ---- VPS upgrade orders
  const vpsOf = (name: string): FakeVps => {
    const v = state.vps.find((x) => x.name === name);
    if (!v) throw new HttpError(404, 'CLIENT_NOT_FOUND', `The requested object (serviceName = ${name}) does not exist`);
    return v;
  };
  /** Larger models of the same generation (the 2025 line does not upgrade from the 2023 one). */
  const generation = (planCode: string) => (planCode.startsWith('vps-2025') ? '2025' : '2023');
  const upgradesOf = (v: FakeVps): FakeVpsPlan[] =>
    vpsPlans.filter((p) => p.planCode !== v.plan.planCode && generation(p.planCode) === generation(v.plan.planCode) && p.vcore >= v.plan.vcore && p.memoryGb >= v.plan.memoryGb && p.diskGb >= v.plan.diskGb);
  const upgradePlan = (v: FakeVps, planCode: string, quantity: string | null): FakeVpsPlan => {
    if (quantity !== '1') throw new HttpError(400, 'INVALID_ARGUMENT', '[quantity] Property is mandatory and must be 1');
    const p = upgradesOf(v).find((x) => x.planCode === planCode);
    if (!p) throw new HttpError(404, 'CLIENT_NOT_FOUND', `No upgrade to ${planCode} for this service`);
    return p;
  };
  /** The upgrade is charged for the rest of the current month (here: half of the price difference). */
  const upgradeCharge = (v: FakeVps, p: FakeVpsPlan): number => Math.round(((p.priceMonthly - v.plan.priceMonthly) / 2) * 100) / 100;
  const euros = (value: number) => ({ currencyCode: 'EUR', text: `${value.toFixed(2)} €`, value });
  const upgradePrice = (monthly: number) => ({
    capacities: ['upgrade'],
    description: 'Upgrade of the VPS model',
    duration: 'P1M',
    interval: 1,
    maximumQuantity: 1,
    maximumRepeat: 1,
    minimumQuantity: 1,
    minimumRepeat: 1,
    price: euros(monthly),
    priceInUcents: Math.round(monthly * 1e8),
    pricingMode: 'upgrade',
    pricingType: 'rental',
  });
  const orderModel = (orderId: number, net: number) => ({
    orderId,
    date: iso(),
    expirationDate: iso(),
    url: orderId ? `https://www.ovh.com/cgi-bin/order/display-order.cgi?orderId=${orderId}` : null,
    pdfUrl: null,
    details: [{ description: 'VPS upgrade', detailType: 'DURATION', domain: '*', quantity: '1', totalPrice: euros(net), unitPrice: euros(net) }],
    prices: { originalWithoutTax: euros(net), reduction: euros(0), tax: euros(Math.round(net * 0.2 * 100) / 100), withTax: euros(Math.round(net * 1.2 * 100) / 100), withoutTax: euros(net) },
  });
  /** A paid order is delivered a few reads later: the VPS reboots with the new model. */
  function deliver(v: FakeVps): void {
    const o = state.orders.find((x) => x.serviceName === v.name && x.status === 'delivering');
    if (!o) {
      if (v.state === 'rebooting') v.state = 'running';
      return;
    }
    if (--o.deliveryPolls > 0) {
      v.state = 'rebooting';
      return;
    }
    const plan = vpsPlans.find((p) => p.planCode === o.planCode);
    if (plan) v.plan = plan;
    o.status = 'delivered';
    v.state = 'running';
  }

  // ---- representations
  const vpsModel = (v: FakeVps) => ({
    name: v.name,
    displayName: v.displayName,
    state: v.state,
    zone: v.zone,
    cluster: 'cluster_0',
    offerType: 'ssd',
    netbootMode: 'local',
    keymap: null,
    slaMonitoring: false,
    monitoringIpBlocks: [],
    memoryLimit: v.plan.memoryGb * 1024,
    vcore: v.plan.vcore,
    model: {
      name: v.plan.planCode,
      offer: v.plan.offer,
      version: '2019v1',
      vcore: v.plan.vcore,
      memory: v.plan.memoryGb * 1024,
      disk: v.plan.diskGb,
      datacenter: [],
      maximumAdditionnalIp: 16,
      availableOptions: [],
    },
  });

  function touchInstance(i: FakeInstance): void {
    if (i.status !== 'BUILD') return;
    if (i.pollsLeft <= 0) i.status = 'ACTIVE';
    else i.pollsLeft--;
  }

  const instanceModel = (i: FakeInstance, detail: boolean) => ({
    id: i.id,
    name: i.name,
    region: i.region,
    flavorId: i.flavorId,
    imageId: i.imageId,
    sshKeyId: i.sshKeyId,
    created: i.created,
    status: i.status,
    monthlyBilling: i.monthlyBilling ? { since: i.created, status: 'ok' } : null,
    planCode: `${fakeFlavorName(i.flavorId, i.region) ?? 'unknown'}.${i.monthlyBilling ? 'monthly.postpaid' : 'consumption'}`,
    operationIds: [],
    ipAddresses:
      i.status === 'ACTIVE'
        ? [{ ip: i.ipv4, type: 'public', version: 4, networkId: '', gatewayIp: i.ipv4.replace(/\d+$/, '1') }]
        : [],
    ...(detail ? { flavor: fakeFlavors(i.region).find((f) => f.id === i.flavorId) ?? null, image: fakeImages(i.region).find((m) => m.id === i.imageId) ?? null, sshKey: null } : {}),
  });

  function project(id: string): FakeProject {
    const p = state.projects.find((x) => x.id === id);
    if (!p) throw new HttpError(404, 'CLIENT_NOT_FOUND', `This service does not exist`);
    return p;
  }

  function findInstance(projectId: string, id: string): FakeInstance {
    const i = project(projectId).instances.find((x) => x.id === id);
    if (!i) throw new HttpError(404, 'CLIENT_NOT_FOUND', `Instance ${id} does not exist`);
    return i;
  }

  function parseBody(body: string): Record<string, unknown> {
    if (body === '') return {};
    try {
      const v: unknown = JSON.parse(body);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw new HttpError(400, 'INVALID_ARGUMENT', 'Invalid JSON received');
  }
  const str = (b: Record<string, unknown>, k: string, required = true): string | null => {
    const v = b[k];
    if (typeof v === 'string' && v !== '') return v;
    if (v === undefined || v === null) {
      if (required) throw new HttpError(400, 'INVALID_ARGUMENT', `[${k}] Property is mandatory`);
      return null;
    }
    throw new HttpError(400, 'INVALID_ARGUMENT', `[${k}] Invalid type`);
  };

  // ---- routes: [method, pattern, needs a rule?, handler]
  type Handler = (m: RegExpMatchArray, q: URLSearchParams, body: string, auth: Auth) => [number, unknown];
  const routes: [string, RegExp, 'public' | 'app' | 'signed' | 'ruled', Handler][] = [
    ['GET', /^\/auth\/time$/, 'public', () => [200, time()]],
    // The public order catalogue (no authentication), prices in 1/100,000,000 of the currency, FR VAT 20 %.
    [
      'GET',
      /^\/order\/catalog\/public\/cloud$/,
      'public',
      (_m, q) => {
        if (!q.get('ovhSubsidiary')) throw new HttpError(400, 'INVALID_ARGUMENT', '[ovhSubsidiary] Property is mandatory');
        const pricing = (net: number) => ({ capacities: ['renew'], commitment: 0, description: 'Monthly fees', interval: 1, intervalUnit: 'month', mode: 'default', phase: 1, price: Math.round(net * 1e8), tax: Math.round(net * 0.2 * 1e8), type: 'consumption' });
        return [
          200,
          {
            catalogId: 1,
            locale: { currencyCode: 'EUR', subsidiary: q.get('ovhSubsidiary'), taxRate: 20 },
            plans: [{ planCode: 'project.2018', invoiceName: 'Public Cloud Project', pricings: [] }],
            addons: Object.entries(FAKE_CLOUD_PRICES).map(([planCode, net]) => ({ planCode, invoiceName: planCode, product: 'publiccloud-instance', pricings: [pricing(net)] })),
          },
        ];
      },
    ],
    [
      'POST',
      /^\/auth\/credential$/,
      'app',
      (_m, _q, body) => {
        const b = parseBody(body);
        const rules = b.accessRules;
        if (!Array.isArray(rules) || rules.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', '[accessRules] Property is mandatory');
        const parsed: FakeAccessRule[] = rules.map((r: unknown) => {
          const o = (r ?? {}) as Record<string, unknown>;
          if (!['GET', 'POST', 'PUT', 'DELETE'].includes(String(o.method)) || typeof o.path !== 'string' || !o.path.startsWith('/'))
            throw new HttpError(400, 'INVALID_ARGUMENT', '[accessRules] Invalid rule');
          return { method: o.method as FakeAccessRule['method'], path: o.path };
        });
        const c = newCredential(parsed, typeof b.redirection === 'string' ? b.redirection : null, 'pendingValidation');
        const origin = fakeUrl.replace(/\/(1\.0|v1)$/, '');
        return [200, { validationUrl: `${origin}/auth/?credentialToken=${c.validationToken}`, consumerKey: c.consumerKey, state: 'pendingValidation' }];
      },
    ],
    // The VPS order catalogue: each plan with its monthly price and its technical blob (cores, memory GB, disks GB).
    [
      'GET',
      /^\/order\/catalog\/public\/vps$/,
      'public',
      (_m, q) => {
        if (!q.get('ovhSubsidiary')) throw new HttpError(400, 'INVALID_ARGUMENT', '[ovhSubsidiary] Property is mandatory');
        return [
          200,
          {
            catalogId: 2,
            locale: { currencyCode: 'EUR', subsidiary: q.get('ovhSubsidiary'), taxRate: 20 },
            plans: vpsPlans.map((p) => ({
              planCode: p.planCode,
              invoiceName: p.offer,
              product: p.planCode,
              pricingType: 'rental',
              pricings: [
                { capacities: ['installation', 'renew'], commitment: 0, description: 'Monthly fees', interval: 1, intervalUnit: 'month', mode: 'default', phase: 1, price: Math.round(p.priceMonthly * 1e8), tax: Math.round(p.priceMonthly * 0.2 * 1e8), type: 'rental' },
                { capacities: ['renew'], commitment: 12, description: 'Monthly fees, 12 months', interval: 1, intervalUnit: 'month', mode: 'upfront12', phase: 1, price: Math.round(p.priceMonthly * 0.9 * 1e8), tax: 0, type: 'rental' },
              ],
              blobs: { commercial: { range: p.offer.replace(/^VPS\s*/, '') }, technical: { cpu: { cores: p.vcore }, memory: { size: p.memoryGb }, storage: { disks: [{ capacity: p.diskGb, technology: 'NVMe' }] } } },
            })),
            addons: [],
          },
        ];
      },
    ],
    [
      'GET',
      /^\/auth\/currentCredential$/,
      'signed',
      (_m, _q, _b, auth) => {
        if (auth.kind !== 'signed') throw new Error('unreachable');
        const c = auth.credential;
        return [200, { credentialId: c.credentialId, applicationId: 1, status: c.status, rules: c.rules, creation: c.creation, expiration: null, lastUse: iso(), ovhSupport: false, allowedIPs: null }];
      },
    ],
    [
      'GET',
      /^\/me$/,
      'ruled',
      () => [
        200,
        { nichandle: 'ab12345-ovh', email: 'owner@example.org', firstname: 'Alice', name: 'Martin', country: 'FR', ovhSubsidiary: 'FR', language: 'fr_FR', currency: { code: 'EUR', symbol: 'EURO' }, state: 'complete', kycValidated: true, customerCode: '1234-5678-90' },
      ],
    ],
    ['GET', /^\/vps$/, 'ruled', () => [200, state.vps.map((v) => v.name)]],
    // Upgrades of a VPS, priced by OVH (order.cart.GenericProductDefinition); larger models of the same range.
    [
      'GET',
      /^\/order\/upgrade\/vps\/([^/]+)$/,
      'ruled',
      (m) => {
        const v = vpsOf(m[1] ?? '');
        return [200, upgradesOf(v).map((p) => ({ planCode: p.planCode, productName: p.offer, productType: 'delivery', prices: [upgradePrice(p.priceMonthly)] }))];
      },
    ],
    // GET simulates the order (nothing is ordered), POST places it; both answer order.upgrade.OperationAndOrder.
    [
      'GET',
      /^\/order\/upgrade\/vps\/([^/]+)\/([^/]+)$/,
      'ruled',
      (m, q) => {
        const v = vpsOf(m[1] ?? '');
        const plan = upgradePlan(v, m[2] ?? '', q.get('quantity'));
        return [200, { operation: null, order: orderModel(0, upgradeCharge(v, plan)) }];
      },
    ],
    [
      'POST',
      /^\/order\/upgrade\/vps\/([^/]+)\/([^/]+)$/,
      'ruled',
      (m, _q, body) => {
        const v = vpsOf(m[1] ?? '');
        const b = parseBody(body);
        const plan = upgradePlan(v, m[2] ?? '', String(b.quantity ?? ''));
        if (state.orders.some((o) => o.serviceName === v.name && o.status !== 'delivered' && o.status !== 'cancelled')) throw new HttpError(409, 'CONFLICT', 'An upgrade of this service is already in progress');
        const order: FakeOrder = { orderId: nextOrderId++, serviceName: v.name, planCode: plan.planCode, priceNet: upgradeCharge(v, plan), status: b.autoPayWithPreferredPaymentMethod === true ? 'delivering' : 'notPaid', deliveryPolls: buildPolls + 1 };
        state.orders.push(order);
        return [200, { operation: null, order: orderModel(order.orderId, order.priceNet) }];
      },
    ],
    [
      'GET',
      /^\/me\/order\/(\d+)\/status$/,
      'ruled',
      (m) => {
        const o = state.orders.find((x) => String(x.orderId) === m[1]);
        if (!o) throw new HttpError(404, 'CLIENT_NOT_FOUND', `The requested object (orderId = ${m[1] ?? ''}) does not exist`);
        return [200, o.status];
      },
    ],
    [
      'GET',
      /^\/vps\/([^/]+)$/,
      'ruled',
      (m) => {
        const v = state.vps.find((x) => x.name === m[1]);
        if (!v) throw new HttpError(404, 'CLIENT_NOT_FOUND', `The requested object (serviceName = ${m[1] ?? ''}) does not exist`);
        deliver(v);
        return [200, vpsModel(v)];
      },
    ],
    [
      'GET',
      /^\/vps\/([^/]+)\/ips$/,
      'ruled',
      (m) => {
        const v = state.vps.find((x) => x.name === m[1]);
        if (!v) throw new HttpError(404, 'CLIENT_NOT_FOUND', `The requested object (serviceName = ${m[1] ?? ''}) does not exist`);
        return [200, v.ips];
      },
    ],
    ['GET', /^\/cloud\/project$/, 'ruled', () => [200, state.projects.map((p) => p.id)]],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)$/,
      'ruled',
      (m) => {
        const p = project(m[1] ?? '');
        return [200, { project_id: p.id, projectName: p.description, description: p.description, status: p.status, planCode: 'project.2018', creationDate: '2024-01-01T00:00:00Z', unleash: false }];
      },
    ],
    ['GET', /^\/cloud\/project\/([^/]+)\/region$/, 'ruled', (m) => (project(m[1] ?? ''), [200, [...FAKE_REGIONS]])],
    // cloud.quota.Quotas per region; the used figures follow the project's instances.
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/quota$/,
      'ruled',
      (m) => {
        const p = project(m[1] ?? '');
        return [
          200,
          p.quotas.map((q) => {
            const mine = p.instances.filter((i) => i.region === q.region);
            const flavors = fakeFlavors(q.region);
            const cores = mine.reduce((n, i) => n + (flavors.find((f) => f.id === i.flavorId)?.vcpus ?? 0), 0);
            const ram = mine.reduce((n, i) => n + (flavors.find((f) => f.id === i.flavorId)?.ram ?? 0), 0);
            return { ...q, instance: { ...q.instance, usedCores: q.instance.usedCores + cores, usedInstances: q.instance.usedInstances + mine.length, usedRAM: q.instance.usedRAM + ram } };
          }),
        ];
      },
    ],
    // DNS zones of the account (domain.zone): the names, then one zone's description.
    ['GET', /^\/domain\/zone$/, 'ruled', () => [200, [...state.dnsZones]]],
    [
      'GET',
      /^\/domain\/zone\/([^/]+)$/,
      'ruled',
      (m) => {
        const zone = decodeURIComponent(m[1] ?? '');
        if (!state.dnsZones.includes(zone)) throw new HttpError(404, 'CLIENT_NOT_FOUND', `This service does not exist`);
        return [200, { name: zone, hasDnsAnycast: false, dnssecSupported: true, nameServers: ['dns200.anycast.me', 'ns200.anycast.me'], lastUpdate: '2026-01-05T09:00:00+01:00' }];
      },
    ],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/flavor$/,
      'ruled',
      (m, q) => {
        project(m[1] ?? '');
        const region = q.get('region');
        if (region !== null && !(FAKE_REGIONS as readonly string[]).includes(region)) throw new HttpError(400, 'INVALID_ARGUMENT', `Region ${region} is not available`);
        return [200, (region === null ? [...FAKE_REGIONS] : [region]).flatMap(fakeFlavors)];
      },
    ],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/image$/,
      'ruled',
      (m, q) => {
        project(m[1] ?? '');
        const region = q.get('region');
        const osType = q.get('osType');
        return [200, (region === null ? [...FAKE_REGIONS] : [region]).flatMap(fakeImages).filter((i) => osType === null || i.type === osType)];
      },
    ],
    ['GET', /^\/cloud\/project\/([^/]+)\/sshkey$/, 'ruled', (m) => [200, project(m[1] ?? '').sshKeys]],
    [
      'POST',
      /^\/cloud\/project\/([^/]+)\/sshkey$/,
      'ruled',
      (m, _q, body) => {
        const p = project(m[1] ?? '');
        const b = parseBody(body);
        const name = str(b, 'name') ?? '';
        const publicKey = str(b, 'publicKey') ?? '';
        if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(publicKey)) throw new HttpError(400, 'INVALID_ARGUMENT', 'Invalid public key');
        if (p.sshKeys.some((k) => k.name === name)) throw new HttpError(409, 'CONFLICT', `SSH key ${name} already exists`);
        const region = str(b, 'region', false);
        const blob = Buffer.from(publicKey.split(' ')[1] ?? '', 'base64');
        const fp = createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
        const k: FakeSshKey = { id: Buffer.from(name).toString('base64url'), name, publicKey, fingerprint: fp, regions: region ? [region] : [...FAKE_REGIONS] };
        p.sshKeys.push(k);
        return [200, k];
      },
    ],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/instance$/,
      'ruled',
      (m, q) => {
        const region = q.get('region');
        return [200, project(m[1] ?? '').instances.filter((i) => region === null || i.region === region).map((i) => instanceModel(i, false))];
      },
    ],
    [
      'POST',
      /^\/cloud\/project\/([^/]+)\/instance$/,
      'ruled',
      (m, _q, body) => {
        const p = project(m[1] ?? '');
        const b = parseBody(body);
        const name = str(b, 'name') ?? '';
        const region = str(b, 'region') ?? '';
        const flavor = str(b, 'flavorId') ?? '';
        const image = str(b, 'imageId') ?? '';
        if (!(FAKE_REGIONS as readonly string[]).includes(region)) throw new HttpError(400, 'INVALID_ARGUMENT', `Region ${region} is not available`);
        const f = fakeFlavors(region).find((x) => x.id === flavor);
        if (!f) throw new HttpError(404, 'CLIENT_NOT_FOUND', `Flavor ${flavor} does not exist`);
        if (!f.available) throw new HttpError(400, 'INVALID_ARGUMENT', `Flavor ${f.name} is not available in ${region}`);
        if (!fakeImages(region).some((x) => x.id === image)) throw new HttpError(404, 'CLIENT_NOT_FOUND', `Image ${image} does not exist`);
        const sshKeyId = str(b, 'sshKeyId', false);
        if (sshKeyId !== null && !p.sshKeys.some((k) => k.id === sshKeyId)) throw new HttpError(404, 'CLIENT_NOT_FOUND', `SSH key ${sshKeyId} does not exist`);
        // Like OVH, names are not unique: a second POST makes a second instance.
        const i: FakeInstance = {
          id: randomUUID(),
          name,
          region,
          flavorId: flavor,
          imageId: image,
          sshKeyId,
          userData: str(b, 'userData', false),
          monthlyBilling: b.monthlyBilling === true,
          created: iso(),
          status: 'BUILD',
          pollsLeft: buildPolls,
          ipv4: opts.publicIpv4 ? opts.publicIpv4(nextIp++) : `203.0.113.${nextIp++}`,
        };
        p.instances.push(i);
        return [200, instanceModel(i, false)];
      },
    ],
    [
      'POST',
      /^\/cloud\/project\/([^/]+)\/instance\/([^/]+)\/resize$/,
      'ruled',
      (m, _q, body) => {
        const i = findInstance(m[1] ?? '', m[2] ?? '');
        const flavor = str(parseBody(body), 'flavorId') ?? '';
        const f = fakeFlavors(i.region).find((x) => x.id === flavor);
        if (!f) throw new HttpError(404, 'CLIENT_NOT_FOUND', `Flavor ${flavor} does not exist`);
        const current = fakeFlavors(i.region).find((x) => x.id === i.flavorId);
        if (current && f.disk < current.disk) throw new HttpError(400, 'INVALID_ARGUMENT', 'The new flavor must have a disk at least as large');
        i.flavorId = f.id;
        i.status = 'BUILD';
        i.pollsLeft = buildPolls;
        return [200, instanceModel(i, true)];
      },
    ],
    [
      'POST',
      /^\/cloud\/project\/([^/]+)\/instance\/([^/]+)\/snapshot$/,
      'ruled',
      (m, _q, body) => {
        const p = project(m[1] ?? '');
        const i = findInstance(m[1] ?? '', m[2] ?? '');
        const name = str(parseBody(body), 'snapshotName') ?? '';
        p.snapshots.push({ id: randomUUID(), name, region: i.region, status: 'queued', pollsLeft: buildPolls, creationDate: iso(), instanceId: i.id });
        // As documented: no content.
        return [200, null];
      },
    ],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/snapshot$/,
      'ruled',
      (m) => {
        const p = project(m[1] ?? '');
        for (const sn of p.snapshots) {
          if (sn.status === 'active') continue;
          if (sn.pollsLeft <= 0) sn.status = 'active';
          else {
            sn.pollsLeft--;
            sn.status = 'saving';
          }
        }
        return [200, p.snapshots.map(({ id, name, region, status, creationDate }) => ({ id, name, region, status, creationDate, type: 'linux', visibility: 'private', size: 2.2, minDisk: 50 }))];
      },
    ],
    [
      'DELETE',
      /^\/cloud\/project\/([^/]+)\/instance\/([^/]+)$/,
      'ruled',
      (m) => {
        const p = project(m[1] ?? '');
        const i = findInstance(m[1] ?? '', m[2] ?? '');
        p.instances = p.instances.filter((x) => x !== i);
        return [200, null];
      },
    ],
    [
      'GET',
      /^\/cloud\/project\/([^/]+)\/instance\/([^/]+)$/,
      'ruled',
      (m) => {
        const i = project(m[1] ?? '').instances.find((x) => x.id === m[2]);
        if (!i) throw new HttpError(404, 'CLIENT_NOT_FOUND', `Instance ${m[2] ?? ''} does not exist`);
        touchInstance(i);
        return [200, instanceModel(i, true)];
      },
    ],
  ];

  let fakeUrl = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const fullUrl = fakeUrl.replace(/\/(1\.0|v1)$/, '') + rawUrl;
    const u = new URL(rawUrl, 'https://127.0.0.1');
    const record: FakeRequest = {
      method,
      path: u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : u.pathname,
      query: u.search,
      status: 0,
      auth: 'none',
      dropped: false,
      headerNames: Object.keys(req.headers),
    };
    state.requests.push(record);
    const send = (status: number, payload: unknown): void => {
      record.status = status;
      const dropIdx = drops.findIndex((f) => matches(f, method, record.path));
      if (dropIdx >= 0 && status < 300) {
        drops.splice(dropIdx, 1);
        record.dropped = true;
        req.socket.destroy();
        return;
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Ovh-QueryId': `FR.ws-${randomBytes(6).toString('hex')}`, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (e: HttpError): void => send(e.status, { class: `Client::${e.status === 404 ? 'NotFound' : e.status === 400 ? 'BadRequest' : 'Forbidden'}`, message: e.message, httpCode: HTTP_TEXT[e.status] ?? String(e.status), errorCode: e.errorCode });

    try {
      if (!u.pathname.startsWith(basePath + '/')) throw new HttpError(404, 'NOT_FOUND', 'Not Found');
      const path = record.path;
      const failIdx = failures.findIndex((f) => matches(f, method, path));
      const f = failIdx >= 0 ? failures[failIdx] : undefined;
      if (f) {
        if (--f.left <= 0) failures.splice(failIdx, 1);
        throw new HttpError(f.status, f.errorCode ?? (f.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'ERROR'), f.message ?? 'Injected failure');
      }
      let route: (typeof routes)[number] | undefined;
      let m: RegExpMatchArray | null = null;
      for (const r of routes) {
        const mm = r[0] === method ? path.match(r[1]) : null;
        if (!mm) continue;
        route = r;
        m = mm;
        break;
      }
      if (!route || !m) throw new HttpError(404, 'NOT_FOUND', `Got an invalid (or empty) URL`);
      let auth: Auth = { kind: 'none' };
      if (route[2] === 'app') {
        const app = req.headers['x-ovh-application'];
        if (app !== applicationKey) throw new HttpError(403, 'INVALID_KEY', 'Invalid application key');
      } else if (route[2] !== 'public') {
        auth = { kind: 'signed', credential: authenticate(req, method, fullUrl, body, path, route[2] === 'ruled') };
        record.auth = 'ok';
      }
      const [status, payload] = route[3](m, u.searchParams, body, auth);
      send(status, payload);
    } catch (e) {
      if (e instanceof HttpError) {
        if (record.auth === 'none' && ['INVALID_KEY', 'NOT_AUTHENTICATED', 'QUERY_TIME_OUT', 'INVALID_SIGNATURE', 'NOT_CREDENTIAL', 'INVALID_CREDENTIAL', 'NOT_GRANTED_CALL'].includes(e.errorCode))
          record.auth = e.errorCode;
        fail(e);
      } else {
        fail(new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'));
      }
    }
  }

  const server: Server = createServer({ key, cert }, (req, res) => {
    void handle(req, res);
  });
  const listener = await listenOnLoopback(server);
  const port = listener.port;
  fakeUrl = `https://127.0.0.1:${port}${basePath}`;

  const find = (ck: string): FakeCredential => {
    const c = state.credentials.find((x) => x.consumerKey === ck);
    if (!c) throw new Error('unknown consumer key');
    return c;
  };

  return {
    url: fakeUrl,
    ca: cert,
    applicationKey,
    applicationSecret,
    state,
    time,
    setSkew(seconds) {
      skew = seconds;
    },
    validate(ck) {
      find(ck).status = 'validated';
    },
    refuse(ck) {
      find(ck).status = 'refused';
    },
    expire(ck) {
      find(ck).status = 'expired';
    },
    issueConsumerKey(rules = [
      { method: 'GET', path: '/*' },
      { method: 'POST', path: '/*' },
      { method: 'PUT', path: '/*' },
      { method: 'DELETE', path: '/*' },
    ]) {
      return newCredential(rules, null, 'validated').consumerKey;
    },
    credential(ck) {
      return state.credentials.find((x) => x.consumerKey === ck);
    },
    failNext(f) {
      failures.push({ ...f, left: f.times ?? 1 });
    },
    dropNextResponse(filter = {}) {
      drops.push(filter);
    },
    payOrder(orderId) {
      const o = state.orders.find((x) => x.orderId === orderId);
      if (!o) throw new Error(`unknown order ${orderId}`);
      if (o.status === 'notPaid') o.status = 'delivering';
    },
    stop: () => listener.close(),
  };
}

function fakeFlavorName(id: string, region: string): string | undefined {
  return fakeFlavors(region).find((f) => f.id === id)?.name;
}
