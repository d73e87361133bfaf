import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback, type LoopbackListener } from '../testing/loopback';
import { HetznerClient } from '../providers/hetzner/client';
import { credentialFetch, isCredentialSafeUrl } from './credential-fetch';

// Two real local servers: "api" (where the token belongs) and "elsewhere". Whatever api answers —
// redirects of every kind — elsewhere never sees the credential.

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

async function recorder(handle: (req: IncomingMessage, res: ServerResponse) => boolean) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() });
      if (!handle(req, res)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }
    });
  });
  const l: LoopbackListener = await listenOnLoopback(server);
  return { seen, url: `http://127.0.0.1:${l.port}`, close: () => l.close() };
}

let elsewhere: Awaited<ReturnType<typeof recorder>>;
let api: Awaited<ReturnType<typeof recorder>>;

beforeAll(async () => {
  elsewhere = await recorder(() => false);
  api = await recorder((req, res) => {
    const m = /^\/(30[1278])(\/.*)?$/.exec(req.url ?? '');
    if (m) {
      res.writeHead(Number(m[1]), { location: m[2] === '/same' ? `${api.url}/ok` : `${elsewhere.url}/landed` });
      res.end();
      return true;
    }
    return false;
  });
}, 30_000);
afterAll(async () => {
  await api?.close();
  await elsewhere?.close();
});

const token = { authorization: 'token ghp_secretsecretsecretsecret' };

describe('credentialFetch', () => {
  it('sends the credential to its own origin and follows a same-origin redirect with it', async () => {
    const f = credentialFetch({ allowedOrigins: [api.url], allowLoopbackHttp: true });
    expect((await f(`${api.url}/302/same`, { headers: token })).status).toBe(200);
    expect(api.seen.filter((s) => s.path === '/ok').at(-1)?.authorization).toBe(token.authorization);
  });

  it.each(['301', '302', '307', '308'])('never carries it across a %s redirect to another host', async (code) => {
    const before = elsewhere.seen.length;
    const f = credentialFetch({ allowedOrigins: [api.url], allowLoopbackHttp: true });
    const res = await f(`${api.url}/${code}`, { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    const hit = elsewhere.seen.slice(before);
    expect(hit).toHaveLength(1);
    expect(hit[0]!.authorization).toBeUndefined();
    // 307/308 keep the method and body; 301/302 after a POST become a GET, as browsers do.
    expect(hit[0]!.method).toBe(code === '307' || code === '308' ? 'POST' : 'GET');
  });

  it('holds the credential back from any request to an origin it was not issued for (a pagination link, a pasted address)', async () => {
    const before = elsewhere.seen.length;
    const stripped: string[] = [];
    const f = credentialFetch({ allowedOrigins: [api.url], allowLoopbackHttp: true, onStripped: (o) => stripped.push(o) });
    await f(new Request(`${elsewhere.url}/page2`, { headers: token }));
    expect(elsewhere.seen.slice(before).map((s) => s.authorization)).toEqual([undefined]);
    expect(stripped).toEqual([elsewhere.url]);
  });

  it('never sends a credential over plain http unless the address is an explicit loopback override', async () => {
    expect(isCredentialSafeUrl('http://127.0.0.1:8080/api')).toBe(false);
    expect(isCredentialSafeUrl('http://127.0.0.1:8080/api', { allowLoopbackHttp: true })).toBe(true);
    expect(isCredentialSafeUrl('http://ghe.example.com/api/v3', { allowLoopbackHttp: true })).toBe(false);
    expect(isCredentialSafeUrl('https://ghe.example.com/api/v3')).toBe(true);
    const before = api.seen.length;
    const f = credentialFetch({ allowedOrigins: [api.url] });
    await f(`${api.url}/plain`, { headers: token });
    expect(api.seen.slice(before).map((s) => s.authorization)).toEqual([undefined]);
  });
});

describe('Hetzner token', () => {
  it('is not sent to another host when the API answers with a redirect', async () => {
    const before = elsewhere.seen.length;
    const client = new HetznerClient({ token: 'hcloud-token-0123456789abcdef', baseUrl: `${api.url}/302`, maxAttempts: 1 });
    await client.call('GET', '/servers', (await import('zod')).z.unknown()).catch(() => undefined);
    const hit = elsewhere.seen.slice(before);
    expect(hit.length).toBeGreaterThan(0);
    for (const h of hit) expect(h.authorization).toBeUndefined();
  });

  it('refuses an API root over plain http that is not the loopback test fake', () => {
    expect(() => new HetznerClient({ token: 't', baseUrl: 'http://api.example.com/v1' })).toThrow(/https/);
  });
});

describe('API roots from the environment', () => {
  it('take https, or the loopback fake over http, and ignore anything else (the tokens would follow them)', async () => {
    const { providerEndpointsFromEnv } = await import('../services/provider-service');
    const { endpointsFromEnv } = await import('../services/endpoints');
    expect(providerEndpointsFromEnv({ KOPROGO_HETZNER_API_URL: 'http://evil.example/v1', KOPROGO_OVH_API_URL: 'http://evil.example/1.0' })).toEqual({});
    expect(providerEndpointsFromEnv({ KOPROGO_HETZNER_API_URL: 'http://127.0.0.1:4010/v1', KOPROGO_OVH_API_URL: 'https://127.0.0.1:4011/1.0' })).toEqual({ hetznerApiUrl: 'http://127.0.0.1:4010/v1', ovhApiUrl: 'https://127.0.0.1:4011/1.0' });
    expect(endpointsFromEnv({ KOPROGO_GITHUB_API_URL: 'http://evil.example/api/v3' })).toEqual({});
  });
});
