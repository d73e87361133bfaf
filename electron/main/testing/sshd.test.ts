import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, sshKeygenFingerprint, type SshdHandle } from './sshd';
import { requireRoot, run, runOk } from './proc';

const ssh = (h: SshdHandle, command: string) => run('ssh', [...h.sshArgs, command], { timeoutMs: 15_000 });

describe('startSshd', () => {
  beforeAll(() => requireRoot('The sshd fixture self-test'));

  describe('with NOPASSWD sudo, an extra PATH folder and DOCKER_HOST', () => {
    let h: SshdHandle;
    let bin: string;

    beforeAll(async () => {
      bin = await mkdtemp(join(tmpdir(), 'kgt-bin-'));
      await chmod(bin, 0o755);
      await writeFile(join(bin, 'kgt-probe'), '#!/bin/sh\necho PROBE_OK\n', { mode: 0o755 });
      h = await startSshd({ secureExtraPath: bin, setEnv: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    });
    afterAll(async () => {
      await h?.stop();
      await rm(bin, { recursive: true, force: true });
    });

    it('serves the generated host key and lets the user in with its key', async () => {
      expect(h.host).toBe('127.0.0.1');
      expect(h.user).toMatch(/^kgt[a-z]{6}$/);
      expect(h.hostPublicKey).toMatch(/^ssh-ed25519 AAAA\S+$/);
      expect(h.userPrivateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
      const printed = (await runOk('ssh-keygen', ['-lf', `${h.hostKeyPath}.pub`])).split(' ')[1];
      expect(h.hostKeySha256).toBe(printed);
      expect(sshKeygenFingerprint(h.hostPublicKey)).toBe(printed);

      const res = await run('ssh', [
        '-F', '/dev/null', '-i', h.userKeyPath, '-p', String(h.port),
        '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${h.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes',
        `${h.user}@127.0.0.1`, 'id -un; sudo -n true && echo SUDO_OK',
      ]);
      expect(res.stderr).toBe('');
      expect(res.stdout).toBe(`${h.user}\nSUDO_OK\n`);
    });

    it('puts the extra folder first on PATH and passes DOCKER_HOST, in the session and under sudo', async () => {
      const res = await ssh(h, 'echo "$PATH"; kgt-probe; echo "$DOCKER_HOST"; sudo -n sh -c \'echo "$PATH"; kgt-probe; echo "$DOCKER_HOST"; id -u\'');
      expect(res.stdout.split('\n')).toEqual([
        `${bin}:/usr/local/bin:/usr/bin:/bin:/usr/games`,
        'PROBE_OK',
        'unix:///nonexistent/docker.sock',
        `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        'PROBE_OK',
        'unix:///nonexistent/docker.sock',
        '0',
        '',
      ]);
    });

    it('rejects a wrong host key (StrictHostKeyChecking) and serves SFTP', async () => {
      const other = await mkdtemp(join(tmpdir(), 'kgt-kh-'));
      try {
        const kh = join(other, 'known_hosts');
        await writeFile(kh, `[127.0.0.1]:${h.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb6pLrsA1q1F1W7Yq+kcU4N1m3yXz7+M0bxkLhZl0Hn\n`);
        const bad = await run('ssh', ['-F', '/dev/null', '-i', h.userKeyPath, '-p', String(h.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', `${h.user}@127.0.0.1`, 'true']);
        expect(bad.code).not.toBe(0);
        expect(bad.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
        const batch = join(other, 'batch');
        await writeFile(batch, 'pwd\n');
        const sftp = await run('sftp', ['-F', '/dev/null', '-i', h.userKeyPath, '-P', String(h.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${h.knownHostsPath}`, '-b', batch, `${h.user}@127.0.0.1`]);
        expect(sftp.stdout).toContain(h.homeDir);
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });

    it('cleans up the user, the sudoers file, sshd and the temp folder on stop (idempotently)', async () => {
      const { user, configPath, port } = h;
      expect(existsSync(`/etc/sudoers.d/${user}`)).toBe(true);
      await h.stop();
      await h.stop();
      expect((await run('getent', ['passwd', user])).code).not.toBe(0);
      expect(existsSync(`/etc/sudoers.d/${user}`)).toBe(false);
      expect(existsSync(configPath)).toBe(false);
      expect(existsSync(h.homeDir)).toBe(false);
      const probe = await run('ssh', [...h.sshArgs, '-o', 'ConnectTimeout=2', 'true']);
      expect(probe.stderr).toMatch(new RegExp(`port ${port}: Connection refused|Connection refused`));
    });
  });

  it('password sudo: sudo -n fails because a password is required', async () => {
    const h = await startSshd({ sudo: 'password' });
    try {
      const res = await ssh(h, 'sudo -n true && echo SUDO_OK');
      expect(res.stdout).not.toContain('SUDO_OK');
      expect(res.stderr).toContain('a password is required');
    } finally {
      await h.stop();
    }
  });

  it('no sudo: the user has no sudoers entry', async () => {
    const h = await startSshd({ sudo: 'none' });
    try {
      expect(existsSync(`/etc/sudoers.d/${h.user}`)).toBe(false);
      const res = await ssh(h, 'id -un; sudo -n true && echo SUDO_OK');
      expect(res.stdout).toBe(`${h.user}\n`);
    } finally {
      await h.stop();
    }
  });
});
