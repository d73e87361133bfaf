// External pages the app may open in the system browser. Anything else (other hosts, other schemes,
// credentials in the URL) is refused: a compromised page must not be able to launch arbitrary URLs.

export const ALLOWED_EXTERNAL_HOSTS = [
  'github.com',
  'docs.github.com',
  'hetzner.com',
  'docs.hetzner.com',
  'console.hetzner.cloud',
  'accounts.hetzner.com',
  'ovhcloud.com',
  'www.ovhcloud.com',
  'ovh.com',
  'www.ovh.com',
  'eu.api.ovh.com',
  'ca.api.ovh.com',
  'api.us.ovhcloud.com',
  'docs.docker.com',
  'koprogo.com',
] as const;

export function isAllowedExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username || url.password) return false;
  const host = url.hostname.toLowerCase();
  return (ALLOWED_EXTERNAL_HOSTS as readonly string[]).some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}
