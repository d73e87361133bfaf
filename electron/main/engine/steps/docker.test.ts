import { describe, expect, it } from 'vitest';
import { dockerStep } from './docker';
import { fixedSettings, runOf } from './test-helpers';

describe('docker', () => {
  const step = dockerStep(fixedSettings());

  it('checks the engine and the compose plugin', () => {
    expect(step.check).toEqual({ script: 'docker version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1\n', as: 'root' });
    expect(step.verify).toEqual(step.check);
  });

  it("installs from Docker's apt repository, detached", () => {
    expect(step.apply).toHaveLength(1);
    const command = runOf(step.apply[0]);
    expect(command.detached).toBe(true);
    expect(command.as).toBe('root');
    expect(command.timeoutMs).toBeGreaterThanOrEqual(20 * 60_000);
    expect(command.script).toBe(`set -eu
. /etc/os-release
codename=\${UBUNTU_CODENAME:-\${VERSION_CODENAME:-}}
[ -n "$codename" ] || { echo 'no VERSION_CODENAME in /etc/os-release' >&2; exit 1; }
if ! [ "$(dpkg-query -W -f '\${Status}\\n' ca-certificates curl 2>/dev/null | grep -cx 'install ok installed')" = 2 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y ca-certificates curl
fi
install -m 0755 -d /etc/apt/keyrings
curl -fsSL "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc.tmp
chmod a+r /etc/apt/keyrings/docker.asc.tmp
mv -f /etc/apt/keyrings/docker.asc.tmp /etc/apt/keyrings/docker.asc
printf 'deb [arch=%s signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\\n' "$(dpkg --print-architecture)" "$ID" "$codename" > /etc/apt/sources.list.d/docker.list
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
systemctl enable --now docker
`);
  });
});
