// How long a value of each kind may be, in characters (zod-free: the form checks it as it is typed, the
// main side again before writing the .env). Limits of the standards where there is one: RFC 1035 for a
// domain (253), RFC 5321 for an e-mail address (254, 64 before the @), a URL as browsers keep it.
export const ENV_VALUE_MAX = {
  secret: 1024,
  domain: 253,
  email: 254,
  url: 2048,
  logLevel: 16,
  number: 20,
  boolean: 5,
  htpasswd: 2048,
  text: 4096,
} as const;
export const EMAIL_LOCAL_MAX = 64;
/** The user half of an htpasswd pair (Traefik basic auth). */
export const HTPASSWD_USER_MAX = 64;

export function valueTooLong(kind: keyof typeof ENV_VALUE_MAX, value: string): boolean {
  if (value.length > ENV_VALUE_MAX[kind]) return true;
  return kind === 'email' && value.indexOf('@') > EMAIL_LOCAL_MAX;
}
