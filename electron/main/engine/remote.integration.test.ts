import { mkdtempSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../ssh/connection';
import { startSshd, type SshdHandle } from '../testing';
import { Remote } from './remote';
import { DEFAULT_LAYOUT } from './types';

// Detached jobs on a real server: they outlive the SSH session, can be followed again from any
// offset, and cancel stops the whole process group.

let sshd: SshdHandle;
let conn: SshConnection;
let remote: Remote;
let stateDir: string;

beforeAll(async () => {
  sshd = await startSshd();
  conn = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  const root = mkdtempSync(join(tmpdir(), 'kgt-remote-'));
  chmodSync(root, 0o755);
  stateDir = join(root, 'state');
  remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir });
}, 60_000);
afterAll(async () => {
  conn?.close();
  await sshd?.stop();
});

describe('detached jobs', () => {
  it('runs once, streams its output, and gives its exit code', async () => {
    const command = { as: 'root' as const, script: 'echo one; sleep 0.3; echo two; exit 3', detached: true };
    await remote.launch('job-a', command);
    await remote.launch('job-a', command); // a second start of the same job does nothing
    let out = '';
    expect(await remote.attach('job-a', 'root', 0, { onOutput: (c) => (out += c) })).toBe(3);
    expect(out).toBe('one\ntwo\n');
    // Following again from an offset gives only what was not seen.
    let rest = '';
    expect(await remote.attach('job-a', 'root', 4, { onOutput: (c) => (rest += c) })).toBe(3);
    expect(rest).toBe('two\n');
  });

  it('survives the SSH session that started it', async () => {
    const other = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
    await new Remote(other, 'sudo', { ...DEFAULT_LAYOUT, stateDir }).launch('job-b', { as: 'root', script: 'sleep 0.5; echo survived', detached: true });
    other.close();
    let out = '';
    expect(await remote.attach('job-b', 'root', 0, { onOutput: (c) => (out += c) })).toBe(0);
    expect(out).toBe('survived\n');
  });

  it('cancel stops the job and everything it started', async () => {
    await remote.launch('job-c', { as: 'root', script: 'sh -c "sleep 30; echo child-finished" & sleep 30; echo finished', detached: true });
    const controller = new AbortController();
    const following = remote.attach('job-c', 'root', 0, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    await remote.cancelJob('job-c', 'root');
    controller.abort();
    await following.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const pid = readFileSync(join(stateDir, 'runs', 'job-c', 'pid'), 'utf8').trim();
    // Zombies wait for a reaper; what matters is that nothing of the job still runs.
    const alive = await conn.exec(`ps -o stat= -g ${pid} | grep -vc '^Z' || true`);
    expect(alive.stdout.trim()).toBe('0');
    expect(readFileSync(join(stateDir, 'runs', 'job-c', 'log'), 'utf8')).not.toContain('finished');
    expect(existsSync(join(stateDir, 'runs', 'job-c', 'exit'))).toBe(false);
  });
});

describe('old job folders', () => {
  it('removes finished jobs past the age, keeps the newest, the young and the unfinished', async () => {
    const runs = join(stateDir, 'runs');
    const day = 24 * 3600;
    const now = Math.floor(Date.now() / 1000);
    // name, age in days, finished
    const jobs: [string, number, boolean][] = [
      ['old-1', 90, true],
      ['old-2', 60, true],
      ['old-unfinished', 80, false],
      ['-dash-old', 70, true],
      ['young', 3, true],
      ['newest', 40, true],
    ];
    for (const [name, age, finished] of jobs) {
      const d = join(runs, name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'log'), 'output\n');
      if (finished) writeFileSync(join(d, 'exit'), '0\n');
      const at = now - age * day;
      utimesSync(d, at, at);
    }
    // 'newest' (40 days old by name only) is the most recent folder: kept as the newest one; 'young' by its age.
    utimesSync(join(runs, 'newest'), now, now);
    for (const j of ['job-a', 'job-b', 'job-c']) if (existsSync(join(runs, j))) utimesSync(join(runs, j), now - 100 * day, now - 100 * day);
    await remote.pruneJobs({ olderThanDays: 30, keep: 1 });
    const left = readdirSync(runs).sort();
    expect(left).toEqual(['job-c', 'newest', 'old-unfinished', 'young'].sort());
    // Nothing to prune, or no runs folder at all: no error.
    await remote.pruneJobs({ olderThanDays: 30, keep: 1 });
    expect(readdirSync(runs).sort()).toEqual(left);
    await new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: join(stateDir, 'nowhere') }).pruneJobs();
  });
});
