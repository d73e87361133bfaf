import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

// Serving the built renderer from a folder, for web mode's HTTP server and Electron's app:// protocol.

export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  isHtml: boolean;
}

/** Reads `pathname` under `root`; null when it is outside the root, missing, or not a file. */
export async function readStaticFile(root: string, pathname: string): Promise<StaticFile | null> {
  const base = resolve(root);
  let wanted: string;
  try {
    wanted = pathname === '/' || pathname === '' ? '/index.html' : decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const file = normalize(join(base, wanted));
  if (!file.startsWith(base + sep)) return null;
  try {
    if (!(await stat(file)).isFile()) return null;
  } catch {
    return null;
  }
  const ext = extname(file);
  return { body: await readFile(file), contentType: MIME[ext] ?? 'application/octet-stream', isHtml: ext === '.html' };
}
