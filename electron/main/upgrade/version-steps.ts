import type { UpgradeStepId } from '../../shared/contract-upgrade';
import { composeCommand, composeStampPath } from '../engine/steps/compose';
import { composePullStep } from '../engine/steps/images';
import { envFileStep } from '../engine/steps/env-file';
import { healthFunctions, healthStep } from '../engine/steps/health';
import { repositoryPrelude, repositoryStep } from '../engine/steps/repository';
import { asRoot, checkoutDir, joinPath } from '../engine/steps/shell';
import type { ComposeDeploySettings, Step } from '../engine/types';
import { shQuote } from '../ssh/quote';

// The server side of a version update (phases 1–2, Docker Compose): the snapshot kept before anything
// changes (the checkout's files with its `.env` and override, the compose stamp, and every container's
// image tagged `koprogo-rollback/<project>:<service>` so a moving tag re-pulled by the new version cannot
// take it away), the roll back that puts exactly that back, the failing services' logs, the env examples
// of both refs and the repository's refs. Scripts only; what runs them is in version-run.ts.

/** The steps of a version update, in order. `rollback` runs only when the new version fails (else skipped). */
export const VERSION_STEPS = ['preflight', 'backup', 'keep-previous', 'checkout', 'env-update', 'pull', 'restart', 'health', 'rollback', 'record'] as const satisfies readonly UpgradeStepId[];

/** Where the snapshot of the deployment before the update is kept on the server (root only). */
export function previousDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'upgrade-previous');
}

/** The image repository holding the previous version's images of a Compose project. */
export function rollbackRepository(settings: ComposeDeploySettings): string {
  return `koprogo-rollback/${settings.composeProject}`;
}

/** Exit code of the roll back when there is no snapshot to restore (stderr: `rollback_missing`). */
export const ROLLBACK_MISSING_EXIT = 9;

/**
 * Keeps the deployment as it is: the checkout (`.git`, `.env`, the override) as a tar archive with owners and
 * modes, the compose stamp, and one line per container (`service container image-id image-name`) with its
 * image tagged for the roll back. Marked with the run id: a resumed run never overwrites it with a half-updated
 * state. The previous update's snapshot and tags are replaced.
 */
export function keepPreviousStep(settings: ComposeDeploySettings, runId: string): Step {
  const prev = shQuote(previousDir(settings));
  const repo = shQuote(rollbackRepository(settings));
  const check = asRoot([`[ "$(cat ${prev}/run 2>/dev/null)" = ${shQuote(runId)} ]`, `[ -s ${prev}/checkout.tar ]`]);
  return {
    id: 'keep-previous',
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            `prev=${prev}`,
            `stamp=${shQuote(composeStampPath(settings))}`,
            'rm -rf "$prev.tmp"',
            'install -d -m 0700 -o root -g root "$prev.tmp"',
            `tar -C ${shQuote(settings.layout.appRoot)} -cpf "$prev.tmp/checkout.tar" -- ${shQuote(settings.checkoutName)}`,
            'if [ -f "$stamp" ]; then cp -p "$stamp" "$prev.tmp/compose.stamp"; fi',
            ': > "$prev.tmp/containers"',
            `for old in $(docker images -q ${repo} | sort -u); do docker rmi -f "$old" >/dev/null 2>&1 || true; done`,
            `for c in $(docker ps -aq --filter ${shQuote(`label=com.docker.compose.project=${settings.composeProject}`)}); do`,
            `  line=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.Image}} {{.Config.Image}}' "$c")`,
            '  set -- $line',
            '  [ $# -eq 3 ] || { echo "unreadable container $c" >&2; exit 1; }',
            `  docker tag "$2" ${repo}:"$1"`,
            `  printf '%s %s %s %s\\n' "$1" "$c" "$2" "$3" >> "$prev.tmp/containers"`,
            'done',
            `printf '%s\\n' ${shQuote(runId)} > "$prev.tmp/run"`,
            'rm -rf "$prev"',
            'mv "$prev.tmp" "$prev"',
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: check,
  };
}

/**
 * Puts the snapshot back: the checkout exactly as it was (files, `.env`, owners, modes), the images under the
 * names the previous files use, the compose stamp, then `up` with the previous files (never a build: the kept
 * images are the ones that ran).
 */
export function rollbackStep(before: ComposeDeploySettings): Step {
  const dir = checkoutDir(before);
  return {
    id: 'rollback',
    check: null,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            `prev=${shQuote(previousDir(before))}`,
            `dir=${shQuote(dir)}`,
            `stamp=${shQuote(composeStampPath(before))}`,
            `[ -s "$prev/checkout.tar" ] || { echo rollback_missing >&2; exit ${ROLLBACK_MISSING_EXIT}; }`,
            'rm -rf "$dir.koprogo-rollback"',
            'install -d -m 0700 -o root -g root "$dir.koprogo-rollback"',
            'tar -C "$dir.koprogo-rollback" -xpf "$prev/checkout.tar"',
            'rm -rf "$dir"',
            `mv "$dir.koprogo-rollback"/${shQuote(before.checkoutName)} "$dir"`,
            'rmdir "$dir.koprogo-rollback"',
            'while read -r svc cid img name; do',
            '  case "$name" in sha256:*) ;; *) docker tag ' + `${shQuote(rollbackRepository(before))}:"$svc"` + ' "$name" ;; esac',
            'done < "$prev/containers"',
            'cd "$dir"',
            `${composeCommand(before)} up -d --remove-orphans --no-build`,
            'if [ -f "$prev/compose.stamp" ]; then cp -p "$prev/compose.stamp" "$stamp"; else rm -f "$stamp"; fi',
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: null,
  };
}

/** The services that are not healthy now (health.ts's own test), one per line. */
export function unhealthyServicesScript(settings: ComposeDeploySettings): string {
  return asRoot([...healthFunctions(settings), 'unhealthy']).script;
}

/** The last lines of each service's log (the new version's files), one `== service` heading per service. */
export function serviceLogsScript(settings: ComposeDeploySettings, services: readonly string[], lines = 40): string {
  return asRoot([
    `cd ${shQuote(checkoutDir(settings))}`,
    ...services.map((s) => `printf '== %s\\n' ${shQuote(s)}; ${composeCommand(settings)} logs --no-color --tail=${lines} ${shQuote(s)} 2>&1 | tail -n ${lines} || true`),
  ]).script;
}

/** Splits serviceLogsScript's output per service. */
export function parseServiceLogs(out: string): { service: string; lines: string[] }[] {
  const logs: { service: string; lines: string[] }[] = [];
  for (const line of out.split('\n')) {
    const m = /^== (\S+)$/.exec(line);
    if (m) logs.push({ service: m[1]!, lines: [] });
    else if (line !== '' && logs.length > 0) logs[logs.length - 1]!.lines.push(line.slice(0, 500));
  }
  return logs;
}

/**
 * The deployment's checkout is there (exit 4: not) and the server reaches the repository (exit 5: not): what
 * the version scripts check first, so a founder reads which of the two is wrong (VERSION_SCRIPT_EXIT).
 */
const CHECKOUT_REACHABLE = ['[ -d "$dir/.git" ] || exit 4', 'cd "$dir"', 'git_u fetch -q --tags --force --prune origin || exit 5'];

/** What the version scripts' exit codes mean (the others: the step failed). */
export const VERSION_SCRIPT_EXIT = { 3: 'upgrade.unknown_ref', 4: 'upgrade.no_checkout', 5: 'upgrade.repo_unreachable' } as const;

/**
 * Fetches the repository in the checkout and prints the current commit, the one `ref` names, which env example
 * it compares (the first of `candidates` one of both commits has) and both versions of it, base64 (`-` when absent).
 * Exit 3 with `unknown_ref` when the ref names nothing.
 */
export function versionFactsScript(settings: ComposeDeploySettings, ref: string, candidates: readonly string[]): string {
  const s = { ...settings, repo: { ...settings.repo, ref } };
  return asRoot([
    ...repositoryPrelude(s),
    ...CHECKOUT_REACHABLE,
    'old=$(git_u rev-parse HEAD)',
    `new=$(resolve_ref) || { echo "unknown_ref" >&2; exit 3; }`,
    `printf 'old %s\\nnew %s\\n' "$old" "$new"`,
    'file=',
    `for f in ${candidates.map(shQuote).join(' ')}; do`,
    '  if git_u cat-file -e "$old:$f" 2>/dev/null || git_u cat-file -e "$new:$f" 2>/dev/null; then file=$f; break; fi',
    'done',
    'if [ -n "$file" ]; then',
    `  printf 'file %s\\n' "$file"`,
    '  for c in "$old" "$new"; do',
    `    if git_u cat-file -e "$c:$file" 2>/dev/null; then printf 'env %s\\n' "$(git_u show "$c:$file" | base64 | tr -d '\\n')"; else echo 'env -'; fi`,
    '  done',
    'fi',
  ], { timeoutMs: 10 * 60_000 }).script;
}

export interface VersionFactsOut {
  fromCommit: string;
  toCommit: string;
  envExample: string | null;
  oldExample: string | null;
  newExample: string | null;
}

const SHA = /^[0-9a-f]{40,64}$/;

export function parseVersionFacts(out: string): VersionFactsOut | null {
  const lines = out.split('\n');
  const value = (prefix: string) => lines.filter((l) => l.startsWith(`${prefix} `)).map((l) => l.slice(prefix.length + 1).trim());
  const [fromCommit] = value('old');
  const [toCommit] = value('new');
  if (!fromCommit || !toCommit || !SHA.test(fromCommit) || !SHA.test(toCommit)) return null;
  const [file] = value('file');
  const envs = value('env');
  const decode = (b: string | undefined) => (b === undefined || b === '-' || !/^[A-Za-z0-9+/=]*$/.test(b) ? null : Buffer.from(b, 'base64').toString('utf8'));
  return { fromCommit, toCommit, envExample: file && /^[A-Za-z0-9._/-]{1,200}$/.test(file) ? file : null, oldExample: decode(envs[0]), newExample: decode(envs[1]) };
}

/** The repository's tags and branches as its origin lists them (`git ls-remote`, as the deploy user). */
export function listRefsScript(settings: ComposeDeploySettings): string {
  return asRoot([...repositoryPrelude(settings), '[ -d "$dir/.git" ] || exit 4', 'cd "$dir"', `printf 'head %s\\n' "$(git_u rev-parse HEAD)"`, 'git_u ls-remote --tags --heads origin || exit 5'], { timeoutMs: 120_000 }).script;
}

export function parseRefs(out: string): { head: string | null; refs: { name: string; kind: 'tag' | 'branch'; commit: string }[] } {
  const refs = new Map<string, { name: string; kind: 'tag' | 'branch'; commit: string }>();
  let head: string | null = null;
  for (const line of out.split('\n')) {
    const h = /^head ([0-9a-f]{40,64})$/.exec(line);
    if (h) head = h[1]!;
    const m = /^([0-9a-f]{40,64})\trefs\/(tags|heads)\/([A-Za-z0-9._/+-]{1,100}?)(\^\{\})?$/.exec(line);
    if (!m) continue;
    const name = m[3]!;
    const kind = m[2] === 'tags' ? 'tag' : 'branch';
    const key = `${kind}:${name}`;
    // An annotated tag: the peeled line (`^{}`) names the commit.
    if (m[4] || !refs.has(key)) refs.set(key, { name, kind, commit: m[1]! });
  }
  // Newest versions first (numeric-aware), then branches.
  const list = [...refs.values()].sort((a, b) => (a.kind === b.kind ? b.name.localeCompare(a.name, 'en', { numeric: true }) : a.kind === 'tag' ? -1 : 1));
  return { head, refs: list.slice(0, 200) };
}

/** The steps only a version update has. */
export type VersionOwnStep = 'keep-previous' | 'checkout' | 'env-update' | 'pull' | 'rollback';

/** The remote part of a version update's own steps, for the plan (the runner builds the same); exhaustive. */
export function versionRemoteSteps(id: VersionOwnStep, before: ComposeDeploySettings, after: ComposeDeploySettings, runId: string): Step[] {
  switch (id) {
    case 'keep-previous':
      return [keepPreviousStep(before, runId)];
    case 'checkout':
      return [repositoryStep(after)];
    case 'env-update':
      return [envFileStep(after)];
    case 'pull':
      return after.images?.pull.length ? [composePullStep(after)] : [];
    case 'rollback':
      return [rollbackStep(before), healthStep(before)];
    default: {
      const never: never = id;
      throw new Error(`unknown version step ${String(never)}`);
    }
  }
}
