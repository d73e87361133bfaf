import { AppError } from '../../shared/errors';
import type { HetznerClient } from '../providers/hetzner/client';
import { isHetznerError } from '../providers/hetzner/errors';
import * as S from '../providers/hetzner/schemas';
import { abortableSleep } from '../providers/sleep';
import type { StepIo } from './step-io';

// The Hetzner resize as three resumable steps: graceful shutdown, change_type, power on. Each first
// looks at the server (a step already done is recognised, whoever did it), and journals the id of the
// action it starts before waiting for it: a run resumed after a crash or a cut follows that action
// instead of starting another one — one resize, never two.

/** How long the operating system gets to shut down after the ACPI request before a hard power-off. */
export const SHUTDOWN_GRACE_MS = 180_000;
/** `server_not_stopped` after a finished shutdown (the platform is a moment behind): tries of change_type. */
export const CHANGE_TYPE_TRIES = 6;

async function startAction(client: HetznerClient, serverId: number, action: 'shutdown' | 'poweroff' | 'poweron', io: StepIo, key: string): Promise<number> {
  const known = io.data[key];
  if (typeof known === 'number') return known;
  // Power actions are harmless to repeat: asking twice after a lost answer does no harm.
  const res = await client.call('POST', `/servers/${serverId}/actions/${action}`, S.actionResponse, { body: {}, idempotent: true, signal: io.signal });
  await io.save({ [key]: res.action.id });
  return res.action.id;
}

async function follow(client: HetznerClient, actionId: number, io: StepIo, code: string): Promise<void> {
  await client.waitForAction(actionId, { signal: io.signal, timeoutMs: 30 * 60_000, onProgress: (a) => io.progress(code, { actionId }, a.progress) });
}

export async function shutdown(client: HetznerClient, serverId: number, io: StepIo): Promise<void> {
  const server = await client.getServer(serverId, io.signal);
  if (server.status === 'off') return;
  const actionId = await startAction(client, serverId, 'shutdown', io, 'actionId');
  await follow(client, actionId, io, 'upgrade.progress.shutdown');
  // The action only says the ACPI request was sent: wait for the system to power itself off.
  try {
    await client.waitForServerStatus(serverId, 'off', { signal: io.signal, timeoutMs: SHUTDOWN_GRACE_MS });
  } catch (error) {
    if (!isHetznerError(error, 'hetzner.action_timeout')) throw error;
    io.log(`the server did not shut down within ${SHUTDOWN_GRACE_MS / 1000} s: powering it off`);
    const off = await startAction(client, serverId, 'poweroff', io, 'poweroffId');
    await follow(client, off, io, 'upgrade.progress.shutdown');
    await client.waitForServerStatus(serverId, 'off', { signal: io.signal, timeoutMs: 10 * 60_000 });
  }
}

export async function changeType(client: HetznerClient, serverId: number, target: string, upgradeDisk: boolean, io: StepIo, sleep = abortableSleep): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const server = await client.getServer(serverId, io.signal);
    if (server.server_type.name === target) return;
    const running = io.data.actionId;
    if (typeof running === 'number') {
      await follow(client, running, io, 'upgrade.progress.changeType');
      const after = await client.getServer(serverId, io.signal);
      if (after.server_type.name === target) return;
      throw new AppError('hetzner.action_failed', { actionId: running, command: 'change_server_type', apiCode: 'type_unchanged' });
    }
    if (server.locked) {
      // Something runs on the server (perhaps our own change_type, whose answer was lost): wait for it.
      io.log('the server is locked by a running action: waiting for it to end');
      await sleep(2000, io.signal);
      continue;
    }
    if (server.status !== 'off') {
      if (attempt > CHANGE_TYPE_TRIES) throw new AppError('upgrade.server_not_stopped', { attempts: attempt - 1 });
      await client.waitForServerStatus(serverId, 'off', { signal: io.signal, timeoutMs: SHUTDOWN_GRACE_MS });
      continue;
    }
    try {
      const res = await client.call('POST', `/servers/${serverId}/actions/change_type`, S.actionResponse, { body: { server_type: target, upgrade_disk: upgradeDisk }, signal: io.signal });
      await io.save({ actionId: res.action.id });
    } catch (error) {
      if (isHetznerError(error) && error.api?.code === 'server_not_stopped') {
        if (attempt >= CHANGE_TYPE_TRIES) throw new AppError('upgrade.server_not_stopped', { attempts: attempt });
        io.log(`Hetzner answered server_not_stopped after the shutdown: trying again (${attempt}/${CHANGE_TYPE_TRIES - 1})`);
        await sleep(1000 * 2 ** (attempt - 1), io.signal);
        continue;
      }
      // The change may have started without us hearing it: the next look at the server says.
      if (isHetznerError(error, 'hetzner.unknown_outcome')) continue;
      throw error;
    }
  }
}

export async function powerOn(client: HetznerClient, serverId: number, io: StepIo): Promise<void> {
  const server = await client.getServer(serverId, io.signal);
  if (server.status === 'running') return;
  const actionId = await startAction(client, serverId, 'poweron', io, 'actionId');
  await follow(client, actionId, io, 'upgrade.progress.powerOn');
  await client.waitForServerStatus(serverId, 'running', { signal: io.signal, timeoutMs: 10 * 60_000 });
}
