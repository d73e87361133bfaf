import { afterEach, describe, expect, it } from 'vitest';
import ovh from '@ovhcloud/node-ovh';
import { startOvhFake, type OvhFake } from '../../testing/ovh-fake';
import { OVH_ACCESS_RULES, OvhClient, signOvhRequest, type OvhClientOptions } from './client';
import { isOvhError, OvhError } from './errors';

let fake: OvhFake | undefined;
let client: OvhClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await fake?.stop();
  fake = undefined;
});

const noSleep = async (): Promise<void> => {};

function clientFor(f: OvhFake, extra: Partial<OvhClientOptions> = {}): OvhClient {
  client = new OvhClient({ endpoint: 'ovh-eu', baseUrl: f.url, applicationKey: f.applicationKey, applicationSecret: f.applicationSecret, ca: f.ca, sleep: noSleep, ...extra });
  return client;
}

async function rejection(p: Promise<unknown>): Promise<OvhError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OvhError);
  return e as OvhError;
}

describe('signOvhRequest', () => {
  it('computes the same signature as @ovhcloud/node-ovh', () => {
    const lib = ovh({ appKey: 'ak', appSecret: 'as', consumerKey: 'ck' });
    const url = 'https://eu.api.ovh.com/1.0/cloud/project/p/instance';
    const body = '{"name":"x"}';
    expect(signOvhRequest('as', 'ck', 'POST', url, body, 1700000000)).toBe(lib.signRequest('POST', url, body, 1700000000));
    expect(signOvhRequest('as', 'ck', 'GET', url, '', '1700000000')).toBe(lib.signRequest('GET', url, null, 1700000000));
  });
});

describe('OvhClient against the fake', () => {
  it('signs requests the fake accepts, and a wrong application secret is refused (ovh.signature_invalid), secret nowhere', async () => {
    fake = await startOvhFake();
    const ck = fake.issueConsumerKey();
    expect((await clientFor(fake, { consumerKey: ck }).me()).nichandle).toBe('ab12345-ovh');
    client?.close();
    const wrong = clientFor(fake, { consumerKey: ck, applicationSecret: 'not-the-secret-0123' });
    const e = await rejection(wrong.me());
    expect(e.intendedCode).toBe('ovh.signature_invalid');
    expect(e.code).toBe('ovh.signature_invalid');
    expect(e.params).toMatchObject({ apiCode: 'INVALID_SIGNATURE', status: 400 });
    const dump = JSON.stringify({ e, env: e.toEnvelope(), msg: e.message, api: e.api, client: wrong });
    expect(dump).not.toContain('not-the-secret-0123');
    expect(dump).not.toContain(ck);
    expect(dump).not.toContain(fake.applicationSecret);
  });

  it('handles a clock skew: OVH 120 s ahead, requests still valid; re-syncs when the skew changes', async () => {
    fake = await startOvhFake({ skewSeconds: 120 });
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    expect((await c.listVpsNames()).length).toBe(2);
    expect(c.timeDelta).toBeGreaterThanOrEqual(119);
    fake.setSkew(-300);
    expect((await c.listVpsNames()).length).toBe(2);
    expect(c.timeDelta).toBeLessThanOrEqual(-299);
    const codes = fake.state.requests.map((r) => `${r.path}:${r.auth}`);
    expect(codes).toEqual(['/auth/time:none', '/vps:ok', '/vps:QUERY_TIME_OUT', '/auth/time:none', '/vps:ok']);
  });

  it('credential flow: request with the minimal rules, pending, then validated by the user', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake);
    const req = await c.requestCredential(OVH_ACCESS_RULES, 'https://example.org/back');
    expect(req.state).toBe('pendingValidation');
    expect(req.validationUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/auth\/\?credentialToken=/);
    expect(fake.credential(req.consumerKey)?.rules).toEqual(OVH_ACCESS_RULES);
    expect(await c.credentialStatus()).toBe('pendingValidation');
    expect((await rejection(c.me())).intendedCode).toBe('ovh.credential_pending');

    let polls = 0;
    const sleep = async (): Promise<void> => {
      polls++;
      if (polls === 3) fake?.validate(req.consumerKey);
    };
    client?.close();
    const waiting = clientFor(fake, { sleep });
    const cred = await waiting.waitForValidation({ consumerKey: req.consumerKey });
    expect(cred.status).toBe('validated');
    expect(polls).toBe(3);
    expect((await waiting.me()).ovhSubsidiary).toBe('FR');
    // The minimal rules cover the Public Cloud reads: an unknown project is "not found", not "not granted".
    expect((await rejection(waiting.listInstances('x'))).intendedCode).toBe('ovh.not_found');
  });

  it('credential flow: refused → ovh.credential_refused; never validated → ovh.validation_timeout', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake);
    const { consumerKey } = await c.requestCredential();
    let now = Date.now();
    client?.close();
    const waiting = clientFor(fake, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    expect((await rejection(waiting.waitForValidation({ consumerKey, timeoutMs: 60_000 }))).intendedCode).toBe('ovh.validation_timeout');
    fake.refuse(consumerKey);
    const e = await rejection(waiting.waitForValidation({ consumerKey }));
    expect(e.intendedCode).toBe('ovh.credential_refused');
    expect((await rejection(waiting.me())).intendedCode).toBe('ovh.invalid_credentials');
  });

  it('a wrong application key and a call outside the rules have their own codes', async () => {
    fake = await startOvhFake();
    const ck = fake.issueConsumerKey([{ method: 'GET', path: '/me' }]);
    expect((await rejection(clientFor(fake, { consumerKey: ck }).listVpsNames())).intendedCode).toBe('ovh.not_granted');
    client?.close();
    expect((await rejection(clientFor(fake, { consumerKey: ck, applicationKey: 'unknown' }).requestCredential())).intendedCode).toBe('ovh.invalid_application_key');
  });

  it('lists the VPS with their model and IPs', async () => {
    fake = await startOvhFake();
    const list = await clientFor(fake, { consumerKey: fake.issueConsumerKey() }).listVps();
    expect(list).toEqual([
      expect.objectContaining({ offer: 'VPS Starter', planCode: 'vps-starter-1-2-20', vcore: 1, memoryGb: 2, diskGb: 20, state: 'running', ips: ['51.68.10.11', '2001:41d0:304:200::1a2b'] }),
      expect.objectContaining({ offer: 'VPS Comfort', displayName: 'koprogo', vcore: 4, memoryGb: 8, diskGb: 160 }),
    ]);
  });

  it('retries reads on 5xx and 429', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    fake.failNext({ path: '/vps', status: 503, times: 2 });
    fake.failNext({ path: '/me', status: 429, errorCode: 'TOO_MANY_REQUESTS' });
    expect(await c.listVpsNames()).toHaveLength(2);
    expect((await c.me()).nichandle).toBeTruthy();
    fake.failNext({ path: '/me', status: 500, times: 10 });
    expect((await rejection(c.me())).intendedCode).toBe('ovh.unavailable');
  });

  it('lists projects, regions and flavors per region', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    const [project] = await c.listCloudProjects();
    expect(project?.status).toBe('ok');
    const id = project?.project_id ?? '';
    expect(await c.listRegions(id)).toContain('GRA11');
    const gra = await c.listFlavors(id, 'GRA11');
    const bhs = await c.listFlavors(id, 'BHS5');
    expect(new Set(gra.map((f) => f.region))).toEqual(new Set(['GRA11']));
    expect(bhs.find((f) => f.name === 'b3-8')?.available).toBe(false);
    expect(gra.find((f) => f.name === 'd2-4')?.id).not.toBe(bhs.find((f) => f.name === 'd2-4')?.id);
  });

  async function setup(f: OvhFake, c: OvhClient) {
    const [project] = await c.listCloudProjects();
    const id = project?.project_id ?? '';
    const flavor = (await c.listFlavors(id, 'GRA11')).find((x) => x.name === 'd2-4');
    const [image] = await c.listImages(id, 'GRA11');
    const key = await c.ensureSshKey(id, 'koprogo-deploy', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEq0 koprogo');
    expect(await c.ensureSshKey(id, 'koprogo-deploy', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEq0 other-comment')).toEqual(key);
    expect(f.state.projects[0]?.sshKeys).toHaveLength(1);
    return { id, input: { name: 'koprogo-abc', region: 'GRA11', flavorId: flavor?.id ?? '', imageId: image?.id ?? '', sshKeyId: key.id, userData: '#cloud-config\n' } };
  }

  it('creates an instance once: duplicate clicks share one creation, a later click reuses it', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    const { id, input } = await setup(fake, c);
    const [a, b] = await Promise.all([c.createInstanceOnce(id, input), c.createInstanceOnce(id, input)]);
    expect(a.instance.id).toBe(b.instance.id);
    const again = await c.createInstanceOnce(id, input);
    expect(again).toMatchObject({ created: false, instance: { id: a.instance.id } });
    expect(fake.state.projects[0]?.instances).toHaveLength(1);
    expect(fake.state.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/instance'))).toHaveLength(1);
  });

  it('creates an instance once when the answer to the create is lost: found by name, not created twice', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    const { id, input } = await setup(fake, c);
    fake.dropNextResponse({ method: 'POST', path: /\/instance$/ });
    const r = await c.createInstanceOnce(id, input);
    expect(r).toMatchObject({ created: true, recovered: true });
    expect(fake.state.projects[0]?.instances).toHaveLength(1);
    expect(fake.state.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/instance')).map((q) => q.dropped)).toEqual([true]);
  });

  it('refuses to reuse an instance with our name in another region', async () => {
    fake = await startOvhFake();
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey() });
    const { id, input } = await setup(fake, c);
    await c.createInstanceOnce(id, input);
    const sbg = (await c.listFlavors(id, 'SBG5')).find((x) => x.name === 'd2-4');
    const e = await rejection(c.createInstanceOnce(id, { ...input, region: 'SBG5', flavorId: sbg?.id ?? '' }));
    expect(isOvhError(e, 'ovh.instance_name_taken')).toBe(true);
  });

  it('waits for an instance BUILD → ACTIVE with its IPv4, backing off', async () => {
    fake = await startOvhFake({ instanceBuildPolls: 3 });
    const sleeps: number[] = [];
    const c = clientFor(fake, { consumerKey: fake.issueConsumerKey(), sleep: async (ms) => void sleeps.push(ms) });
    const { id, input } = await setup(fake, c);
    const { instance } = await c.createInstanceOnce(id, input);
    const done = await c.waitForInstance(id, instance.id);
    expect(done).toMatchObject({ ipv4: expect.stringMatching(/^203\.0\.113\./), polls: 4, instance: { status: 'ACTIVE' } });
    expect(sleeps).toEqual([2000, 3000, 4500]);
  });
});
