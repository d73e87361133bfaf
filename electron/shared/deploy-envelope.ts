import { isErrorCode, type ErrorEnvelope } from './errors';

/** Events and run records carry error envelopes with a plain string code; unknown codes become "unexpected". */
export function envelopeOf(e: { code: string; params: Record<string, string | number>; remedy: string } | null | undefined): ErrorEnvelope | null {
  if (!e) return null;
  if (isErrorCode(e.code)) return { code: e.code, params: e.params, remedy: e.remedy };
  return { code: 'internal.unexpected', params: { method: e.code }, remedy: 'internal.unexpected' };
}
