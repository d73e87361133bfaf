import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { checkDomains, domainExists } from './dns-check';

describe('DNS check of the configuration domains (local DNS server)', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      'api.koprogo.test': { a: ['203.0.113.10'] },
      'www.koprogo.test': { a: ['198.51.100.7'], aaaa: ['2001:db8::7'] },
      'v6.koprogo.test': { aaaa: ['2001:db8::10'] },
      'pending.koprogo.test': {},
      'server.koprogo.test': { a: ['203.0.113.10'] },
    });
  });
  afterAll(async () => dns.close());

  it('says for each domain whether it points at the server, elsewhere, nowhere yet, or does not exist', async () => {
    const servers = [dns.address];
    const r = await checkDomains(['api.koprogo.test', 'WWW.koprogo.test.', 'pending.koprogo.test', 'typo.koprogo.test', 'api.koprogo.test'], '203.0.113.10', { servers });
    expect(r).toEqual([
      { domain: 'api.koprogo.test', state: 'points_here', addresses: ['203.0.113.10'] },
      { domain: 'www.koprogo.test', state: 'points_elsewhere', addresses: ['198.51.100.7', '2001:db8::7'] },
      { domain: 'pending.koprogo.test', state: 'no_records', addresses: [] },
      { domain: 'typo.koprogo.test', state: 'not_found', addresses: [] },
    ]);
    // The server given by name is resolved too; an IPv6-only domain matches an IPv6 server.
    expect((await checkDomains(['api.koprogo.test'], 'server.koprogo.test', { servers }))[0]?.state).toBe('points_here');
    expect((await checkDomains(['v6.koprogo.test'], '2001:db8::10', { servers }))[0]?.state).toBe('points_here');
  });

  it('follows changes (a record added later is seen on the next check)', async () => {
    const servers = [dns.address];
    expect((await checkDomains(['late.koprogo.test'], '203.0.113.10', { servers }))[0]?.state).toBe('not_found');
    dns.set('late.koprogo.test', { a: ['203.0.113.10'] });
    expect((await checkDomains(['late.koprogo.test'], '203.0.113.10', { servers }))[0]?.state).toBe('points_here');
  });

  it('domainExists: only a name that does not exist blocks; an unreachable resolver is "unknown"', async () => {
    const exists = domainExists({ servers: [dns.address] });
    expect(await exists('api.koprogo.test')).toBe('found');
    expect(await exists('pending.koprogo.test')).toBe('found');
    expect(await exists('typo.koprogo.test')).toBe('not_found');
    // A port where nothing answers on 127.0.0.1.
    const silent = domainExists({ servers: ['127.0.0.1:9'], timeoutMs: 200 });
    expect(await silent('api.koprogo.test')).toBe('unknown');
  });
});
