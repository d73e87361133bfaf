/**
 * HTTPS health check from this computer: status, latency and the peer's TLS certificate of the deployment's public
 * health URL, plus a rolling window of latencies for P50/P95/P99.
 */

export interface HttpsCertificate {
  issuer: string;
  subject: string;
  /** ISO 8601. */
  validTo: string;
  daysLeft: number;
  selfSigned: boolean;
  /** A proxy's placeholder certificate (Traefik's "TRAEFIK DEFAULT CERT"): the real one was not issued. */
  defaultCert: boolean;
  /** Chains to a trusted root (the system's, or the `ca` option) and matches the host name. */
  trusted: boolean;
}

export interface HttpsCheck {
  ok: boolean;
  status: number | null;
  /** Time to response headers of the GET, in ms. */
  latencyMs: number | null;
  /** A stable `health.*` error code, or null. */
  errorCode: string | null;
  certificate: HttpsCertificate | null;
}

export interface HttpsCheckOptions {
  /** Extra trusted CA (PEM), e.g. a test CA. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export function checkHttps(url: string, opts: HttpsCheckOptions = {}): Promise<HttpsCheck> {
  void url;
  void opts;
  return Promise.reject(new Error('not implemented'));
}

export interface LatencyStats {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

/** Latencies over a rolling time window; nearest-rank percentiles. */
export class LatencyWindow {
  constructor(readonly windowMs: number) {}

  add(ms: number, atMs: number): void {
    void ms;
    void atMs;
    throw new Error('not implemented');
  }

  stats(nowMs: number): LatencyStats {
    void nowMs;
    throw new Error('not implemented');
  }
}
