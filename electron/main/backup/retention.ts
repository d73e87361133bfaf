// Which proven backups to keep: the newest `keep` ones, every backup younger than `minAgeDays`, the
// newest proven one (whatever its age: a deployment never loses its last good backup) and the backup
// an operation is using right now. Pure; the service applies it on the server and on this computer.

export interface RetentionPolicy {
  keep: number;
  minAgeDays: number;
}

export const SERVER_RETENTION: RetentionPolicy = { keep: 3, minAgeDays: 7 };
export const LOCAL_RETENTION: RetentionPolicy = { keep: 5, minAgeDays: 30 };

export interface RetentionItem {
  id: string;
  createdAt: number;
  proven: boolean;
}

/** The ids to delete, oldest first. */
export function toPrune(items: readonly RetentionItem[], policy: RetentionPolicy, now: number, protect: readonly string[] = []): string[] {
  const sorted = [...items].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  const newestProven = sorted.find((i) => i.proven)?.id;
  const keep = new Set<string>([...protect, ...(newestProven ? [newestProven] : []), ...sorted.slice(0, Math.max(0, policy.keep)).map((i) => i.id)]);
  const cutoff = now - policy.minAgeDays * 86_400_000;
  return sorted
    .filter((i) => !keep.has(i.id) && i.createdAt < cutoff)
    .map((i) => i.id)
    .reverse();
}
