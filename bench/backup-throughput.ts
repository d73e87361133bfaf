import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { chownSync, createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadDump } from '../electron/main/backup/download';
import { SshConnection } from '../electron/main/ssh/connection';
import { startSshd, type SshdHandle } from '../electron/main/testing';
import { median, type Bench } from './lib/bench';

// The backup download (our SFTP reads with several requests in flight, written to a 0600 file and
// hashed on the way, as a proven backup is) against OpenSSH's scp of the same file, from the same
// sshd, alternating, in the same run. Both include the connection. The figure is our throughput as a
// ratio to scp's (1 = as fast; the target is at least 0.8).

const SIZE = 128 * 1024 * 1024;
const ROUNDS = 5;

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

function scp(sshd: SshdHandle, remote: string, local: string): Promise<number> {
  const args = ['-q', '-i', sshd.userKeyPath, '-P', String(sshd.port), '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${sshd.user}@127.0.0.1:${remote}`, local];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('scp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`scp failed (${code}): ${err}`))));
  });
}

async function ours(sshd: SshdHandle, remote: string, local: string, sha256: string): Promise<number> {
  const started = performance.now();
  const connect = () => SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  const conn = await connect();
  try {
    const r = await downloadDump({ conn, reconnect: connect, remotePath: remote, localPath: local, expected: { sizeBytes: SIZE, sha256 } });
    r.conn.close();
  } finally {
    conn.close();
  }
  return performance.now() - started;
}

const bench: Bench = {
  description: 'backup download (SFTP, hashed) throughput as a ratio to scp of the same file (≥ 0.8 wanted)',
  async run(log) {
    const sshd = await startSshd({ sudo: 'none' });
    const local = await mkdtemp(join(tmpdir(), 'kgt-bench-dl-'));
    try {
      const remote = join(sshd.homeDir, 'dump.bin');
      await writeFile(remote, randomBytes(SIZE), { mode: 0o600 });
      const { uid, gid } = statSync(sshd.homeDir);
      chownSync(remote, uid, gid);
      const sha = await sha256File(remote);
      const oursMs: number[] = [];
      const scpMs: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        // Alternate the order so neither side always runs with a warmer page cache.
        const pair = [
          async () => oursMs.push(await ours(sshd, remote, join(local, `ours-${i}.dump`), sha)),
          async () => scpMs.push(await scp(sshd, remote, join(local, `scp-${i}.bin`))),
        ];
        for (const run of i % 2 === 0 ? pair : [...pair].reverse()) await run();
        if ((await sha256File(join(local, `ours-${i}.dump`))) !== sha) throw new Error('our copy differs');
        await rm(join(local, `ours-${i}.dump`), { force: true });
        await rm(join(local, `scp-${i}.bin`), { force: true });
      }
      const mb = SIZE / 1e6;
      log(`file: ${mb.toFixed(0)} MB, ${ROUNDS} rounds each, alternating`);
      log(`ours (SFTP, 32 × 256 KB in flight, sha256): ${oursMs.map((m) => m.toFixed(0)).join(', ')} ms → median ${(mb / (median(oursMs) / 1000)).toFixed(0)} MB/s`);
      log(`scp (OpenSSH): ${scpMs.map((m) => m.toFixed(0)).join(', ')} ms → median ${(mb / (median(scpMs) / 1000)).toFixed(0)} MB/s`);
      return { value: median(scpMs) / median(oursMs), decimals: 2 };
    } finally {
      await rm(local, { recursive: true, force: true });
      await sshd.stop();
    }
  },
};

export default bench;
