import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { startSshd, startTcpProxy, type SshdHandle, type TcpProxy } from '../testing';
import { SshConnection, type SshTarget } from './connection';
import { shQuote } from './quote';
import { readableEd25519 } from './keys';

// The SSH layer against a real OpenSSH server on 127.0.0.1 (non-root user with password-less sudo).

let sshd: SshdHandle;
let target: SshTarget;

beforeAll(async () => {
  sshd = await startSshd({ sudo: 'nopasswd' });
  target = { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey };
}, 60_000);
afterAll(async () => {
  await sshd?.stop();
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

describe('host keys', () => {
  it('probing an unknown server gives the fingerprint ssh-keygen prints', async () => {
    expect(await SshConnection.probeHostKey({ host: sshd.host, port: sshd.port, user: sshd.user })).toBe(sshd.hostKeySha256);
  });

  it('refuses an unknown server until its fingerprint is pinned', async () => {
    const e = await expectCode(SshConnection.connect(target, { hostKeySha256: null }), 'ssh.host_key_unknown');
    expect(e.params.fingerprint).toBe(sshd.hostKeySha256);
  });

  it('a changed host key stops before authentication, so no command can run', async () => {
    const e = await expectCode(SshConnection.connect(target, { hostKeySha256: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 'ssh.host_key_mismatch');
    expect(e.params.got).toBe(sshd.hostKeySha256);
    // sshd never saw an authentication attempt for our user.
    expect(sshd.logs()).not.toMatch(new RegExp(`Accepted publickey for ${sshd.user}.*\\n(?![\\s\\S]*Accepted)`));
  });
});

describe('failures are typed', () => {
  it('wrong key, wrong user, closed port, bad key', async () => {
    const other = readableEd25519();
    await expectCode(SshConnection.connect({ ...target, privateKey: other.private }, { hostKeySha256: sshd.hostKeySha256 }), 'ssh.auth_failed');
    await expectCode(SshConnection.connect({ ...target, user: 'nobody-here' }, { hostKeySha256: sshd.hostKeySha256 }), 'ssh.auth_failed');
    await expectCode(SshConnection.connect({ ...target, port: 1 }, { hostKeySha256: sshd.hostKeySha256 }), 'ssh.connection_refused');
    await expectCode(SshConnection.connect({ ...target, privateKey: 'not a key' }, { hostKeySha256: sshd.hostKeySha256 }), 'ssh.key_invalid');
  });
});

describe('a connection lost during the handshake', () => {
  it('is one typed failure, never an unhandled error event (which would crash the app)', async () => {
    // A socket that fails and then closes before the SSH handshake, as one cut by a proxy or a firewall:
    // ssh2 reports both (the reset, then "Connection lost before handshake").
    const { Duplex } = await import('node:stream');
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const sock = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
      const attempt = SshConnection.connect({ host: '127.0.0.1', port: 22, user: 'x', privateKey: readableEd25519().private }, { hostKeySha256: 'SHA256:x', sock });
      setTimeout(() => sock.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 10);
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('a connection', () => {
  let conn: SshConnection;
  beforeAll(async () => {
    conn = await SshConnection.connect(target, { hostKeySha256: sshd.hostKeySha256 });
  });
  afterAll(() => conn.close());

  it('returns structured results and does not throw on stderr or a non-zero exit', async () => {
    const r = await conn.exec('echo out; echo err >&2; exit 7');
    expect(r).toMatchObject({ code: 7, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('streams output as it comes', async () => {
    const chunks: string[] = [];
    await conn.exec('for i in 1 2 3; do echo line$i; sleep 0.1; done', { onStdout: (c) => chunks.push(c) });
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks.join('')).toBe('line1\nline2\nline3\n');
  });

  it('runs scripts from stdin, so values never appear in the process list', async () => {
    const value = "it's $HOME `id` $(id) ; é✓";
    const r = await conn.run(`printf '%s' ${shQuote(value)}`);
    expect(r.stdout).toBe(value);
  });

  it('kills a command that runs past its timeout', async () => {
    const r = await conn.exec('sleep 30', { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('detects password-less sudo and runs as root', async () => {
    expect(await conn.privilege()).toBe('sudo');
    const r = await conn.run('id -u', { privilege: 'sudo' });
    expect(r.stdout.trim()).toBe('0');
  });

  it('uploads files with mode 0600 atomically', async () => {
    const path = `${sshd.homeDir}/upload-test.txt`;
    await conn.upload(path, 'first');
    await conn.upload(path, 'second\nline é');
    const r = await conn.exec(`stat -c %a ${shQuote(path)}; cat ${shQuote(path)}; ls ${shQuote(sshd.homeDir)} | grep -c tmp- || true`);
    expect(r.stdout).toBe('600\nsecond\nline é0\n');
  });

  it('reuses one connection for many commands', async () => {
    const before = sshd.logs().match(/Accepted publickey/g)?.length ?? 0;
    for (let i = 0; i < 10; i++) expect((await conn.exec('true')).code).toBe(0);
    expect(sshd.logs().match(/Accepted publickey/g)?.length ?? 0).toBe(before);
  });
});

describe('sudo problems are found before anything changes', () => {
  it.each([
    ['password', 'ssh.sudo_password'],
    ['none', 'ssh.sudo_missing'],
  ] as const)('sudo %s → %s', async (mode, code) => {
    // A user allowed to sudo with a password is, as on Debian and Ubuntu, in the `sudo` group.
    const host = await startSshd({ sudo: mode, groups: mode === 'password' ? ['sudo'] : [] });
    try {
      const conn = await SshConnection.connect({ host: host.host, port: host.port, user: host.user, privateKey: host.userPrivateKey }, { hostKeySha256: host.hostKeySha256 });
      const e = await expectCode(conn.privilege(), code);
      expect(e.params.user).toBe(host.user);
      conn.close();
    } finally {
      await host.stop();
    }
  }, 60_000);
});

describe('a cut connection', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(sshd.port);
  });
  afterAll(async () => proxy.stop());

  it('fails the running command with ssh.disconnected and reports the close', async () => {
    const conn = await SshConnection.connect({ ...target, port: proxy.port }, { hostKeySha256: sshd.hostKeySha256, keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    const closed = new Promise((resolve) => conn.onClose.add(resolve));
    const running = conn.exec('sleep 20');
    setTimeout(() => proxy.cutAll(), 300);
    await expectCode(running, 'ssh.disconnected');
    await closed;
    expect(conn.isClosed).toBe(true);
    await expectCode(conn.exec('true'), 'ssh.disconnected');
  });
});

