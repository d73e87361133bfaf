// A fetch that keeps credentials on the origins they were issued for. Every request that carries a
// credential header (a GitHub or Hetzner token) is checked against the allowed origins — the API root
// the token belongs to, or an explicit test override — and anything else gets the request without
// them: a pagination link, a redirect or a pasted address on another host never receives the token.
// Redirects are followed here (at most five), each hop checked the same way, so the token never
// follows a redirect to another host or down to plain http.

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
const MAX_REDIRECTS = 5;

export interface CredentialFetchOptions {
  /** Origins (`https://api.github.com`) the credentials may go to. */
  allowedOrigins: readonly string[];
  /** Plain http to 127.0.0.1 allowed: only for an explicit test override (a local fake), never for a user's address. */
  allowLoopbackHttp?: boolean;
  /** Extra header names that are credentials for this API. */
  credentialHeaders?: readonly string[];
  fetch?: typeof globalThis.fetch;
  /** Told when credentials were held back from a request (for the log: origin only, never the value). */
  onStripped?: (origin: string) => void;
}

/**
 * Whether `url` may receive credentials at all: https only — or plain http to 127.0.0.1 when the address is
 * an explicit test override (`allowLoopbackHttp`), never because a user typed it.
 */
export function isCredentialSafeUrl(url: string, opts: { allowLoopbackHttp?: boolean } = {}): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (opts.allowLoopbackHttp === true && u.protocol === 'http:' && u.hostname === '127.0.0.1');
  } catch {
    return false;
  }
}

export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function toHeaders(init: HeadersInit | undefined): Headers {
  return new Headers(init ?? {});
}

export function credentialFetch(opts: CredentialFetchOptions): typeof globalThis.fetch {
  const base = opts.fetch ?? globalThis.fetch;
  const allowed = new Set(opts.allowedOrigins.filter((o) => isCredentialSafeUrl(o, opts)).map((o) => new URL(o).origin));
  const secretHeaders = [...CREDENTIAL_HEADERS, ...(opts.credentialHeaders ?? []).map((h) => h.toLowerCase())];

  const strip = (url: URL, headers: Headers): Headers => {
    if (allowed.has(url.origin)) return headers;
    const out = new Headers(headers);
    let stripped = false;
    for (const h of secretHeaders) {
      if (out.has(h)) {
        out.delete(h);
        stripped = true;
      }
    }
    if (stripped) opts.onStripped?.(url.origin);
    return out;
  };

  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url: URL;
    let method: string;
    let headers: Headers;
    let body: BodyInit | null | undefined;
    if (input instanceof Request) {
      url = new URL(input.url);
      method = init?.method ?? input.method;
      headers = toHeaders(init?.headers ?? input.headers);
      body = init?.body ?? (input.body === null ? undefined : await input.arrayBuffer());
    } else {
      url = new URL(String(input));
      method = init?.method ?? 'GET';
      headers = toHeaders(init?.headers);
      body = init?.body;
    }
    for (let hop = 0; ; hop++) {
      const res = await base(url, { ...init, method, headers: strip(url, headers), body, redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
      if (hop >= MAX_REDIRECTS) return res;
      const next = new URL(location, url);
      // 303, and 301/302 after a POST, become a GET without a body (what browsers and undici do).
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = new Headers(headers);
        headers.delete('content-type');
        headers.delete('content-length');
      }
      // Once a redirect leaves the allowed origins, credentials are gone for the rest of the chain.
      if (!allowed.has(next.origin)) headers = strip(next, headers);
      await res.body?.cancel().catch(() => undefined);
      url = next;
    }
  };
  return guarded as typeof globalThis.fetch;
}
