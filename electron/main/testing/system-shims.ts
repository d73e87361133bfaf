import { spawn } from 'node:child_process';
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
  /**
   * Removes the stand-ins of systemd's tools (timedatectl, hostnamectl, systemctl): the real ones run,
   * and on a test host whose PID 1 is not systemd they fail exactly as on such a server.
   */
  removeSystemd(): void;
  /** Puts them back. */
  restoreSystemd(): void;
  /**
   * Holds the apt lock (a real `flock` process) until the returned function is called; apt-get's own
   * wait for the lock (DPkg::Lock::Timeout, ten minutes in the steps) is shortened to `maxWaitSec`.
   */
  holdAptLock(maxWaitSec?: number): Promise<() => Promise<void>>;
  stop(): void;
}

const SYSTEMD_TOOLS = ['timedatectl', 'hostnamectl', 'systemctl'];

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
  // Takes the dpkg frontend lock like apt does (a real flock on a file of the state folder): while a
  // test holds it (\`holdAptLock\`), this prints apt-get 2.6's own two lines, with the holder's pid read
  // from /proc/locks, and exits 100 as apt does.
  // apt's -o DPkg::Lock::Timeout=N is honoured, capped by the test (\`$S/apt-lock-wait-max\`, seconds).
  'apt-get': `wait=0
for a in "$@"; do case "$a" in DPkg::Lock::Timeout=*) wait=\${a#*=} ;; esac; done
max=$(cat "$S/apt-lock-wait-max" 2>/dev/null || echo "$wait"); [ "$wait" -gt "$max" ] && wait=$max
exec 9>"$S/lock-frontend"
if ! flock -w "$wait" 9; then
  ino=$(stat -c %i "$S/lock-frontend"); pid=$(awk -v i=":$ino" '$0 ~ i" " {print $5; exit}' /proc/locks)
  name=$(cat "/proc/$pid/comm" 2>/dev/null || echo unknown)
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process $pid ($name)" >&2
  echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?" >&2
  exit 100
fi
for a in "$@"; do case "$a" in -*|install|update) ;; *) touch "$S/pkg-$a" ;; esac; done
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
  const install = (tool: string, body: string) => {
    const path = join(binDir, tool);
    writeFileSync(path, `#!/bin/sh\nS=${JSON.stringify(stateDir)}\necho "${tool} $*" >> "$S/calls.log"\n${body}\n`);
    chmodSync(path, 0o755);
  };
  for (const [tool, body] of Object.entries(SHIMS)) install(tool, body);
  const lockFile = join(stateDir, 'lock-frontend');
  writeFileSync(lockFile, '', { mode: 0o666 });
  chmodSync(lockFile, 0o666);
  return {
    binDir,
    stateDir,
    callsFile,
    removeSystemd: () => {
      for (const tool of SYSTEMD_TOOLS) rmSync(join(binDir, tool), { force: true });
    },
    restoreSystemd: () => {
      for (const tool of SYSTEMD_TOOLS) install(tool, SHIMS[tool]!);
    },
    holdAptLock: async (maxWaitSec = 2) => {
      writeFileSync(join(stateDir, 'apt-lock-wait-max'), `${maxWaitSec}\n`);
      // `flock FILE sleep` holds the lock as long as sleep runs; "locked" is printed once it is taken.
      // -o: the lock stays with flock itself; its own process group, so both go at once.
      const child = spawn('flock', ['-o', lockFile, 'sh', '-c', 'echo locked; exec sleep 3600'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.stdout.once('data', () => resolve());
      });
      return () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            child.kill('SIGTERM');
          }
        });
    },
    stop: () => rmSync(root, { recursive: true, force: true }),
  };
}
