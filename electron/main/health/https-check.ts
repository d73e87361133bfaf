import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { ErrorCode, ErrorParams } from '../../shared/errors';

// The deployment seen from this computer: status and latency of its public health URL, and the certificate the
// reverse proxy presents. The TLS handshake is done first with verification deferred (rejectUnauthorized: false)
// so that an untrusted certificate can still be described (self-signed, expired, Traefik's placeholder); the GET
// is written on that same socket only when the certificate is trusted for the host name, so nothing (not even
// the request line) ever reaches a peer that could be someone else.

export const CERT_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface HttpsCertificate {
  /** Distinguished name, e.g. "C=US, O=Let's Encrypt, CN=R11". */
  issuer: string;
  subject: string;
  /** ISO 8601. */
  validTo: string;
  /** Whole days until validTo (negative once expired). */
  daysLeft: number;
  selfSigned: boolean;
  /** A proxy's placeholder certificate (Traefik's "TRAEFIK DEFAULT CERT"): the real one was not obtained. */
  defaultCert: boolean;
  /** Chains to a trusted root (the system's, or the `ca` option), is in its validity period and names the host. */
  trusted: boolean;
}

export interface HttpsTimings {
  /** Name resolution (null for an IP address). */
  dnsMs: number | null;
  /** TCP connect. */
  connectMs: number | null;
  /** TLS handshake. */
  tlsMs: number | null;
}

export interface HttpsCheck {
  /** Trusted certificate and a 2xx answer. */
  ok: boolean;
  status: number | null;
  /** From writing the GET to the response headers, ms (connection set-up not included: see timings). */
  latencyMs: number | null;
  /** A `health.*` error code, or null when ok. */
  errorCode: ErrorCode | null;
  /** The parameters of errorCode's message (host, port, reason…), null when ok. */
  errorParams: ErrorParams | null;
  certificate: HttpsCertificate | null;
  timings: HttpsTimings;
}

export interface HttpsCheckOptions {
  /** Trust this CA (PEM) instead of the system's roots, e.g. a test CA. */
  ca?: string | Buffer;
  /** Whole check, from DNS to response headers. Default 10 s. */
  timeoutMs?: number;
}

/** Attribute order as printed by `openssl x509 -text`: "C=US, O=Let's Encrypt, CN=R11". */
function dn(value: string): string {
  return value.split('\n').filter((l) => l !== '').join(', ');
}

function commonName(value: string): string | null {
  const line = value.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : null;
}

/** Placeholders served by reverse proxies that have no real certificate (yet) for the name asked. */
function isDefaultCertificate(x: X509Certificate): boolean {
  const cn = commonName(x.subject);
  if (cn === 'TRAEFIK DEFAULT CERT' || cn === 'Kubernetes Ingress Controller Fake Certificate') return true;
  return (x.subjectAltName ?? '').split(', ').some((n) => n.startsWith('DNS:') && n.endsWith('.traefik.default'));
}

export function describeCertificate(raw: Buffer, trusted: boolean, nowMs = Date.now()): HttpsCertificate {
  const x = new X509Certificate(raw);
  const validTo = Date.parse(x.validTo);
  const selfSigned = x.checkIssued(x) && x.verify(x.publicKey);
  return {
    issuer: dn(x.issuer),
    subject: dn(x.subject),
    validTo: new Date(validTo).toISOString(),
    daysLeft: Math.floor((validTo - nowMs) / DAY_MS),
    selfSigned,
    defaultCert: isDefaultCertificate(x),
    trusted,
  };
}

export type CertificateWarning = 'expired' | 'expiring' | 'default' | 'self_signed' | 'untrusted';

/** The one thing to show about a certificate, worst first; null when all is well. */
export function certificateWarning(cert: HttpsCertificate): CertificateWarning | null {
  if (cert.daysLeft < 0) return 'expired';
  if (cert.defaultCert) return 'default';
  if (cert.selfSigned) return 'self_signed';
  if (!cert.trusted) return 'untrusted';
  if (cert.daysLeft < CERT_WARN_DAYS) return 'expiring';
  return null;
}

interface Failure {
  code: ErrorCode;
  params: ErrorParams;
}

/** OpenSSL's X509_V_ERR_* names as Node reports them. */
const CERT_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);

/** Node's socket and TLS error codes → our stable codes. */
export function classifyNetworkError(error: unknown, host: string, port: number, timeoutMs = 0): Failure {
  const code = (error as { code?: unknown } | null)?.code;
  const name = typeof code === 'string' ? code : 'unknown';
  switch (name) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return { code: 'health.host_not_found', params: { host } };
    case 'ECONNREFUSED':
      return { code: 'health.connection_refused', params: { host, port } };
    case 'ETIMEDOUT':
      // The system's own connect timeout (it can come before ours).
      return { code: 'health.timeout', params: { host, timeoutMs } };
    default:
      // Certificate verification failures, when the caller verifies during the handshake (the K3s client does).
      if (CERT_VERIFY_CODES.has(name) || name.startsWith('ERR_TLS_CERT')) return { code: 'health.tls_untrusted', params: { host, reason: name } };
      // A handshake the peer does not speak (plain HTTP on 443, a protocol version refused): not a TLS server we trust.
      if (name.startsWith('ERR_SSL_') || name.startsWith('ERR_TLS_')) return { code: 'health.tls_untrusted', params: { host, reason: name } };
      return { code: 'health.unreachable', params: { host, reason: name } };
  }
}

/** `socket.authorizationError` → our code; an expired certificate is told apart whatever else is wrong with it. */
function classifyUntrusted(reason: string, cert: HttpsCertificate | null, host: string): Failure {
  if (reason === 'CERT_HAS_EXPIRED' || (cert && cert.daysLeft < 0)) {
    return { code: 'health.tls_expired', params: { host, date: cert ? cert.validTo.slice(0, 10) : '?' } };
  }
  return { code: 'health.tls_untrusted', params: { host, reason } };
}

/**
 * One check of `url` (https only). Never throws: every failure is a result with an errorCode, and the certificate
 * when the handshake got that far.
 */
export function checkHttps(url: string, opts: HttpsCheckOptions = {}): Promise<HttpsCheck> {
  const timings: HttpsTimings = { dnsMs: null, connectMs: null, tlsMs: null };
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || parsed.protocol !== 'https:' || parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') {
    // The URL is not echoed back whole: it could carry credentials.
    const shown = parsed ? `${parsed.protocol}//${parsed.host}` : url.slice(0, 80).replace(/\/\/[^@/]*@/, '//');
    return Promise.resolve({ ok: false, status: null, latencyMs: null, errorCode: 'health.url_invalid', errorParams: { url: shown }, certificate: null, timings });
  }
  const target = parsed;
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.port ? Number(target.port) : 443;
  const timeoutMs = opts.timeoutMs ?? 10_000;

  return new Promise<HttpsCheck>((resolve) => {
    const t0 = performance.now();
    let mark = t0;
    const lap = () => {
      const now = performance.now();
      const ms = Math.round((now - mark) * 100) / 100;
      mark = now;
      return ms;
    };
    let certificate: HttpsCertificate | null = null;
    let settled = false;
    let socket: TLSSocket | null = null;

    const finish = (result: Omit<HttpsCheck, 'certificate' | 'timings'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({ ...result, certificate, timings });
    };
    const fail = (f: Failure, status: number | null = null, latencyMs: number | null = null) =>
      finish({ ok: false, status, latencyMs, errorCode: f.code, errorParams: f.params });

    const timer = setTimeout(() => fail({ code: 'health.timeout', params: { host, timeoutMs } }), timeoutMs);

    socket = tlsConnect({
      host,
      port,
      // SNI carries names only; an IP address is checked against the certificate's IP entries.
      ...(isIP(host) ? {} : { servername: host }),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const tls = socket;
    tls.once('lookup', () => (timings.dnsMs = lap()));
    tls.once('connect', () => (timings.connectMs = lap()));
    tls.on('error', (error) => fail(classifyNetworkError(error, host, port, timeoutMs)));
    tls.once('secureConnect', () => {
      timings.tlsMs = lap();
      const peer = tls.getPeerCertificate();
      const trusted = tls.authorized;
      try {
        certificate = peer && peer.raw ? describeCertificate(peer.raw, trusted) : null;
      } catch {
        certificate = null;
      }
      if (!trusted) {
        // Typed as an Error, but Node stores the verification code there ("DEPTH_ZERO_SELF_SIGNED_CERT").
        const ae = tls.authorizationError as unknown;
        const reason = typeof ae === 'string' ? ae : ae instanceof Error ? ((ae as Error & { code?: string }).code ?? ae.message) : 'unknown';
        fail(classifyUntrusted(reason, certificate, host));
        return;
      }
      const sentAt = performance.now();
      // Our own socket, no agent: the request goes on exactly this verified connection and nowhere else.
      const req = httpRequest({
        createConnection: () => tls,
        host,
        port,
        method: 'GET',
        path: `${target.pathname}${target.search}`,
        headers: { host: target.host, 'user-agent': 'koprogo-deploy-health', accept: '*/*', connection: 'close' },
      });
      req.on('error', (error) => fail(classifyNetworkError(error, host, port, timeoutMs)));
      req.on('response', (res) => {
        const latencyMs = Math.round((performance.now() - sentAt) * 100) / 100;
        const status = res.statusCode ?? 0;
        // The body is not needed: the status says it all, and a large page must not be downloaded every 5 s.
        res.destroy();
        if (status >= 200 && status < 300) finish({ ok: true, status, latencyMs, errorCode: null, errorParams: null });
        else fail({ code: 'health.http_status', params: { host, status } }, status, latencyMs);
      });
      req.end();
    });
  });
}

// ---- Rolling latency percentiles --------------------------------------------------------------

export interface LatencyStats {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p % of the values at or below it. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * Latencies of the last `windowMs`, at most `maxEntries` of them (the oldest go first): an hour at one check per
 * 5 s is 720 entries. Written by hand because it is two parallel ring buffers and a sort, not worth a dependency.
 */
export class LatencyWindow {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(
    readonly windowMs: number,
    readonly maxEntries = 10_000,
  ) {
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.times = new Float64Array(maxEntries);
    this.values = new Float64Array(maxEntries);
  }

  /** Adds one latency measured at `atMs` (times are expected in order; a non-finite or negative value is ignored). */
  add(ms: number, atMs: number): void {
    if (!Number.isFinite(ms) || ms < 0 || !Number.isFinite(atMs)) return;
    this.prune(atMs);
    const cap = this.maxEntries;
    const end = (this.start + this.count) % cap;
    this.times[end] = atMs;
    this.values[end] = ms;
    if (this.count < cap) this.count++;
    else this.start = (this.start + 1) % cap;
  }

  stats(nowMs: number): LatencyStats {
    this.prune(nowMs);
    const sorted = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) sorted[i] = this.values[(this.start + i) % this.maxEntries]!;
    sorted.sort();
    const arr = Array.from(sorted);
    return { p50: nearestRank(arr, 50), p95: nearestRank(arr, 95), p99: nearestRank(arr, 99), count: arr.length };
  }

  /** Drops entries older than the window (times at or before nowMs - windowMs). */
  private prune(nowMs: number): void {
    const cutoff = nowMs - this.windowMs;
    while (this.count > 0 && this.times[this.start]! <= cutoff) {
      this.start = (this.start + 1) % this.maxEntries;
      this.count--;
    }
  }
}
