import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_CALL_CHANNEL, MAX_MESSAGE_BYTES } from '../../shared/contract';
import { AppError, type Envelope } from '../../shared/errors';
import { isTrustedSender } from '../security/navigation';
import type { Handlers } from '../services/handlers';
import type { Logger } from '../log';
import { dispatch } from './dispatcher';

type IpcLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

/** The part of an invoke event we look at; a test can build one without Electron. */
export interface SenderInfo {
  senderFrame: { url: string; parent: unknown } | null;
  sender: Pick<WebContents, 'id'>;
}

/**
 * Binds the contract to Electron IPC: one channel, every call goes through the shared dispatcher
 * after the sender has been checked against our own main frame.
 */
export function registerIpc(ipc: IpcLike, handlers: Handlers, opts: { origins: string[]; log?: Logger; trustedWebContentsIds: () => number[] }): () => void {
  ipc.handle(IPC_CALL_CHANNEL, (event: IpcMainInvokeEvent | SenderInfo, method: unknown, input: unknown) =>
    handleIpcCall(event as SenderInfo, method, input, handlers, opts),
  );
  return () => ipc.removeHandler(IPC_CALL_CHANNEL);
}

export async function handleIpcCall(
  event: SenderInfo,
  method: unknown,
  input: unknown,
  handlers: Handlers,
  opts: { origins: string[]; log?: Logger; trustedWebContentsIds: () => number[] },
): Promise<Envelope<unknown>> {
  const frame = event.senderFrame ? { url: event.senderFrame.url, isMainFrame: event.senderFrame.parent === null } : null;
  if (!opts.trustedWebContentsIds().includes(event.sender.id) || !isTrustedSender(frame, opts.origins)) {
    opts.log?.error('IPC call refused from an untrusted sender', { url: frame?.url ?? null });
    return { ok: false, error: new AppError('ipc.untrusted_sender').toEnvelope() };
  }
  let size: number;
  try {
    size = JSON.stringify(input ?? null).length;
  } catch {
    return { ok: false, error: new AppError('ipc.malformed').toEnvelope() };
  }
  if (size > MAX_MESSAGE_BYTES) return { ok: false, error: new AppError('ipc.payload_too_large', { limit: MAX_MESSAGE_BYTES }).toEnvelope() };
  return dispatch(handlers, method, input, opts.log);
}
