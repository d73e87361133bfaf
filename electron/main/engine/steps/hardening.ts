import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { asRoot, assertPort, ensurePackages, fileInstalled, joinPath, packagesInstalled } from './shell';

// Firewall, brute-force protection and automatic security updates.

/** The ports the firewall leaves open: SSH, then HTTP and HTTPS for Traefik. */
export function openPorts(settings: ComposeDeploySettings): number[] {
  return [...new Set([assertPort(settings.sshPort), 80, 443])];
}

// NOTE: ports published by Docker bypass ufw. Docker inserts its own iptables rules (DOCKER chain,
// reached through FORWARD/nat before ufw's INPUT rules), so `ports: "5432:5432"` would be open to the
// world whatever ufw says. The compose production files must bind internal ports to 127.0.0.1;
// Traefik's 80/443 are the only public ones.
export function firewallStep(settings: ComposeDeploySettings): Step {
  const ports = openPorts(settings);
  const check = asRoot([
    // ufw is translated: read its status in the C locale.
    'status=$(LC_ALL=C ufw status verbose)',
    `printf '%s\\n' "$status" | grep -qx 'Status: active'`,
    `printf '%s\\n' "$status" | grep -q '^Default: deny (incoming)'`,
    ...ports.map((p) => `printf '%s\\n' "$status" | grep -Eq ${shQuote(`^${p}/tcp +ALLOW IN +Anywhere`)}`),
  ]);
  return {
    id: 'firewall',
    titleParams: { ports: ports.join(', ') },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot([
          ...ensurePackages(['ufw']),
          // The allow rules go in before anything can block: enabling never locks us out of SSH.
          ...ports.map((p) => `ufw allow ${shQuote(`${p}/tcp`)}`),
          'ufw default deny incoming',
          'ufw default allow outgoing',
          'ufw --force enable',
        ]),
      },
    ],
    verify: check,
  };
}

export function fail2banJail(settings: ComposeDeploySettings): RemoteFile {
  // backend = systemd: Debian 12 logs sshd to the journal only (no auth.log), and the file-based
  // default makes fail2ban refuse to start there. python3-systemd is installed for it.
  const content = [
    '# Written by KoproGo Deploy; changes are overwritten on the next run.',
    '[sshd]',
    'enabled = true',
    `port = ${assertPort(settings.sshPort)}`,
    'backend = systemd',
    'maxretry = 5',
    'bantime = 1h',
    '',
  ].join('\n');
  return { path: joinPath(settings.layout.fail2banDir, 'jail.d/koprogo.local'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

const FAIL2BAN_PACKAGES = ['fail2ban', 'python3-systemd'];

export function fail2banStep(settings: ComposeDeploySettings): Step {
  const jail = fail2banJail(settings);
  return {
    id: 'fail2ban',
    check: asRoot([packagesInstalled(FAIL2BAN_PACKAGES), 'systemctl is-active --quiet fail2ban', ...fileInstalled(jail)]),
    apply: [
      { kind: 'run', command: asRoot(ensurePackages(FAIL2BAN_PACKAGES)) },
      { kind: 'file', file: jail },
      { kind: 'run', command: asRoot(['systemctl enable fail2ban', 'systemctl restart fail2ban']) },
    ],
    // The service can be "active" for a moment before it gives up on a bad jail: ask for the jail itself.
    verify: asRoot([
      ...fileInstalled(jail),
      'tries=0',
      'until fail2ban-client status sshd >/dev/null 2>&1; do',
      '  tries=$((tries + 1))',
      `  if [ "$tries" -ge 30 ]; then echo 'fail2ban did not load the sshd jail' >&2; exit 1; fi`,
      '  sleep 1',
      'done',
    ]),
  };
}

export function autoUpgradesFile(settings: ComposeDeploySettings): RemoteFile {
  // The same text Debian and Ubuntu write themselves, so a server that already has it is left alone.
  const content = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
  return { path: joinPath(settings.layout.aptConfDir, '20auto-upgrades'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

export function unattendedUpgradesStep(settings: ComposeDeploySettings): Step {
  const file = autoUpgradesFile(settings);
  const check = asRoot([packagesInstalled(['unattended-upgrades']), 'command -v unattended-upgrade >/dev/null 2>&1', ...fileInstalled(file)]);
  return {
    id: 'unattended-upgrades',
    check,
    apply: [
      { kind: 'run', command: asRoot(ensurePackages(['unattended-upgrades'])) },
      { kind: 'file', file },
    ],
    verify: check,
  };
}
