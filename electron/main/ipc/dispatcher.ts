import type { z } from 'zod';
import { contract, isMethodName, MAX_MESSAGE_BYTES, type MethodName } from '../../shared/contract';
import { AppError, type Envelope, type FieldIssue } from '../../shared/errors';
import type { Handlers } from '../services/handlers';
import type { Logger } from '../log';

/**
 * The single entry point every front door uses: Electron IPC, the WebSocket of web mode, the CLI.
 * Validates the method name and the input, runs the handler, validates the output, and always
 * answers with an envelope. Never throws.
 */
export async function dispatch(handlers: Handlers, rawMethod: unknown, rawInput: unknown, log?: Logger): Promise<Envelope<unknown>> {
  const envelope = await dispatchUnredacted(handlers, rawMethod, rawInput, log);
  // An error's parameters come from anywhere (a server's output, an API's answer): masked like the logs.
  return envelope.ok || !log ? envelope : log.redactValue(envelope);
}

async function dispatchUnredacted(handlers: Handlers, rawMethod: unknown, rawInput: unknown, log?: Logger): Promise<Envelope<unknown>> {
  if (!isMethodName(rawMethod)) {
    return fail(new AppError('ipc.unknown_method', { method: printable(rawMethod) }));
  }
  const method: MethodName = rawMethod;
  const spec = contract[method];
  const parsed = spec.input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    return fail(new AppError('ipc.invalid_input', { method }, 'ipc.invalid_input', zodIssues(parsed.error)));
  }
  let value: unknown;
  try {
    const handler = handlers[method] as (input: unknown) => Promise<unknown>;
    value = await handler(parsed.data);
  } catch (error) {
    if (error instanceof AppError) return fail(error);
    log?.error(`handler ${method} failed`, error);
    return fail(new AppError('internal.unexpected', { method }));
  }
  const checked = (spec.output as z.ZodType).safeParse(value);
  if (!checked.success) {
    log?.error(`handler ${method} returned invalid output`, checked.error);
    return fail(new AppError('ipc.invalid_output', { method }));
  }
  return { ok: true, value: checked.data };
}

function fail(error: AppError): Envelope<never> {
  return { ok: false, error: error.toEnvelope() };
}

/** A method name coming from outside, made safe to show: short, printable. */
function printable(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value;
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 60);
}

export function zodIssues(error: z.ZodError): FieldIssue[] {
  // zod reports a number beyond 2^53 against Number.MAX_SAFE_INTEGER too: the field's own bound is the
  // human one, so that issue is dropped when the same field has another, and said as "too large" otherwise.
  const safeBound = (i: z.core.$ZodIssue) => (i.code === 'too_big' || i.code === 'too_small') && Math.abs(Number((i as { maximum?: unknown; minimum?: unknown }).maximum ?? (i as { minimum?: unknown }).minimum)) >= Number.MAX_SAFE_INTEGER;
  const issues = error.issues.filter((i) => !safeBound(i) || !error.issues.some((o) => o !== i && !safeBound(o) && o.path.join('.') === i.path.join('.')));
  return issues.slice(0, 20).map((issue) => {
    if (safeBound(issue)) return { path: issue.path.map(String).join('.') || '(root)', issue: 'number_too_large', params: {} };
    const params: Record<string, string | number> = {};
    const anyIssue = issue as unknown as Record<string, unknown>;
    for (const key of ['minimum', 'maximum', 'expected', 'format', 'origin'] as const) {
      const v = anyIssue[key];
      if (typeof v === 'number' || typeof v === 'string') params[key] = v;
      if (typeof v === 'bigint') params[key] = Number(v);
    }
    if (issue.code === 'unrecognized_keys') {
      params.keys = issue.keys.join(', ').slice(0, 100);
      params.count = issue.keys.length;
    }
    // zod reports 2.5 for an integer field as a type error; users need "a whole number".
    const code = issue.code === 'invalid_type' && anyIssue.expected === 'int' ? 'not_integer' : issue.code;
    return { path: issue.path.map(String).join('.') || '(root)', issue: code, params };
  });
}

/** A request frame as it arrives over the WebSocket (or any text transport). */
export interface RequestFrame {
  id: number;
  method: unknown;
  input: unknown;
}

export type FrameParse = { ok: true; frame: RequestFrame } | { ok: false; id: number | null; error: AppError };

export function parseRequestFrame(text: string): FrameParse {
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    // Answer the request it belongs to when its id comes first, without parsing the whole frame.
    const idMatch = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*,/.exec(text.slice(0, 64));
    return { ok: false, id: idMatch ? Number(idMatch[1]) : null, error: new AppError('ipc.payload_too_large', { limit: MAX_MESSAGE_BYTES }) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: new AppError('ipc.malformed') };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, id: null, error: new AppError('ipc.malformed') };
  const record = raw as Record<string, unknown>;
  const id = record.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return { ok: false, id: null, error: new AppError('ipc.malformed') };
  return { ok: true, frame: { id, method: record.method, input: record.input } };
}
