import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPublicHealth } from './public-health';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 503);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('public health check from this computer', () => {
  it('answers ok when the name points at the server and the endpoint answers', async () => {
    const r = await checkPublicHealth(`http://localhost:${port}/health`, '127.0.0.1');
    expect(r).toMatchObject({ status: 'ok', httpStatus: 200 });
    expect(r.addresses).toContain('127.0.0.1');
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('says DNS is not ready when the name points elsewhere', async () => {
    const r = await checkPublicHealth(`http://localhost:${port}/health`, '203.0.113.10');
    expect(r.status).toBe('dns_not_ready');
  });

  it('says DNS is not ready when the name does not resolve', async () => {
    expect((await checkPublicHealth('https://koprogo.invalid/health', '203.0.113.10')).status).toBe('dns_not_ready');
  });

  it('reports an HTTP error and an unreachable endpoint', async () => {
    expect(await checkPublicHealth(`http://127.0.0.1:${port}/down`, '127.0.0.1')).toMatchObject({ status: 'http_error', httpStatus: 503 });
    server.closeAllConnections();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect((await checkPublicHealth(`http://127.0.0.1:${deadPort}/health`, '127.0.0.1', 2000)).status).toBe('unreachable');
  });
});
