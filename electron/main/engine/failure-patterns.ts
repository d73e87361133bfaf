import type { ErrorCode, ErrorParams } from '../../shared/errors';

// Failures a founder can act on: the output of a failed step (already redacted) is matched against
// known system messages, and the first match gives a typed error with its own translated remedy
// (`remedies.<code>`), instead of "step X failed (exit code 1)". Pure: one table, tested against
// outputs captured on the test host (failure-patterns.test.ts says which ones are stand-ins).

export interface KnownFailure {
  /** Which row of the table matched (for logs and tests). */
  id: string;
  code: ErrorCode;
  params: ErrorParams;
}

interface FailurePattern {
  id: string;
  code: ErrorCode;
  /** Tried in order on the whole output; the first pattern that matches wins. */
  match: RegExp;
  params?: (m: RegExpMatchArray) => ErrorParams;
}

const first = (...values: (string | undefined)[]): string => values.find((v) => v !== undefined && v !== '') ?? '';

/** Ordered: the more specific causes first (a rate limit mentions a registry host; a lock mentions apt). */
export const FAILURE_PATTERNS: readonly FailurePattern[] = [
  // ---- K3s steps (Terraform with the OVH provider, Ansible, kubectl/Helm); their messages are specific.
  {
    id: 'ovh-quota',
    code: 'k3s.ovh_quota_exceeded',
    // OpenStack (OVH Public Cloud) through Terraform: "Quota exceeded for cores: Requested 8, but already used 30 of
    // 34 cores"; "QuotaExceeded"/"Maximum number of ... exceeded"; the OVH API's "quota ... reached".
    match: /Quota exceeded for (?:resources?: )?\[?'?([a-z_-]+)'?\]?|(QuotaExceeded|OverQuota)|[Qq]uota (?:of \w+ )?(?:has been )?(?:exceeded|reached)/,
    params: (m) => ({ resource: first(m[1], '?') }),
  },
  {
    id: 'ansible-unreachable',
    code: 'k3s.node_unreachable',
    // ansible-playbook: fatal: [k3s-worker-0]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: ..."}
    match: /fatal: \[([^\]\n]+)\]: UNREACHABLE!(?:[^\n]*?"msg": "([^"\n]{0,200}))?/,
    params: (m) => ({ node: first(m[1], '?'), detail: first(m[2], '') }),
  },
  {
    id: 'kube-unreachable',
    code: 'k3s.cluster_unreachable',
    // kubectl: "Unable to connect to the server: dial tcp 51.68.1.2:6443: i/o timeout", "The connection to the server
    // 51.68.1.2:6443 was refused - did you specify the right host or port?"; Helm: "Kubernetes cluster unreachable: Get
    // "https://51.68.1.2:6443/version": dial tcp 51.68.1.2:6443: connect: connection refused".
    match: /Unable to connect to the server: (?:dial tcp (?:lookup )?([^\s:]+(?::\d+)?)|[^\n]*?https?:\/\/([^/\s"]+))|The connection to the server ([^\s]+) was refused|Kubernetes cluster unreachable:[^\n]*?(?:https?:\/\/([^/\s"]+)|dial tcp ([^\s:]+(?::\d+)?))|Kubernetes cluster unreachable/,
    params: (m) => ({ server: first(m[1], m[2], m[3], m[4], m[5], '?') }),
  },
  {
    id: 'sudo-password',
    code: 'ssh.sudo_password',
    match: /sudo: (?:a password is required|a terminal is required to read the password|no tty present and no askpass program specified)/,
  },
  {
    id: 'apt-lock',
    code: 'deploy.apt_locked',
    // apt: "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)";
    // the wait-ready step's own "package_manager_busy" after ten minutes.
    match: /Could not get lock (\S+?)\.?(?:\s+It is held by process (\d+)(?: \(([^)\n]+)\))?)?(?:\n|$)|Unable to acquire the dpkg frontend lock \(([^)]+)\)|(package_manager_busy)/,
    params: (m) => ({ lock: first(m[1], m[4], '/var/lib/dpkg/lock-frontend'), pid: first(m[2], '?'), process: first(m[3], m[5] ? 'apt' : '?') }),
  },
  {
    id: 'dpkg-interrupted',
    code: 'deploy.apt_locked',
    match: /dpkg was interrupted, you must manually run '([^']+)'/,
    params: (m) => ({ lock: 'dpkg', pid: '?', process: first(m[1]) }),
  },
  {
    id: 'disk-full',
    code: 'deploy.disk_full',
    // coreutils/Go "No space left on device", apt's own check, Docker's "no space left on device".
    match: /(?:writing|write|to|create|mkdir|open) ['"]?([^'":\n]*)['"]?:? [Nn]o space left on device|[Nn]o space left on device|You don't have enough free space in (\S+?)\.?(?:\n|$)|ENOSPC/,
    params: (m) => ({ path: first(m[1], m[2], '/') }),
  },
  {
    id: 'no-systemd',
    code: 'deploy.no_systemd',
    // systemctl/timedatectl/hostnamectl on a system whose PID 1 is not systemd (a container, WSL 1).
    match: /System has not been booted with systemd as init system|Failed to connect to bus: (?:Host is down|No such file or directory)|(systemctl|timedatectl|hostnamectl): (?:command )?not found/,
    params: (m) => ({ tool: first(m[1], 'systemd') }),
  },
  {
    id: 'port-in-use',
    code: 'deploy.port_in_use',
    // Docker: "Error starting userland proxy: listen tcp4 127.0.0.1:80: bind: address already in use",
    // "Bind for 0.0.0.0:80 failed: port is already allocated", "failed to bind host port for 0.0.0.0:443".
    match: /listen (?:tcp|udp)[46]? \[?([\d.:a-f]*?)\]?:(\d+): bind: address already in use|Bind for \[?([\d.:a-f]*?)\]?:(\d+) failed: port is already allocated|failed to bind (?:host )?port (?:for )?\[?([\d.:a-f]*?)\]?:(\d+)/,
    params: (m) => ({ port: first(m[2], m[4], m[6]), address: first(m[1], m[3], m[5], '0.0.0.0') }),
  },
  {
    id: 'registry-rate-limit',
    code: 'deploy.registry_rate_limited',
    // Docker Hub: "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating…".
    match: /toomanyrequests|You have reached your pull rate limit|(?:pull|manifest|registry)[^\n]*429 Too Many Requests/i,
    params: () => ({ registry: 'Docker Hub' }),
  },
  {
    id: 'dns',
    code: 'deploy.dns_failed',
    // git/curl "Could not resolve host: github.com", apt "Temporary failure resolving '<mirror>'",
    // Docker/Go "dial tcp: lookup <registry> on 10.0.0.53:53: no such host", getaddrinfo in Node.
    match: /Could not resolve host: ([^\s'"]+)|Temporary failure resolving '([^']+)'|lookup ([^\s:]+)(?: on [^\s]+)?: (?:no such host|server misbehaving|Temporary failure in name resolution|i\/o timeout)|getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([^\s]+)|Could not resolve '([^']+)'/,
    params: (m) => ({ host: first(m[1], m[2], m[3], m[4], m[5]) }),
  },
  {
    id: 'out-of-memory',
    code: 'deploy.out_of_memory',
    // The kernel's OOM killer during a build: "Killed", "signal: killed", BuildKit's "exit code: 137",
    // Node's "JavaScript heap out of memory", rustc/cc "Cannot allocate memory".
    match: /JavaScript heap out of memory|Cannot allocate memory|(?:^|\n)\s*Killed\s*(?:\n|$)|signal: killed|did not complete successfully: exit code: 137|exit code: 137|OOMKilled|out of memory/i,
  },
  {
    id: 'docker-daemon',
    code: 'deploy.docker_unreachable',
    match: /Cannot connect to the Docker daemon at (\S+?)\.? Is the docker daemon running\?/,
    params: (m) => ({ socket: first(m[1]) }),
  },
];

/** The known cause of a failed step, from its output and exit code; null when the output says nothing we know. */
export function recognizeFailure(output: string, exitCode: number | null = null): KnownFailure | null {
  for (const p of FAILURE_PATTERNS) {
    const m = output.match(p.match);
    if (m) return { id: p.id, code: p.code, params: p.params ? p.params(m) : {} };
  }
  // 137 = 128 + SIGKILL: what a process killed by the OOM killer exits with, even when it printed nothing.
  if (exitCode === 137) return { id: 'out-of-memory', code: 'deploy.out_of_memory', params: {} };
  return null;
}
