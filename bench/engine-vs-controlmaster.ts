import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection } from '../electron/main/ssh/connection';
import { startSshd, type SshdHandle } from '../electron/main/testing';
import { median, type Bench } from './lib/bench';

// Our SSH layer (one ssh2 connection, one `exec` per command) against the OpenSSH client multiplexed
// over a ControlMaster, both running the same fixed 50 commands in sequence against the same sshd.
// Each sequence includes establishing the connection (ssh2's connect, resp. the master's start), so
// both sides pay for key exchange and authentication once; the figure without it is printed too.
// The baseline spawns one `ssh` client process per command: a script driving OpenSSH pays that too,
// so it stays in. Both sides' outputs are compared, so every command's output must be stable.

const ROUNDS = 5;
const COMMAND_TIMEOUT_MS = 15_000;

/** 50 small commands, the kind a deployment's checks send: builtins, coreutils, sudo, pipes. */
const COMMANDS: readonly string[] = [
  'true',
  'echo hello',
  'cat /etc/os-release',
  'id -u',
  'ls /',
  "printf '%s\\n' a b c",
  'sudo -n true',
  "sh -c 'ls /etc | wc -l'",
  'uname -a',
  'hostname',
  'test -d /etc && echo yes',
  'command -v sudo',
  'id -Gn',
  'date -u -d @0 +%Y',
  'cat /proc/sys/kernel/ostype',
  "awk '/MemTotal/ {print $2}' /proc/meminfo",
  "df -P / | awk 'NR == 2 {print $6}'",
  'echo "$HOME"',
  'sudo -n id -u',
  'ls -la /tmp | head -n 3',
  'true',
  'echo two words',
  'printf %s ok',
  'cat /etc/hostname',
  'id -un',
  'test -f /etc/passwd',
  "grep -c '' /etc/passwd",
  "sh -c 'echo a | tr a b'",
  'sudo -n test -d /root',
  'uname -s',
  'pwd',
  'echo $((6 * 7))',
  "stat -c '%a' /tmp",
  'nproc',
  "cut -d: -f1 /etc/group | sort | head -n 5",
  'sudo -n cat /etc/hostname',
  'ls / | wc -l',
  'getent passwd root',
  'true',
  "printf '%s=%s\\n' key value",
  'cat /etc/debian_version',
  'umask',
  "sh -c 'for i in 1 2 3; do echo $i; done'",
  'readlink -f /bin/sh',
  'echo done',
  'sudo -n sh -c "id -u; id -g"',
  'head -c 16 /etc/passwd',
  'true',
  "env | grep -c '^PATH='",
  'echo last',
];

interface Sequence {
  /** From the start of the connection to the last command's result. */
  totalMs: number;
  /** The connection (ssh2 handshake, resp. the ControlMaster up and authenticated). */
  connectMs: number;
  /** The 50 commands alone. */
  commandsMs: number;
  /** Tearing the connection down (not in totalMs). */
  closeMs: number;
  stdout: string[];
}

async function engineSequence(sshd: SshdHandle): Promise<Sequence> {
  const t0 = performance.now();
  const conn = await SshConnection.connect(
    { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey },
    { hostKeySha256: sshd.hostKeySha256 },
  );
  try {
    const t1 = performance.now();
    const stdout: string[] = [];
    for (const command of COMMANDS) {
      const r = await conn.exec(command, { timeoutMs: COMMAND_TIMEOUT_MS });
      if (r.code !== 0) throw new Error(`engine: \`${command}\` exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
      stdout.push(r.stdout);
    }
    const t2 = performance.now();
    if (conn.roundTrips !== COMMANDS.length) throw new Error(`engine: ${conn.roundTrips} round trips for ${COMMANDS.length} commands`);
    const t3 = performance.now();
    conn.close();
    return { totalMs: t2 - t0, connectMs: t1 - t0, commandsMs: t2 - t1, closeMs: performance.now() - t3, stdout };
  } finally {
    conn.close();
  }
}

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ssh(args: readonly string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

async function controlMasterSequence(sshd: SshdHandle, dir: string, round: string): Promise<Sequence> {
  // Short path: a Unix socket path must fit in ~104 bytes.
  const sock = join(dir, `cm${round}`);
  const mux = ['-S', sock, ...sshd.sshArgs];
  // Without a live master, `ssh -S` silently opens its own connection; a proxy command that fails
  // turns that fallback into an error (the client never runs it when it finds the master).
  const client = ['-S', sock, '-o', 'ProxyCommand=false', ...sshd.sshArgs];
  const t0 = performance.now();
  // -f: the client goes to the background once authenticated, so its exit marks "connected".
  // Its stdio is /dev/null and its log goes to a file (-E): a pipe would stay open in the background master.
  const master = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('ssh', ['-M', '-o', 'ControlPersist=60', '-f', '-N', '-E', join(dir, `master${round}.log`), ...mux], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  let closed = false;
  try {
    if (master !== 0) throw new Error(`ControlMaster did not start (exit ${master})`);
    const t1 = performance.now();
    const stdout: string[] = [];
    for (const command of COMMANDS) {
      const r = await ssh([...client, command]);
      if (r.code !== 0) throw new Error(`ssh: \`${command}\` exited ${r.code}: ${r.stderr.trim()}`);
      stdout.push(r.stdout);
    }
    const t2 = performance.now();
    await ssh(['-S', sock, '-O', 'exit', ...sshd.sshArgs]);
    closed = true;
    const closeMs = performance.now() - t2;
    return { totalMs: t2 - t0, connectMs: t1 - t0, commandsMs: t2 - t1, closeMs, stdout };
  } finally {
    if (!closed) await ssh(['-S', sock, '-O', 'exit', ...sshd.sshArgs]).catch(() => undefined);
  }
}

const fmt = (ms: number): string => ms.toFixed(1);
const list = (values: readonly number[]): string => values.map(fmt).join(', ');

const bench: Bench = {
  description: `${COMMANDS.length} remote commands in sequence on one connection, engine (ssh2) / OpenSSH ControlMaster, connection included`,
  async run(log) {
    if (COMMANDS.length !== 50) throw new Error(`the sequence must hold 50 commands, not ${COMMANDS.length}`);
    const sshd = await startSshd({ sudo: 'nopasswd' });
    const dir = await mkdtemp(join(tmpdir(), 'kgb-cm-'));
    try {
      // One discarded warm-up each (page cache, sudo's first start, ssh2's crypto set-up), and the
      // check that both sides see the same outputs.
      const warmEngine = await engineSequence(sshd);
      const warmMaster = await controlMasterSequence(sshd, dir, 'w');
      const differs = COMMANDS.filter((_, i) => warmEngine.stdout[i] !== warmMaster.stdout[i]);
      if (differs.length > 0) throw new Error(`engine and OpenSSH disagree on: ${differs.join(' | ')}`);

      const engine: Sequence[] = [];
      const openssh: Sequence[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        // A/B, then B/A: neither side always runs on the warmer machine.
        if (i % 2 === 0) {
          engine.push(await engineSequence(sshd));
          openssh.push(await controlMasterSequence(sshd, dir, String(i)));
        } else {
          openssh.push(await controlMasterSequence(sshd, dir, String(i)));
          engine.push(await engineSequence(sshd));
        }
      }

      const n = COMMANDS.length;
      const report = (name: string, runs: Sequence[]): void => {
        const total = runs.map((r) => r.totalMs);
        const commands = runs.map((r) => r.commandsMs);
        log(`${name}: total ms per sequence [${list(total)}] median ${fmt(median(total))}`);
        log(`${name}:   connect ms [${list(runs.map((r) => r.connectMs))}] median ${fmt(median(runs.map((r) => r.connectMs)))}`);
        log(`${name}:   ${n} commands ms [${list(commands)}] median ${fmt(median(commands))} (${(median(commands) / n).toFixed(2)} ms per command)`);
        log(`${name}:   close ms (not counted) [${list(runs.map((r) => r.closeMs))}]`);
      };
      log(`sshd: OpenSSH on 127.0.0.1:${sshd.port}, user with password-less sudo; ${ROUNDS} rounds alternating, after one warm-up each`);
      report('engine (ssh2, one exec per command)', engine);
      report('openssh (ControlMaster, one ssh process per command)', openssh);
      const ratio = median(engine.map((r) => r.totalMs)) / median(openssh.map((r) => r.totalMs));
      const ratioCommands = median(engine.map((r) => r.commandsMs)) / median(openssh.map((r) => r.commandsMs));
      log(`ratio without connection set-up (commands only): ${ratioCommands.toFixed(2)}`);
      log(`ratio with connection set-up (headline): ${ratio.toFixed(2)} (target: at most 1.2)`);
      return { value: ratio, decimals: 2 };
    } finally {
      await rm(dir, { recursive: true, force: true });
      await sshd.stop();
    }
  },
};

export default bench;
