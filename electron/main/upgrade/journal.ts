import { join } from 'node:path';
import { z } from 'zod';
import { healthSummarySchema, rollbackViewSchema, timelineMarkSchema, upgradePlanSchema, UPGRADE_KINDS, UPGRADE_ROUTES, UPGRADE_STEPS, type TimelineMark } from '../../shared/contract-upgrade';
import { heredocTo } from '../engine/heredoc';
import { journalSchema } from '../engine/journal';
import { shQuote } from '../ssh/quote';
import { readVersionedJson, writeJsonAtomic } from '../store/json-file';
import type { Session } from '../backup/session';

// The upgrade's journal: the engine's journal (engine/journal.ts: run id, plan hash, outcome, one record
// per step) with what an upgrade must remember to resume without doing anything twice: per-step data
// (the backup id, the provider's action ids, the order id), the downtime measured, health before and
// after, the chosen options. Written here atomically after every change, and on the server whenever it
// answers (`upgrade-journal.json` beside the deployment's own journal), so another computer sees it too.

const dataValue = z.union([z.string().max(300), z.number(), z.boolean()]);

export const upgradeStepRecordSchema = z.object({
  state: z.enum(['pending', 'checking', 'skipped', 'running', 'done', 'failed', 'cancelled']),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  error: z.string().max(200).optional(),
  /** What the step must find again when resumed (e.g. `actionId`, `backupId`, `orderId`). */
  data: z.record(z.string().max(40), dataValue).optional(),
});
export type UpgradeStepRecord = z.infer<typeof upgradeStepRecordSchema>;

const envelope = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), remedy: z.string() });

export const upgradeJournalSchema = journalSchema.extend({
  kind: z.enum(UPGRADE_KINDS),
  route: z.enum(UPGRADE_ROUTES),
  toPhase: z.number().int().min(1).max(4),
  options: z.object({ offerId: z.string().max(120), upgradeDisk: z.boolean(), snapshot: z.boolean(), verify: z.enum(['server', 'local']) }),
  order: z.array(z.enum(UPGRADE_STEPS)).max(UPGRADE_STEPS.length),
  steps: z.record(z.string(), upgradeStepRecordSchema),
  downtime: z.object({ startedAt: z.number().nullable(), endedAt: z.number().nullable() }),
  before: healthSummarySchema.nullable(),
  after: healthSummarySchema.nullable(),
  marks: z.array(timelineMarkSchema).max(20),
  error: envelope.nullable(),
  /** Version update: its roll back, when the new version did not become healthy. */
  rollback: rollbackViewSchema.nullable().optional(),
  /**
   * The plan the user confirmed, as it was: a resumed run goes on with it (the server may be half-way,
   * e.g. already of the new type, so planning again would describe another move).
   */
  plan: z.object({
    view: upgradePlanSchema,
    order: z.array(z.enum(UPGRADE_STEPS)),
    exec: z.object({
      route: z.enum(UPGRADE_ROUTES),
      serverId: z.string().max(120).nullable(),
      targetName: z.string().max(120).nullable(),
      options: z.object({ offerId: z.string().max(120), upgradeDisk: z.boolean(), snapshot: z.boolean(), verify: z.enum(['server', 'local']) }),
      orderPrice: z.number().nullable(),
    }),
  }),
});
export type UpgradeJournal = z.infer<typeof upgradeJournalSchema>;

const timelineSchema = z.object({ version: z.literal(1), marks: z.array(timelineMarkSchema).max(2000) });

export const REMOTE_JOURNAL = 'upgrade-journal.json';

export class UpgradeJournalStore {
  constructor(private readonly dataDir: string) {}

  private path(profileId: string): string {
    return join(this.dataDir, 'upgrades', `${profileId}.json`);
  }

  private timelinePath(profileId: string): string {
    return join(this.dataDir, 'upgrades', `${profileId}.timeline.json`);
  }

  async read(profileId: string): Promise<UpgradeJournal | null> {
    const r = await readVersionedJson(this.path(profileId), { schema: upgradeJournalSchema, version: 1, migrations: {} });
    return r.kind === 'ok' ? r.value : null;
  }

  async write(journal: UpgradeJournal): Promise<void> {
    await writeJsonAtomic(this.path(journal.profileId), journal);
  }

  /** The server's copy (another computer's run, or a newer one), null when absent or unreadable. */
  async readRemote(s: Session): Promise<UpgradeJournal | null> {
    const r = await s.root(`cat ${shQuote(`${s.settings.layout.stateDir}/${REMOTE_JOURNAL}`)} 2>/dev/null || true`, { timeoutMs: 20_000 });
    try {
      const parsed = upgradeJournalSchema.safeParse(JSON.parse(r.stdout));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Step ids, states, times and provider ids only, never a secret: a here-document is fine. */
  async writeRemote(s: Session, journal: UpgradeJournal): Promise<void> {
    const path = `${s.settings.layout.stateDir}/${REMOTE_JOURNAL}`;
    const tmp = shQuote(`${path}.tmp`);
    await s.root(['set -eu', `mkdir -p ${shQuote(s.settings.layout.stateDir)}`, heredocTo(tmp, JSON.stringify(journal)).trimEnd(), `mv -f ${tmp} ${shQuote(path)}`].join('\n'), { timeoutMs: 20_000 });
  }

  async marks(profileId: string): Promise<TimelineMark[]> {
    const r = await readVersionedJson(this.timelinePath(profileId), { schema: timelineSchema, version: 1, migrations: {} });
    return r.kind === 'ok' ? r.value.marks : [];
  }

  async addMark(profileId: string, mark: TimelineMark): Promise<void> {
    const marks = [...(await this.marks(profileId)), mark].slice(-2000);
    await writeJsonAtomic(this.timelinePath(profileId), { version: 1, marks });
  }
}
