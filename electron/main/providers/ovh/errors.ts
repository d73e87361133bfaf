// Typed failures of the OVHcloud client; the codes and their translations live in electron/shared.
import { AppError, type ErrorCode, type ErrorParams } from '../../../shared/errors';

/** The `ovh.*` codes of electron/shared/errors.ts (translated there). */
export type OvhErrorCode = Extract<ErrorCode, `ovh.${string}`>;

/** What the API answered, when it answered: the status and OVH's errorCode, never a header or a key. */
export interface OvhApiFailure {
  status: number;
  errorCode: string;
  message: string;
  queryId: string | null;
}

/** Parameters never hold the application secret or the consumer key: only ids, names, statuses and API codes. */
export class OvhError extends AppError {
  readonly intendedCode: OvhErrorCode;
  readonly api: OvhApiFailure | undefined;

  constructor(intendedCode: OvhErrorCode, params: ErrorParams = {}, api?: OvhApiFailure) {
    super(intendedCode, params);
    this.name = 'OvhError';
    this.intendedCode = intendedCode;
    this.api = api;
  }
}

export function isOvhError(error: unknown, code?: OvhErrorCode): error is OvhError {
  return error instanceof OvhError && (code === undefined || error.intendedCode === code);
}
