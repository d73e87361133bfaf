// Git hosts that are not GitHub: the app reads repositories through GitHub's API only, so an address on
// one of these is refused as it is typed, with that reason (zod-free: the renderer checks while typing).
export const NOT_GITHUB_HOSTS = [
  'gitlab.com',
  'bitbucket.org',
  'codeberg.org',
  'gitea.com',
  'git.sr.ht',
  'sr.ht',
  'dev.azure.com',
  'ssh.dev.azure.com',
  'sourceforge.net',
  'framagit.org',
  'salsa.debian.org',
] as const;

/** The host of a repository address (https, ssh://, git@host:…), lower case, without port; null when there is none. */
export function repoHostOf(address: string): string | null {
  const text = address.trim();
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/]+@)?([^/:?#]+)/.exec(text);
  if (scheme) return scheme[1]!.toLowerCase();
  const scp = /^(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)/.exec(text);
  if (scp) return scp[1]!.toLowerCase();
  const bare = /^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\//.exec(text);
  return bare ? bare[1]!.toLowerCase() : null;
}

/** A known Git host that is not GitHub (its subdomains too, e.g. gitlab.example? no: only the listed hosts). */
export function notGithubHost(address: string): string | null {
  const host = repoHostOf(address);
  if (!host) return null;
  return NOT_GITHUB_HOSTS.some((h) => host === h || host.endsWith(`.${h}`)) || /^gitlab\./.test(host) || /^gitea\./.test(host) ? host : null;
}

/**
 * The version named in a GitHub page address — `/tree/<branch>`, `/releases/tag/<tag>`, `/commit/<sha>` —
 * to propose as the ref (a branch may contain slashes: the caller matches it against the real branches).
 */
export function refHintOf(address: string): string | null {
  const m = /^(?:https?:\/\/)?[^/]+\/[^/]+\/[^/]+\/(?:tree|blob|commits?|releases\/tag)\/([^?#]+)/.exec(address.trim());
  if (!m) return null;
  const ref = decodeURIComponent(m[1]!).replace(/\/+$/, '');
  return ref === '' ? null : ref.slice(0, 250);
}
