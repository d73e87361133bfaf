import { describe, expect, it } from 'vitest';
import { resources } from '../../shared/i18n';
import { FAILURE_PATTERNS, recognizeFailure } from './failure-patterns';

// Outputs captured on the test host (Debian 12 in a container, the real tools), unless marked as a
// stand-in: those come from the tools' documentation or bug reports, because the failure cannot be
// produced here (no registry is reachable for a rate limit; a build large enough to be OOM-killed).
const CAPTURED = {
  // `timedatectl` (systemd 252) where PID 1 is not systemd — what the stand-in-free test host prints.
  noSystemd: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n",
  // apt-get 2.6 while another process holds the dpkg frontend lock (fcntl lock held by python3).
  aptLock: 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 18258 (python3)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n',
  // dd into a 64 KB tmpfs.
  diskFull: "dd: error writing '/tmp/tinyfs/f': No space left on device\n65+0 records in\n",
  // Compose v1 (Debian 12) with 127.0.0.1:18999 already taken by another listener.
  portInUse:
    'Creating cap14_web_1 ... \r\nHost is already in use by another container\nCreating cap14_web_1 ... error\r\n\nERROR: for cap14_web_1  Cannot start service web: driver failed programming external connectivity on endpoint cap14_web_1 (f8af070f40e1): Error starting userland proxy: listen tcp4 127.0.0.1:18999: bind: address already in use\nEncountered errors while bringing up the project.\n',
  // git 2.39 and dockerd 20.10 with no DNS answer for the host.
  dnsGit: "fatal: unable to access 'https://nonexistent.invalid/x/': Could not resolve host: nonexistent.invalid\n",
  dnsDocker: 'Error response from daemon: Get "https://registry.mirror.example/v2/": dial tcp: lookup registry.mirror.example on 10.255.255.53:53: no such host\n',
  // sudo 1.9 for a user without NOPASSWD.
  sudo: 'sudo: a password is required\n',
  // docker CLI with no engine behind the socket.
  dockerDown: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
};
const STAND_INS = {
  // Docker Hub's documented answer once the anonymous pull limit is reached.
  rateLimit: 'Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit\n',
  // BuildKit when the kernel OOM-kills a build step.
  oomBuild: 'ERROR: failed to solve: process "/bin/sh -c cargo build --release" did not complete successfully: exit code: 137\n',
  // apt-get when the disk is full.
  aptDisk: 'E: You don\'t have enough free space in /var/cache/apt/archives/.\n',
};

describe('known failures', () => {
  it('recognises each captured output with the parameters its remedy needs', () => {
    expect(recognizeFailure(CAPTURED.noSystemd)).toMatchObject({ code: 'deploy.no_systemd' });
    expect(recognizeFailure('sh: 1: systemctl: not found\n')).toMatchObject({ code: 'deploy.no_systemd', params: { tool: 'systemctl' } });
    expect(recognizeFailure(CAPTURED.aptLock)).toEqual({ id: 'apt-lock', code: 'deploy.apt_locked', params: { lock: '/var/lib/dpkg/lock-frontend', pid: '18258', process: 'python3' } });
    expect(recognizeFailure('package_manager_busy: apt or dpkg is still running after 10 minutes\n')).toMatchObject({ code: 'deploy.apt_locked', params: { process: 'apt' } });
    expect(recognizeFailure(CAPTURED.diskFull)).toMatchObject({ code: 'deploy.disk_full', params: { path: '/tmp/tinyfs/f' } });
    expect(recognizeFailure(STAND_INS.aptDisk)).toMatchObject({ code: 'deploy.disk_full', params: { path: '/var/cache/apt/archives/' } });
    expect(recognizeFailure(CAPTURED.portInUse)).toMatchObject({ code: 'deploy.port_in_use', params: { port: '18999', address: '127.0.0.1' } });
    expect(recognizeFailure('Bind for 0.0.0.0:443 failed: port is already allocated')).toMatchObject({ code: 'deploy.port_in_use', params: { port: '443' } });
    expect(recognizeFailure(CAPTURED.dnsGit)).toMatchObject({ code: 'deploy.dns_failed', params: { host: 'nonexistent.invalid' } });
    expect(recognizeFailure(CAPTURED.dnsDocker)).toMatchObject({ code: 'deploy.dns_failed', params: { host: 'registry.mirror.example' } });
    expect(recognizeFailure("Temporary failure resolving 'apt.mirror.example'")).toMatchObject({ code: 'deploy.dns_failed', params: { host: 'apt.mirror.example' } });
    expect(recognizeFailure(CAPTURED.sudo)).toMatchObject({ code: 'ssh.sudo_password' });
    expect(recognizeFailure(CAPTURED.dockerDown)).toMatchObject({ code: 'deploy.docker_unreachable', params: { socket: 'unix:///var/run/docker.sock' } });
    expect(recognizeFailure(STAND_INS.rateLimit)).toMatchObject({ code: 'deploy.registry_rate_limited' });
    expect(recognizeFailure(STAND_INS.oomBuild)).toMatchObject({ code: 'deploy.out_of_memory' });
  });

  it('falls back to the exit code for a silent OOM kill, and to nothing for unknown output', () => {
    expect(recognizeFailure('', 137)).toMatchObject({ code: 'deploy.out_of_memory' });
    expect(recognizeFailure('something odd happened\n', 1)).toBeNull();
    expect(recognizeFailure('')).toBeNull();
  });

  it('does not take a success line for a failure', () => {
    for (const line of ['Killed 0 processes', 'the lock was released', 'Listening on 0.0.0.0:80', 'No errors; port 80 free']) expect(recognizeFailure(line), line).toBeNull();
  });

  it('every known failure has a message and a remedy in every language', () => {
    for (const p of FAILURE_PATTERNS) {
      const [group, name] = p.code.split('.') as [string, string];
      for (const lang of ['en', 'fr', 'nl'] as const) {
        const tr = resources[lang].translation as unknown as { errors: Record<string, Record<string, { message?: string }>>; remedies: Record<string, Record<string, string>> };
        expect(tr.errors[group]?.[name]?.message, `${lang} errors.${p.code}`).toBeTruthy();
        expect(tr.remedies[group]?.[name], `${lang} remedies.${p.code}`).toBeTruthy();
      }
    }
  });
});

describe('known failures of K3s steps', () => {
  // Stand-ins from the tools' documentation and bug reports: no OVH project, cluster or node can fail here.
  const K3S = {
    // Terraform's OVH/OpenStack provider when the project's quota is used up.
    quota: '\u001b[31m│\u001b[0m \u001b[1m\u001b[31mError: \u001b[0m\u001b[0m\u001b[1mError creating OpenStack server: Quota exceeded for cores: Requested 8, but already used 30 of 34 cores\n',
    // kubectl with the API server down or filtered.
    kubectlTimeout: 'Unable to connect to the server: dial tcp 51.68.12.34:6443: i/o timeout\n',
    kubectlRefused: 'The connection to the server 51.68.12.34:6443 was refused - did you specify the right host or port?\n',
    helm: 'Error: Kubernetes cluster unreachable: Get "https://51.68.12.34:6443/version": dial tcp 51.68.12.34:6443: connect: connection refused\n',
    // ansible-playbook 2.17 with a node that does not answer SSH.
    ansible: 'fatal: [koprogo-dev-worker-0]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: ssh: connect to host 51.68.12.35 port 22: Connection timed out", "unreachable": true}\n',
  };

  it('recognises an OVH quota, an unreachable cluster and an unreachable node, with what their remedies name', () => {
    expect(recognizeFailure(K3S.quota)).toEqual({ id: 'ovh-quota', code: 'k3s.ovh_quota_exceeded', params: { resource: 'cores' } });
    expect(recognizeFailure('Error: QuotaExceeded: the maximum number of instances has been reached\n')).toMatchObject({ code: 'k3s.ovh_quota_exceeded', params: { resource: '?' } });
    expect(recognizeFailure(K3S.kubectlTimeout)).toEqual({ id: 'kube-unreachable', code: 'k3s.cluster_unreachable', params: { server: '51.68.12.34:6443' } });
    expect(recognizeFailure(K3S.kubectlRefused)).toMatchObject({ code: 'k3s.cluster_unreachable', params: { server: '51.68.12.34:6443' } });
    expect(recognizeFailure(K3S.helm)).toMatchObject({ code: 'k3s.cluster_unreachable', params: { server: '51.68.12.34:6443' } });
    expect(recognizeFailure(K3S.ansible)).toEqual({
      id: 'ansible-unreachable',
      code: 'k3s.node_unreachable',
      params: { node: 'koprogo-dev-worker-0', detail: 'Failed to connect to the host via ssh: ssh: connect to host 51.68.12.35 port 22: Connection timed out' },
    });
    // Ordinary output stays unrecognised.
    expect(recognizeFailure('ok: [koprogo-dev-worker-0]\nPLAY RECAP\nquotas: 4 of 34 cores used\n')).toBeNull();
  });

  it('each K3s cause has its message and remedy in French, Dutch and English', () => {
    for (const code of ['ovh_quota_exceeded', 'cluster_unreachable', 'node_unreachable']) {
      for (const lang of ['fr', 'nl', 'en'] as const) {
        const t = resources[lang].translation as unknown as { errors: { k3s: Record<string, { message: string }> }; remedies: { k3s: Record<string, string> } };
        expect(t.errors.k3s[code]?.message, `${lang} ${code}`).toMatch(/\{\{step\}\}/);
        expect(t.remedies.k3s[code]?.length, `${lang} ${code}`).toBeGreaterThan(40);
      }
    }
  });
});
