// Adopting a server the repository's own scripts already deployed (issue 11): find the running Compose project
// whose containers have the application's fixed names (`koprogo-postgres`…) under another project name, with its
// folder, volumes and `.env`; adopting it makes its project name the deployment's (so its volumes are reused and
// no second copy starts), and keeps the values of its `.env` (the database password its volume was created with).
// Read-only until the user adopts; the values read are secrets.
import type { Adoption } from '../../shared/deploy-review';
import { parseEnvFile, writeEnvFile, type EnvWriteEntry } from '../recipe/env-file';
import type { Remote } from '../engine/remote';
import { shQuote } from '../ssh/quote';

/** One script: the containers with their project and folder, then that project's volumes and whether a `.env` is there. */
export function adoptionProbeScript(names: readonly string[], ours: string): string {
  return [
    'command -v docker >/dev/null 2>&1 || exit 0',
    `names=${shQuote(` ${names.join(' ')} `)}`,
    `ours=${shQuote(ours)}`,
    't=$(mktemp)',
    `trap 'rm -f "$t"' EXIT`,
    `docker ps -a --format '{{.Names}}|{{.Label "com.docker.compose.project"}}|{{.Label "com.docker.compose.project.working_dir"}}' | while IFS='|' read -r n p d; do`,
    '  case "$names" in *" $n "*) [ "$p" = "$ours" ] || printf \'container|%s|%s|%s\\n\' "$n" "$p" "$d" ;; esac',
    'done > "$t"',
    'p=$(head -n 1 "$t" | cut -d "|" -f 3)',
    'd=$(head -n 1 "$t" | cut -d "|" -f 4)',
    'cat "$t"',
    'if [ -n "$p" ]; then',
    `  docker volume ls -q --filter "label=com.docker.compose.project=$p" | sed 's/^/volume|/'`,
    '  if [ -n "$d" ] && [ -f "$d/.env" ]; then echo "env|$d/.env"; fi',
    'fi',
  ].join('\n');
}

export function parseAdoptionProbe(stdout: string): (Adoption & { envPath: string | null }) | null {
  const containers: Array<{ name: string; project: string; dir: string }> = [];
  const volumes: string[] = [];
  let envPath: string | null = null;
  for (const line of stdout.split('\n')) {
    const [kind, a = '', b = '', c = ''] = line.split('|');
    if (kind === 'container' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/u.test(a)) containers.push({ name: a, project: b, dir: c });
    else if (kind === 'volume' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/u.test(a)) volumes.push(a);
    else if (kind === 'env' && a.startsWith('/')) envPath = a;
  }
  const first = containers[0];
  if (!first) return null;
  const project = first.project;
  return { project, containers: containers.filter((c) => c.project === project).map((c) => c.name), workingDir: first.dir || null, envFound: envPath !== null, volumes, envPath };
}

export async function probeAdoption(remote: Remote, names: readonly string[], ours: string): Promise<(Adoption & { envPath: string | null }) | null> {
  if (names.length === 0) return null;
  const r = await remote.root(adoptionProbeScript(names, ours), { timeoutMs: 30_000 });
  if (r.code !== 0) return null;
  return parseAdoptionProbe(r.stdout);
}

/**
 * Our `.env` with the adopted deployment's values: a key it has takes its value (the database password its volume
 * was initialised with must stay); keys only it has are kept at the end. Without our `.env`, theirs as it is.
 */
export function mergeAdoptedEnv(ours: string | null, theirs: string): string {
  const their = parseEnvFile(theirs);
  if (!ours || ours.trim() === '') return theirs;
  const mine = parseEnvFile(ours);
  const values = new Map(their.entries.map((e) => [e.key, e.value]));
  const entries: EnvWriteEntry[] = mine.entries.map((e) => (values.has(e.key) ? { key: e.key, value: values.get(e.key) ?? '', comment: e.comment, group: e.group } : e.refs.length > 0 ? { key: e.key, value: '', raw: e.raw, comment: e.comment, group: e.group } : { key: e.key, value: e.value, comment: e.comment, group: e.group }));
  const known = new Set(mine.entries.map((e) => e.key));
  for (const e of their.entries) if (!known.has(e.key)) entries.push({ key: e.key, value: e.value, group: 'Kept from the adopted deployment' });
  const written = writeEnvFile(entries, { header: 'Written by the KoproGo deployment wizard (values of the adopted deployment kept).' });
  return written.ok ? written.text : theirs;
}
