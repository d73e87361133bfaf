import { describe, expect, it } from 'vitest';
import { resources } from './i18n';
import { SYSTEM_MESSAGES, systemMessageKey } from './system-messages';

// Raw messages as the libraries and tools print them (ssh2 1.17, Docker CLI 20.10, Node 20, sudo 1.9).
const RAW: Record<string, string> = {
  'Connection lost before handshake': 'system.ssh_handshake_lost',
  'Timed out while waiting for handshake': 'system.ssh_handshake_timeout',
  'All configured authentication methods failed': 'system.ssh_auth_failed',
  'Handshake failed: no matching key exchange algorithm': 'system.ssh_no_algorithm',
  'Cannot parse privateKey: Unsupported key format': 'system.ssh_key_parse',
  'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?': 'system.docker_daemon',
  'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock': 'system.docker_permission',
  "docker: 'compose' is not a docker command.": 'system.compose_missing',
  'getaddrinfo ENOTFOUND api.hetzner.cloud': 'system.dns_not_found',
  'connect ECONNREFUSED 127.0.0.1:22': 'system.connection_refused',
  'read ECONNRESET': 'system.connection_reset',
  'connect ENETUNREACH 192.0.2.1:443': 'system.network_unreachable',
  'connect ETIMEDOUT 203.0.113.10:22': 'system.timed_out',
  'self-signed certificate in certificate chain': 'system.tls_untrusted',
  'certificate has expired': 'system.tls_expired',
  'sudo: a password is required': 'system.sudo_password',
  "ENOENT: no such file or directory, open '/home/me/.ssh/id_ed25519'": 'system.no_such_file',
};

type Tree = { [k: string]: string | Tree };
const get = (tree: Tree, key: string): unknown => key.split('.').reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Tree)[k] : undefined), tree);

describe('system messages', () => {
  it('recognises the raw messages of ssh2, Docker, Node and sudo', () => {
    for (const [raw, key] of Object.entries(RAW)) expect(systemMessageKey(raw), raw).toBe(key);
    expect(systemMessageKey('something nobody ever printed')).toBeNull();
  });

  it('every known message has its text in all three languages', () => {
    for (const m of SYSTEM_MESSAGES) {
      for (const lang of ['en', 'fr', 'nl'] as const) {
        const text = get(resources[lang].translation as unknown as Tree, `system.${m.id}`);
        expect(typeof text === 'string' && text.length > 0, `${lang} system.${m.id}`).toBe(true);
      }
    }
    for (const lang of ['en', 'fr', 'nl'] as const) expect(get(resources[lang].translation as unknown as Tree, 'system.unknown')).toBeTruthy();
  });
});
