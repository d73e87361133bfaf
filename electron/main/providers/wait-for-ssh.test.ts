import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { createVirtualClock } from '../testing/hetzner-fake';
import { waitForSsh } from './wait-for-ssh';

const PIN = 'SHA256:pinned';

function probeSequence(answers: (string | AppError)[]) {
  const calls: number[] = [];
  const clock = createVirtualClock();
  const probe = async () => {
    calls.push(clock.now());
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (next instanceof AppError) throw next;
    return next;
  };
  return { clock, calls, probe };
}

describe('waitForSsh', () => {
  it('waits through refused connections and timeouts, backing off, until the pinned key answers', async () => {
    const { clock, calls, probe } = probeSequence([new AppError('ssh.connection_refused'), new AppError('ssh.connection_refused'), new AppError('ssh.timeout'), PIN]);
    expect(await waitForSsh({ host: '203.0.113.5', port: 22, hostKeySha256: PIN, probe, now: clock.now, sleep: clock.sleep })).toEqual({ attempts: 4 });
    expect(calls.map((t) => t - calls[0]!)).toEqual([0, 1000, 2500, 4750]);
  });

  it('another host key is a hard stop, at once', async () => {
    const { clock, calls, probe } = probeSequence(['SHA256:someone-else']);
    const error = await waitForSsh({ host: '203.0.113.5', port: 22, hostKeySha256: PIN, probe, now: clock.now, sleep: clock.sleep }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ssh.host_key_mismatch', params: { expected: PIN, got: 'SHA256:someone-else' } });
    expect(calls).toHaveLength(1);
  });

  it('gives up with provider.ssh_timeout, saying what it last saw', async () => {
    const { clock, probe } = probeSequence([new AppError('ssh.connection_refused')]);
    const error = await waitForSsh({ host: '203.0.113.5', port: 22, hostKeySha256: PIN, probe, now: clock.now, sleep: clock.sleep, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider.ssh_timeout', params: { host: '203.0.113.5', seconds: 60, last: 'ssh.connection_refused' } });
    expect(clock.now() - Date.UTC(2025, 0, 1)).toBeLessThanOrEqual(60_000);
  });
});
