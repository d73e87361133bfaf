import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Stand-ins for the system administration tools whose real effect would reconfigure the machine the
// tests run on (its clock, hostname, firewall, services, packages). They keep their state in files,
// so a step's check sees what its apply did, exactly as on a real server. Everything else the deploy
// uses is real: sshd, sudo, useradd, git, Docker, Compose, cron files, the app's files.

export interface SystemShims {
  /** Put first on PATH (sshd SetEnv and sudo secure_path). */
  binDir: string;
  stateDir: string;
  /** Every call, one line each: `<tool> <args>`. */
  callsFile: string;
  stop(): void;
}

const SHIMS: Record<string, string> = {
  timedatectl: `case "$1" in
  show) cat "$S/timezone" 2>/dev/null || echo Etc/UTC ;;
  set-timezone) printf '%s\\n' "$2" > "$S/timezone" ;;
  *) exit 0 ;;
esac`,
  hostnamectl: `case "$1" in
  --static|hostname) cat "$S/hostname" 2>/dev/null || echo localhost ;;
  set-hostname) printf '%s\\n' "$2" > "$S/hostname" ;;
  *) exit 0 ;;
esac`,
  // Prints what \`ufw status verbose\` prints on Debian 12.
  ufw: `case "$1" in
  status)
    if [ -f "$S/ufw-active" ]; then
      echo "Status: active"; echo "Logging: on (low)"
      echo "Default: $(cat "$S/ufw-default-in" 2>/dev/null || echo deny) (incoming), allow (outgoing), disabled (routed)"
      echo "New profiles: skip"; echo; echo "To                         Action      From"; echo "--                         ------      ----"
      cat "$S/ufw-rules" 2>/dev/null
    else echo "Status: inactive"; fi ;;
  allow) line=$(printf '%-26s %-11s %s' "$2" "ALLOW IN" "Anywhere"); grep -qxF "$line" "$S/ufw-rules" 2>/dev/null || echo "$line" >> "$S/ufw-rules" ;;
  default) if [ "$3" = incoming ]; then echo "$2" > "$S/ufw-default-in"; fi ;;
  --force) if [ "$2" = enable ]; then touch "$S/ufw-active"; fi ;;
  enable) touch "$S/ufw-active" ;;
  *) exit 0 ;;
esac`,
  systemctl: `case "$1" in
  is-active) if [ "$2" = --quiet ]; then shift; fi; [ -f "$S/active-$2" ] ;;
  enable) if [ "$2" = --now ]; then shift; fi; touch "$S/active-$2" ;;
  start|restart|reload|reload-or-restart|try-reload-or-restart) touch "$S/active-$2" ;;
  *) exit 0 ;;
esac`,
  'apt-get': `for a in "$@"; do case "$a" in -*|install|update) ;; *) touch "$S/pkg-$a" ;; esac; done
exit 0`,
  // Packages "installed" by the apt-get stand-in are reported installed; others ask the real dpkg.
  'dpkg-query': `fmt='\${Status}\\n'; pkgs=''
while [ $# -gt 0 ]; do case "$1" in -W|--show) ;; -f|--showformat) shift; fmt="$1" ;; -*) ;; *) pkgs="$pkgs $1" ;; esac; shift; done
for p in $pkgs; do
  if [ -f "$S/pkg-$p" ]; then echo "install ok installed"; else /usr/bin/dpkg-query -W -f "$fmt" "$p" 2>/dev/null; fi
done`,
  'cloud-init': 'exit 0',
  'unattended-upgrade': 'exit 0',
  'fail2ban-client': 'exit 0',
};

export function installSystemShims(): SystemShims {
  const root = mkdtempSync(join(tmpdir(), 'kgt-shims-'));
  const binDir = join(root, 'bin');
  const stateDir = join(root, 'state');
  mkdirSync(binDir);
  mkdirSync(stateDir);
  chmodSync(root, 0o755);
  chmodSync(stateDir, 0o777);
  const callsFile = join(stateDir, 'calls.log');
  writeFileSync(callsFile, '', { mode: 0o666 });
  chmodSync(callsFile, 0o666);
  for (const [tool, body] of Object.entries(SHIMS)) {
    const path = join(binDir, tool);
    writeFileSync(path, `#!/bin/sh\nS=${JSON.stringify(stateDir)}\necho "${tool} $*" >> "$S/calls.log"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { binDir, stateDir, callsFile, stop: () => rmSync(root, { recursive: true, force: true }) };
}
