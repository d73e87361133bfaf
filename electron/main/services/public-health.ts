import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

// After a deployment: does the public domain point at the server yet, and does the health endpoint
// answer through it from this computer? DNS can take hours to propagate, so "not yet" is an
// expected answer, not a failure of the deployment.

export interface PublicHealth {
  url: string;
  status: 'ok' | 'dns_not_ready' | 'unreachable' | 'http_error';
  addresses: string[];
  httpStatus: number | null;
  latencyMs: number | null;
}

export async function checkPublicHealth(url: string, serverHost: string, timeoutMs = 10_000): Promise<PublicHealth> {
  const host = new URL(url).hostname;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return { url, status: 'dns_not_ready', addresses: [], httpStatus: null, latencyMs: null };
  }
  // With a server given by name, resolve it too and compare addresses.
  let serverAddresses = [serverHost];
  if (!isIP(serverHost)) serverAddresses = await lookup(serverHost, { all: true }).then((r) => r.map((a) => a.address), () => [serverHost]);
  if (!addresses.some((a) => serverAddresses.includes(a))) return { url, status: 'dns_not_ready', addresses, httpStatus: null, latencyMs: null };
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const latencyMs = Math.round(performance.now() - started);
    await res.arrayBuffer().catch(() => undefined);
    return { url, status: res.ok ? 'ok' : 'http_error', addresses, httpStatus: res.status, latencyMs };
  } catch {
    return { url, status: 'unreachable', addresses, httpStatus: null, latencyMs: null };
  }
}
