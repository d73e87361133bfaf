// Do the configuration's domains point at the server? A and AAAA records through node:dns (the system's
// resolver, or the servers given: tests use a local DNS server). "Not found" (NXDOMAIN) means the name does not
// exist at all — most often a typo — and blocks the form; a name that exists but points elsewhere or nowhere
// yet is a warning (DNS may be set up after the server is created).
import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { DnsResult } from '../../shared/recipe';

export interface DnsCheckOptions {
  /** `host:port` resolvers (default: the system's). */
  servers?: readonly string[];
  timeoutMs?: number;
}

function resolver(opts: DnsCheckOptions): Resolver {
  const r = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: 2 });
  if (opts.servers && opts.servers.length > 0) r.setServers([...opts.servers]);
  return r;
}

type Lookup = { state: 'ok'; addresses: string[] } | { state: 'not_found' | 'no_records' | 'error'; addresses: [] };

async function lookup(r: Resolver, domain: string): Promise<Lookup> {
  const codes: string[] = [];
  const addresses: string[] = [];
  for (const fn of [(d: string) => r.resolve4(d), (d: string) => r.resolve6(d)]) {
    try {
      addresses.push(...(await fn(domain)));
    } catch (err) {
      codes.push((err as NodeJS.ErrnoException).code ?? 'error');
    }
  }
  if (addresses.length > 0) return { state: 'ok', addresses };
  if (codes.includes('ENOTFOUND')) return codes.includes('ENODATA') ? { state: 'no_records', addresses: [] } : { state: 'not_found', addresses: [] };
  if (codes.every((c) => c === 'ENODATA')) return { state: 'no_records', addresses: [] };
  return { state: 'error', addresses: [] };
}

/** The server's addresses: the host itself when it is an IP, otherwise what it resolves to. */
export async function serverAddresses(host: string, opts: DnsCheckOptions = {}): Promise<string[]> {
  if (isIP(host)) return [host];
  const l = await lookup(resolver(opts), host);
  return l.addresses;
}

/** One result per domain: points here, elsewhere, no records yet, does not exist, or could not be checked. */
export async function checkDomains(domains: readonly string[], serverHost: string | null, opts: DnsCheckOptions = {}): Promise<DnsResult[]> {
  const r = resolver(opts);
  const server = serverHost ? new Set(await serverAddresses(serverHost, opts)) : new Set<string>();
  return Promise.all(
    [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean))].map(async (domain): Promise<DnsResult> => {
      const l = await lookup(r, domain);
      if (l.state !== 'ok') return { domain, state: l.state, addresses: [] };
      const here = server.size > 0 && l.addresses.some((a) => server.has(a));
      return { domain, state: here ? 'points_here' : 'points_elsewhere', addresses: l.addresses };
    }),
  );
}

/** For the form's check: does the name exist at all? */
export function domainExists(opts: DnsCheckOptions = {}): (domain: string) => Promise<'found' | 'not_found' | 'unknown'> {
  const r = resolver(opts);
  return async (domain) => {
    const l = await lookup(r, domain);
    return l.state === 'not_found' ? 'not_found' : l.state === 'error' ? 'unknown' : 'found';
  };
}
