// What an upgrade step gets from the runner: the data it journaled on an earlier attempt, a way to
// journal more before it waits on something, progress and log lines, and the cancel signal.

export type StepData = Record<string, string | number | boolean>;

export interface StepIo {
  readonly data: StepData;
  /** Merges into the step's journaled data and writes the journal (locally at once). */
  save(data: StepData): Promise<void>;
  progress(code: string, params: Record<string, string | number>, percent: number | null): void;
  log(line: string): void;
  signal?: AbortSignal;
}
