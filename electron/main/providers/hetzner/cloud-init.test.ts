import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { z } from 'zod';
import { Logger } from '../../log';
import { SshConnection } from '../../ssh/connection';
import { fingerprintOfPublicKeyLine } from '../../ssh/fingerprint';
import { freePort } from '../../testing/free-port';
import { USER_DATA_MAX_BYTES, buildCloudInit, parseCloudInit } from './cloud-init';
import { HetznerError } from './errors';
import { readableEd25519 } from '../../ssh/keys';

const pair = readableEd25519('koprogo-host');
const hostKey = { privateKey: pair.private, publicKey: pair.public };

// The part of cloud-init's cc_ssh schema we use, strictly: no other key may slip in.
const cloudConfigShape = z.strictObject({
  ssh_deletekeys: z.literal(true),
  ssh_genkeytypes: z.array(z.string()).length(0),
  ssh_keys: z.strictObject({
    ed25519_private: z.string().regex(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/),
    ed25519_public: z.string().regex(/^ssh-ed25519 [A-Za-z0-9+/]+=* \S+$/),
  }),
});

describe('buildCloudInit', () => {
  it('emits JSON-compatible cloud-config that installs exactly the app’s host key', () => {
    const { userData, hostKeySha256 } = buildCloudInit(hostKey);
    const privateWithNewline = pair.private.endsWith('\n') ? pair.private : `${pair.private}\n`;
    const expected =
      '#cloud-config\n' +
      '{\n' +
      '  "ssh_deletekeys": true,\n' +
      '  "ssh_genkeytypes": [],\n' +
      '  "ssh_keys": {\n' +
      `    "ed25519_private": ${JSON.stringify(privateWithNewline)},\n` +
      `    "ed25519_public": ${JSON.stringify(pair.public.trim())}\n` +
      '  }\n' +
      '}\n';
    expect(userData).toBe(expected);
    const parsed = cloudConfigShape.parse(parseCloudInit(userData));
    expect(parsed.ssh_keys.ed25519_private).toBe(privateWithNewline);
    expect(hostKeySha256).toBe(fingerprintOfPublicKeyLine(pair.public));
    expect(hostKeySha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('parses with PyYAML (what cloud-init uses) to the same object', () => {
    expect(spawnSync('python3', ['-c', 'import yaml']).status, 'python3 with PyYAML (Debian: python3-yaml, installed with docker-compose)').toBe(0);
    const { userData } = buildCloudInit(hostKey);
    const res = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: userData, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(parseCloudInit(userData));
  });

  it('returns the secret in every form it takes, so redaction masks the key in the user data and in logs', () => {
    const { userData, secrets } = buildCloudInit(hostKey);
    const log = new Logger(null);
    for (const s of secrets) log.registerSecret(s);
    const body = pair.private.split('\n')[2]!;
    expect(log.redact(`user_data=${userData}`)).not.toContain(body);
    expect(log.redact(JSON.stringify({ user_data: userData }))).not.toContain(body);
    expect(log.redact(`key: ${pair.private}`)).not.toContain(body);
    expect(log.redact(JSON.stringify(pair.private))).not.toContain(body);
    // The public key is not a secret.
    expect(secrets.some((s) => s.includes(pair.public.split(' ')[1]!) && s !== userData)).toBe(false);
  });

  it('refuses a mismatched pair, a non-ed25519 key, and oversized user data', () => {
    const other = readableEd25519();
    const reason = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e instanceof HetznerError ? [e.intendedCode, e.params.reason] : e;
      }
      return 'no error';
    };
    expect(reason(() => buildCloudInit({ privateKey: other.private, publicKey: pair.public }))).toEqual(['hetzner.user_data_invalid', 'key_pair_mismatch']);
    const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
    expect(reason(() => buildCloudInit({ privateKey: rsa.private, publicKey: rsa.public }))).toEqual(['hetzner.user_data_invalid', 'public_key_not_ed25519']);
    expect(reason(() => buildCloudInit({ privateKey: rsa.private, publicKey: pair.public }))).toEqual(['hetzner.user_data_invalid', 'private_key_not_ed25519']);
    expect(reason(() => buildCloudInit({ privateKey: 'garbage', publicKey: pair.public }))).toEqual(['hetzner.user_data_invalid', 'private_key_not_ed25519']);
    expect(USER_DATA_MAX_BYTES).toBe(32768);
    expect(Buffer.byteLength(buildCloudInit(hostKey).userData)).toBeLessThan(2048);
  });

  it('writes a key file OpenSSH reads back to the pinned public key', async () => {
    expect(existsSync('/usr/bin/ssh-keygen'), 'openssh-client').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'kgt-cloudinit-'));
    try {
      const { userData, hostKeySha256 } = buildCloudInit(hostKey);
      const config = cloudConfigShape.parse(parseCloudInit(userData));
      const file = join(dir, 'ssh_host_ed25519_key');
      await writeFile(file, config.ssh_keys.ed25519_private, { mode: 0o600 });
      const res = spawnSync('/usr/bin/ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
      expect(fingerprintOfPublicKeyLine(res.stdout)).toBe(hostKeySha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a real sshd serving the key from the user data answers with the pinned fingerprint', async () => {
    expect(existsSync('/usr/sbin/sshd') && process.getuid?.() === 0, 'openssh-server, and root to start it').toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'kgt-cloudinit-sshd-'));
    const { userData, hostKeySha256 } = buildCloudInit(hostKey);
    const config = cloudConfigShape.parse(parseCloudInit(userData));
    const keyFile = join(dir, 'ssh_host_ed25519_key');
    await writeFile(keyFile, config.ssh_keys.ed25519_private, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir, as the sshd fixture does
    const port = await freePort();
    const configFile = join(dir, 'sshd_config');
    await writeFile(
      configFile,
      [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${keyFile}`, `PidFile ${join(dir, 'sshd.pid')}`, 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no', 'AuthorizedKeysFile none', ''].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await waitForPort(port, 10_000, () => stderr);
      const seen = await SshConnection.probeHostKey({ host: '127.0.0.1', port, user: 'nobody' });
      expect(seen).toBe(hostKeySha256);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitForPort(port: number, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen: ${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
