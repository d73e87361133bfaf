// After a provider says the server runs, its SSH server still has to come up (cloud-init installs
// the app's host key first). Polls the SSH handshake, backing off, until the server presents the
// pinned host key. Another key is a hard stop (ssh.host_key_mismatch): with a key we generated and
// injected ourselves, a different one means we are not talking to our server.
import { AppError } from '../../shared/errors';
import { SshConnection } from '../ssh/connection';
import { abortableSleep } from './sleep';

export interface WaitForSshOptions {
  host: string;
  port: number;
  hostKeySha256: string;
  /** Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Defaults: 1 s, ×1.5, at most 5 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable for tests: returns the fingerprint the server presents. */
  probe?: (host: string, port: number) => Promise<string>;
}

/** Resolves with the number of attempts once the server presents the pinned key. */
export async function waitForSsh(opts: WaitForSshOptions): Promise<{ attempts: number }> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const probe = opts.probe ?? ((host: string, port: number) => SshConnection.probeHostKey({ host, port, user: 'root' }, { readyTimeoutMs: 10_000 }));
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const deadline = now() + timeoutMs;
  let delay = opts.initialDelayMs ?? 1000;
  let last: string;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    try {
      const seen = await probe(opts.host, opts.port);
      if (seen === opts.hostKeySha256) return { attempts: attempt };
      throw new AppError('ssh.host_key_mismatch', { host: opts.host, expected: opts.hostKeySha256, got: seen });
    } catch (error) {
      if (error instanceof AppError && error.code === 'ssh.host_key_mismatch') throw error;
      // Refused, unreachable, timed out: the server is still booting.
      last = error instanceof AppError ? error.code : 'network';
    }
    if (now() + delay > deadline) throw new AppError('provider.ssh_timeout', { host: opts.host, port: opts.port, seconds: Math.round(timeoutMs / 1000), last });
    await sleep(delay, opts.signal);
    delay = Math.min(opts.maxDelayMs ?? 5000, Math.round(delay * 1.5));
  }
}
