// A GitHub token belongs to the host it was issued for: github.com, or the GitHub Enterprise host the
// user signed in to. Tokens are stored per host, and a repository address on another host is read with
// that host's token or anonymously — never with a token issued for somewhere else.

/** The secret-store name of the github.com token (the name it always had). */
export const GITHUB_COM_TOKEN_SECRET = 'github.token';

export function normalizeGitHubHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h === 'www.github.com' ? 'github.com' : h;
}

/** The secret-store name of the token for `host` (`github.token` for github.com). */
export function tokenSecretName(host: string): string {
  const h = normalizeGitHubHost(host);
  if (h === 'github.com') return GITHUB_COM_TOKEN_SECRET;
  // Secret names are [a-z0-9._-]: the port's colon becomes `_`.
  const slug = h.replace(/:/gu, '_').replace(/[^a-z0-9._-]/gu, '-').slice(0, 100);
  return `github.token.${slug}`;
}

/**
 * The CLI's token for `host`, as the GitHub CLI reads it: `GITHUB_TOKEN` (or `GH_TOKEN`) for github.com,
 * `GH_ENTERPRISE_TOKEN` for the host named by `GH_HOST`; none for any other host.
 */
export function githubTokenFromEnv(host: string, env: NodeJS.ProcessEnv): string | undefined {
  const h = normalizeGitHubHost(host);
  if (h === 'github.com') return env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
  if (env.GH_HOST && normalizeGitHubHost(env.GH_HOST) === h) return env.GH_ENTERPRISE_TOKEN || env.GITHUB_ENTERPRISE_TOKEN || undefined;
  return undefined;
}
