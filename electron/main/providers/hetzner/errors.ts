// Typed failures of the Hetzner Cloud client; every code is in electron/shared/errors.ts with its
// translations. The guard below keeps a code added here first from crossing a front door untyped.
import { AppError, isErrorCode, type ErrorParams } from '../../../shared/errors';

export const HETZNER_ERROR_CODES = [
  /** 401: the token is wrong, revoked or expired (Hetzner does not tell these apart). */
  'hetzner.token_invalid',
  /** 403 on a write: a "Read" token where a "Read & Write" token is needed. */
  'hetzner.token_read_only',
  /** 403 for another reason than a read-only token. */
  'hetzner.forbidden',
  /** resource_limit_exceeded: the project's limit (servers, cores, ...) is reached; Hetzner support can raise it. */
  'hetzner.limit_exceeded',
  /** resource_unavailable (412): e.g. the server type is sold out in this location right now. */
  'hetzner.resource_unavailable',
  /** Still 429 after waiting as long as we allow. */
  'hetzner.rate_limited',
  /** 5xx, network failure or timeout after every retry (reads, or writes known not to have happened). */
  'hetzner.unavailable',
  /** A write whose outcome we could not establish even after looking it up again. */
  'hetzner.unknown_outcome',
  /** 400 invalid_input / json_error: a bug on our side or an unexpected API change. */
  'hetzner.invalid_input',
  /** 404 where we expected the resource. */
  'hetzner.not_found',
  /** A server with the name exists in the project but was not created by this app for this profile. */
  'hetzner.server_name_taken',
  /** An SSH key with our name (or our key under another name) exists and is not ours. */
  'hetzner.ssh_key_conflict',
  /** A firewall with our name exists and is not ours. */
  'hetzner.firewall_conflict',
  /** An action ended with status "error". */
  'hetzner.action_failed',
  /** An action or a status wait took longer than allowed. */
  'hetzner.action_timeout',
  /** The API answered with a body our schema does not accept. */
  'hetzner.response_invalid',
  /** Any other API error (code in params.apiCode). */
  'hetzner.api_error',
  /** cloud-init user data we refuse to build (missing/mismatched host key, too large). */
  'hetzner.user_data_invalid',
] as const;

export type HetznerErrorCode = (typeof HETZNER_ERROR_CODES)[number];

/** What the API answered, when it answered (for callers that branch on it, e.g. uniqueness_error). */
export interface HetznerApiFailure {
  status: number;
  code: string;
  message: string;
  details: unknown;
}

/** Parameters never hold the token, a key or user data: only ids, names, statuses and API codes. */
export class HetznerError extends AppError {
  readonly intendedCode: HetznerErrorCode;
  readonly api: HetznerApiFailure | undefined;

  constructor(intendedCode: HetznerErrorCode, params: ErrorParams = {}, api?: HetznerApiFailure) {
    const code = isErrorCode(intendedCode) ? intendedCode : 'internal.unexpected';
    super(code, (code as string) === intendedCode ? params : { method: intendedCode, intendedCode, ...params });
    this.name = 'HetznerError';
    this.intendedCode = intendedCode;
    this.api = api;
  }
}

export function isHetznerError(error: unknown, code?: HetznerErrorCode): error is HetznerError {
  return error instanceof HetznerError && (code === undefined || error.intendedCode === code);
}
