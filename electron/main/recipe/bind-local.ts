// Binding internal ports to 127.0.0.1 with the user's consent. Compose concatenates `ports` across files (v1, and
// v2 without the 2.24 `!override` tag), so an override file cannot take a published port away: the app writes a
// copy of each file that publishes one, identical but for those ports bound to 127.0.0.1, beside the original
// (its relative paths still resolve from the same project folder), and runs the copy in its place. The copy is made
// from the text read with the recipe, and the deployment checks the original still has that text.
import { createHash } from 'node:crypto';
import type { RecipeExposure } from '../../shared/recipe';
import { dumpYaml, isLoopback, isMap, parseComposeFile, parsePort } from './compose-model';

export interface BindLocalCopy {
  file: string;
  copy: string;
  content: string;
  sourceSha256: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** `deploy/docker-compose.yml` → `deploy/docker-compose.koprogo-local.yml`. */
export function copyPath(file: string): string {
  const dir = file.includes('/') ? `${file.slice(0, file.lastIndexOf('/'))}/` : '';
  const name = file.slice(dir.length);
  const dot = name.lastIndexOf('.');
  return `${dir}${name.slice(0, dot)}.koprogo-local${name.slice(dot)}`;
}

function rebind(entry: unknown): unknown {
  if (isMap(entry)) return { ...entry, host_ip: '127.0.0.1' };
  const p = parsePort(entry);
  if (!p) return entry;
  const proto = p.protocol !== 'tcp' || String(entry).endsWith('/tcp') ? `/${p.protocol}` : '';
  const target = String(entry).replace(/\/[a-z]+$/u, '').split(':').pop() ?? String(p.target);
  return `127.0.0.1:${p.published ?? ''}:${target}${proto}`;
}

/** The copy of `text` (the file `file`) with the listed exposures bound to 127.0.0.1; null when nothing changes. */
export function bindLocalCopy(file: string, text: string, exposures: readonly RecipeExposure[]): BindLocalCopy | null {
  const mine = exposures.filter((e) => e.file === file);
  if (mine.length === 0) return null;
  const parsed = parseComposeFile(text);
  if (!parsed.value || !isMap(parsed.value.services)) return null;
  let changed = false;
  for (const [name, svc] of Object.entries(parsed.value.services)) {
    if (!isMap(svc) || !Array.isArray(svc.ports) || !mine.some((e) => e.service === name)) continue;
    svc.ports = svc.ports.map((entry) => {
      const p = parsePort(entry);
      if (!p || isLoopback(p.hostIp) || !mine.some((e) => e.service === name && e.target === p.target && e.published === p.published && e.protocol === p.protocol)) return entry;
      changed = true;
      return rebind(entry);
    });
  }
  if (!changed) return null;
  const header = `# Written by KoproGo Deploy from ${file} (sha256 ${sha256(text).slice(0, 12)}): the same file with its internal\n# ports bound to 127.0.0.1, as you chose in the plan. Changes are overwritten on the next run.\n`;
  return { file, copy: copyPath(file), content: header + dumpYaml(parsed.value), sourceSha256: sha256(text) };
}

/** The copies for every file of a combination that publishes an exposed port. */
export function bindLocalCopies(files: readonly string[], texts: Readonly<Record<string, string>>, exposures: readonly RecipeExposure[]): BindLocalCopy[] {
  return files.flatMap((f) => {
    const text = texts[f];
    const copy = text === undefined ? null : bindLocalCopy(f, text, exposures);
    return copy ? [copy] : [];
  });
}
