// GitHub failures as AppErrors with their own `github.*` codes (translated in electron/shared/i18n).
// Nothing here ever carries a token: params hold the method, the status and GitHub's own message only.
import { AppError, type ErrorCode, type ErrorParams } from '../../shared/errors';

/** The `github.*` codes of electron/shared/errors.ts (translated there). */
export type GitHubErrorCode = Extract<ErrorCode, `github.${string}`>;

export class GitHubError extends AppError {
  readonly intendedCode: GitHubErrorCode;
  readonly status: number | undefined;

  constructor(method: string, intendedCode: GitHubErrorCode, params: ErrorParams = {}, status?: number) {
    super(intendedCode, { method: `github.${method}`, ...(status !== undefined ? { status } : {}), ...params });
    this.name = 'GitHubError';
    this.intendedCode = intendedCode;
    this.status = status;
  }
}

interface HttpLikeError {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** Maps an Octokit RequestError (or a network failure) to a GitHubError. */
export function toGitHubError(method: string, err: unknown, params: ErrorParams = {}): GitHubError {
  if (err instanceof GitHubError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const headers = e.response?.headers ?? {};
  const data = e.response?.data;
  const ghMessage = typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string' ? (data as { message: string }).message : '';
  const withMessage = ghMessage ? { ...params, message: ghMessage.slice(0, 200) } : params;
  if (status === undefined || status >= 500) {
    const reason = status === undefined && typeof e.message === 'string' ? e.message.slice(0, 200) : '';
    return new GitHubError(method, 'github.unavailable', reason ? { ...withMessage, reason } : withMessage, status);
  }
  const rateLimited =
    (status === 403 || status === 429) && (String(headers['x-ratelimit-remaining']) === '0' || /rate limit/iu.test(ghMessage));
  if (rateLimited) {
    const reset = Number(headers['x-ratelimit-reset']);
    return new GitHubError(method, 'github.rate_limited', Number.isFinite(reset) && reset > 0 ? { ...withMessage, resetAt: new Date(reset * 1000).toISOString() } : withMessage, status);
  }
  if (status === 404) return new GitHubError(method, 'github.not_found', withMessage, status);
  if (status === 401) return new GitHubError(method, 'github.unauthorized', withMessage, status);
  if (status === 403) return new GitHubError(method, 'github.forbidden', withMessage, status);
  if (status === 422) return new GitHubError(method, 'github.validation_failed', withMessage, status);
  return new GitHubError(method, 'github.unavailable', withMessage, status);
}
