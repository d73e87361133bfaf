import { promises as dns } from 'node:dns';
import { isIP, connect } from 'node:net';
import { AppError } from '../../shared/errors';

// "Offline is not a provider outage": when a request to Hetzner, OVH or GitHub fails without an HTTP
// answer, we look at the network before blaming the service. The API host's name is resolved (with the
// system's DNS servers, or the configured ones) and, when it resolves, one TCP connection is tried:
//   - no DNS server answers / the name does not resolve     → this computer appears to be offline
//   - the address refuses, has no route, or does not answer → this computer appears to be offline
//   - the connection opens                                  → the network is fine: the original error stands
// A local service on 127.0.0.1 or ::1 that is not running (a fake, a tunnel) is never "offline". Other loopback
// addresses (127.0.0.2 …) are treated like any address: tests use them for an API that refuses, without any
// traffic leaving this computer.

export type OfflineCause = 'dns_no_answer' | 'dns_not_found' | 'refused' | 'no_route' | 'timeout';

export interface NetworkDiagnosis {
  offline: boolean;
  cause: OfflineCause | null;
  host: string;
}

export interface NetworkDoctorOptions {
  /** `host:port` DNS servers (tests: the local DNS server); the system's when absent. */
  dnsServers?: string[];
  dnsTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Service names as shown to the user (not translated: they are names). */
export const SERVICE_NAMES = { hetzner: 'Hetzner Cloud', ovh: 'OVHcloud', github: 'GitHub' } as const;
export type NetworkService = keyof typeof SERVICE_NAMES;

/** A check a client runs on its first network failure: an AppError to throw instead, or null. */
export type NetworkCheck = (url: string) => Promise<AppError | null>;

const DNS_NO_ANSWER = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'EREFUSED', 'ECANCELLED', 'ECONNRESET', 'EAI_AGAIN']);

export class NetworkDoctor {
  constructor(private readonly opts: NetworkDoctorOptions = {}) {}

  async diagnose(url: string): Promise<NetworkDiagnosis | null> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return null;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      const resolver = new dns.Resolver({ timeout: this.opts.dnsTimeoutMs ?? 2500, tries: 2 });
      if (this.opts.dnsServers?.length) resolver.setServers(this.opts.dnsServers);
      try {
        addresses = await resolver.resolve4(host);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'ENODATA') {
          addresses = await resolver.resolve6(host).catch(() => []);
          if (addresses.length === 0) return { offline: true, cause: 'dns_not_found', host };
        } else return { offline: true, cause: DNS_NO_ANSWER.has(code) ? 'dns_no_answer' : 'dns_not_found', host };
      }
    }
    if (addresses.every(isLoopback)) return null;
    const outcome = await this.tryConnect(addresses[0]!, port);
    return outcome === 'open' ? { offline: false, cause: null, host } : { offline: true, cause: outcome, host };
  }

  /** The `network.offline` error for this service when the network is the cause, else null. */
  async explain(service: NetworkService, url: string): Promise<AppError | null> {
    const d = await this.diagnose(url).catch(() => null);
    if (!d?.offline || !d.cause) return null;
    return new AppError('network.offline', { service: SERVICE_NAMES[service], host: d.host, cause: d.cause });
  }

  /** The same, in the shape the API clients take. */
  checkFor(service: NetworkService): NetworkCheck {
    return (url) => this.explain(service, url);
  }

  private tryConnect(address: string, port: number): Promise<'open' | 'refused' | 'no_route' | 'timeout'> {
    return new Promise((resolve) => {
      const socket = connect({ host: address, port, timeout: this.opts.connectTimeoutMs ?? 4000 });
      const done = (r: 'open' | 'refused' | 'no_route' | 'timeout') => {
        socket.destroy();
        resolve(r);
      };
      socket.once('connect', () => done('open'));
      socket.once('timeout', () => done('timeout'));
      socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ENETUNREACH' || e.code === 'EHOSTUNREACH' || e.code === 'ENETDOWN' ? 'no_route' : 'timeout'));
    });
  }
}

function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::1';
}
