// Typed failures of the OVHcloud client; every code is in electron/shared/errors.ts with its
// translations. The guard below keeps a code added here first from crossing a front door untyped.
import { AppError, isErrorCode, type ErrorParams } from '../../../shared/errors';

export const OVH_ERROR_CODES = [
  /** 403 INVALID_KEY: the application key is unknown on this endpoint (wrong key, or wrong ovh-eu/ca/us). */
  'ovh.invalid_application_key',
  /** 400 INVALID_SIGNATURE: the signature does not match, in practice a wrong application secret. */
  'ovh.signature_invalid',
  /** 403 NOT_CREDENTIAL / 401: the consumer key does not exist (revoked, expired, refused or mistyped). */
  'ovh.invalid_credentials',
  /** 403 INVALID_CREDENTIAL: the consumer key exists but the user has not validated it yet. */
  'ovh.credential_pending',
  /** The consumer key was refused or expired before the user validated it. */
  'ovh.credential_refused',
  /** The user did not validate the consumer key within the time we wait. */
  'ovh.validation_timeout',
  /** 403 NOT_GRANTED_CALL: the consumer key's access rules do not cover this call. */
  'ovh.not_granted',
  /** 400 QUERY_TIME_OUT even after re-reading /auth/time: our clock moves too much. */
  'ovh.clock_skew',
  /** 404 where we expected the resource. */
  'ovh.not_found',
  /** Still 429 after every retry. */
  'ovh.rate_limited',
  /** 5xx, network failure or timeout after every retry (reads, or writes known not to have happened). */
  'ovh.unavailable',
  /** A write whose outcome we could not establish even after looking it up again. */
  'ovh.unknown_outcome',
  /** 400 on our input: a bug on our side, an unavailable flavor/region, or an API change. */
  'ovh.invalid_input',
  /** An instance with our name exists but in another region or with another flavor. */
  'ovh.instance_name_taken',
  /** An instance went to ERROR (or another terminal failure status) while we waited. */
  'ovh.instance_failed',
  /** An instance stayed in BUILD longer than allowed. */
  'ovh.instance_timeout',
  /** An SSH key with our name holds another public key. */
  'ovh.ssh_key_conflict',
  /** The API answered with a body our schema does not accept. */
  'ovh.response_invalid',
  /** Any other API error (errorCode in params.apiCode). */
  'ovh.api_error',
] as const;

export type OvhErrorCode = (typeof OVH_ERROR_CODES)[number];

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
    const code = isErrorCode(intendedCode) ? intendedCode : 'internal.unexpected';
    super(code, (code as string) === intendedCode ? params : { method: intendedCode, intendedCode, ...params });
    this.name = 'OvhError';
    this.intendedCode = intendedCode;
    this.api = api;
  }
}

export function isOvhError(error: unknown, code?: OvhErrorCode): error is OvhError {
  return error instanceof OvhError && (code === undefined || error.intendedCode === code);
}
