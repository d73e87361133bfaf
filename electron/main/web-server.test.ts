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
