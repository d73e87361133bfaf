import type { Api, EventName, EventPayload } from '../../electron/shared/contract';
import { AppError, type Envelope } from '../../electron/shared/errors';

// The renderer talks to the main side only through an `Api` typed by the contract. Two transports:
// Electron's preload (window.api) and the WebSocket of web mode. Both carry the same envelopes.

export interface Transport {
  call(method: string, input: unknown): Promise<Envelope<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: Record<string, (input: unknown) => Promise<Envelope<unknown>>>;
    apiEvents?: { on(event: string, listener: (payload: unknown) => void): () => void };
  }
}

export function createApi(transport: Transport): Api {
  const call = async (method: string, input: unknown): Promise<unknown> => {
    const envelope = await transport.call(method, input);
    if (envelope.ok) return envelope.value;
    throw AppError.fromEnvelope(envelope.error);
  };
  // A Proxy keeps zod (and the contract's schemas) out of the renderer bundle: method names are
  // checked on the main side, and TypeScript checks them here.
  return new Proxy({} as Api, {
    get(_target, prop) {
      if (prop === 'on') return <E extends EventName>(event: E, listener: (p: EventPayload<E>) => void) => transport.on(event, listener as (p: unknown) => void);
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (input: unknown) => call(prop, input);
    },
  });
}

export function electronTransport(): Transport | null {
  const methods = window.api;
  const events = window.apiEvents;
  if (!methods || !events) return null;
  return {
    call: async (method, input) => {
      const fn = methods[method];
      if (!fn) return { ok: false, error: new AppError('ipc.unknown_method', { method }).toEnvelope() };
      return fn(input);
    },
    on: (event, listener) => events.on(event, listener),
  };
}

/** WebSocket transport with reconnection; calls made while reconnecting wait for the socket. */
export function webSocketTransport(url: string): Transport {
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;
  let nextId = 1;
  const pending = new Map<number, (envelope: Envelope<unknown>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const connect = (): Promise<WebSocket> => {
    ready ??= new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new AppError('ipc.disconnected'));
      ws.onclose = () => {
        socket = null;
        ready = null;
        for (const [id, done] of pending) {
          done({ ok: false, error: new AppError('ipc.disconnected').toEnvelope() });
          pending.delete(id);
        }
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as { id?: number; envelope?: Envelope<unknown>; event?: string; payload?: unknown };
        if (typeof data.id === 'number' && data.envelope) {
          pending.get(data.id)?.(data.envelope);
          pending.delete(data.id);
        } else if (typeof data.event === 'string') {
          for (const l of listeners.get(data.event) ?? []) l(data.payload);
        }
      };
    });
    return ready;
  };

  return {
    call: async (method, input) => {
      let ws: WebSocket;
      try {
        ws = socket ?? (await connect());
      } catch {
        return { ok: false, error: new AppError('ipc.disconnected').toEnvelope() };
      }
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, input }));
      });
    },
    on: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      void connect().catch(() => undefined);
      return () => set.delete(listener);
    },
  };
}
