import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { GitHubClient } from '../github/client';
import { HetznerClient } from '../providers/hetzner/client';
import { OvhClient } from '../providers/ovh/client';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { NetworkDoctor } from './doctor';

// "This computer appears to be offline", told apart from a provider outage: a DNS server that answers
// nothing, a name that does not exist, an address that refuses or does not answer; a local service that
// is down (loopback) is not "offline". Then the three API clients say it at once, without retrying.

let dns: DnsServer;
let silent: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({ 'api.local.test': { a: ['127.0.0.1'] }, 'api.unreachable.test': { a: ['127.0.0.2'] } });
  silent = await startDnsServer({}, { silent: true });
});
afterAll(async () => {
  await dns?.close();
  await silent?.close();
});

const doctor = (servers: string[]) => new NetworkDoctor({ dnsServers: servers, dnsTimeoutMs: 400, connectTimeoutMs: 1500 });

describe('network doctor', () => {
  it('no DNS answer at all: offline (dns_no_answer)', async () => {
    expect(await doctor([silent.address]).diagnose('https://api.hetzner.cloud/v1')).toEqual({ offline: true, cause: 'dns_no_answer', host: 'api.hetzner.cloud' });
    expect(silent.queries).toBeGreaterThan(0);
  });

  it('a name the DNS does not know: offline (dns_not_found)', async () => {
    expect(await doctor([dns.address]).diagnose('https://eu.api.ovh.com/1.0')).toEqual({ offline: true, cause: 'dns_not_found', host: 'eu.api.ovh.com' });
  });

  it('an address that cannot be reached: offline (refused, no route or timeout, as the network says)', async () => {
    const d = await doctor([dns.address]).diagnose('https://api.unreachable.test/');
    expect(d?.offline).toBe(true);
    expect(['refused', 'no_route', 'timeout']).toContain(d?.cause);
  });

  it('a local service that is not running is not "offline"', async () => {
    expect(await doctor([dns.address]).diagnose('http://api.local.test:1/')).toBeNull();
    expect(await doctor([dns.address]).diagnose('http://127.0.0.1:1/')).toBeNull();
  });

  it('an address that accepts the connection: online, the original error stands', async () => {
    const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const d = await doctor([dns.address]).diagnose(`http://${address}:${port}/`);
      // Loopback when the machine has no other interface: then it is a local service, never offline.
      expect(d).toEqual(address === '127.0.0.1' ? null : { offline: false, cause: null, host: address });
    } finally {
      server.close();
    }
  });

  it('explain() gives a translated-ready network.offline naming the service', async () => {
    const e = await doctor([silent.address]).explain('github', 'https://api.github.com');
    expect(e).toBeInstanceOf(AppError);
    expect(e?.toEnvelope()).toEqual({ code: 'network.offline', params: { service: 'GitHub', host: 'api.github.com', cause: 'dns_no_answer' }, remedy: 'network.offline' });
  });
});

describe('the API clients when offline', () => {
  it('Hetzner, OVH and GitHub say offline at the first failed request, without their retries', async () => {
    const d = doctor([silent.address]);
    const hetzner = new HetznerClient({ token: 'x', baseUrl: 'https://api.hetzner.test:9/v1', networkCheck: d.checkFor('hetzner'), sleep: async () => undefined });
    await expect(hetzner.validateToken()).rejects.toMatchObject({ code: 'network.offline', params: { service: 'Hetzner Cloud', host: 'api.hetzner.test' } });
    expect(hetzner.requestCount).toBe(1);

    const ovh = new OvhClient({ endpoint: 'ovh-eu', baseUrl: 'https://api.ovh.test:9/1.0', applicationKey: 'k', applicationSecret: 's', networkCheck: d.checkFor('ovh'), sleep: async () => undefined });
    try {
      await expect(ovh.requestCredential([{ method: 'GET', path: '/me' }])).rejects.toMatchObject({ code: 'network.offline', params: { service: 'OVHcloud', host: 'api.ovh.test' } });
    } finally {
      ovh.close();
    }

    const github = new GitHubClient({ baseUrl: 'https://api.github.test:9', networkCheck: d.checkFor('github'), retryAfterBaseMs: 1 });
    await expect(github.getRepo({ owner: 'acme', name: 'koprogo' })).rejects.toMatchObject({ code: 'network.offline', params: { service: 'GitHub', host: 'api.github.test' } });
    expect(github.requestCount).toBe(1);
  });

  it('without the check (or online), a failure stays the provider’s own error', async () => {
    const hetzner = new HetznerClient({ token: 'x', baseUrl: 'http://127.0.0.1:9/v1', networkCheck: doctor([dns.address]).checkFor('hetzner'), sleep: async () => undefined, maxAttempts: 2 });
    await expect(hetzner.validateToken()).rejects.toMatchObject({ code: 'hetzner.unavailable' });
  });
});
