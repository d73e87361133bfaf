// The contract as an integration test drives it: calls through the dispatcher (its zod edges included),
// and the events the handlers emit, recorded and awaited. One harness, so every test reads the same way.
import type { EventName, EventPayload, MethodName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { dispatch } from '../ipc/dispatcher';
import type { Handlers } from '../services/handlers';

export interface ContractCalls {
  /** Every event emitted so far, in order. */
  events: { event: EventName; payload: unknown }[];
  /** What `createHandlers({ emit })` gets. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** A call that must succeed: its value, or an error naming the method and the envelope. */
  call<T>(method: MethodName, input: unknown): Promise<T>;
  /** The next `event` matching `match` (emitted after this call), or a rejection after `timeoutMs`. */
  next<E extends EventName>(event: E, match?: (p: EventPayload<E>) => boolean, timeoutMs?: number): Promise<EventPayload<E>>;
}

/** `handlers` is read at each call: a test may create new handlers (a restart) and keep the same harness. */
export function contractCalls(handlers: () => Handlers): ContractCalls {
  const events: ContractCalls['events'] = [];
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  return {
    events,
    emit(event, payload) {
      events.push({ event, payload });
      for (const l of listeners) l(event, payload);
    },
    async call<T>(method: MethodName, input: unknown): Promise<T> {
      const e: Envelope<unknown> = await dispatch(handlers(), method, input);
      if (!e.ok) throw new Error(`${method}: ${JSON.stringify(e.error)}`);
      return e.value as T;
    },
    next<E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 600_000): Promise<EventPayload<E>> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(l);
          reject(new Error(`no ${event} within ${timeoutMs} ms`));
        }, timeoutMs);
        const l = (e: EventName, p: unknown) => {
          if (e === event && match(p as EventPayload<E>)) {
            clearTimeout(timer);
            listeners.delete(l);
            resolve(p as EventPayload<E>);
          }
        };
        listeners.add(l);
      });
    },
  };
}
