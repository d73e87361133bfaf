import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock, startHetznerFake, type HetznerFake, type HetznerFakeOptions, type VirtualClock } from '../../testing/hetzner-fake';
import { HetznerClient, WEB_FIREWALL_RULES, hetznerFingerprint, type CreateServerSpec, type HetznerClientOptions } from './client';
import { buildCloudInit } from './cloud-init';
import { HetznerError, isHetznerError } from './errors';
import { readableEd25519 } from '../../ssh/keys';

let fake: HetznerFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

interface Harness {
  fake: HetznerFake;
  clock: VirtualClock;
  sleeps: number[];
  client: HetznerClient;
  make(extra?: Partial<HetznerClientOptions>): HetznerClient;
}

async function harness(fakeOpts: HetznerFakeOptions = {}, clientOpts: Partial<HetznerClientOptions> = {}): Promise<Harness> {
  const clock = createVirtualClock();
  fake = await startHetznerFake({ now: clock.now, ...fakeOpts });
  const f = fake;
  const sleeps: number[] = [];
  const make = (extra: Partial<HetznerClientOptions> = {}): HetznerClient =>
    new HetznerClient({
      token: f.token,
      baseUrl: f.url,
      now: clock.now,
      random: () => 0.5,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return clock.sleep(ms, signal);
      },
      ...clientOpts,
      ...extra,
    });
  return { fake: f, clock, sleeps, client: make(), make };
}

async function caught(p: Promise<unknown>): Promise<HetznerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HetznerError) return e;
    throw e;
  }
  throw new Error('expected a HetznerError');
}

const hostKey = readableEd25519();
const userKey = readableEd25519();

function spec(overrides: Partial<CreateServerSpec> = {}): CreateServerSpec {
  return {
    name: 'koprogo-p1',
    profileId: 'p1',
    serverType: 'cx22',
    location: 'fsn1',
    image: 'debian-12',
    sshKeyIds: [],
    userData: buildCloudInit({ privateKey: hostKey.private, publicKey: hostKey.public }).userData,
    ...overrides,
  };
}

describe('HetznerClient: token check', () => {
  it('accepts a read & write token without creating anything', async () => {
    const h = await harness();
    await expect(h.client.validateToken()).resolves.toEqual({ access: 'read_write' });
    expect(h.fake.state.ssh_keys).toHaveLength(0);
    expect(h.fake.state.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/ssh_keys', status: 400 })]);
  });

  it('tells an invalid token (401) from a read-only one (403), and never puts the token in the error', async () => {
    const h = await harness();
    const bad = await caught(h.make({ token: 'wrong-token-canary' }).validateToken());
    expect(bad.intendedCode).toBe('hetzner.token_invalid');
    expect(bad.code).toBe('hetzner.token_invalid');
    expect(bad.params).toMatchObject({ httpMethod: 'POST', status: 401, apiCode: 'unauthorized' });
    expect(JSON.stringify({ ...bad, message: bad.message, env: bad.toEnvelope() })).not.toContain('wrong-token-canary');

    const ro = await caught(h.make({ token: h.fake.readOnlyToken }).validateToken());
    expect(ro.intendedCode).toBe('hetzner.token_read_only');
    expect(JSON.stringify(ro.toEnvelope())).not.toContain(h.fake.readOnlyToken);
    expect(h.fake.state.ssh_keys).toHaveLength(0);
  });

  it('treats a 403 `forbidden` on the probe as read-only too', async () => {
    const h = await harness({ readOnlyErrorCode: 'forbidden' });
    expect((await caught(h.make({ token: h.fake.readOnlyToken }).validateToken())).intendedCode).toBe('hetzner.token_read_only');
  });
});

describe('HetznerClient: HTTP behaviour', () => {
  it('follows pagination over 3 pages', async () => {
    const h = await harness();
    for (let i = 0; i < 120; i++) {
      const k = readableEd25519().public;
      h.fake.state.ssh_keys.push({ id: i + 1, name: `k${i}`, fingerprint: hetznerFingerprint(k), public_key: k, labels: {}, created: '2025-01-01T00:00:00+00:00' });
    }
    const keys = await h.client.listSshKeys();
    expect(keys).toHaveLength(120);
    expect(new Set(keys.map((k) => k.id)).size).toBe(120);
    expect(h.client.requestCount).toBe(3);
    expect(h.fake.state.requests.map((r) => r.query)).toEqual(['?page=1&per_page=50', '?page=2&per_page=50', '?page=3&per_page=50']);
  });

  it('does not retry a 401', async () => {
    const h = await harness();
    const e = await caught(h.make({ token: 'nope' }).listServers());
    expect(e.intendedCode).toBe('hetzner.token_invalid');
    expect(h.fake.state.requests).toHaveLength(1);
  });

  it('maps 403 on a write with a read-only token and creates nothing', async () => {
    const h = await harness();
    const e = await caught(h.make({ token: h.fake.readOnlyToken }).createServerOnce(spec()));
    expect(e.intendedCode).toBe('hetzner.token_read_only');
    expect(h.fake.state.servers).toHaveLength(0);
  });

  it('reports invalid input (400 invalid_input) with the fields, without retrying', async () => {
    const h = await harness();
    const e = await caught(h.client.createServerOnce(spec({ name: 'not a hostname!' })));
    expect(e.intendedCode).toBe('hetzner.invalid_input');
    expect(e.params).toMatchObject({ status: 400, apiCode: 'invalid_input', fields: 'name' });
    expect(h.fake.requestCount({ method: 'POST' })).toBe(1);
  });

  it('waits for the rate limit to refill on 429 (RateLimit-Reset), then succeeds', async () => {
    const h = await harness();
    h.fake.setRateLimit(0);
    const locations = await h.client.listLocations();
    expect(locations.map((l) => l.name)).toContain('fsn1');
    expect(h.fake.state.requests.map((r) => r.status)).toEqual([429, 200]);
    // 3600/h: one request per second; waited ≥ 1 s (plus jitter), not the hour until a full budget.
    expect(h.clock.slept).toBeGreaterThanOrEqual(1000);
    expect(h.clock.slept).toBeLessThan(2000);
  });

  it('paces itself when RateLimit-Remaining reaches 0, before getting a 429', async () => {
    const h = await harness();
    h.fake.setRateLimit(1);
    await h.client.listLocations();
    expect(h.client.rateLimit?.remaining).toBe(0);
    await h.client.listLocations();
    expect(h.fake.state.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(h.sleeps).toHaveLength(1);
  });

  it('gives up with rate_limited when the wait would be too long', async () => {
    const h = await harness({ rateLimit: 36 }, { rateLimitMaxWaitMs: 30_000 });
    h.fake.setRateLimit(0);
    expect((await caught(h.client.listLocations())).intendedCode).toBe('hetzner.rate_limited');
  });

  it('retries 503 on reads with exponential backoff and jitter, then succeeds', async () => {
    const h = await harness();
    h.fake.failNext(503, 2);
    const types = await h.client.listServerTypes();
    expect(types.length).toBeGreaterThan(5);
    expect(h.fake.state.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    // base 500 ms doubled per attempt; half fixed, half random (random = 0.5).
    expect(h.sleeps).toEqual([375, 750]);
  });

  it('stops retrying after maxAttempts with hetzner.unavailable', async () => {
    const h = await harness({}, { maxAttempts: 3 });
    h.fake.failNext(503, 10);
    const e = await caught(h.client.listServers());
    expect(e.intendedCode).toBe('hetzner.unavailable');
    expect(e.params).toMatchObject({ status: 503, attempts: 3 });
  });

  it('retries a read whose answer was lost', async () => {
    const h = await harness();
    h.fake.dropNextResponse({ method: 'GET', path: '/locations' });
    expect((await h.client.listLocations()).length).toBe(6);
    expect(h.fake.state.requests.map((r) => r.dropped)).toEqual([true, false]);
  });
});

describe('HetznerClient: actions', () => {
  it('polls an action that takes several polls, backing off', async () => {
    const h = await harness({ actionPolls: 4 });
    const created = await h.client.createServerOnce(spec());
    const progress: number[] = [];
    const action = await h.client.waitForAction(created.actions[0]!.id, { onProgress: (a) => progress.push(a.progress) });
    expect(action).toMatchObject({ command: 'create_server', status: 'success', progress: 100 });
    expect(progress).toEqual([25, 50, 75, 100]);
    expect(h.sleeps).toEqual([1000, 1500, 2250, 3375]);
  });

  it('throws action_failed for an action that ends in error', async () => {
    const h = await harness({ actionPolls: 2 });
    h.fake.failNextAction('create_server', { code: 'placement_error', message: 'no capacity' });
    const created = await h.client.createServerOnce(spec());
    const e = await caught(h.client.waitForAction(created.actions[0]!.id));
    expect(e.intendedCode).toBe('hetzner.action_failed');
    expect(e.params).toMatchObject({ command: 'create_server', apiCode: 'placement_error' });
  });

  it('times out an action that never ends', async () => {
    const h = await harness({ actionPolls: 10_000 });
    const created = await h.client.createServerOnce(spec());
    const e = await caught(h.client.waitForAction(created.actions[0]!.id, { timeoutMs: 30_000 }));
    expect(e.intendedCode).toBe('hetzner.action_timeout');
    expect(h.clock.slept).toBeLessThanOrEqual(30_000);
  });
});

describe('HetznerClient: one click, one server', () => {
  it('creates, then finds and reuses the server on a second call (duplicate click, restart)', async () => {
    const h = await harness({ actionPolls: 3 });
    const first = await h.client.createServerAndWait(spec());
    expect(first.outcome).toBe('created');
    expect(first.server.status).toBe('running');
    expect(first.server.labels).toMatchObject({ 'managed-by': 'koprogo-deploy', 'koprogo-profile': 'p1' });
    console.log(`[hetzner] create + wait (3 polls per action): provider-requests: ${first.requests}`);

    const restarted = h.make();
    const again = await restarted.createServerAndWait(spec());
    expect(again.outcome).toBe('reused');
    expect(again.server.id).toBe(first.server.id);
    expect(again.requests).toBe(1);
    expect(h.fake.state.servers).toHaveLength(1);
    expect(h.fake.state.servers[0]?.user_data).toBe(spec().userData);
  });

  it('two concurrent clicks: the loser of the race gets uniqueness_error and reuses the winner', async () => {
    const h = await harness({ actionPolls: 1 });
    // Hold both POSTs until both clicks have looked up (and found nothing).
    let waiting: (() => void)[] = [];
    const gate: typeof fetch = async (input, init) => {
      if (init?.method === 'POST' && String(input).endsWith('/servers')) {
        await new Promise<void>((r) => {
          waiting.push(r);
          if (waiting.length === 2) {
            for (const w of waiting) w();
            waiting = [];
          }
        });
      }
      return fetch(input, init);
    };
    const [a, b] = await Promise.all([h.make({ fetch: gate }).createServerOnce(spec()), h.make({ fetch: gate }).createServerOnce(spec())]);
    expect([a.outcome, b.outcome].sort()).toEqual(['created', 'reused']);
    expect(a.server.id).toBe(b.server.id);
    expect(h.fake.state.servers).toHaveLength(1);
    expect(h.fake.state.requests.filter((r) => r.method === 'POST').map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('refuses a name taken by a server that is not ours', async () => {
    const h = await harness();
    await h.client.call('POST', '/servers', (await import('./schemas')).createServerResponse, {
      body: { name: 'koprogo-p1', server_type: 'cpx11', image: 'debian-12', location: 'fsn1' },
    });
    const e = await caught(h.client.createServerOnce(spec()));
    expect(e.intendedCode).toBe('hetzner.server_name_taken');
    expect(e.params).toMatchObject({ name: 'koprogo-p1' });
    expect(h.fake.state.servers).toHaveLength(1);
  });

  it('a lost response after the server was created never leads to a second server', async () => {
    const h = await harness({ actionPolls: 2 });
    h.fake.dropNextResponse({ method: 'POST', path: '/servers' });
    const res = await h.client.createServerAndWait(spec());
    expect(res.outcome).toBe('recovered');
    expect(res.server.status).toBe('running');
    expect(h.fake.state.servers.length).toBe(1);
    expect(h.fake.requestCount({ method: 'POST', path: '/servers' })).toBe(1);
    console.log(`[hetzner] create with lost response: provider-requests: ${res.requests}`);
  });

  it('a 502 after the backend created the server: found by label, not created again', async () => {
    const h = await harness({ actionPolls: 1 });
    h.fake.failNext(502, 1, { method: 'POST', path: '/servers', afterCommit: true });
    const res = await h.client.createServerOnce(spec());
    expect(res.outcome).toBe('recovered');
    expect(h.fake.state.servers.length).toBe(1);
  });

  it('a 503 before anything was created: looked up, then created once', async () => {
    const h = await harness({ actionPolls: 1 });
    h.fake.failNext(503, 2, { method: 'POST', path: '/servers' });
    const res = await h.client.createServerOnce(spec());
    expect(res.outcome).toBe('created');
    expect(h.fake.state.servers.length).toBe(1);
    // lookup, POST 503, lookup, POST 503, lookup, POST 201
    expect(h.fake.state.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'POST 503', 'GET 200', 'POST 503', 'GET 200', 'POST 201']);
  });

  it('a 429 storm on create: waits, creates exactly one server', async () => {
    const h = await harness({ actionPolls: 1 });
    h.fake.failNext(429, 6, { method: 'POST', path: '/servers' });
    h.fake.setRateLimit(0);
    const res = await h.client.createServerAndWait(spec());
    expect(res.outcome).toBe('created');
    expect(h.fake.state.servers.length).toBe(1);
    expect(h.fake.requestCount({ method: 'POST', path: '/servers' })).toBe(7);
  });

  it('a create that takes 90 s costs at most 30 requests (provider-requests)', async () => {
    const h = await harness({ actionDurationMs: 90_000 });
    const res = await h.client.createServerAndWait(spec());
    expect(res.server.status).toBe('running');
    console.log(`[hetzner] 90 s create: provider-requests: ${res.requests} (virtual wait ${Math.round(h.clock.slept / 1000)} s)`);
    expect(res.requests).toBeLessThanOrEqual(30);
  });

  it('rejects a profile id that cannot be a label value before any request', async () => {
    const h = await harness();
    expect((await caught(h.client.createServerOnce(spec({ profileId: 'not ok/' })))).intendedCode).toBe('hetzner.invalid_input');
    expect(h.fake.state.requests).toHaveLength(0);
  });
});

describe('HetznerClient: keys, firewall, resize, snapshot, delete', () => {
  it('uploads the SSH key once, reuses it by fingerprint, refuses a different key under our name', async () => {
    const h = await harness();
    const k1 = await h.client.ensureSshKey({ name: 'koprogo-deploy', publicKey: userKey.public });
    const k2 = await h.client.ensureSshKey({ name: 'another-name', publicKey: userKey.public });
    expect(k2.id).toBe(k1.id);
    expect(k1.fingerprint).toBe(hetznerFingerprint(userKey.public));
    const other = readableEd25519().public;
    expect((await caught(h.client.ensureSshKey({ name: 'koprogo-deploy', publicKey: other }))).intendedCode).toBe('hetzner.ssh_key_conflict');
    expect(h.fake.state.ssh_keys).toHaveLength(1);
  });

  it('recovers an SSH key upload whose answer was lost', async () => {
    const h = await harness();
    h.fake.dropNextResponse({ method: 'POST', path: '/ssh_keys' });
    const k = await h.client.ensureSshKey({ name: 'koprogo-deploy', publicKey: userKey.public });
    expect(k.name).toBe('koprogo-deploy');
    expect(h.fake.state.ssh_keys).toHaveLength(1);
  });

  it('creates the 22/80/443 firewall once and refuses a foreign one with our name', async () => {
    const h = await harness();
    const fw = await h.client.ensureFirewall({ name: 'koprogo-p1' });
    expect(fw.rules.filter((r) => r.protocol === 'tcp').map((r) => r.port)).toEqual(['22', '80', '443']);
    expect((await h.client.ensureFirewall({ name: 'koprogo-p1' })).id).toBe(fw.id);
    expect(h.fake.state.firewalls).toHaveLength(1);
    await h.make().call('POST', '/firewalls', (await import('./schemas')).createFirewallResponse, { body: { name: 'foreign', rules: WEB_FIREWALL_RULES.slice(0, 1) } });
    expect((await caught(h.client.ensureFirewall({ name: 'foreign' }))).intendedCode).toBe('hetzner.firewall_conflict');
  });

  it('creates with key and firewall attached', async () => {
    const h = await harness({ actionPolls: 1 });
    const key = await h.client.ensureSshKey({ name: 'koprogo-deploy', publicKey: userKey.public });
    const fw = await h.client.ensureFirewall({ name: 'koprogo-p1' });
    const res = await h.client.createServerAndWait(spec({ sshKeyIds: [key.id], firewallIds: [fw.id] }));
    expect(res.server.public_net.firewalls).toEqual([{ id: fw.id, status: 'applied' }]);
    expect(h.fake.state.servers[0]?.ssh_keys).toEqual([key.id]);
  });

  it('resizes: shutdown, change_type, power on', async () => {
    const h = await harness({ actionPolls: 1 });
    const { server } = await h.client.createServerAndWait(spec());
    const resized = await h.client.resizeServer(server.id, 'cx32', { upgradeDisk: true });
    expect(resized.server_type.name).toBe('cx32');
    expect(resized.status).toBe('running');
    const commands = h.fake.state.actions.map((a) => a.command);
    expect(commands.slice(-3)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
  });

  it('snapshots once even when the answer is lost', async () => {
    const h = await harness({ actionPolls: 2 });
    const { server } = await h.client.createServerAndWait(spec());
    h.fake.dropNextResponse({ method: 'POST', path: `/servers/${server.id}/actions/create_image` });
    const image = await h.client.createSnapshot(server.id, { description: 'before upgrade', profileId: 'p1' });
    expect(image).toMatchObject({ type: 'snapshot', status: 'available', description: 'before upgrade' });
    expect(h.fake.state.images).toHaveLength(1);
  });

  it('deletes a server; deleting it again is not an error', async () => {
    const h = await harness({ actionPolls: 1 });
    const { server } = await h.client.createServerAndWait(spec());
    expect(await h.client.deleteServer(server.id)).toMatchObject({ command: 'delete_server', status: 'success' });
    expect(await h.client.deleteServer(server.id)).toBeNull();
    expect(h.fake.state.servers).toHaveLength(0);
    expect(await h.client.findManagedServers('p1')).toEqual([]);
  });

  it('finds the Debian 12 image and the prices', async () => {
    const h = await harness();
    expect(await h.client.findSystemImage()).toMatchObject({ name: 'debian-12', architecture: 'x86' });
    expect(await h.client.getPricing()).toMatchObject({ currency: 'EUR', vat_rate: '19.00' });
    expect(isHetznerError(await caught(h.client.findSystemImage('debian-99')), 'hetzner.not_found')).toBe(true);
  });
});
