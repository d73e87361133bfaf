// GitHub's OAuth device flow (https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow):
// ask for a user code, show it, poll until the user approves. The base URL is injectable (fake in tests).
import { z } from 'zod';
import { isCredentialSafeUrl } from '../security/credential-fetch';
import type { NetworkCheck } from '../network/doctor';
import { GitHubError } from './errors';

export interface DeviceFlowOptions {
  /** `https://github.com` (default) or the GitHub Enterprise web host. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /** `baseUrl` is an explicit test override: plain http to 127.0.0.1 allowed (the local fake). */
  allowLoopbackHttp?: boolean;
  /** Run on a request that got no HTTP answer: an error to report instead (offline), or null. */
  networkCheck?: NetworkCheck;
}

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** Seconds. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
}

export interface PollOptions extends DeviceFlowOptions {
  clientId: string;
  device: DeviceCode;
  /** Injectable for tests (default: a real timer). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
  /** Told each poll's outcome and the interval in force (progress in the UI). */
  onPoll?: (state: 'authorization_pending' | 'slow_down', intervalSeconds: number) => void;
}

export interface DeviceToken {
  /** The OAuth token: store it in the keychain, never in a log. */
  accessToken: string;
  tokenType: string;
  scope: string;
}

const codeSchema = z.object({ device_code: z.string(), user_code: z.string(), verification_uri: z.string(), expires_in: z.number(), interval: z.number().optional() });
const tokenSchema = z.union([
  z.object({ access_token: z.string(), token_type: z.string().optional(), scope: z.string().optional() }),
  z.object({ error: z.string(), error_description: z.string().optional(), interval: z.number().optional() }),
]);

async function post(method: string, opts: DeviceFlowOptions, path: string, form: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
  const base = (opts.baseUrl ?? 'https://github.com').replace(/\/+$/u, '');
  // The device code and the token that comes back are credentials: never over plain http (but the loopback test fake).
  if (!isCredentialSafeUrl(base, opts)) throw new GitHubError(method, 'github.insecure_http', { host: base.replace(/^[a-z]+:\/\//u, '').slice(0, 100) });
  let res: Response;
  try {
    res = await (opts.fetch ?? globalThis.fetch)(`${base}${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      // A redirect would carry the device code elsewhere: GitHub answers these endpoints directly.
      redirect: 'error',
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    const offline = opts.networkCheck ? await opts.networkCheck(`${base}${path}`) : null;
    if (offline) throw offline;
    throw new GitHubError(method, 'github.unavailable', { reason: err instanceof Error ? err.message.slice(0, 200) : 'network' });
  }
  if (res.status >= 500) throw new GitHubError(method, 'github.unavailable', {}, res.status);
  if (res.status === 404 || res.status === 401) throw new GitHubError(method, 'github.unauthorized', { reason: 'device_flow_unavailable' }, res.status);
  try {
    return (await res.json()) as unknown;
  } catch {
    throw new GitHubError(method, 'github.invalid_response', {}, res.status);
  }
}

export async function startDeviceFlow(clientId: string, scope: string, opts: DeviceFlowOptions = {}): Promise<DeviceCode> {
  const data = await post('startDeviceFlow', opts, '/login/device/code', { client_id: clientId, scope });
  const err = z.object({ error: z.string() }).safeParse(data);
  if (err.success) throw new GitHubError('startDeviceFlow', 'github.unauthorized', { reason: err.data.error });
  const r = codeSchema.safeParse(data);
  if (!r.success) throw new GitHubError('startDeviceFlow', 'github.invalid_response', {});
  return { deviceCode: r.data.device_code, userCode: r.data.user_code, verificationUri: r.data.verification_uri, expiresIn: r.data.expires_in, interval: r.data.interval ?? 5 };
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the user approves (token), denies, or the code expires. `slow_down` adds 5 s to the interval. */
export async function pollDeviceFlow(opts: PollOptions): Promise<DeviceToken> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.device.expiresIn * 1000;
  let interval = Math.max(opts.device.interval, 1);
  for (;;) {
    await sleep(interval * 1000);
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (now() > deadline) throw new GitHubError('pollDeviceFlow', 'github.device_expired', {});
    const data = await post('pollDeviceFlow', opts, '/login/oauth/access_token', {
      client_id: opts.clientId,
      device_code: opts.device.deviceCode,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    }, opts.signal);
    const r = tokenSchema.safeParse(data);
    if (!r.success) throw new GitHubError('pollDeviceFlow', 'github.invalid_response', {});
    if ('access_token' in r.data) return { accessToken: r.data.access_token, tokenType: r.data.token_type ?? 'bearer', scope: r.data.scope ?? '' };
    switch (r.data.error) {
      case 'authorization_pending':
        opts.onPoll?.('authorization_pending', interval);
        break;
      case 'slow_down':
        // GitHub says: add 5 seconds (it also sends the new interval; take whichever is longer).
        interval = Math.max(interval + 5, r.data.interval ?? 0);
        opts.onPoll?.('slow_down', interval);
        break;
      case 'expired_token':
        throw new GitHubError('pollDeviceFlow', 'github.device_expired', {});
      case 'access_denied':
        throw new GitHubError('pollDeviceFlow', 'github.device_denied', {});
      default:
        throw new GitHubError('pollDeviceFlow', 'github.unauthorized', { reason: r.data.error });
    }
  }
}
