import { posix } from 'node:path';
import { parseRemoteJournal, type Journal } from '../engine/journal';
import { COMPOSE_OVERRIDE_FILE } from '../engine/steps/compose';
import { shQuote } from '../ssh/quote';
import { parseDescription, type Description } from '../backup/description';

// Recognising a deployment the app made, from its server alone ("I have a server the app deployed,
// from another computer"): the app's journal in its state folder says which deployment it is and how
// its last run ended; Compose's own labels on the containers say the project, its folder and files,
// and which service is PostgreSQL (its user and database from the container's environment; never the
// password); git says the repository and ref. Secrets stay on the server: the configuration step reads
// the server's .env when the user continues.

export function recognizeScript(stateDir: string): string {
  const sd = shQuote(stateDir);
  return [
    `printf 'journal\\t%s\\n' "$(base64 -w 0 ${sd}/journal.json 2>/dev/null)"`,
    `printf 'upgrade\\t%s\\n' "$(base64 -w 0 ${sd}/upgrade-journal.json 2>/dev/null)"`,
    `printf 'description\\t%s\\n' "$(base64 -w 0 ${sd}/deployment.json 2>/dev/null)"`,
    `docker ps -a --format '{{.ID}}\\t{{.Label "com.docker.compose.project"}}\\t{{.Label "com.docker.compose.project.working_dir"}}\\t{{.Label "com.docker.compose.project.config_files"}}\\t{{.Label "com.docker.compose.service"}}\\t{{.Image}}' 2>/dev/null | sed 's/^/container\\t/'`,
    'exit 0',
    '',
  ].join('\n');
}

/** Git facts of the checkout and the PostgreSQL container's user and database (POSTGRES_PASSWORD is never read). */
export function detailScript(workingDir: string, postgresContainer: string | null): string {
  const wd = shQuote(workingDir);
  const lines = [
    `printf 'owner\\t%s\\n' "$(stat -c %U ${wd} 2>/dev/null)"`,
    `printf 'remote\\t%s\\n' "$(git -c safe.directory='*' -C ${wd} remote get-url origin 2>/dev/null)"`,
    `printf 'ref\\t%s\\n' "$(git -c safe.directory='*' -C ${wd} describe --tags --exact-match 2>/dev/null || git -c safe.directory='*' -C ${wd} rev-parse --abbrev-ref HEAD 2>/dev/null)"`,
  ];
  if (postgresContainer) {
    if (!/^[0-9a-f]{6,64}$/.test(postgresContainer)) throw new Error('invalid container id');
    lines.push(`docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' ${postgresContainer} 2>/dev/null | grep -E '^POSTGRES_(USER|DB)=' | sed 's/^/env\\t/'`);
  }
  return [...lines, 'exit 0', ''].join('\n');
}

export interface ComposeFacts {
  project: string;
  workingDir: string;
  /** Relative to the working dir, in order, the app's phase 2 override included when there. */
  files: string[];
  services: { service: string; container: string; image: string }[];
}

export interface RecognizedServer {
  journal: Journal | null;
  upgradeJournal: boolean;
  compose: ComposeFacts | null;
  /** What the app wrote about the deployment on its last backup or upgrade (null: none yet). */
  description: Description | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function decode(b64: string | undefined): string | null {
  if (!b64) return null;
  try {
    return Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return null;
  }
}

export function parseRecognize(output: string, profileHint?: string): RecognizedServer {
  const lines = output.split('\n');
  const field = (key: string) => lines.find((l) => l.startsWith(`${key}\t`))?.slice(key.length + 1);
  const text = decode(field('journal'));
  const journal = text ? parseRemoteJournal(text) : null;
  const projects = new Map<string, ComposeFacts>();
  for (const l of lines.filter((x) => x.startsWith('container\t'))) {
    const [, id = '', project = '', wd = '', files = '', service = '', image = ''] = l.split('\t');
    if (!NAME.test(project) || !wd.startsWith('/') || !/^[0-9a-f]{6,64}$/.test(id) || !NAME.test(service)) continue;
    const p = projects.get(project) ?? {
      project,
      workingDir: wd,
      files: files
        .split(',')
        .filter(Boolean)
        .map((f) => (f.startsWith('/') ? posix.relative(wd, f) : f))
        .filter((f) => f !== '' && !f.startsWith('..')),
      services: [],
    };
    p.services.push({ service, container: id, image: image.slice(0, 200) });
    projects.set(project, p);
  }
  // The project with the most containers (a server may run others beside the app).
  const compose = [...projects.values()].sort((a, b) => b.services.length - a.services.length || (a.project === profileHint ? -1 : 1))[0] ?? null;
  return { journal, upgradeJournal: !!decode(field('upgrade')), compose, description: parseDescription(decode(field('description'))) };
}

export function parseDetail(output: string): { owner: string | null; remote: string | null; ref: string | null; postgresUser: string | null; postgresDb: string | null } {
  const lines = output.split('\n');
  const get = (key: string) => lines.find((l) => l.startsWith(`${key}\t`))?.slice(key.length + 1).trim() || null;
  const env = (name: string) => lines.find((l) => l.startsWith(`env\t${name}=`))?.slice(`env\t${name}=`.length).trim() || null;
  const owner = get('owner');
  return {
    owner: owner && /^[a-z_][a-z0-9_-]{0,31}$/.test(owner) ? owner : null,
    remote: get('remote')?.slice(0, 500) ?? null,
    ref: get('ref')?.slice(0, 250) ?? null,
    postgresUser: env('POSTGRES_USER')?.slice(0, 64) ?? null,
    postgresDb: env('POSTGRES_DB')?.slice(0, 64) ?? null,
  };
}

export function phaseOf(compose: ComposeFacts | null): 1 | 2 {
  return compose?.files.includes(COMPOSE_OVERRIDE_FILE) ? 2 : 1;
}

/** The PostgreSQL service: the one whose image is PostgreSQL's. */
export function postgresService(compose: ComposeFacts | null): { service: string; container: string } | null {
  const s = compose?.services.find((x) => /(^|\/)postgres(ql)?(:|@|$)/.test(x.image) || /postgres/.test(x.image));
  return s ? { service: s.service, container: s.container } : null;
}
