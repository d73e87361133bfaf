import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a bench hands back: the runner prints it as the last line, `<name>: <value>`. */
export interface Figure {
  value: number;
  /** Digits after the decimal point on the last line (0 for counts). */
  decimals: number;
}

/** One benchmark: prints its raw figures with `log`, then returns the headline figure. */
export interface Bench {
  /** What the figure is, for the runner's listing. */
  description: string;
  run(log: (line: string) => void): Promise<Figure>;
}

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoRoot = resolve(benchDir, '..');

/**
 * A fresh scratch folder inside the repository (bench/.tmp/<name>, git-ignored): builds that must
 * resolve the project's node_modules go there. Remove it with `removeScratch` when done.
 */
export async function scratchDir(name: string): Promise<string> {
  const dir = join(benchDir, '.tmp', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function removeScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  // Leave no empty bench/.tmp behind either (fails harmlessly while another bench still uses it).
  await rmdir(join(benchDir, '.tmp')).catch(() => undefined);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
