import { join } from 'node:path';
import { z } from 'zod';
import { readVersionedJson, writeJsonAtomic } from '../store/json-file';

// Each step's state, written locally (atomic file) and on the server, so a run interrupted anywhere
// resumes at the step where it stopped — from this machine or another one.

export const JOURNAL_VERSION = 1;

const stepRecordSchema = z.object({
  state: z.enum(['pending', 'checking', 'skipped', 'running', 'done', 'failed', 'cancelled']),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** Id of the detached job applying this step, when its apply is long. */
  job: z.string().regex(/^[a-z0-9-]{1,100}$/).optional(),
  /** How many times apply was started (a retried step gets new job ids). */
  attempt: z.number().int().min(0).max(1000).optional(),
  error: z.string().max(200).optional(),
});

export const journalSchema = z.object({
  version: z.literal(JOURNAL_VERSION),
  runId: z.string().regex(/^[a-z0-9-]{1,80}$/),
  profileId: z.string().max(80),
  /** Hash of the plan: a journal only resumes the same plan. */
  planHash: z.string().max(100),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  steps: z.record(z.string(), stepRecordSchema),
});

export type Journal = z.infer<typeof journalSchema>;
export type StepRecord = z.infer<typeof stepRecordSchema>;

export class LocalJournalStore {
  constructor(private readonly dataDir: string) {}

  private path(profileId: string): string {
    return join(this.dataDir, 'journals', `${profileId}.json`);
  }

  async read(profileId: string): Promise<Journal | null> {
    const result = await readVersionedJson(this.path(profileId), { schema: journalSchema, version: JOURNAL_VERSION, migrations: {} });
    return result.kind === 'ok' ? result.value : null;
  }

  async write(journal: Journal): Promise<void> {
    await writeJsonAtomic(this.path(journal.profileId), journal);
  }
}

/** Parses a journal read back from the server; anything unexpected is ignored, never trusted. */
export function parseRemoteJournal(text: string): Journal | null {
  try {
    const parsed = journalSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
