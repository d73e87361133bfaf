import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { ovhSignature, ruleMatches, startOvhFake, type OvhFake } from './ovh-fake';

let fake: OvhFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A raw request to the fake, trusting only its certificate; signed when `ck` is given. */
function call(f: OvhFake, method: string, path: string, opts: { body?: unknown; ck?: string; secret?: string; app?: string; ts?: number; ca?: string | null } = {}): Promise<Res> {
  const url = f.url + path;
  const text = opts.body === undefined ? '' : JSON.stringify(opts.body);
  const headers: Record<string, string> = { 'X-Ovh-Application': opts.app ?? f.applicationKey };
  if (text) headers['Content-Type'] = 'application/json';
  if (opts.ck) {
    const ts = String(opts.ts ?? f.time());
    headers['X-Ovh-Consumer'] = opts.ck;
    headers['X-Ovh-Timestamp'] = ts;
    headers['X-Ovh-Signature'] = ovhSignature(opts.secret ?? f.applicationSecret, opts.ck, method, url, text, ts);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ...(opts.ca === null ? {} : { ca: opts.ca ?? f.ca }) }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    if (text) req.write(text);
    req.end();
  });
}

describe('startOvhFake', () => {
  it('serves HTTPS with a certificate only trusted through the given CA', async () => {
    fake = await startOvhFake();
    expect(fake.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/1\.0$/);
    expect(fake.ca).toContain('BEGIN CERTIFICATE');
    await expect(call(fake, 'GET', '/auth/time', { ca: null })).rejects.toThrow(/self[- ]signed|unable to verify/i);
    const t = await call(fake, 'GET', '/auth/time');
    expect(t.status).toBe(200);
    expect(Math.abs(t.body - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(1);
  });

  it('answers /auth/time with its skewed clock', async () => {
    fake = await startOvhFake({ skewSeconds: 120 });
    const t = await call(fake, 'GET', '/auth/time');
    expect(t.body - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(119);
  });

  it('runs the credential flow: pending (INVALID_CREDENTIAL), validated, refused (NOT_CREDENTIAL)', async () => {
    fake = await startOvhFake();
    const bad = await call(fake, 'POST', '/auth/credential', { app: 'nope', body: { accessRules: [{ method: 'GET', path: '/me' }] } });
    expect(bad).toMatchObject({ status: 403, body: { errorCode: 'INVALID_KEY', httpCode: '403 Forbidden', message: 'Invalid application key' } });
    const cred = await call(fake, 'POST', '/auth/credential', { body: { accessRules: [{ method: 'GET', path: '/me' }], redirection: 'https://example.org/done' } });
    expect(cred.status).toBe(200);
    expect(cred.body).toMatchObject({ state: 'pendingValidation', consumerKey: expect.any(String), validationUrl: expect.stringContaining('credentialToken=') });
    const ck = cred.body.consumerKey as string;
    const pending = await call(fake, 'GET', '/me', { ck });
    expect(pending).toMatchObject({ status: 403, body: { errorCode: 'INVALID_CREDENTIAL', message: 'This credential is not valid' } });
    expect(pending.headers['x-ovh-queryid']).toMatch(/^FR\.ws-/);
    fake.validate(ck);
    expect((await call(fake, 'GET', '/me', { ck })).body).toMatchObject({ nichandle: expect.any(String), ovhSubsidiary: 'FR' });
    expect((await call(fake, 'GET', '/auth/currentCredential', { ck })).body).toMatchObject({ status: 'validated', rules: [{ method: 'GET', path: '/me' }] });
    const notGranted = await call(fake, 'GET', '/vps', { ck });
    expect(notGranted).toMatchObject({ status: 403, body: { errorCode: 'NOT_GRANTED_CALL', message: 'This call has not been granted' } });
    fake.refuse(ck);
    expect(await call(fake, 'GET', '/me', { ck })).toMatchObject({ status: 403, body: { errorCode: 'NOT_CREDENTIAL' } });
  });

  it('checks the signature and the timestamp', async () => {
    fake = await startOvhFake();
    const ck = fake.issueConsumerKey();
    expect((await call(fake, 'GET', '/vps', { ck })).status).toBe(200);
    expect(await call(fake, 'GET', '/vps', { ck, secret: 'wrong' })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_SIGNATURE', message: 'Invalid signature' } });
    expect(await call(fake, 'GET', '/vps', { ck, ts: fake.time() - 120 })).toMatchObject({ status: 400, body: { errorCode: 'QUERY_TIME_OUT' } });
    expect(await call(fake, 'GET', '/vps')).toMatchObject({ status: 401, body: { errorCode: 'NOT_AUTHENTICATED' } });
    expect(fake.state.requests.map((r) => r.auth)).toEqual(['ok', 'INVALID_SIGNATURE', 'QUERY_TIME_OUT', 'NOT_AUTHENTICATED']);
  });

  it('matches access rules like OVH: * covers sub-paths', () => {
    expect(ruleMatches({ method: 'GET', path: '/vps/*' }, 'GET', '/vps/a/ips')).toBe(true);
    expect(ruleMatches({ method: 'GET', path: '/vps/*' }, 'GET', '/vps')).toBe(false);
    expect(ruleMatches({ method: 'GET', path: '/vps' }, 'POST', '/vps')).toBe(false);
  });

  it('serves VPS, projects, flavors per region, and instances going BUILD → ACTIVE; names are not unique', async () => {
    fake = await startOvhFake({ instanceBuildPolls: 1 });
    const ck = fake.issueConsumerKey();
    const names = (await call(fake, 'GET', '/vps', { ck })).body as string[];
    expect(names).toHaveLength(2);
    const v = (await call(fake, 'GET', `/vps/${names[0]}`, { ck })).body;
    expect(v.model).toMatchObject({ offer: 'VPS Starter', vcore: 1, memory: 2048, disk: 20 });
    expect((await call(fake, 'GET', '/vps/nope', { ck })).status).toBe(404);
    const [project] = (await call(fake, 'GET', '/cloud/project', { ck })).body as string[];
    const flavors = (await call(fake, 'GET', `/cloud/project/${project}/flavor?region=GRA11`, { ck })).body as any[];
    expect(flavors.every((f) => f.region === 'GRA11')).toBe(true);
    const d24 = flavors.find((f) => f.name === 'd2-4');
    expect(d24).toMatchObject({ vcpus: 2, ram: 4000, disk: 50, osType: 'linux', available: true, planCodes: { monthly: 'd2-4.monthly.postpaid' } });
    const [img] = (await call(fake, 'GET', `/cloud/project/${project}/image?osType=linux&region=GRA11`, { ck })).body as any[];
    const body = { name: 'koprogo-1', region: 'GRA11', flavorId: d24.id, imageId: img.id, monthlyBilling: true };
    const created = await call(fake, 'POST', `/cloud/project/${project}/instance`, { ck, body });
    expect(created.body).toMatchObject({ status: 'BUILD', name: 'koprogo-1', ipAddresses: [] });
    const id = created.body.id as string;
    expect((await call(fake, 'GET', `/cloud/project/${project}/instance/${id}`, { ck })).body.status).toBe('BUILD');
    const active = (await call(fake, 'GET', `/cloud/project/${project}/instance/${id}`, { ck })).body;
    expect(active).toMatchObject({ status: 'ACTIVE', ipAddresses: [{ type: 'public', version: 4 }] });
    await call(fake, 'POST', `/cloud/project/${project}/instance`, { ck, body });
    expect(fake.state.projects[0]?.instances).toHaveLength(2);
  });
});
