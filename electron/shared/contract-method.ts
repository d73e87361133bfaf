import { z } from 'zod';

// The building block of the contract tables (contract.ts and the contract-<domain>.ts files).

export interface MethodSpec<I extends z.ZodType, O extends z.ZodType> {
  input: I;
  output: O;
  /** Methods that change state on disk; the CLI and tests use this to reason about side effects. */
  mutates: boolean;
}

export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, mutates = false): MethodSpec<I, O> {
  return { input, output, mutates };
}

/** Input of a method that takes nothing. */
export const empty = z.object({}).strict();
