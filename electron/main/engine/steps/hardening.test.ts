import { afterAll, describe, expect, it } from 'vitest';
import { autoUpgradesFile, fail2banJail, fail2banStep, firewallStep, openPorts, unattendedUpgradesStep } from './hardening';
import { Sandbox, fileOf, fixedSettings, runOf } from './test-helpers';

const settings = fixedSettings();

describe('firewall', () => {
  const step = firewallStep(settings);

  it('checks that ufw is active, denies by default and allows exactly SSH, 80 and 443', () => {
    expect(step.check?.script).toBe(`set -eu
status=$(LC_ALL=C ufw status verbose)
printf '%s\\n' "$status" | grep -qx 'Status: active'
printf '%s\\n' "$status" | grep -q '^Default: deny (incoming)'
printf '%s\\n' "$status" | grep -Eq '^22/tcp +ALLOW IN +Anywhere'
printf '%s\\n' "$status" | grep -Eq '^80/tcp +ALLOW IN +Anywhere'
printf '%s\\n' "$status" | grep -Eq '^443/tcp +ALLOW IN +Anywhere'
`);
    expect(step.verify).toEqual(step.check);
    expect(step.titleParams).toEqual({ ports: '22, 80, 443' });
  });

  it('allows SSH before it denies or enables anything', () => {
    expect(runOf(step.apply[0]).script).toBe(`set -eu
if ! [ "$(dpkg-query -W -f '\${Status}\\n' ufw 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y ufw
fi
ufw allow 22/tcp
ufw allow 80/tcp
ufw allow 443/tcp
ufw default deny incoming
ufw default allow outgoing
ufw --force enable
`);
    const lines = runOf(firewallStep(fixedSettings({ sshPort: 2222 })).apply[0]).script.split('\n');
    const ssh = lines.indexOf('ufw allow 2222/tcp');
    expect(ssh).toBeGreaterThan(0);
    expect(ssh).toBeLessThan(lines.indexOf('ufw default deny incoming'));
    expect(ssh).toBeLessThan(lines.indexOf('ufw --force enable'));
  });

  it('never lists a port twice and refuses an invalid port', () => {
    expect(openPorts(fixedSettings({ sshPort: 443 }))).toEqual([443, 80]);
    expect(() => firewallStep(fixedSettings({ sshPort: 0 }))).toThrow(/port/);
    expect(() => firewallStep(fixedSettings({ sshPort: 22.5 }))).toThrow(/port/);
  });

  describe('the check, against a stub ufw', () => {
    const sandbox = new Sandbox();
    afterAll(() => sandbox.dispose());
    const active = `Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), disabled (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere
80/tcp                     ALLOW IN    Anywhere
443/tcp                    ALLOW IN    Anywhere
22/tcp (v6)                ALLOW IN    Anywhere (v6)
80/tcp (v6)                ALLOW IN    Anywhere (v6)
443/tcp (v6)               ALLOW IN    Anywhere (v6)
`;
    const withStatus = (text: string) => {
      sandbox.stub('ufw', `[ "$*" = 'status verbose' ] || exit 9\ncat <<'EOF'\n${text}EOF`);
      return sandbox.run(step.check!.script).code;
    };

    it('passes on the configured firewall', () => expect(withStatus(active)).toBe(0));
    it('fails when a port is missing (v6 lines do not count)', () => expect(withStatus(active.replace(/^443\/tcp {2}.*\n/m, ''))).toBe(1));
    it('fails when ufw is inactive', () => expect(withStatus('Status: inactive\n')).toBe(1));
    it('fails when incoming is allowed by default', () => expect(withStatus(active.replace('deny (incoming)', 'allow (incoming)'))).toBe(1));
  });
});

describe('fail2ban', () => {
  const step = fail2banStep(settings);

  it('writes an sshd jail on the SSH port, journal backend', () => {
    const jail = fail2banJail(fixedSettings({ sshPort: 2222 }));
    expect(jail).toEqual({
      path: '/etc/fail2ban/jail.d/koprogo.local',
      content: `# Written by KoproGo Deploy; changes are overwritten on the next run.
[sshd]
enabled = true
port = 2222
backend = systemd
maxretry = 5
bantime = 1h
`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      secret: false,
    });
  });

  it('installs, writes the jail, restarts; checks service and file', () => {
    expect(step.check?.script).toBe(`set -eu
[ "$(dpkg-query -W -f '\${Status}\\n' fail2ban python3-systemd 2>/dev/null | grep -cx 'install ok installed')" = 2 ]
systemctl is-active --quiet fail2ban
[ "$({ sha256sum < /etc/fail2ban/jail.d/koprogo.local; } 2>/dev/null | cut -d ' ' -f 1)" = 95057f0a3d1504ee6cef0e8c106e7c955efb260d39ce8e8f4a3195ca917538a9 ]
[ "$(stat -c '%a %U:%G' -- /etc/fail2ban/jail.d/koprogo.local 2>/dev/null)" = '644 root:root' ]
`);
    expect(step.apply).toHaveLength(3);
    expect(runOf(step.apply[0]).script).toBe(`set -eu
if ! [ "$(dpkg-query -W -f '\${Status}\\n' fail2ban python3-systemd 2>/dev/null | grep -cx 'install ok installed')" = 2 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y fail2ban python3-systemd
fi
`);
    expect(fileOf(step.apply[1])).toEqual(fail2banJail(settings));
    expect(runOf(step.apply[2]).script).toBe('set -eu\nsystemctl enable fail2ban\nsystemctl restart fail2ban\n');
    expect(step.verify?.script).toBe(`set -eu
[ "$({ sha256sum < /etc/fail2ban/jail.d/koprogo.local; } 2>/dev/null | cut -d ' ' -f 1)" = 95057f0a3d1504ee6cef0e8c106e7c955efb260d39ce8e8f4a3195ca917538a9 ]
[ "$(stat -c '%a %U:%G' -- /etc/fail2ban/jail.d/koprogo.local 2>/dev/null)" = '644 root:root' ]
tries=0
until fail2ban-client status sshd >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then echo 'fail2ban did not load the sshd jail' >&2; exit 1; fi
  sleep 1
done
`);
  });
});

describe('unattended-upgrades', () => {
  const step = unattendedUpgradesStep(settings);

  it('installs the package and enables the periodic runs', () => {
    expect(autoUpgradesFile(settings)).toEqual({
      path: '/etc/apt/apt.conf.d/20auto-upgrades',
      content: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
      mode: 0o644,
      owner: 'root',
      group: 'root',
      secret: false,
    });
    expect(step.check?.script).toBe(`set -eu
[ "$(dpkg-query -W -f '\${Status}\\n' unattended-upgrades 2>/dev/null | grep -cx 'install ok installed')" = 1 ]
command -v unattended-upgrade >/dev/null 2>&1
[ "$({ sha256sum < /etc/apt/apt.conf.d/20auto-upgrades; } 2>/dev/null | cut -d ' ' -f 1)" = b81a3a01864d5ed7f8d023f3fa86d65087ad6b85706d399dc229a60b1c784807 ]
[ "$(stat -c '%a %U:%G' -- /etc/apt/apt.conf.d/20auto-upgrades 2>/dev/null)" = '644 root:root' ]
`);
    expect(runOf(step.apply[0]).script).toBe(`set -eu
if ! [ "$(dpkg-query -W -f '\${Status}\\n' unattended-upgrades 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y unattended-upgrades
fi
`);
    expect(fileOf(step.apply[1])).toEqual(autoUpgradesFile(settings));
    expect(step.verify).toEqual(step.check);
  });

  it('follows the layout', () => {
    expect(autoUpgradesFile(fixedSettings({ layout: { ...settings.layout, aptConfDir: '/tmp/apt/' } })).path).toBe('/tmp/apt/20auto-upgrades');
  });
});
