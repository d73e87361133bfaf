import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { bootCreatedServers, hetznerMachines, ovhMachines, type CloudBooter } from '../testing/cloud-server';
import { freePort } from '../testing/free-port';
import { startHetznerFake, type HetznerFake } from '../testing/hetzner-fake';
import { startOvhFake, type OvhFake } from '../testing/ovh-fake';
import { DeployService, secretName } from './deploy-service';
import { ProviderService, providerEndpointsFromEnv, type ProviderEndpoints } from './provider-service';
import type { HetznerClientOptions } from '../providers/hetzner/client';
import { abortableSleep } from '../providers/sleep';

// The provider service against the local fakes of Hetzner Cloud and OVHcloud, with "created"
// servers booted as real sshd processes serving the host key from their user data: credentials,
// cost preview, one server per click, SSH reached with the pinned key, and the credentials nowhere
// they should not be.

let hetzner: HetznerFake;
let ovh: OvhFake;
let booter: CloudBooter;
let sshPort: number;

beforeAll(async () => {
  let n = 1;
  let m = 1;
  hetzner = await startHetznerFake({ publicIpv4: () => `127.0.31.${n++}` });
  ovh = await startOvhFake({ publicIpv4: () => `127.0.32.${m++}`, instanceBuildPolls: 1 });
  sshPort = await freePort();
  booter = bootCreatedServers([hetznerMachines(hetzner), ovhMachines(ovh)], sshPort);
}, 60_000);

afterAll(async () => {
  await booter?.stop();
  await hetzner?.stop();
  await ovh?.stop();
});

function setup(hetznerClient: Partial<HetznerClientOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgt-providers-'));
  const profiles = new ProfileStore(dataDir);
  const secrets = new MemorySecretStore();
  const log = new Logger(join(dataDir, 'logs', 'app.log'));
  const events: { event: EventName; payload: unknown }[] = [];
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void events.push({ event, payload });
  const deploy = new DeployService({ dataDir, profiles, secrets, log, emit });
  const endpoints: ProviderEndpoints = {
      hetznerApiUrl: hetzner.url,
      ovhApiUrl: ovh.url,
      ovhCa: ovh.ca,
      sshPort,
      sshTimeoutMs: 30_000,
      hetznerClient: { pollInitialMs: 20, pollMaxMs: 100, baseDelayMs: 10, ...hetznerClient },
      sshWait: { initialDelayMs: 100, maxDelayMs: 300 },
  };
  /** A service on the same data and secrets: the app started again. */
  const restart = () => new ProviderService({ profiles, secrets, log, deploy: new DeployService({ dataDir, profiles, secrets, log, emit }), emit, openExternal: null, endpoints });
  const service = new ProviderService({ profiles, secrets, log, deploy, emit, openExternal: null, endpoints });
  return { dataDir, profiles, secrets, log, events, deploy, service, restart };
}

async function newProfile(profiles: ProfileStore, id: string) {
  await profiles.save({ id, name: id, phase: 1, provider: null, server: null, repo: null, settings: {}, secrets: {} });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
  return 'no error';
}

/** Every file under the data folder (logs, profiles, journals), as text. */
function allFiles(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? allFiles(p) : readFileSync(p, 'utf8');
  }
  return out;
}

describe('Hetzner Cloud through the provider service', () => {
  it('a wrong or read-only token gets its own error, is not kept, and nothing is created', async () => {
    const { service, profiles } = setup();
    await newProfile(profiles, 'acme');
    const before = hetzner.state.servers.length;
    const wrong = await service.saveCredentials({ kind: 'hetzner', token: 'wrong-token-123' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AppError);
    expect((wrong as AppError).code).toBe('hetzner.token_invalid');
    expect(JSON.stringify((wrong as AppError).toEnvelope())).not.toContain('wrong-token-123');
    expect(await codeOf(service.saveCredentials({ kind: 'hetzner', token: hetzner.readOnlyToken }))).toBe('hetzner.token_read_only');
    expect((await service.status()).hetzner.configured).toBe(false);
    expect((await service.offers(1)).providers).toEqual([]);
    expect(await codeOf(service.create('acme', 'hetzner:cx22@fsn1'))).toBe('provider.not_configured');
    expect(hetzner.state.servers.length).toBe(before);
    expect(hetzner.state.ssh_keys.length).toBe(0);
  });

  it('offers for the phase and the next, creates one server per click, reaches it over SSH with the pinned key', async () => {
    const { service, profiles, deploy, events, dataDir, secrets } = setup();
    await newProfile(profiles, 'acme');
    expect(await service.saveCredentials({ kind: 'hetzner', token: hetzner.token })).toEqual({ saved: true, persistent: false });
    expect((await service.status()).hetzner).toEqual({ configured: true });

    const { providers, spec } = await service.offers(1);
    expect(spec).toEqual({ vcpu: 2, ramGb: 2, diskGb: 40 });
    const col = providers.find((p) => p.provider === 'hetzner')!;
    expect(col.error).toBeNull();
    // cx22 (2 vCPU, 4 GB, 40 GB, 3.79 €) is cheaper than the roadmap's CPX11 and meets the spec.
    expect(col.offers[0]).toMatchObject({ id: 'hetzner:cx22@fsn1', name: 'cx22', vcpu: 2, ramGb: 4, diskGb: 40, locationLabel: 'Falkenstein (DE)', priceMonthly: { net: 3.79, gross: 4.5101, currency: 'EUR' } });
    expect(col.chosenId).toBe('hetzner:cx22@fsn1');
    expect(col.roadmapOffer).toBe('CPX11');
    expect(col.offers.some((o) => o.name === 'cax11')).toBe(false); // Arm: left out
    expect(col.next).toMatchObject({ phase: 2, offer: { name: 'cx32', priceMonthly: { net: 6.8 } } });

    // Two clicks at once: one creation.
    const [a, b] = await Promise.all([service.create('acme', col.chosenId!), service.create('acme', col.chosenId!)]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ provider: 'hetzner', name: 'koprogo-acme', port: sshPort, user: 'root', outcome: 'created' });
    expect(a.hostKeySha256).toMatch(/^SHA256:/);
    expect(hetzner.state.servers.filter((s) => s.labels['koprogo-profile'] === 'acme')).toHaveLength(1);
    const stages = events.filter((e) => e.event === 'provider.progress').map((e) => (e.payload as { stage: string }).stage);
    expect([...new Set(stages)]).toEqual(['preparing', 'ssh_key', 'creating', 'booting', 'waiting_ssh', 'host_key_verified', 'done']);

    // The profile holds the server with the pin; the deploy engine connects as root with the app's key.
    const profile = await profiles.get('acme');
    expect(profile.provider).toEqual({ kind: 'hetzner', location: 'fsn1', serverType: 'cx22' });
    expect(profile.server).toEqual({ host: a.host, port: sshPort, user: 'root', hostKeySha256: a.hostKeySha256 });
    const check = await deploy.checkServer('acme');
    expect(check.privilege).toBe('root');

    // A later click (or a restart) finds the same server.
    const again = await service.create('acme', col.chosenId!);
    expect(again).toMatchObject({ serverId: a.serverId, outcome: 'reused', hostKeySha256: a.hostKeySha256 });
    expect(hetzner.state.servers.filter((s) => s.labels['koprogo-profile'] === 'acme')).toHaveLength(1);
    expect((await service.servers('hetzner')).servers).toContainEqual({ id: a.serverId, name: 'koprogo-acme', host: a.host, status: 'running', profileId: 'acme' });

    // The token is nowhere on disk (logs, profiles), in no event, and the user data's host key is not logged.
    const { version: _v, createdAt: _c, updatedAt: _u, ...input } = await profiles.get('acme');
    await profiles.save({ ...input, repo: { url: 'https://github.com/acme/koprogo', ref: 'main' } });
    await secrets.set(secretName('acme', 'env'), 'DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=secret-value-1\n');
    const plan = JSON.stringify(await deploy.plan('acme'));
    expect(plan).toContain('docker');
    expect(plan).not.toContain(hetzner.token);
    const disk = allFiles(dataDir);
    expect(disk).toContain('hetzner POST /servers 201');
    expect(disk).not.toContain(hetzner.token);
    expect(JSON.stringify(events)).not.toContain(hetzner.token);
    expect(disk).not.toContain('OPENSSH PRIVATE KEY');

    // Forget: the token is gone from the store.
    await service.forget('hetzner');
    expect((await service.status()).hetzner.configured).toBe(false);
  }, 90_000);

  it('a lost answer to the create, a 429 storm and a restart during the wait: still exactly one server, found and reused', async () => {
    // Waits of the client (rate limit, backoff) shortened; the fake's rate-limit answers are real.
    const { service, profiles, restart } = setup({ sleep: (ms, signal) => abortableSleep(Math.min(ms, 20), signal) });
    await newProfile(profiles, 'lost');
    await service.saveCredentials({ kind: 'hetzner', token: hetzner.token });
    const mine = () => hetzner.state.servers.filter((s) => s.labels['koprogo-profile'] === 'lost');
    const seen = hetzner.state.requests.length;
    hetzner.failNext(429, 4, { method: 'GET', path: '/servers' });
    hetzner.dropNextResponse({ method: 'POST', path: '/servers' });
    const first = service.create('lost', 'hetzner:cx22@nbg1');
    const deadline = Date.now() + 20_000;
    while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // The app restarts while the first create still waits: the new instance finds the server.
    const second = restart().create('lost', 'hetzner:cx22@nbg1');
    const [a, b] = await Promise.all([first, second]);
    expect(a.outcome).toBe('recovered');
    expect(b.outcome).toBe('reused');
    expect(b).toMatchObject({ serverId: a.serverId, host: a.host, hostKeySha256: a.hostKeySha256 });
    expect(mine()).toHaveLength(1);
    const requests = hetzner.state.requests.slice(seen);
    expect(requests.filter((r) => r.method === 'POST' && r.path === '/servers')).toMatchObject([{ status: 201, dropped: true }]);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(4);
  }, 60_000);

  it('after a restart with a session-only store (key and host key lost), create again finds the server and keeps its pin', async () => {
    const first = setup();
    await newProfile(first.profiles, 'session');
    await first.service.saveCredentials({ kind: 'hetzner', token: hetzner.token });
    const a = await first.service.create('session', 'hetzner:cx22@hel1');
    // Same data folder, new memory store: the token must be pasted again; the keys are gone.
    const secrets = new MemorySecretStore();
    const deploy = new DeployService({ dataDir: first.dataDir, profiles: first.profiles, secrets, log: first.log, emit: () => undefined });
    const again = new ProviderService({ profiles: first.profiles, secrets, log: first.log, deploy, emit: () => undefined, openExternal: null, endpoints: { hetznerApiUrl: hetzner.url, sshPort, hetznerClient: { pollInitialMs: 20, pollMaxMs: 100 }, sshWait: { initialDelayMs: 100 } } });
    await again.saveCredentials({ kind: 'hetzner', token: hetzner.token });
    const b = await again.create('session', 'hetzner:cx22@hel1');
    expect(b).toMatchObject({ serverId: a.serverId, outcome: 'reused', hostKeySha256: a.hostKeySha256 });
    expect(hetzner.state.servers.filter((s) => s.labels['koprogo-profile'] === 'session')).toHaveLength(1);
    // The new app key was uploaded under its own name, next to the old one.
    expect(hetzner.state.ssh_keys.filter((k) => k.name.startsWith('koprogo-session-'))).toHaveLength(2);
  }, 60_000);

  it('a token revoked after saving: the cost preview says so in the Hetzner column, the error carries no token', async () => {
    const { service, secrets } = setup();
    await secrets.set('provider.hetzner.token', 'revoked-token-canary-77');
    const { providers } = await service.offers(1);
    expect(providers).toHaveLength(1);
    expect(providers[0]!.error).toMatchObject({ code: 'hetzner.token_invalid' });
    expect(JSON.stringify(providers)).not.toContain('revoked-token-canary-77');
  });
});

describe('OVHcloud through the provider service', () => {
  it('validation flow: pending, then validated by the user; offers priced from the catalogue; one instance, reached over SSH', async () => {
    const { service, profiles, deploy, dataDir, events, log } = setup();
    await newProfile(profiles, 'ovhco');
    await service.saveCredentials({ kind: 'ovh', endpoint: 'ovh-eu', applicationKey: ovh.applicationKey, applicationSecret: ovh.applicationSecret });
    // Saved only once OVH knows the application key: the access it asked for waits for the user.
    expect((await service.status()).ovh).toEqual({ configured: true, endpoint: 'ovh-eu', credential: 'pendingValidation' });
    const asked = ovh.state.credentials.length;

    const { validationUrl, openedBy } = await service.ovhRequestConsumerKey();
    expect(ovh.state.credentials.length).toBe(asked); // the same access, not a second one
    expect(openedBy).toBe('client');
    expect(new URL(validationUrl).origin).toBe(new URL(ovh.url).origin);
    const ck = ovh.state.credentials.at(-1)!;
    expect(ck.rules).toContainEqual({ method: 'POST', path: '/cloud/project/*' });
    // Deleting is limited to instances; outside Public Cloud the only write is a VPS upgrade order
    // (phase 1 → 2, placed at the price the user confirmed).
    expect(ck.rules.filter((r) => r.method !== 'GET')).toEqual([
      { method: 'POST', path: '/cloud/project/*' },
      { method: 'DELETE', path: '/cloud/project/*/instance/*' },
      { method: 'POST', path: '/order/upgrade/vps/*' },
    ]);
    expect(await service.ovhStatus()).toEqual({ state: 'pendingValidation', account: null });
    // Not validated yet: no OVH column, and nothing can be created.
    expect((await service.offers(1)).providers).toEqual([]);
    expect(await codeOf(service.create('ovhco', 'ovh:d2-4@GRA11'))).toBe('ovh.credential_pending');

    expect(await codeOf(service.ovhVps(1))).toBe('ovh.credential_pending');
    ovh.validate(ck.consumerKey);
    expect(await service.ovhStatus()).toEqual({ state: 'validated', account: 'ab12345-ovh' });
    // The VPS route: the plan to order on OVH's site, and the account's VPS to pick up.
    const vps = await service.ovhVps(1);
    expect(vps.plan).toMatchObject({ offer: 'VPS-1', priceMonthly: { net: 4.58, currency: 'EUR' } });
    expect(vps.vps.filter((v) => v.meetsSpec).map((v) => v.offer)).toEqual(['VPS Comfort']);
    expect((await service.status()).ovh.credential).toBe('validated');
    // The same credentials for the K3s path, and masked in every log line.
    expect(await service.ovhEnvironment()).toEqual({ OVH_ENDPOINT: 'ovh-eu', OVH_APPLICATION_KEY: ovh.applicationKey, OVH_APPLICATION_SECRET: ovh.applicationSecret, OVH_CONSUMER_KEY: ck.consumerKey });
    expect(log.redact(`OVH_CONSUMER_KEY=${ck.consumerKey}`)).toBe('OVH_CONSUMER_KEY=••••••');

    const col = (await service.offers(1)).providers.find((p) => p.provider === 'ovh')!;
    expect(col.error).toBeNull();
    expect(col.offers[0]).toMatchObject({ name: 'd2-4', location: 'GRA11', locationLabel: 'Gravelines (FR)', vcpu: 2, ramGb: 4, diskGb: 50, priceMonthly: { net: 12.06, gross: 14.47, currency: 'EUR' } });
    expect(col.offers.filter((o) => o.name === 'd2-4').map((o) => o.location)).toEqual(['GRA11', 'SBG5', 'WAW1', 'BHS5']); // EU regions first for ovh-eu
    expect(col.roadmapOffer).toBe('VPS Starter');
    expect(col.tooSmall).toContainEqual({ name: 'd2-2', lacks: ['vcpu', 'disk'] });
    expect(col.next?.offer).toMatchObject({ name: 'b2-15', vcpu: 4, diskGb: 100 }); // d2-8 lacks disk for phase 2

    const created = await service.create('ovhco', col.chosenId!);
    expect(created).toMatchObject({ provider: 'ovh', name: 'koprogo-ovhco', user: 'root', outcome: 'created' });
    const profile = await profiles.get('ovhco');
    expect(profile.provider).toMatchObject({ kind: 'ovh', endpoint: 'ovh-eu' });
    expect(profile.server?.hostKeySha256).toBe(created.hostKeySha256);
    expect((await deploy.checkServer('ovhco')).privilege).toBe('root');
    expect(await service.create('ovhco', col.chosenId!)).toMatchObject({ serverId: created.serverId, outcome: 'reused' });
    expect(ovh.state.projects[0]!.instances.filter((i) => i.name === 'koprogo-ovhco')).toHaveLength(1);

    const disk = allFiles(dataDir) + JSON.stringify(events);
    for (const secret of [ovh.applicationSecret, ck.consumerKey, ovh.applicationKey]) expect(disk).not.toContain(secret);
    expect(await codeOf(service.ovhRequestConsumerKey().then(() => service.forget('ovh')))).toBe('no error');
    expect((await service.status()).ovh.configured).toBe(false);
  }, 90_000);

  it('a refused validation, and a wrong application secret, have their own answers; nothing is created', async () => {
    const { service } = setup();
    const instances = ovh.state.projects[0]!.instances.length;
    await service.saveCredentials({ kind: 'ovh', endpoint: 'ovh-eu', applicationKey: ovh.applicationKey, applicationSecret: ovh.applicationSecret });
    await service.ovhRequestConsumerKey();
    ovh.refuse(ovh.state.credentials.at(-1)!.consumerKey);
    expect(await service.ovhStatus()).toEqual({ state: 'refused', account: null });
    expect((await service.status()).ovh.credential).toBe('none');
    await service.ovhRequestConsumerKey();
    ovh.expire(ovh.state.credentials.at(-1)!.consumerKey);
    expect(await service.ovhStatus()).toEqual({ state: 'refused', account: null }); // OVH says NOT_CREDENTIAL for both
    expect((await service.offers(1)).providers).toEqual([]); // no OVH column without a validated access

    await service.saveCredentials({ kind: 'ovh', endpoint: 'ovh-eu', applicationKey: ovh.applicationKey, applicationSecret: 'wrongsecret000' });
    await service.ovhRequestConsumerKey();
    ovh.validate(ovh.state.credentials.at(-1)!.consumerKey);
    expect(await codeOf(service.ovhStatus())).toBe('ovh.signature_invalid');

    // An application key OVH does not know is not kept: the credentials saved before stay as they were.
    const before = (await service.status()).ovh;
    expect(await codeOf(service.saveCredentials({ kind: 'ovh', endpoint: 'ovh-eu', applicationKey: 'unknownkey', applicationSecret: ovh.applicationSecret }))).toBe('ovh.invalid_application_key');
    expect((await service.status()).ovh).toEqual(before);
    expect(ovh.state.projects[0]!.instances.length).toBe(instances);
  });
});

describe('providerEndpointsFromEnv', () => {
  it('reads the API roots, the OVH test CA file and the SSH port; ignores a bad port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgt-env-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    expect(providerEndpointsFromEnv({ KOPROGO_HETZNER_API_URL: 'http://127.0.0.1:1/v1', KOPROGO_OVH_API_URL: 'https://127.0.0.1:2/1.0', KOPROGO_OVH_CA_FILE: join(dir, 'ca.pem'), KOPROGO_PROVIDER_SSH_PORT: '2222' })).toEqual({
      hetznerApiUrl: 'http://127.0.0.1:1/v1',
      ovhApiUrl: 'https://127.0.0.1:2/1.0',
      ovhCa: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n',
      sshPort: 2222,
    });
    expect(providerEndpointsFromEnv({ KOPROGO_PROVIDER_SSH_PORT: '99999' })).toEqual({});
    expect(providerEndpointsFromEnv({})).toEqual({});
  });
});
