import type { ComposeDeploySettings, Step } from '../types';
import { APT_GET, asRoot, ensurePackages } from './shell';

// Docker Engine and the Compose plugin from Docker's own apt repository (Debian's docker.io lags and
// Debian 12 has no Compose v2). The repository line follows Docker's install guide: distribution and
// codename from os-release, architecture from dpkg.

export function dockerStep(_settings: ComposeDeploySettings): Step {
  const check = asRoot(['docker version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1']);
  return {
    id: 'docker',
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            '. /etc/os-release',
            'codename=${UBUNTU_CODENAME:-${VERSION_CODENAME:-}}',
            `[ -n "$codename" ] || { echo 'no VERSION_CODENAME in /etc/os-release' >&2; exit 1; }`,
            ...ensurePackages(['ca-certificates', 'curl']),
            'install -m 0755 -d /etc/apt/keyrings',
            'curl -fsSL "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc.tmp',
            'chmod a+r /etc/apt/keyrings/docker.asc.tmp',
            'mv -f /etc/apt/keyrings/docker.asc.tmp /etc/apt/keyrings/docker.asc',
            `printf 'deb [arch=%s signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\\n' "$(dpkg --print-architecture)" "$ID" "$codename" > /etc/apt/sources.list.d/docker.list`,
            `${APT_GET} update`,
            `${APT_GET} install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin`,
            'systemctl enable --now docker',
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: check,
  };
}
