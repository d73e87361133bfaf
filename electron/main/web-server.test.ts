import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHandlers } from './services/handlers';
import { startWebServer, type WebServer } from './web-server';

// Web mode's front door: loopback only, one-time token, session cookie, Host and Origin checks.

let server: WebServer;
let origin: string;
let token: string;

beforeEach(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'koprogo-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(tmpdir(), 'koprogo-outside.txt'), 'outside');
  const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-web-'));
  server = await startWebServer({
    staticDir,
    handlers: (emit) => createHandlers({ dataDir, appName: 'x', appVersion: '0', frontDoor: 'web', systemLanguages: () => [], openExternal: null, emit }),
  });
  origin = `http://127.0.0.1:${server.port}`;
  token = new URL(server.loginUrl).hash.replace('#token=', '');
});
afterEach(async () => {
  await server.close();
});

/** Raw HTTP so Host and Origin can be set to anything. */
function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers, setHost: !opts.headers?.Host }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function login(): Promise<string> {
  const res = await raw('/session', { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  expect(res.status).toBe(200);
  const cookie = String(res.headers['set-cookie']);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0]!;
}

function openSocket(headers: Record<string, string>): Promise<{ opened: boolean; status?: number; body?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode, body }));
    });
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('web mode front door', () => {
  it('listens on 127.0.0.1 only, on a random port, and prints a URL with the token in the fragment', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.loginUrl.startsWith(`${server.url}#token=`)).toBe(true);
    expect(token.length).toBeGreaterThanOrEqual(40);
  });

  it('serves the app with a strict CSP and refuses paths outside its folder', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await raw('/../koprogo-outside.txt')).status).toBe(404);
    expect((await raw('/%2e%2e/koprogo-outside.txt')).status).toBe(404);
  });

  it('refuses a foreign Host (DNS rebinding) with a clear error', async () => {
    const res = await raw('/', { headers: { Host: 'evil.example:80' } });
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: { code: 'web.unauthorized', params: { reason: 'host' }, remedy: 'web.unauthorized' } });
  });

  it('refuses a foreign Origin', async () => {
    const res = await raw('/session', { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.params.reason).toBe('origin');
    // The refused attempt did not burn the token.
    await login();
  });

  it('refuses a wrong token, and the right one works only once', async () => {
    const wrong = await raw('/session', { method: 'POST', headers: { Origin: origin }, body: JSON.stringify({ token: 'x'.repeat(43) }) });
    expect(wrong.status).toBe(401);
    await login();
    const again = await raw('/session', { method: 'POST', headers: { Origin: origin }, body: JSON.stringify({ token }) });
    expect(again.status).toBe(401);
  });

  it('refuses the WebSocket without a session, with a foreign Origin or Host', async () => {
    expect(await openSocket({ Origin: origin })).toMatchObject({ opened: false, status: 401 });
    const cookie = await login();
    expect(await openSocket({ Origin: 'http://evil.example', Cookie: cookie })).toMatchObject({ opened: false, status: 403 });
    expect(await openSocket({ Cookie: cookie })).toMatchObject({ opened: false, status: 403 }); // no Origin at all
    expect(await openSocket({ Origin: origin, Cookie: 'kg_session=forged' })).toMatchObject({ opened: false, status: 401 });
    expect(await openSocket({ Origin: origin, Cookie: cookie, Host: 'evil.example' })).toMatchObject({ opened: false, status: 421 });
    expect(await openSocket({ Origin: origin, Cookie: cookie })).toEqual({ opened: true });
  });

  it('tells the page whether it has a session', async () => {
    expect(JSON.parse((await raw('/session')).body)).toEqual({ authenticated: false });
    const cookie = await login();
    expect(JSON.parse((await raw('/session', { headers: { Cookie: cookie } })).body)).toEqual({ authenticated: true });
  });
});

// ---- probes of issue 15: DNS rebinding names, malformed and oversized frames, a client that stops reading ----

import { connect as netConnect } from 'node:net';

async function session(cookie: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Origin: origin, Cookie: cookie } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

function answer(ws: WebSocket, id: number): Promise<{ id: number | null; envelope: { ok: boolean; error?: { code: string } } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as { id?: number | null; envelope?: { ok: boolean; error?: { code: string } } };
      if (frame.envelope && (frame.id === id || frame.id === null)) {
        ws.off('message', onMessage);
        resolve({ id: frame.id ?? null, envelope: frame.envelope });
      }
    };
    ws.on('message', onMessage);
  });
}

describe('web mode under probing', () => {
  it.each(['127.0.0.1.nip.io', 'localhost.', '127.0.0.1:1.evil.example', 'LOCALHOST', '[::1]', '127.1', '2130706433'])('refuses the Host %s (DNS rebinding), on HTTP and on the WebSocket', async (name) => {
    const host = name.includes(':') && !name.startsWith('[') ? name : `${name}:${server.port}`;
    expect((await raw('/', { headers: { Host: host } })).status).toBe(421);
    const cookie = await login();
    expect(await openSocket({ Origin: origin, Cookie: cookie, Host: host })).toMatchObject({ opened: false, status: 421 });
    expect(await openSocket({ Origin: `http://${host}`, Cookie: cookie })).toMatchObject({ opened: false, status: 403 });
  });

  it('answers malformed frames with a typed error and keeps serving', async () => {
    const ws = await session(await login());
    for (const bad of ['not json', '[1,2]', '{"id":"7","method":"app.info"}', '{"id":1.5}', 'null']) {
      const a = answer(ws, 0);
      ws.send(bad);
      expect((await a).envelope.error?.code).toBe('ipc.malformed');
    }
    const bin = answer(ws, 0);
    ws.send(Buffer.from('{"id":3,"method":"app.info","input":{}}'), { binary: true });
    expect((await bin).envelope.error?.code).toBe('ipc.malformed');
    const unknown = answer(ws, 9);
    ws.send(JSON.stringify({ id: 9, method: 'no.such', input: {} }));
    expect((await unknown).envelope.error?.code).toBe('ipc.unknown_method');
    const big = answer(ws, 11);
    ws.send(`{"id":11,"method":"wizard.save","input":${JSON.stringify({ pad: 'x'.repeat(1_200_000) })}}`);
    expect((await big).envelope.error?.code).toBe('ipc.payload_too_large');
    const ok = answer(ws, 12);
    ws.send(JSON.stringify({ id: 12, method: 'app.info', input: {} }));
    expect((await ok).envelope.ok).toBe(true);
    ws.close();
  });

  it('closes a socket that sends invalid UTF-8 or a frame far over the limit, without stopping web mode', async () => {
    // These used to reach an 'error' event nobody listened to: the exception stopped the whole web mode.
    const cookie = await login();
    const a = await session(cookie);
    const aClosed = new Promise<number>((r) => a.once('close', (code) => r(code)));
    a.send(Buffer.from([0xff, 0xfe, 0x80]), { binary: false });
    expect(await aClosed).toBe(1007);
    const b = await session(cookie);
    const bClosed = new Promise<number>((r) => b.once('close', (code) => r(code)));
    b.send('x'.repeat(4_000_001));
    expect(await bClosed).toBe(1009);
    const c = await session(cookie);
    const ok = answer(c, 1);
    c.send(JSON.stringify({ id: 1, method: 'app.info', input: {} }));
    expect((await ok).envelope.ok).toBe(true);
    c.close();
  });

  it('disconnects a client that stops reading instead of buffering events for it without end', async () => {
    const cookie = await login();
    // A raw client: upgrade, then never read again.
    const sock = netConnect(server.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise<void>((r) => sock.once('data', () => r()));
    sock.pause();
    sock.on('error', () => undefined);
    const good = await session(cookie);
    let received = 0;
    good.on('message', () => received++);
    expect(server.clients).toBe(2);
    const payload = { profileId: 'p', runId: 'r', stepId: 's', stream: 'stdout' as const, line: 'y'.repeat(256 * 1024) };
    for (let i = 0; i < 200 && server.clients === 2; i++) {
      server.emit('deploy.log', payload);
      await new Promise((r) => setImmediate(r));
    }
    expect(server.clients).toBe(1);
    for (let i = 0; i < 400 && received < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(received).toBeGreaterThan(0);
    good.close();
    sock.destroy();
  });

  it('cuts off a client that trickles its request headers', async () => {
    await server.close();
    const staticDir = mkdtempSync(join(tmpdir(), 'koprogo-static-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-web-'));
    server = await startWebServer({ staticDir, headersTimeoutMs: 500, handlers: (emit) => createHandlers({ dataDir, appName: 'x', appVersion: '0', frontDoor: 'web', systemLanguages: () => [], openExternal: null, emit }) });
    const sock = netConnect(server.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const ended = await new Promise<string>((resolve) => {
      let text = '';
      sock.on('data', (c: Buffer) => (text += c.toString()));
      sock.on('close', () => resolve(text));
    });
    expect(ended).toMatch(/^HTTP\/1\.1 408/);
  });
});
