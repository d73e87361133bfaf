import { dumpYaml } from '../../recipe/compose-model';
import { shJoin, shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { asRoot, asUserPrelude, checkoutDir, fileInstalled, joinPath } from './shell';

// The Compose project: the phase-2 override, `up`, and the stamp that lets a re-run skip `up` when
// nothing changed. Only flags that Compose v1 (through a CLI-plugin shim) also knows are used: no
// `--wait`, no `ps --format json`.

/** The override the app writes next to the recipe's compose files in phase 2. */
export const COMPOSE_OVERRIDE_FILE = 'docker-compose.koprogo.yml';

/**
 * Compose files relative to the checkout, in order: the recipe's (a file whose internal ports the user chose to
 * bind to 127.0.0.1 is replaced by the app's copy of it), then the override in phase 2.
 */
export function composeFiles(settings: ComposeDeploySettings): string[] {
  const copies = new Map((settings.bindLocal ?? []).map((b) => [b.file, b.copy]));
  const files = settings.composeFiles.map((f) => copies.get(f) ?? f);
  return settings.phase === 2 ? [...files, COMPOSE_OVERRIDE_FILE] : files;
}

/** Where `docker login` keeps the registry credentials (0600, root only), for every pull of the deployment. */
export function dockerConfigDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'docker');
}

/** The compose command for pulls, builds and `up`: with the app's Docker config when images come from a registry. */
export function composeCommandWithAuth(settings: ComposeDeploySettings): string {
  return settings.images ? `DOCKER_CONFIG=${shQuote(dockerConfigDir(settings))} ${composeCommand(settings)}` : composeCommand(settings);
}

/** The `-f` arguments (unquoted) every compose command of the deployment uses. */
export function composeFileArgs(settings: ComposeDeploySettings): string[] {
  return composeFiles(settings).flatMap((f) => ['-f', f]);
}

/** `docker compose -p … --env-file … -f …`, quoted, to be run from the checkout. */
export function composeCommand(settings: ComposeDeploySettings): string {
  return shJoin(['docker', 'compose', '-p', settings.composeProject, '--env-file', settings.envFile, ...composeFileArgs(settings)]);
}

/** Splits a string command the way Compose does (shell words, quotes removed, no expansion). */
function splitCommand(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/gu)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/gu, '$1') : (m[2] ?? m[3] ?? ''));
  return words;
}

/**
 * The PostgreSQL command with `shared_buffers=1GB`: the repository's own flags (shared_preload_libraries,
 * max_connections, WAL, logging…) kept in place, its own shared_buffers replaced rather than doubled.
 */
export function tunedPostgresCommand(existing: readonly string[] | string | null | undefined): string[] {
  const words = existing === null || existing === undefined ? ['postgres'] : typeof existing === 'string' ? splitCommand(existing) : [...existing];
  if (words.length === 0) words.push('postgres');
  let replaced = false;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i] ?? '';
    if (w === '-c' && /^shared_buffers\s*=/u.test(words[i + 1] ?? '')) {
      words[i + 1] = 'shared_buffers=1GB';
      replaced = true;
    } else if (/^-cshared_buffers=/u.test(w)) {
      words[i] = '-cshared_buffers=1GB';
      replaced = true;
    } else if (/^--shared[_-]buffers=/u.test(w)) {
      words[i] = '--shared_buffers=1GB';
      replaced = true;
    }
  }
  if (!replaced) words.push('-c', 'shared_buffers=1GB');
  return words;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Bytes of a Compose memory value (`500M`, `1g`, `268435456`), null when it is not a plain value. */
export function memoryBytes(value: unknown): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]{0,2})\s*$/iu.exec(typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '');
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  return m && unit !== undefined ? Number(m[1]) * unit : null;
}

const PHASE2_MEMORY = '500M';

/**
 * The backend's `deploy.resources` for phase 2: a memory limit of at least 500M (a larger one the repository set is
 * kept), a reservation lowered to the limit when it was above it. Only what changes: Compose merges the rest.
 */
export function tunedBackendResources(existing: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const limits = existing && typeof existing.limits === 'object' && existing.limits !== null ? (existing.limits as Record<string, unknown>) : {};
  const reservations = existing && typeof existing.reservations === 'object' && existing.reservations !== null ? (existing.reservations as Record<string, unknown>) : {};
  const current = memoryBytes(limits.memory);
  const target = memoryBytes(PHASE2_MEMORY) ?? 0;
  const limit = current !== null && current > target ? (limits.memory as string | number) : PHASE2_MEMORY;
  const reserved = memoryBytes(reservations.memory);
  const out: Record<string, unknown> = { limits: { memory: limit } };
  if (reserved !== null && reserved > (memoryBytes(limit) ?? target)) out.reservations = { memory: limit };
  return out;
}

/**
 * Roadmap phase 2 tuning: PostgreSQL shared_buffers=1GB, backend memory limit 500M — merged with what the
 * repository sets: `command` replaces the service's command in Compose, so the override carries the whole command
 * with the one flag changed; `deploy.resources` merges key by key, so it carries only the limit. Written with
 * js-yaml (every string quoted: Compose v1 reads YAML 1.1, where `22:22` would be a number).
 */
export function composeOverrideContent(settings: ComposeDeploySettings): string {
  const services: Record<string, Record<string, unknown>> = {};
  const { postgresService, backendService } = settings.tuning;
  if (postgresService) services[postgresService] = { command: tunedPostgresCommand(settings.tuning.postgresCommand) };
  if (backendService) services[backendService] = { ...services[backendService], deploy: { resources: tunedBackendResources(settings.tuning.backendResources) } };
  const header = '# Written by KoproGo Deploy: phase 2 tuning (PostgreSQL shared_buffers=1GB, backend memory 500M), merged with the\n# repository\'s own command and deploy.resources. Changes are overwritten on the next run.\n';
  return header + dumpYaml({ services });
}

export function composeOverrideFile(settings: ComposeDeploySettings): RemoteFile {
  return {
    path: joinPath(checkoutDir(settings), COMPOSE_OVERRIDE_FILE),
    content: composeOverrideContent(settings),
    mode: 0o644,
    owner: settings.deployUser,
    group: settings.deployUser,
    secret: false,
  };
}

/** Exit code of a step whose `docker compose config` check of the merged result failed (stderr: `override_invalid …`). */
export const OVERRIDE_INVALID_EXIT = 8;

/**
 * Lines that run `docker compose config` on the deployment's files and check the merged PostgreSQL command still
 * has the repository's flags with shared_buffers=1GB (flags holding `${…}` are interpolated there, so not checked).
 */
export function overrideConfigCheck(settings: ComposeDeploySettings): string[] {
  const pg = settings.tuning.postgresService;
  const flags = pg ? tunedPostgresCommand(settings.tuning.postgresCommand).filter((w) => w !== '-c' && !w.includes('$')) : [];
  return [
    `cd ${shQuote(checkoutDir(settings))}`,
    `config=$(${composeCommand(settings)} config 2>&1) || { printf 'override_invalid %s\\n' "$(printf '%s\\n' "$config" | tail -n 1)" >&2; exit ${OVERRIDE_INVALID_EXIT}; }`,
    ...flags.map((f) => `printf '%s\\n' "$config" | grep -qF -- ${shQuote(f)} || { echo ${shQuote(`override_invalid ${f}`)} >&2; exit ${OVERRIDE_INVALID_EXIT}; }`),
  ];
}

/** Phase 2 only: buildComposeSteps leaves it out in phase 1. Verified by `docker compose config` of the result. */
export function composeOverrideStep(settings: ComposeDeploySettings): Step {
  const file = composeOverrideFile(settings);
  const check = asRoot(fileInstalled(file));
  return { id: 'compose-override', check, apply: [{ kind: 'file', file }], verify: asRoot([...fileInstalled(file), ...overrideConfigCheck(settings)]) };
}

export function composeStampPath(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'compose.stamp');
}

/**
 * Lines that leave the deployment's fingerprint in `$fingerprint`, computed on the server: a sha256
 * over the compose command, the checkout's HEAD and the sha256 of every compose file and the env file.
 * Defines `u`/`as_user` and leaves the checkout as the working directory.
 */
export function composeFingerprintScript(settings: ComposeDeploySettings): string[] {
  const files = [...composeFiles(settings), settings.envFile];
  return [
    ...asUserPrelude(settings.deployUser),
    `cd ${shQuote(checkoutDir(settings))}`,
    'head=$(as_user git rev-parse HEAD)',
    `sums=$(sha256sum -- ${files.map(shQuote).join(' ')})`,
    `fingerprint=$(printf '%s\\n' ${shQuote(composeCommand(settings))} "$head" "$sums" | sha256sum | cut -d ' ' -f 1)`,
  ];
}

/**
 * Lines that fail unless the project has containers and each is up, or finished with exit code 0
 * (one-shot services such as a bucket bootstrap). `Status` rather than `State`: older docker CLIs have
 * no `{{.State}}` in `ps --format`.
 */
export function projectContainersUp(settings: ComposeDeploySettings): string[] {
  return [
    `states=$(docker ps -a --filter ${shQuote(`label=com.docker.compose.project=${settings.composeProject}`)} --format '{{.Status}}')`,
    '[ -n "$states" ]',
    `if printf '%s\\n' "$states" | grep -Evq '^(Up|Exited [(]0[)])'; then exit 1; fi`,
  ];
}

/**
 * Lines that fail when a container runs an older image than the one its service names now (a moving tag such
 * as `latest` was re-pulled): `up -d` must then recreate it.
 */
export function containersRunCurrentImages(settings: ComposeDeploySettings): string[] {
  return [
    `for c in $(docker ps -q --filter ${shQuote(`label=com.docker.compose.project=${settings.composeProject}`)}); do`,
    `  want=$(docker image inspect -f '{{.Id}}' "$(docker inspect -f '{{.Config.Image}}' "$c")" 2>/dev/null) || exit 1`,
    `  [ "$want" = "$(docker inspect -f '{{.Image}}' "$c")" ] || exit 1`,
    'done',
  ];
}

/**
 * `up -d`. With the recipe's images: the services that can only be built are built first, and `up` never builds
 * (the prebuilt images were pulled by compose-pull: a `build:` section kept for development must not replace them).
 * A profile from before has no image list: `up --build` rebuilds what has a build section, as it always did.
 */
function upCommands(settings: ComposeDeploySettings): string[] {
  if (!settings.images) return [`${composeCommand(settings)} up -d --remove-orphans --build`];
  const build = settings.images.build.length > 0 ? [`${composeCommandWithAuth(settings)} build ${shJoin(settings.images.build)}`] : [];
  return [...build, `${composeCommandWithAuth(settings)} up -d --remove-orphans --no-build`];
}

export function composeUpStep(settings: ComposeDeploySettings): Step {
  const stamp = shQuote(composeStampPath(settings));
  const check = asRoot([
    ...composeFingerprintScript(settings),
    `[ "$(cat ${stamp} 2>/dev/null)" = "$fingerprint" ]`,
    ...projectContainersUp(settings),
    ...(settings.images ? containersRunCurrentImages(settings) : []),
  ]);
  return {
    id: 'compose-up',
    titleParams: { project: settings.composeProject },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            // The fingerprint is taken before `up`: the stamp describes what was started.
            ...composeFingerprintScript(settings),
            ...upCommands(settings),
            `mkdir -p ${shQuote(settings.layout.stateDir)}`,
            `printf '%s\\n' "$fingerprint" > ${shQuote(`${composeStampPath(settings)}.tmp`)}`,
            `mv -f ${shQuote(`${composeStampPath(settings)}.tmp`)} ${stamp}`,
          ],
          { detached: true, timeoutMs: (settings.images?.build.length ? 90 : 30) * 60_000 },
        ),
      },
    ],
    verify: check,
  };
}
