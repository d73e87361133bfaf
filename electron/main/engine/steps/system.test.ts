import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { hostnameStep, hostsLine, supportedOsCheck, timezoneStep, waitReadyStep } from './system';
import { script } from './shell';
import type { Action } from '../types';
import { Sandbox, fixedSettings, runOf } from './test-helpers';

const settings = fixedSettings();

const runScript = (action: Action | undefined): string => runOf(action).script;

describe('wait-ready', () => {
  it('checks the OS, waits for cloud-init and for apt/dpkg (bounded), and has no check', () => {
    const step = waitReadyStep(settings);
    expect(step.id).toBe('wait-ready');
    expect(step.check).toBeNull();
    expect(step.verify).toBeNull();
    expect(step.apply).toHaveLength(1);
    expect(step.apply[0]).toMatchObject({ kind: 'run', command: { as: 'root' } });
    expect(runScript(step.apply[0])).toBe(`set -eu
if [ -r /etc/os-release ]; then . /etc/os-release; fi
case "\${ID:-}:\${VERSION_ID:-}" in
  debian:11|debian:12|debian:13|ubuntu:22.04|ubuntu:24.04) ;;
  *) printf 'unsupported_os %s\\n' "\${PRETTY_NAME:-unknown}" >&2; exit 3 ;;
esac
if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
tries=0
while pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null || pgrep -x dpkg >/dev/null || pgrep -x unattended-upgr >/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -gt 120 ]; then
    echo 'package_manager_busy: apt or dpkg is still running after 10 minutes' >&2
    exit 5
  fi
  sleep 5
done
`);
  });

  describe('the OS check, run against os-release files', () => {
    const sandbox = new Sandbox();
    afterAll(() => sandbox.dispose());
    const osRelease = (text: string) => {
      const path = sandbox.path('os-release');
      writeFileSync(path, text);
      return sandbox.run(script([...supportedOsCheck(path), 'echo supported']));
    };

    it.each([
      ['debian', '12', 'Debian GNU/Linux 12 (bookworm)'],
      ['debian', '11', 'Debian GNU/Linux 11 (bullseye)'],
      ['debian', '13', 'Debian GNU/Linux 13 (trixie)'],
      ['ubuntu', '22.04', 'Ubuntu 22.04.4 LTS'],
      ['ubuntu', '24.04', 'Ubuntu 24.04.1 LTS'],
    ])('accepts %s %s', (id, version, pretty) => {
      const r = osRelease(`PRETTY_NAME="${pretty}"\nID=${id}\nVERSION_ID="${version}"\n`);
      expect(r).toMatchObject({ code: 0, stdout: 'supported\n' });
    });

    it.each([
      ['ubuntu', '20.04', 'Ubuntu 20.04.6 LTS'],
      ['debian', '10', 'Debian GNU/Linux 10 (buster)'],
      ['centos', '9', 'CentOS Stream 9'],
    ])('refuses %s %s with exit 3 and its PRETTY_NAME', (id, version, pretty) => {
      const r = osRelease(`PRETTY_NAME="${pretty}"\nID=${id}\nVERSION_ID="${version}"\n`);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`unsupported_os ${pretty}\n`);
    });

    it('refuses a server without os-release', () => {
      const r = sandbox.run(script([...supportedOsCheck(sandbox.path('none')), 'echo supported']));
      expect(r).toMatchObject({ code: 3, stderr: 'unsupported_os unknown\n' });
    });
  });
});

describe('timezone', () => {
  it('compares and sets the zone with timedatectl', () => {
    const step = timezoneStep(settings);
    expect(step.check).toEqual({ script: `[ "$(timedatectl show -p Timezone --value)" = Europe/Brussels ]\n`, as: 'root' });
    expect(step.apply).toEqual([{ kind: 'run', command: { script: 'timedatectl set-timezone Europe/Brussels\n', as: 'root' } }]);
    expect(step.verify).toEqual(step.check);
    expect(step.titleParams).toEqual({ timezone: 'Europe/Brussels' });
  });

  it('quotes the zone', () => {
    expect(timezoneStep({ ...settings, timezone: "x'; reboot" }).apply[0]).toMatchObject({
      command: { script: `timedatectl set-timezone 'x'\\''; reboot'\n` },
    });
  });
});

describe('hostname', () => {
  it('sets the static hostname and maps 127.0.1.1 to it', () => {
    const step = hostnameStep(settings);
    expect(step.check?.script).toBe(`set -eu
[ "$(hostnamectl --static)" = koprogo-prod ]
grep -qxF -e '127.0.1.1 koprogo-prod' /etc/hosts
`);
    expect(runScript(step.apply[0])).toBe(`set -eu
if ! grep -qxF -e '127.0.1.1 koprogo-prod' /etc/hosts; then
  sed -i '/^127[.]0[.]1[.]1[[:space:]]/d' /etc/hosts
  [ -z "$(tail -c 1 /etc/hosts)" ] || echo >> /etc/hosts
  printf '%s\\n' '127.0.1.1 koprogo-prod' >> /etc/hosts
fi
hostnamectl set-hostname koprogo-prod
`);
    expect(step.verify).toEqual(step.check);
  });

  it('adds the short name for an FQDN and refuses a multi-line name', () => {
    expect(hostsLine('app.koprogo.be')).toBe('127.0.1.1 app.koprogo.be app');
    expect(hostsLine('koprogo')).toBe('127.0.1.1 koprogo');
    expect(() => hostnameStep({ ...settings, hostname: 'a\n1.2.3.4 github.com' })).toThrow(/single line/);
  });

  it('edits a hosts file idempotently (run on a copy, hostnamectl stubbed)', () => {
    const sandbox = new Sandbox();
    try {
      const hosts = sandbox.path('hosts');
      sandbox.stub('hostnamectl', `printf '%s\\n' "$*" >> "${sandbox.path('hostnamectl.log')}"`);
      writeFileSync(hosts, '127.0.0.1 localhost\n127.0.1.1 debian-2gb-nbg1-1 debian-2gb-nbg1-1\n::1 localhost ip6-localhost');
      const apply = runScript(hostnameStep(settings).apply[0]).replaceAll('/etc/hosts', hosts);
      const expected = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.1.1 koprogo-prod\n';
      expect(sandbox.run(apply).code).toBe(0);
      expect(readFileSync(hosts, 'utf8')).toBe(expected);
      expect(sandbox.run(apply).code).toBe(0);
      expect(readFileSync(hosts, 'utf8')).toBe(expected);
      expect(readFileSync(sandbox.path('hostnamectl.log'), 'utf8')).toBe('set-hostname koprogo-prod\nset-hostname koprogo-prod\n');
    } finally {
      sandbox.dispose();
    }
  });
});
