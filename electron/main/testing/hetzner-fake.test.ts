import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock, md5Fingerprint, parseLabelSelector, startHetznerFake, type HetznerFake } from './hetzner-fake';
import { readableEd25519 } from '../ssh/keys';

let fake: HetznerFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function api(f: HetznerFake, method: string, path: string, body?: unknown, token: string | null = f.token) {
  const res = await fetch(f.url + path, {
    method,
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const pub = (): string => readableEd25519().public;

const serverBody = (name: string, labels: Record<string, string> = {}) => ({ name, server_type: 'cpx11', image: 'debian-12', location: 'fsn1', labels });

describe('startHetznerFake', () => {
  it('answers with bearer auth: 401 without or with a wrong token, 403 token_readonly on a write with a read-only token', async () => {
    fake = await startHetznerFake();
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const none = await api(fake, 'GET', '/servers', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'unauthorized', message: expect.any(String) });
    expect((await api(fake, 'GET', '/servers', undefined, 'nope')).status).toBe(401);
    expect((await api(fake, 'GET', '/servers', undefined, fake.readOnlyToken)).status).toBe(200);
    const ro = await api(fake, 'POST', '/ssh_keys', { name: 'k', public_key: pub() }, fake.readOnlyToken);
    expect(ro.status).toBe(403);
    expect(ro.body.error.code).toBe('token_readonly');
    expect(fake.state.ssh_keys).toHaveLength(0);
    expect(fake.state.requests.map((r) => r.auth)).toEqual(['none', 'invalid', 'read_only', 'read_only']);
  });

  it('can answer a read-only write with `forbidden` instead', async () => {
    fake = await startHetznerFake({ readOnlyErrorCode: 'forbidden' });
    const ro = await api(fake, 'POST', '/servers', serverBody('a'), fake.readOnlyToken);
    expect(ro).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('paginates every list (25 by default, 50 at most) with the documented meta', async () => {
    fake = await startHetznerFake();
    for (let i = 0; i < 60; i++) expect((await api(fake, 'POST', '/ssh_keys', { name: `k${i}`, public_key: pub() })).status).toBe(201);
    const first = await api(fake, 'GET', '/ssh_keys');
    expect(first.body.ssh_keys).toHaveLength(25);
    expect(first.body.meta.pagination).toEqual({ page: 1, per_page: 25, previous_page: null, next_page: 2, last_page: 3, total_entries: 60 });
    const big = await api(fake, 'GET', '/ssh_keys?per_page=100&page=2');
    expect(big.body.ssh_keys).toHaveLength(10);
    expect(big.body.meta.pagination).toMatchObject({ page: 2, per_page: 50, previous_page: 1, next_page: null, last_page: 2 });
    const locs = await api(fake, 'GET', '/locations?per_page=2');
    expect(locs.body.meta.pagination).toMatchObject({ next_page: 2, total_entries: 6 });
  });

  it('serves server types with prices per location as 16-decimal strings', async () => {
    fake = await startHetznerFake();
    const res = await api(fake, 'GET', '/server_types?name=cpx11');
    const t = res.body.server_types[0];
    expect(t).toMatchObject({ name: 'cpx11', cores: 2, memory: 2, disk: 40, cpu_type: 'shared', architecture: 'x86', deprecated: false });
    const fsn = t.prices.find((p: any) => p.location === 'fsn1');
    expect(fsn.price_monthly).toEqual({ net: '4.3500000000000000', gross: '5.1765000000000000' });
    const pricing = await api(fake, 'GET', '/pricing');
    expect(pricing.body.pricing).toMatchObject({ currency: 'EUR', vat_rate: '19.00' });
    const img = await api(fake, 'GET', '/images?type=system&name=debian-12&architecture=x86');
    expect(img.body.images).toHaveLength(1);
    expect(img.body.images[0]).toMatchObject({ name: 'debian-12', type: 'system', os_flavor: 'debian' });
  });

  it('enforces uniqueness on ssh key names and fingerprints, server and firewall names (409 uniqueness_error)', async () => {
    fake = await startHetznerFake();
    const key = pub();
    expect((await api(fake, 'POST', '/ssh_keys', { name: 'a', public_key: key })).body.ssh_key.fingerprint).toBe(md5Fingerprint(key));
    const sameKey = await api(fake, 'POST', '/ssh_keys', { name: 'b', public_key: key });
    expect(sameKey).toMatchObject({ status: 409, body: { error: { code: 'uniqueness_error', details: { fields: [{ name: 'public_key' }] } } } });
    const sameName = await api(fake, 'POST', '/ssh_keys', { name: 'a', public_key: pub() });
    expect(sameName.body.error.details.fields[0].name).toBe('name');
    const bad = await api(fake, 'POST', '/ssh_keys', {});
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_input', details: { fields: [{ name: 'name' }] } } } });
    expect((await api(fake, 'POST', '/servers', serverBody('s1'))).status).toBe(201);
    expect((await api(fake, 'POST', '/servers', serverBody('s1'))).body.error.code).toBe('uniqueness_error');
    expect((await api(fake, 'POST', '/firewalls', { name: 'fw' })).status).toBe(201);
    expect((await api(fake, 'POST', '/firewalls', { name: 'fw' })).status).toBe(409);
    expect(fake.state.servers).toHaveLength(1);
  });

  it('creates a server with create_server and start_server actions that take several polls', async () => {
    fake = await startHetznerFake({ actionPolls: 3 });
    const res = await api(fake, 'POST', '/servers', { ...serverBody('web', { 'managed-by': 'koprogo-deploy' }), user_data: '#cloud-config\n{}' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ server: { name: 'web', status: 'initializing' }, action: { command: 'create_server', status: 'running' }, root_password: null });
    expect(res.body.next_actions.map((a: any) => a.command)).toEqual(['start_server']);
    expect(fake.state.servers[0]?.user_data).toBe('#cloud-config\n{}');
    const id = res.body.action.id;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = (await api(fake, 'GET', `/actions/${id}`)).body.action;
      seen.push(`${a.status}:${a.progress}`);
    }
    expect(seen).toEqual(['running:33', 'running:66', 'success:100']);
    for (let i = 0; i < 3; i++) await api(fake, 'GET', `/actions/${res.body.next_actions[0].id}`);
    expect((await api(fake, 'GET', `/servers/${res.body.server.id}`)).body.server.status).toBe('running');
    const sel = await api(fake, 'GET', '/servers?label_selector=managed-by%3Dkoprogo-deploy');
    expect(sel.body.servers).toHaveLength(1);
    expect((await api(fake, 'GET', '/servers?label_selector=managed-by%3Dother')).body.servers).toHaveLength(0);
  });

  it('rate limits with RateLimit-* headers and refills on its clock', async () => {
    const clock = createVirtualClock();
    fake = await startHetznerFake({ now: clock.now });
    const ok = await api(fake, 'GET', '/locations');
    expect(ok.headers.get('RateLimit-Limit')).toBe('3600');
    expect(ok.headers.get('RateLimit-Remaining')).toBe('3599');
    fake.setRateLimit(0);
    const limited = await api(fake, 'GET', '/locations');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('RateLimit-Remaining')).toBe('0');
    expect(Number(limited.headers.get('RateLimit-Reset'))).toBe(Math.ceil(clock.now() / 1000) + 3600);
    await clock.sleep(1000);
    expect((await api(fake, 'GET', '/locations')).status).toBe(200);
  });

  it('injects failures, before or after performing the request, and loses answers', async () => {
    fake = await startHetznerFake();
    fake.failNext(503, 2);
    expect((await api(fake, 'GET', '/locations')).body.error.code).toBe('service_error');
    expect((await api(fake, 'GET', '/locations')).status).toBe(503);
    expect((await api(fake, 'GET', '/locations')).status).toBe(200);

    fake.failNext(502, 1, { method: 'POST', path: '/servers', afterCommit: true });
    expect((await api(fake, 'GET', '/servers')).status).toBe(200);
    expect((await api(fake, 'POST', '/servers', serverBody('after'))).status).toBe(502);
    expect(fake.state.servers.map((s) => s.name)).toEqual(['after']);

    fake.dropNextResponse();
    expect((await api(fake, 'GET', '/servers')).status).toBe(200);
    await expect(api(fake, 'POST', '/servers', serverBody('lost'))).rejects.toThrow();
    expect(fake.state.servers.map((s) => s.name)).toEqual(['after', 'lost']);
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'POST', path: '/servers', status: 201, dropped: true });
  });

  it('resizes only a stopped server, snapshots, deletes', async () => {
    fake = await startHetznerFake({ actionPolls: 1 });
    const { body } = await api(fake, 'POST', '/servers', serverBody('r'));
    const id = body.server.id;
    await api(fake, 'GET', `/actions/${body.action.id}`);
    await api(fake, 'GET', `/actions/${body.next_actions[0].id}`);
    const running = await api(fake, 'POST', `/servers/${id}/actions/change_type`, { server_type: 'cpx21', upgrade_disk: true });
    expect(running).toMatchObject({ status: 409, body: { error: { code: 'server_not_stopped' } } });
    const off = await api(fake, 'POST', `/servers/${id}/actions/poweroff`);
    await api(fake, 'GET', `/actions/${off.body.action.id}`);
    const change = await api(fake, 'POST', `/servers/${id}/actions/change_type`, { server_type: 'cpx21', upgrade_disk: true });
    expect(change.status).toBe(201);
    expect((await api(fake, 'POST', `/servers/${id}/actions/poweron`)).body.error.code).toBe('locked');
    await api(fake, 'GET', `/actions/${change.body.action.id}`);
    expect(fake.state.servers[0]?.server_type.name).toBe('cpx21');
    const snap = await api(fake, 'POST', `/servers/${id}/actions/create_image`, { type: 'snapshot', description: 'before', labels: { k: 'v' } });
    expect(snap.body.image).toMatchObject({ type: 'snapshot', status: 'creating', labels: { k: 'v' } });
    await api(fake, 'GET', `/actions/${snap.body.action.id}`);
    expect((await api(fake, 'GET', '/images?type=snapshot&label_selector=k%3Dv')).body.images[0].status).toBe('available');
    expect((await api(fake, 'DELETE', `/servers/${id}`)).status).toBe(200);
    expect(fake.state.servers).toHaveLength(0);
    expect((await api(fake, 'GET', `/servers/${id}`)).body.error.code).toBe('not_found');
  });

  it('parses label selectors as documented', () => {
    const l = { env: 'prod', type: 'web' };
    expect(parseLabelSelector('env=prod')(l)).toBe(true);
    expect(parseLabelSelector('env==prod,type!=db')(l)).toBe(true);
    expect(parseLabelSelector('env in (dev,staging)')(l)).toBe(false);
    expect(parseLabelSelector('env notin (dev,staging),type')(l)).toBe(true);
    expect(parseLabelSelector('!type')(l)).toBe(false);
  });
});
