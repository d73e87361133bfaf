import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Rolldown } from 'vite';

export const GZIP_LEVEL = 9;

export interface SizedFile {
  file: string;
  raw: number;
  gzip: number;
}

export interface FirstScreenJs {
  /** What the page loads before anything runs: module scripts, their modulepreloads, and static imports. */
  initial: SizedFile[];
  /** Chunks reached only through dynamic `import()`: not part of the first screen. */
  lazy: SizedFile[];
}

export const total = (files: readonly SizedFile[], key: 'raw' | 'gzip'): number => files.reduce((sum, f) => sum + f[key], 0);

/**
 * Reads the built index.html for its `<script type="module" src>` and `<link rel="modulepreload" href>`
 * entries, then follows the bundler's record of static imports (never dynamic ones) from those chunks.
 * Each file is gzipped on its own at level 9, as a server or an installer would store it.
 */
export async function firstScreenJs(outDir: string, outputs: readonly Rolldown.RolldownOutput[]): Promise<FirstScreenJs> {
  const chunks = new Map<string, Rolldown.OutputChunk>();
  for (const output of outputs) for (const item of output.output) if (item.type === 'chunk') chunks.set(item.fileName, item);

  const html = await readFile(join(outDir, 'index.html'), 'utf8');
  const entries = htmlModuleEntries(html);
  if (entries.length === 0) throw new Error(`no <script type="module"> in ${join(outDir, 'index.html')}`);

  const initial = new Set<string>();
  const visit = (file: string): void => {
    if (initial.has(file)) return;
    initial.add(file);
    for (const imported of chunks.get(file)?.imports ?? []) visit(imported);
  };
  entries.forEach(visit);

  const size = async (file: string): Promise<SizedFile> => {
    const body = await readFile(join(outDir, file));
    return { file, raw: body.length, gzip: gzipSync(body, { level: GZIP_LEVEL }).length };
  };
  const lazyFiles = [...chunks.keys()].filter((file) => !initial.has(file));
  return { initial: await Promise.all([...initial].map(size)), lazy: await Promise.all(lazyFiles.map(size)) };
}

/** Output-relative paths of the module scripts and modulepreloads an index.html names. */
export function htmlModuleEntries(html: string): string[] {
  const files: string[] = [];
  for (const [tag] of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
    const attr = (name: string): string | undefined => new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(tag)?.[1];
    const isModuleScript = /^<script/i.test(tag) && attr('type') === 'module' && attr('src');
    const isPreload = /^<link/i.test(tag) && attr('rel') === 'modulepreload' && attr('href');
    const url = isModuleScript ? attr('src') : isPreload ? attr('href') : undefined;
    if (url && !/^[a-z]+:/i.test(url)) files.push(posix.normalize(url.replace(/^\.?\//, '')));
  }
  return files;
}
