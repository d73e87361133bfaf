// Typed failures of the Hetzner Cloud client; the codes and their translations live in electron/shared.
import { AppError, type ErrorCode, type ErrorParams } from '../../../shared/errors';

/** The `hetzner.*` codes of electron/shared/errors.ts (translated there). */
export type HetznerErrorCode = Extract<ErrorCode, `hetzner.${string}`>;

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
    super(intendedCode, params);
    this.name = 'HetznerError';
    this.intendedCode = intendedCode;
    this.api = api;
  }
}

export function isHetznerError(error: unknown, code?: HetznerErrorCode): error is HetznerError {
  return error instanceof HetznerError && (code === undefined || error.intendedCode === code);
}
