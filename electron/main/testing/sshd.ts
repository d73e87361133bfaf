// A real OpenSSH server for integration tests: 127.0.0.1, a free port, a temporary ed25519 host key and a
// dedicated non-root user (kgt + 6 letters) with its own key pair and, optionally, sudo rights.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardCleanup, KILL_MATCHING_SH } from './cleanup';
import { freePort } from './free-port';
import { requireFiles, requireRoot, run, runOk, shq, sleep } from './proc';

const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const DEFAULT_USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/games';
const SUDO_SECURE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type SudoMode = 'nopasswd' | 'password' | 'none';

export interface SshdOptions {
  /** nopasswd (default): `NOPASSWD: ALL`; password: `ALL` (so `sudo -n` fails); none: no sudoers entry. */
  sudo?: SudoMode;
  /** A folder put first on PATH in the user's SSH sessions (sshd SetEnv) and under sudo (secure_path). */
  secureExtraPath?: string;
  /** More variables for SSH sessions (sshd SetEnv); sudo keeps them too (env_keep). Use secureExtraPath for PATH. */
  setEnv?: Record<string, string>;
  /** Supplementary groups for the user, e.g. ['docker'] to reach a Docker socket without sudo. */
  groups?: string[];
  /**
   * Repositories the user may read although root owns them (git's safe.directory, written to the user's
   * ~/.gitconfig): git refuses `git clone file://…` of another user's repository ("dubious ownership").
   */
  gitSafeDirectories?: string[];
  /** How long to wait for the SSH banner; default 10 s. */
  startTimeoutMs?: number;
}

export interface SshdHandle {
  host: '127.0.0.1';
  port: number;
  user: string;
  homeDir: string;
  userKeyPath: string;
  /** The user's private key, OpenSSH format. */
  userPrivateKey: string;
  userPublicKey: string;
  hostKeyPath: string;
  /** `ssh-ed25519 AAAA…` */
  hostPublicKey: string;
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  hostKeySha256: string;
  /** known_hosts file holding `[127.0.0.1]:port <host key>`. */
  knownHostsPath: string;
  configPath: string;
  /** OpenSSH client arguments up to and including `user@127.0.0.1`; append the remote command. */
  sshArgs: string[];
  /** What sshd printed (LogLevel VERBOSE), for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** The `SHA256:…` fingerprint of an OpenSSH public key line, identical to `ssh-keygen -lf`. */
export function sshKeygenFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return 'SHA256:' + createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '');
}

function randomUserName(): string {
  let s = 'kgt';
  for (let i = 0; i < 6; i++) s += String.fromCharCode(97 + randomInt(26));
  return s;
}

function checkConfigValue(what: string, v: string): void {
  if (/["\\\n\r]/.test(v)) throw new Error(`${what} must not contain quotes, backslashes or newlines: ${JSON.stringify(v)}`);
}

export async function startSshd(opts: SshdOptions = {}): Promise<SshdHandle> {
  requireRoot('startSshd');
  requireFiles({ 'openssh-server': SSHD, 'openssh-client': SSH_KEYGEN, sudo: '/usr/sbin/visudo' });
  const sudo = opts.sudo ?? 'nopasswd';
  const setEnv: Record<string, string> = { ...(opts.setEnv ?? {}) };
  if ('PATH' in setEnv) throw new Error('startSshd: pass PATH through secureExtraPath, not setEnv');
  if (opts.secureExtraPath !== undefined) setEnv.PATH = `${opts.secureExtraPath}:${DEFAULT_USER_PATH}`;
  for (const [k, v] of Object.entries(setEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`startSshd: bad variable name ${k}`);
    checkConfigValue(`setEnv.${k}`, v);
  }

  const dir = await mkdtemp(join(tmpdir(), 'kgt-sshd-'));
  const user = randomUserName();
  const sudoersPath = `/etc/sudoers.d/${user}`;
  const userMarker = join(dir, '.user-created');
  const sudoersMarker = join(dir, '.sudoers-created');
  // Registered before anything is created, so a crash at any point below is cleaned up.
  const guard = guardCleanup(`sshd ${user}`, {
    script: `${KILL_MATCHING_SH}
kill_matching KILL ${shq(dir + '/')} sshd
if [ -f ${shq(sudoersMarker)} ]; then rm -f ${shq(sudoersPath)}; fi
if [ -f ${shq(userMarker)} ]; then
  kill_matching KILL ${shq(`sshd: ${user}`)} sshd
  i=0
  while id -u ${user} >/dev/null 2>&1 && [ $i -lt 25 ]; do
    pkill -KILL -u ${user} 2>/dev/null
    userdel -r ${user} >/dev/null 2>&1 || sleep 0.2
    i=$((i+1))
  done
fi
rm -rf ${shq(dir)}
`,
  });

  let child: ChildProcess | undefined;
  const logLines: string[] = [];
  try {
    const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
    const userKeyPath = join(dir, 'id_ed25519');
    await Promise.all([
      runOk(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'kgt-test-host', '-f', hostKeyPath]),
      runOk(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', `${user}@kgt-test`, '-f', userKeyPath]),
      mkdir('/run/sshd', { recursive: true, mode: 0o755 }), // privilege separation dir (normally made by systemd)
    ]);
    const [hostPublicKey, userPrivateKey, userPublicKey] = await Promise.all([
      readFile(`${hostKeyPath}.pub`, 'utf8').then((s) => s.trim().split(/\s+/).slice(0, 2).join(' ')),
      readFile(userKeyPath, 'utf8'),
      readFile(`${userKeyPath}.pub`, 'utf8').then((s) => s.trim()),
    ]);

    await createUser(user, opts.groups ?? []);
    await writeFile(userMarker, '');
    await runOk('usermod', ['-p', '*', user]); // sshd refuses accounts with a locked ('!') password field
    const homeDir = (await runOk('getent', ['passwd', user])).trim().split(':')[5] ?? `/home/${user}`;

    if (opts.gitSafeDirectories && opts.gitSafeDirectories.length > 0) {
      const gitconfig = join(homeDir, '.gitconfig');
      await writeFile(gitconfig, '[safe]\n' + opts.gitSafeDirectories.map((d) => `\tdirectory = ${d}\n`).join(''));
      await runOk('chown', [`${user}:`, gitconfig]);
    }

    // sshd reads authorized_keys as the user: the temp folder must be traversable (keys inside stay 0600).
    await chmod(dir, 0o711);
    await mkdir(join(dir, 'authorized_keys'), { mode: 0o755 });
    await writeFile(join(dir, 'authorized_keys', user), userPublicKey + '\n', { mode: 0o644 });

    if (sudo !== 'none') {
      const keep = ['DOCKER_HOST', ...Object.keys(setEnv).filter((k) => k !== 'PATH' && k !== 'DOCKER_HOST')];
      const lines = [`Defaults:${user} env_keep += "${keep.join(' ')}"`];
      if (opts.secureExtraPath !== undefined) lines.push(`Defaults:${user} secure_path="${opts.secureExtraPath}:${SUDO_SECURE_PATH}"`);
      lines.push(sudo === 'nopasswd' ? `${user} ALL=(ALL) NOPASSWD: ALL` : `${user} ALL=(ALL) ALL`);
      const draft = join(dir, 'sudoers');
      await writeFile(draft, lines.join('\n') + '\n', { mode: 0o440 });
      await runOk('/usr/sbin/visudo', ['-cf', draft]);
      // sudo ignores names with a dot in /etc/sudoers.d, so the temp name is inert until the rename.
      const tmpPath = `${sudoersPath}.kgt-tmp`;
      await writeFile(tmpPath, lines.join('\n') + '\n', { mode: 0o440, flag: 'wx' });
      await writeFile(sudoersMarker, '');
      await rename(tmpPath, sudoersPath);
      await chmod(sudoersPath, 0o440);
    }

    const configPath = join(dir, 'sshd_config');
    const knownHostsPath = join(dir, 'known_hosts');
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await writeFile(configPath, sshdConfig({ dir, port, hostKeyPath, setEnv }));
      logLines.length = 0;
      child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      collectLines(child, logLines);
      const outcome = await waitForBanner(child, port, opts.startTimeoutMs ?? 10_000);
      if (outcome === 'ready') break;
      const log = logLines.join('\n');
      child.kill('SIGKILL');
      child = undefined;
      if (outcome === 'exited' && /bind|address already in use/i.test(log) && attempt < 5) continue;
      throw new Error(`sshd did not start (${outcome}) on port ${port}:\n${log}`);
    }
    await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);

    const sshArgs = [
      '-F', '/dev/null',
      '-i', userKeyPath,
      '-p', String(port),
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      `${user}@127.0.0.1`,
    ];
    const sshd = child;
    return {
      host: '127.0.0.1',
      port,
      user,
      homeDir,
      userKeyPath,
      userPrivateKey,
      userPublicKey,
      hostKeyPath,
      hostPublicKey,
      hostKeySha256: sshKeygenFingerprint(hostPublicKey),
      knownHostsPath,
      configPath,
      sshArgs,
      logs: () => logLines.join('\n'),
      stop: async () => {
        sshd.kill('SIGKILL');
        await guard.run();
      },
    };
  } catch (e) {
    child?.kill('SIGKILL');
    await guard.run();
    throw e;
  }
}

function sshdConfig(o: { dir: string; port: number; hostKeyPath: string; setEnv: Record<string, string> }): string {
  const lines = [
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${o.hostKeyPath}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(o.dir, 'authorized_keys')}/%u`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'PermitRootLogin no',
    'LogLevel VERBOSE',
    'MaxStartups 100',
    'MaxSessions 100',
    'ClientAliveInterval 0',
    'PrintMotd no',
  ];
  const entries = Object.entries(o.setEnv);
  // SetEnv (OpenSSH >= 7.8) is applied after sshd's own PATH, so it wins for non-login sessions.
  if (entries.length > 0) lines.push('SetEnv ' + entries.map(([k, v]) => `"${k}=${v}"`).join(' '));
  return lines.join('\n') + '\n';
}

async function createUser(user: string, groups: string[]): Promise<void> {
  const args = ['-m', '-s', '/bin/sh', ...(groups.length > 0 ? ['-G', groups.join(',')] : []), user];
  for (let attempt = 1; ; attempt++) {
    const res = await run('useradd', args);
    if (res.code === 0) return;
    // Another fixture may hold the /etc/passwd lock for a moment.
    if (attempt < 20 && /lock|try again/i.test(res.stderr)) {
      await sleep(100 + randomInt(200));
      continue;
    }
    throw new Error(`useradd ${args.join(' ')} failed (${res.code}): ${res.stderr.trim()}`);
  }
}

function collectLines(child: ChildProcess, into: string[]): void {
  let partial = '';
  child.stderr?.on('data', (b: Buffer) => {
    const parts = (partial + b.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    into.push(...parts);
    if (into.length > 500) into.splice(0, into.length - 500);
  });
}

/** Resolves 'ready' once the port sends an SSH banner, 'exited' if sshd dies, 'timeout' otherwise. */
async function waitForBanner(child: ChildProcess, port: number, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) return 'exited';
    if (await readBanner(port)) return 'ready';
    await sleep(30);
  }
  return exited ? 'exited' : 'timeout';
}

function readBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-2.0-'));
    });
    sock.on('close', () => done(false));
  });
}

