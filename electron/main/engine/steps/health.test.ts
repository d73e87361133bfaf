import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultComposeSettings } from './compose-plan';
import { healthFunctions } from './health';

// The health probe run by a real shell: a published URL must answer 2xx; without one (the health endpoint sits
// behind Traefik only), the services' own healthchecks decide and the probe passes.

// Asynchronous: the HTTP server answering the probe lives in this process.
function probe(url: string): Promise<number> {
  const script = [...healthFunctions(defaultComposeSettings({ healthUrl: url })), 'probe'].join('\n');
  return new Promise((resolve) => spawn('sh', ['-c', script], { stdio: 'ignore' }).once('exit', (code) => resolve(code ?? -1)));
}

describe('health probe', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes on 2xx, fails on 5xx and on a closed port', async () => {
    expect(execFileSync('sh', ['-c', 'command -v curl || command -v wget']).toString()).not.toBe('');
    expect(await probe(`http://127.0.0.1:${port}/health`)).toBe(0);
    expect(await probe(`http://127.0.0.1:${port}/down`)).not.toBe(0);
    expect(await probe('http://127.0.0.1:9/health')).not.toBe(0);
  });

  it('passes without a URL: the compose healthchecks decide', async () => {
    expect(await probe('')).toBe(0);
  });
});
