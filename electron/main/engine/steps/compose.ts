import { shJoin, shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { asRoot, asUserPrelude, checkoutDir, fileInstalled, joinPath } from './shell';

// The Compose project: the phase-2 override, `up`, and the stamp that lets a re-run skip `up` when
// nothing changed. Only flags that Compose v1 (through a CLI-plugin shim) also knows are used: no
// `--wait`, no `ps --format json`.

/** The override the app writes next to the recipe's compose files in phase 2. */
export const COMPOSE_OVERRIDE_FILE = 'docker-compose.koprogo.yml';

/** Compose files relative to the checkout, in order: the recipe's, then the override in phase 2. */
export function composeFiles(settings: ComposeDeploySettings): string[] {
  return settings.phase === 2 ? [...settings.composeFiles, COMPOSE_OVERRIDE_FILE] : [...settings.composeFiles];
}

/** The `-f` arguments (unquoted) every compose command of the deployment uses. */
export function composeFileArgs(settings: ComposeDeploySettings): string[] {
  return composeFiles(settings).flatMap((f) => ['-f', f]);
}

/** `docker compose -p … --env-file … -f …`, quoted, to be run from the checkout. */
export function composeCommand(settings: ComposeDeploySettings): string {
  return shJoin(['docker', 'compose', '-p', settings.composeProject, '--env-file', settings.envFile, ...composeFileArgs(settings)]);
}

const YAML_RESERVED = /^(y|yes|n|no|true|false|on|off|null|~)$/i;

/** A mapping key as YAML reads it back: plain when it is a simple name, else a JSON (= YAML) string. */
function yamlKey(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_.-]*$/.test(name) && !YAML_RESERVED.test(name) ? name : JSON.stringify(name);
}

/** Roadmap phase 2 tuning: PostgreSQL shared_buffers=1GB, backend memory limit 500M. */
export function composeOverrideContent(settings: ComposeDeploySettings): string {
  const services = new Map<string, string[]>();
  const add = (service: string, lines: string[]) => services.set(service, [...(services.get(service) ?? []), ...lines]);
  if (settings.tuning.postgresService) add(settings.tuning.postgresService, ['command: postgres -c shared_buffers=1GB']);
  if (settings.tuning.backendService) add(settings.tuning.backendService, ['deploy:', '  resources:', '    limits:', '      memory: 500M']);
  const header = '# Written by KoproGo Deploy: phase 2 tuning. Changes are overwritten on the next run.';
  if (services.size === 0) return `${header}\nservices: {}\n`;
  const body = [...services].flatMap(([name, lines]) => [`  ${yamlKey(name)}:`, ...lines.map((l) => `    ${l}`)]);
  return [header, 'services:', ...body, ''].join('\n');
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

/** Phase 2 only: buildComposeSteps leaves it out in phase 1. */
export function composeOverrideStep(settings: ComposeDeploySettings): Step {
  const file = composeOverrideFile(settings);
  const check = asRoot(fileInstalled(file));
  return { id: 'compose-override', check, apply: [{ kind: 'file', file }], verify: check };
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

export function composeUpStep(settings: ComposeDeploySettings): Step {
  const stamp = shQuote(composeStampPath(settings));
  const check = asRoot([
    ...composeFingerprintScript(settings),
    `[ "$(cat ${stamp} 2>/dev/null)" = "$fingerprint" ]`,
    ...projectContainersUp(settings),
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
            // --build only rebuilds services that have a build section (a new ref must not run old code).
            `${composeCommand(settings)} up -d --remove-orphans --build`,
            `mkdir -p ${shQuote(settings.layout.stateDir)}`,
            `printf '%s\\n' "$fingerprint" > ${shQuote(`${composeStampPath(settings)}.tmp`)}`,
            `mv -f ${shQuote(`${composeStampPath(settings)}.tmp`)} ${stamp}`,
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: check,
  };
}
