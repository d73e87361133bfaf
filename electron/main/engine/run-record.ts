import { join } from 'node:path';
import { z } from 'zod';
import { readVersionedJson, writeJsonAtomic } from '../store/json-file';

// What the last run of a profile said: its outcome, why it failed and its last log lines (already
// redacted by the engine), kept next to the journal so that after a restart of the app — or in a
// diagnostics export — the Deploy step still shows why it failed, not only that it did.

export const RUN_RECORD_VERSION = 1;
/** Lines kept on disk (the end of the run, where a failure explains itself). */
export const RUN_RECORD_LINES = 1000;
/** At most one write per this many ms while the run goes on (and one at the end). */
const FLUSH_MS = 1000;

const envelopeSchema = z.object({ code: z.string().max(100), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string().max(100) });
export const runLogLineSchema = z.object({ stepId: z.string().max(100), stream: z.enum(['stdout', 'stderr', 'engine']), line: z.string().max(4000) });
export type RunLogLine = z.infer<typeof runLogLineSchema>;

export const runRecordSchema = z.object({
  version: z.literal(RUN_RECORD_VERSION),
  profileId: z.string().max(80),
  runId: z.string().max(80),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  failedStep: z.string().max(100).nullable(),
  error: envelopeSchema.nullable(),
  lines: z.array(runLogLineSchema).max(RUN_RECORD_LINES),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export class RunRecordStore {
  constructor(private readonly dataDir: string) {}

  path(profileId: string): string {
    return join(this.dataDir, 'journals', `${profileId}.last-run.json`);
  }

  async read(profileId: string): Promise<RunRecord | null> {
    const r = await readVersionedJson(this.path(profileId), { schema: runRecordSchema, version: RUN_RECORD_VERSION, migrations: {} }).catch(() => null);
    return r?.kind === 'ok' ? r.value : null;
  }

  async write(record: RunRecord): Promise<void> {
    await writeJsonAtomic(this.path(record.profileId), record);
  }

  /** Starts recording a run; a resumed run (same run id as the last record) keeps the earlier lines. */
  async begin(profileId: string, now: () => Date = () => new Date()): Promise<RunRecorder> {
    return new RunRecorder(this, profileId, await this.read(profileId), now);
  }
}

export class RunRecorder {
  private record: RunRecord;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunRecordStore,
    profileId: string,
    private readonly previous: RunRecord | null,
    private readonly now: () => Date,
  ) {
    this.record = { version: RUN_RECORD_VERSION, profileId, runId: '', startedAt: now().toISOString(), finishedAt: null, outcome: 'running', failedStep: null, error: null, lines: [] };
  }

  /** The run id, once the engine has chosen it (a resumed run continues the previous record). */
  setRunId(runId: string): void {
    if (this.record.runId === runId) return;
    const resumed = this.previous?.runId === runId ? this.previous.lines : [];
    this.record = { ...this.record, runId, lines: [...resumed, ...this.record.lines].slice(-RUN_RECORD_LINES) };
  }

  line(line: RunLogLine): void {
    this.record.lines.push(line);
    if (this.record.lines.length > RUN_RECORD_LINES) this.record.lines.splice(0, this.record.lines.length - RUN_RECORD_LINES);
    // The engine's own lines (a step applied, a file written) are few and say where the run was: at once.
    if (line.stream === 'engine') return this.step();
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_MS);
  }

  /** A step changed state: written at once (with the lines so far), so a crash right after loses nothing. */
  step(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.flush();
  }

  async finish(result: Pick<RunRecord, 'outcome' | 'failedStep' | 'error'> & { runId: string }): Promise<void> {
    if (result.runId) this.setRunId(result.runId);
    this.record = { ...this.record, outcome: result.outcome, failedStep: result.failedStep, error: result.error, finishedAt: this.now().toISOString() };
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private flush(): Promise<void> {
    // A run refused before the engine chose an id (no connection, a lock) changed nothing on the
    // server: the record of the last real run stays as it was.
    if (!this.record.runId) return this.writing;
    const snapshot = structuredClone(this.record);
    this.writing = this.writing.then(() => this.store.write(snapshot)).catch(() => undefined);
    return this.writing;
  }
}
