import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, Step } from '../types';
import { asRoot, singleLine } from './shell';

/** Exit code of wait-ready when the OS is not supported (stderr: `unsupported_os <PRETTY_NAME>`). */
export const UNSUPPORTED_OS_EXIT = 3;
/** Exit code of wait-ready when apt/dpkg is still busy after ten minutes (stderr: `package_manager_busy`). */
export const PACKAGE_MANAGER_BUSY_EXIT = 5;

const SUPPORTED = ['debian:11', 'debian:12', 'debian:13', 'ubuntu:22.04', 'ubuntu:24.04'];

/** Lines that exit 3 unless os-release names a supported release. */
export function supportedOsCheck(osRelease = '/etc/os-release'): string[] {
  const file = shQuote(osRelease);
  return [
    `if [ -r ${file} ]; then . ${file}; fi`,
    'case "${ID:-}:${VERSION_ID:-}" in',
    `  ${SUPPORTED.join('|')}) ;;`,
    `  *) printf 'unsupported_os %s\\n' "\${PRETTY_NAME:-unknown}" >&2; exit ${UNSUPPORTED_OS_EXIT} ;;`,
    'esac',
  ];
}

/** Waits for cloud-init and for any running apt/dpkg (a fresh server upgrades itself at boot). */
export function waitReadyStep(_settings: ComposeDeploySettings): Step {
  // 120 × 5 s: ten minutes, then fail rather than wait forever.
  return {
    id: 'wait-ready',
    check: null,
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            ...supportedOsCheck(),
            'if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi',
            'tries=0',
            'while pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null || pgrep -x dpkg >/dev/null || pgrep -x unattended-upgr >/dev/null; do',
            '  tries=$((tries + 1))',
            '  if [ "$tries" -gt 120 ]; then',
            `    echo 'package_manager_busy: apt or dpkg is still running after 10 minutes' >&2`,
            `    exit ${PACKAGE_MANAGER_BUSY_EXIT}`,
            '  fi',
            '  sleep 5',
            'done',
          ],
          { timeoutMs: 20 * 60_000 },
        ),
      },
    ],
    verify: null,
  };
}

export function timezoneStep(settings: ComposeDeploySettings): Step {
  const tz = shQuote(settings.timezone);
  const check = asRoot([`[ "$(timedatectl show -p Timezone --value)" = ${tz} ]`]);
  return {
    id: 'timezone',
    titleParams: { timezone: settings.timezone },
    check,
    apply: [{ kind: 'run', command: asRoot([`timedatectl set-timezone ${tz}`]) }],
    verify: check,
  };
}

/** The /etc/hosts line for the hostname: an FQDN also gets its short name (Debian's convention). */
export function hostsLine(hostname: string): string {
  singleLine('hostname', hostname);
  const short = hostname.split('.')[0] ?? hostname;
  return short !== hostname && short !== '' ? `127.0.1.1 ${hostname} ${short}` : `127.0.1.1 ${hostname}`;
}

export function hostnameStep(settings: ComposeDeploySettings): Step {
  const name = shQuote(settings.hostname);
  const line = shQuote(hostsLine(settings.hostname));
  const hosts = shQuote(settings.layout.hostsFile);
  const check = asRoot([`[ "$(hostnamectl --static)" = ${name} ]`, `grep -qxF -e ${line} ${hosts}`]);
  return {
    id: 'hostname',
    titleParams: { hostname: settings.hostname },
    check,
    apply: [
      {
        kind: 'run',
        // /etc/hosts first, so sudo never meets a hostname it cannot resolve. The old 127.0.1.1 line
        // is deleted with a constant pattern and ours appended: no value ever goes into a sed program.
        command: asRoot([
          `if ! grep -qxF -e ${line} ${hosts}; then`,
          `  sed -i '/^127[.]0[.]1[.]1[[:space:]]/d' ${hosts}`,
          `  [ -z "$(tail -c 1 ${hosts})" ] || echo >> ${hosts}`,
          `  printf '%s\\n' ${line} >> ${hosts}`,
          'fi',
          `hostnamectl set-hostname ${name}`,
        ]),
      },
    ],
    verify: check,
  };
}
