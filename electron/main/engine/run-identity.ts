import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Who holds a server's run lock, precisely enough to tell "that run is still going" from "that run is
// gone": the computer (a random id kept in the app's data folder, shared by the desktop app, web mode and
// the CLI of one user — host names repeat), the process (pid and its start time, so a reused pid is not
// mistaken for the holder), and the runs this process is running right now.

export interface ProcessIdentity {
  pid: number;
  /** Something that changes when the pid is reused: the boot id and the start tick on Linux; null elsewhere. */
  start: string | null;
}

/** Start time of a process on Linux, as boot id + start tick (field 22 of /proc/<pid>/stat); null elsewhere. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = fields[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return tick ? `${boot}:${tick}` : null;
  } catch {
    return null;
  }
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: processStart(process.pid) };
}

/** Whether the process still runs on this computer (same pid and, where it can be read, the same start). */
export function processAlive(id: ProcessIdentity): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else; anything else (ESRCH): gone.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (id.start === null) return true;
  const now = processStart(id.pid);
  return now === null || now === id.start;
}

/** The lock ids held by runs of this process that have not ended. */
const activeHere = new Set<string>();

export const localRuns = {
  add(lockId: string): void {
    activeHere.add(lockId);
  },
  delete(lockId: string): void {
    activeHere.delete(lockId);
  },
  has(lockId: string): boolean {
    return activeHere.has(lockId);
  },
};

/** A new lock id: one per run attempt (a resumed run gets a new one; the journal's run id stays). */
export function newLockId(): string {
  return randomBytes(12).toString('hex');
}

const MACHINE_ID = /^[0-9a-f]{32}$/u;

/** This computer's id for locks, created once in `dataDir/machine-id`. */
export async function machineId(dataDir: string): Promise<string> {
  const path = join(dataDir, 'machine-id');
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (MACHINE_ID.test(text)) return text;
  } catch {
    /* first use */
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const id = randomBytes(16).toString('hex');
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${id}\n`);
    } finally {
      await handle.close();
    }
    return id;
  } catch {
    // Another process created it first (or the file was unreadable garbage): use what is there now.
    const text = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (MACHINE_ID.test(text)) return text;
    return id;
  }
}
