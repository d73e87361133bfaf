import { shJoin, shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { composeCommandWithAuth, dockerConfigDir } from './compose';
import { asRoot, checkoutDir, fileInstalled, joinPath, modeIs } from './shell';

// Prebuilt images first: a registry login when the images are private (the password over SFTP into a 0600 file,
// then `docker login --password-stdin` from it: never on a command line), and `compose pull` of the services that
// name an image. A fixed tag already present is not pulled again; a moving tag (`latest`, `main-latest`…) is
// pulled on every run, and compose-up recreates what changed.

/** Exit code when the registry refuses the credentials or the image (stderr: `registry_denied <host>`). */
export const REGISTRY_DENIED_EXIT = 6;
/** Exit code when an image cannot be pulled for another reason (stderr: `pull_failed <detail>`). */
export const PULL_FAILED_EXIT = 7;

const DENIED = 'denied|unauthori[sz]ed|authentication required|no basic auth credentials|403 Forbidden';

function registryOf(settings: ComposeDeploySettings): NonNullable<ComposeDeploySettings['registry']> {
  if (!settings.registry) throw new Error('registry-login needs settings.registry');
  return settings.registry;
}

/** The registry password (a GitHub token with read:packages for GHCR), root only. */
export function registryPasswordFile(settings: ComposeDeploySettings): RemoteFile {
  const r = registryOf(settings);
  const name = r.host.replace(/[^A-Za-z0-9.-]/gu, '_');
  return { path: joinPath(joinPath(settings.layout.stateDir, 'registry'), `${name}.password`), content: r.password, mode: 0o600, owner: 'root', group: 'root', secret: true };
}

export function registryLoginStep(settings: ComposeDeploySettings): Step {
  const r = registryOf(settings);
  const file = registryPasswordFile(settings);
  const dir = shQuote(dockerConfigDir(settings));
  const config = joinPath(dockerConfigDir(settings), 'config.json');
  const check = asRoot([...fileInstalled(file), `grep -qF -- ${shQuote(`"${r.host}"`)} ${shQuote(config)}`, modeIs(config, 0o600, 'root', 'root')]);
  return {
    id: 'registry-login',
    titleParams: { registry: r.host },
    check,
    apply: [
      { kind: 'run', command: asRoot([`install -d -m 0700 -o root -g root ${shQuote(joinPath(settings.layout.stateDir, 'registry'))} ${dir}`]) },
      { kind: 'file', file },
      {
        kind: 'run',
        command: asRoot([
          `out=$(DOCKER_CONFIG=${dir} docker login ${shJoin([r.host, '-u', r.user])} --password-stdin < ${shQuote(file.path)} 2>&1) || {`,
          `  printf '%s\\n' "$out" >&2`,
          `  printf 'registry_denied %s\\n' ${shQuote(r.host)} >&2`,
          `  exit ${REGISTRY_DENIED_EXIT}`,
          '}',
          `chmod 600 ${shQuote(config)}`,
        ]),
      },
    ],
    verify: check,
  };
}

/** Pulls the services that name an image; a moving tag is pulled on every run (no check). */
export function composePullStep(settings: ComposeDeploySettings): Step {
  const images = settings.images?.pull ?? [];
  if (images.length === 0) throw new Error('compose-pull needs images to pull');
  const moving = images.filter((i) => i.moving).map((i) => i.image);
  const services = images.map((i) => i.service);
  const check = moving.length > 0 ? null : asRoot(images.map((i) => `docker image inspect ${shQuote(i.image)} >/dev/null 2>&1`));
  return {
    id: 'compose-pull',
    titleParams: { images: images.length, moving: moving.join(', ') },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            `cd ${shQuote(checkoutDir(settings))}`,
            `install -d -m 0700 ${shQuote(dockerConfigDir(settings))}`,
            'log=$(mktemp)',
            `trap 'rm -f "$log" "$log.rc"' EXIT`,
            `{ rc=0; ${composeCommandWithAuth(settings)} pull ${shJoin(services)} || rc=$?; echo "$rc" > "$log.rc"; } 2>&1 | tee "$log"`,
            'rc=$(cat "$log.rc")',
            'if [ "$rc" != 0 ]; then',
            `  if grep -Eqi ${shQuote(DENIED)} "$log"; then echo "registry_denied $(grep -Eio '[a-z0-9.-]+(:[0-9]+)?/[^ :]+' "$log" | head -n 1)" >&2; exit ${REGISTRY_DENIED_EXIT}; fi`,
            `  echo "pull_failed $(grep -Ei 'error|not found|manifest' "$log" | tail -n 1)" >&2`,
            `  exit ${PULL_FAILED_EXIT}`,
            'fi',
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: asRoot(images.map((i) => `docker image inspect ${shQuote(i.image)} >/dev/null 2>&1`)),
  };
}
