// Parses every form a user may paste for a GitHub repository into host/owner/name and the REST API base.
// Never throws: a bad input comes back as a typed reason the UI can translate.

export interface RepoLocation {
  /** `github.com` or the GitHub Enterprise host (with its port when one was given). */
  host: string;
  owner: string;
  name: string;
  /** `https://api.github.com` for github.com, `<scheme>://<host>/api/v3` for GitHub Enterprise Server. */
  apiBaseUrl: string;
  /** The repository's web page. */
  webUrl: string;
}

export type RepoUrlProblem =
  | 'empty'
  | 'unsupported_scheme'
  | 'invalid_host'
  | 'missing_owner_or_name'
  | 'invalid_owner'
  | 'invalid_name'
  /** `https://user:token@…`: a credential in an address would be stored, shown in the plan and put on a command line. */
  | 'credentials_in_url';

export type RepoUrlResult = { ok: true; repo: RepoLocation } | { ok: false; reason: RepoUrlProblem };

const GITHUB_HOSTS = new Set(['github.com', 'www.github.com']);
// GitHub logins: letters, digits and single hyphens, 1–39 characters (older accounts may hold other oddities; be lenient on underscores).
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/u;
// Repository names: letters, digits, `.`, `-`, `_`, at most 100 characters, never `.` or `..`.
const NAME = /^[A-Za-z0-9._-]{1,100}$/u;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/u;
const SCP_LIKE = /^(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.+)$/u;
const SHORTHAND = /^[^/:@\s]+\/[^/:@\s]+$/u;

export function apiBaseUrlFor(host: string, scheme: 'http' | 'https' = 'https'): string {
  return GITHUB_HOSTS.has(host.toLowerCase()) ? 'https://api.github.com' : `${scheme}://${host}/api/v3`;
}

export function parseRepoUrl(input: string): RepoUrlResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'empty' };

  // git@github.com:owner/name.git (scp-like syntax, what `git clone` accepts)
  const scp = SCP_LIKE.exec(text);
  if (scp && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//u.test(text)) {
    return build(scp[1] ?? '', scp[2] ?? '', 'https');
  }

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//u.exec(text);
  if (schemeMatch) {
    const scheme = (schemeMatch[1] ?? '').toLowerCase();
    if (!['http', 'https', 'ssh', 'git', 'git+ssh', 'ssh+git'].includes(scheme)) return { ok: false, reason: 'unsupported_scheme' };
    let url: URL;
    try {
      url = new URL(scheme === 'http' || scheme === 'https' ? text : text.replace(/^[^:]+:/u, 'https:'));
    } catch {
      return { ok: false, reason: 'invalid_host' };
    }
    // A user name is normal for SSH (git@); anything else in the user part is a credential.
    if (url.password !== '' || ((scheme === 'http' || scheme === 'https') && url.username !== '')) return { ok: false, reason: 'credentials_in_url' };
    // ssh://git@host:22/… : the SSH port says nothing about the web host.
    const host = scheme === 'http' || scheme === 'https' ? url.host : url.hostname;
    return build(host, decodeURIComponent(url.pathname), scheme === 'http' ? 'http' : 'https');
  }

  // github.com/owner/name (no scheme)
  const firstSlash = text.indexOf('/');
  if (firstSlash > 0 && text.slice(0, firstSlash).includes('.')) {
    return build(text.slice(0, firstSlash), text.slice(firstSlash), 'https');
  }
  if (SHORTHAND.test(text)) return build('github.com', text, 'https');
  return { ok: false, reason: 'missing_owner_or_name' };
}

function build(rawHost: string, rawPath: string, scheme: 'http' | 'https'): RepoUrlResult {
  const host = rawHost.toLowerCase().replace(/^www\.github\.com$/u, 'github.com');
  if (!HOST.test(host)) return { ok: false, reason: 'invalid_host' };
  // Only the first two segments name the repository: /tree/main/x, /blob/…, /releases … are dropped.
  const parts = rawPath.replace(/[?#].*$/u, '').split('/').filter((p) => p !== '');
  const owner = parts[0];
  let name = parts[1];
  if (owner === undefined || name === undefined) return { ok: false, reason: 'missing_owner_or_name' };
  if (name.toLowerCase().endsWith('.git')) name = name.slice(0, -4);
  if (!OWNER.test(owner)) return { ok: false, reason: 'invalid_owner' };
  if (!NAME.test(name) || name === '.' || name === '..') return { ok: false, reason: 'invalid_name' };
  const webScheme = GITHUB_HOSTS.has(host) ? 'https' : scheme;
  return {
    ok: true,
    repo: { host, owner, name, apiBaseUrl: apiBaseUrlFor(host, scheme), webUrl: `${webScheme}://${host}/${owner}/${name}` },
  };
}
