import type { ServiceDeps } from './handler-types';

// Endpoints a front door may take from its environment instead of the public ones: a fork's or a GitHub
// Enterprise OAuth App, and — for the end-to-end tests — the local fakes of GitHub and a local DNS server.
// Only 127.0.0.1 / https URLs are accepted, so a stray variable cannot send a token over plain HTTP elsewhere.

function safeUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value);
    if (u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === '127.0.0.1')) return value.replace(/\/+$/u, '');
  } catch {
    /* ignored: not a URL */
  }
  return undefined;
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv): Pick<ServiceDeps, 'github' | 'dnsServers'> {
  const apiBaseUrl = safeUrl(env.KOPROGO_GITHUB_API_URL);
  const webBaseUrl = safeUrl(env.KOPROGO_GITHUB_WEB_URL);
  const clientId = env.KOPROGO_GITHUB_CLIENT_ID && /^[A-Za-z0-9._-]{1,100}$/.test(env.KOPROGO_GITHUB_CLIENT_ID) ? env.KOPROGO_GITHUB_CLIENT_ID : undefined;
  const dnsServers = (env.KOPROGO_DNS_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[0-9a-f.:[\]]+$/i.test(s));
  const github = { ...(apiBaseUrl ? { apiBaseUrl } : {}), ...(webBaseUrl ? { webBaseUrl } : {}), ...(clientId ? { clientId } : {}) };
  return { ...(Object.keys(github).length > 0 ? { github } : {}), ...(dnsServers.length > 0 ? { dnsServers } : {}) };
}
