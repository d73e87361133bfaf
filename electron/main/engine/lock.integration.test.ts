import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../shared/errors';
import { SshConnection } from '../ssh/connection';
import { startSshd, type SshdHandle } from '../testing';
import { LocalJournalStore } from './journal';
import { Remote } from './remote';
import { StepRunner, type RunResult } from './runner';
import { currentProcess, newLockId, processStart } from './run-identity';
import { DEFAULT_LAYOUT, type Step } from './types';

// The server's run lock on a real sshd, as the issue probed it: two runs from one computer, two from two
// computers, a crashed holder (resumable), a stale heartbeat, and release that never removes a successor's
// lock.

let sshd: SshdHandle;
let root: string;
const conns: SshConnection[] = [];

async function connect(): Promise<SshConnection> {
  const conn = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  conns.push(conn);
  return conn;
}

beforeAll(async () => {
  sshd = await startSshd();
  root = mkdtempSync(join(tmpdir(), 'kgt-lock-'));
  chmodSync(root, 0o777);
}, 60_000);
afterAll(async () => {
  for (const c of conns) c.close();
  await sshd?.stop();
});

/** A server (state folder) and a step that records its start and waits for the test to let it finish. */
function scenario(name: string) {
  const dir = join(root, name);
  const stateDir = join(dir, 'state');
  const events = join(dir, 'events');
  const go = join(dir, 'go');
  const script = `mkdir -p ${dir}; echo start >> ${events}; while [ ! -f ${go} ]; do sleep 0.05; done; echo end >> ${events}\n`;
  const step: Step = { id: 'work', check: null, apply: [{ kind: 'run', command: { as: 'root', script } }], verify: null };
  const detached: Step = { ...step, apply: [{ kind: 'run', command: { as: 'root', script, detached: true } }] };
  const read = () => (existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean) : []);
  return { dir, stateDir, step, detached, events: read, release: () => writeFileSync(go, ''), lockDir: join(stateDir, 'lock') };
}

async function runner(s: ReturnType<typeof scenario>, opts: { machine: string; machineId: string; dataDir?: string; lock?: ConstructorParameters<typeof StepRunner>[0]['lock'] }) {
  const conn = await connect();
  const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
  const logs: string[] = [];
  const r = new StepRunner({
    remote,
    journals: new LocalJournalStore(opts.dataDir ?? join(s.dir, `data-${opts.machineId}`)),
    profileId: 'p',
    owner: { owner: 'ana', machine: opts.machine, machineId: opts.machineId },
    redact: (t) => t,
    onStep: () => undefined,
    onLog: (e) => logs.push(e.line),
    ...(opts.lock ? { lock: opts.lock } : {}),
  });
  return { r, remote, logs };
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function lockedError(result: PromiseSettledResult<RunResult>): AppError {
  expect(result.status).toBe('rejected');
  return (result as PromiseRejectedResult).reason as AppError;
}

describe('the server lock', () => {
  it('keeps a second run from the same computer out while the first runs, and the first release keeps nothing of it', async () => {
    // The reproduction: same owner, same machine, same journal (two windows, or web mode and the CLI).
    const s = scenario('same-machine');
    const dataDir = join(s.dir, 'data');
    const a = await runner(s, { machine: 'laptop', machineId: 'm1', dataDir });
    const b = await runner(s, { machine: 'laptop', machineId: 'm1', dataDir });
    const first = a.r.run([s.step]);
    await until(() => s.events().length === 1, 'the first run to start its step');
    const second = await Promise.allSettled([b.r.run([s.step])]);
    const err = lockedError(second[0]!);
    expect(err.code).toBe('deploy.locked');
    expect(err.params).toMatchObject({ owner: 'ana', machine: 'laptop', holder: 'this_computer' });
    expect(s.events()).toEqual(['start']);
    // The refused run did not touch the lock: it is still there, the first run's own.
    expect(existsSync(join(s.lockDir, 'owner.json'))).toBe(true);
    s.release();
    expect((await first).outcome).toBe('succeeded');
    expect(s.events()).toEqual(['start', 'end']);
    expect(existsSync(s.lockDir)).toBe(false);
  });

  it('keeps a run from another computer out, naming the holder', async () => {
    const s = scenario('two-machines');
    const a = await runner(s, { machine: 'laptop-ana', machineId: 'ma' });
    const b = await runner(s, { machine: 'desktop-bob', machineId: 'mb' });
    const first = a.r.run([s.step]);
    await until(() => s.events().length === 1, 'the first run to start');
    const err = lockedError((await Promise.allSettled([b.r.run([s.step])]))[0]!);
    expect(err.params).toMatchObject({ machine: 'laptop-ana', holder: 'other' });
    s.release();
    expect((await first).outcome).toBe('succeeded');
    // Free again: the other computer's run goes through now (its step is already done? no check: it runs again).
    expect((await b.r.run([s.step])).outcome).toBe('succeeded');
  });

  it('takes over the lock of a crashed holder on this computer (its process is gone) and resumes', async () => {
    const s = scenario('crashed');
    const conn = await connect();
    const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
    // A holder process of this computer: a real process that then dies.
    const child: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
    await until(() => processStart(child.pid!) !== null, 'the child process');
    const held = await remote.acquireLock({ runId: 'run-crashed', lockId: newLockId(), owner: 'ana', machine: 'laptop', machineId: 'm1', since: new Date().toISOString(), pid: child.pid!, processStart: processStart(child.pid!) });
    expect(held.ok).toBe(true);
    const alive = await runner(s, { machine: 'laptop', machineId: 'm1' });
    const refused = lockedError((await Promise.allSettled([alive.r.run([s.step])]))[0]!);
    expect(refused.params).toMatchObject({ holder: 'this_computer', runId: 'run-crashed' });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const b = await runner(s, { machine: 'laptop', machineId: 'm1' });
    s.release();
    const result = await b.r.run([s.step]);
    expect(result.outcome).toBe('succeeded');
    expect(b.logs.some((l) => /lock of run run-crashed was taken over \(holder gone\)/.test(l))).toBe(true);
    expect(existsSync(s.lockDir)).toBe(false);
  });

  it('a run whose process was killed mid-step is resumed from this computer: same run, its detached job followed, not started again', async () => {
    const s = scenario('killed');
    const dataDir = join(s.dir, 'data');
    const stepDetached = s.detached;
    // The holder: a real StepRunner in another process, killed (SIGKILL: no cleanup at all) while its step runs.
    const here = dirname(fileURLToPath(import.meta.url));
    mkdirSync(s.dir, { recursive: true });
    const script = join(s.dir, 'holder.mts');
    const keyFile = join(s.dir, 'key');
    writeFileSync(keyFile, sshd.userPrivateKey, { mode: 0o600 });
    writeFileSync(
      script,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { SshConnection } from ${JSON.stringify(pathToFileURL(join(here, '../ssh/connection.ts')).href)};`,
        `import { Remote } from ${JSON.stringify(pathToFileURL(join(here, 'remote.ts')).href)};`,
        `import { StepRunner } from ${JSON.stringify(pathToFileURL(join(here, 'runner.ts')).href)};`,
        `import { LocalJournalStore } from ${JSON.stringify(pathToFileURL(join(here, 'journal.ts')).href)};`,
        `const a = JSON.parse(process.env.KG_ARGS ?? '{}');`,
        `const conn = await SshConnection.connect({ host: '127.0.0.1', port: a.port, user: a.user, privateKey: readFileSync(a.key, 'utf8') }, { hostKeySha256: a.hostKey });`,
        `const remote = new Remote(conn, await conn.privilege(), { ...a.layout });`,
        `const runner = new StepRunner({ remote, journals: new LocalJournalStore(a.dataDir), profileId: 'p', owner: { owner: 'ana', machine: 'laptop', machineId: 'm1' }, redact: (t) => t, onStep: () => undefined, onLog: () => undefined });`,
        `await runner.run([a.step]);`,
      ].join('\n'),
    );
    let childOutput = '';
    const child = spawn(join(here, '../../../node_modules/.bin/tsx'), [script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: tsx runs the script in a child node process, and the whole group is killed.
      detached: true,
      env: { ...process.env, KG_ARGS: JSON.stringify({ port: sshd.port, user: sshd.user, key: keyFile, hostKey: sshd.hostKeySha256, layout: { ...DEFAULT_LAYOUT, stateDir: s.stateDir }, dataDir, step: stepDetached }) },
    });
    child.stdout?.on('data', (c: Buffer) => (childOutput += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (childOutput += c.toString()));
    await until(() => s.events().length === 1 || child.exitCode !== null, 'the holder process to start its step');
    expect(child.exitCode, childOutput).toBeNull();
    const holderRunId = JSON.parse(readFileSync(join(dataDir, 'journals', 'p.json'), 'utf8')).runId as string;
    const holderPid = JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8')).pid as number;
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await until(() => processStart(holderPid) === null, 'the holder process to be gone');
    const b = await runner(s, { machine: 'laptop', machineId: 'm1', dataDir });
    const resumed = b.r.run([stepDetached]);
    await until(() => b.logs.some((l) => /taken over \(holder gone\)/.test(l)), 'the takeover');
    s.release();
    const result = await resumed;
    expect(result.outcome).toBe('succeeded');
    expect(result.runId).toBe(holderRunId);
    // The job the killed run started kept running on the server and was followed, never started twice.
    expect(s.events()).toEqual(['start', 'end']);
  }, 120_000);

  it('a pid reused by another process is not the holder: the start time tells them apart', async () => {
    const s = scenario('pid-reuse');
    const conn = await connect();
    const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
    // This test process's pid, but another start time: the holder was an earlier process with the same pid.
    const me = currentProcess();
    await remote.acquireLock({ runId: 'old', lockId: newLockId(), owner: 'ana', machine: 'laptop', machineId: 'm1', since: new Date().toISOString(), pid: me.pid, processStart: `${me.start ?? 'x'}-earlier` });
    const b = await runner(s, { machine: 'laptop', machineId: 'm1' });
    s.release();
    expect((await b.r.run([s.step])).outcome).toBe('succeeded');
  });

  it('takes over a lock whose heartbeat is stale (any computer), and refuses one whose heartbeat is fresh', async () => {
    const s = scenario('stale');
    const conn = await connect();
    const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
    await remote.acquireLock({ runId: 'far-away', lockId: newLockId(), owner: 'bob', machine: 'desktop-bob', machineId: 'mb', since: new Date().toISOString(), pid: 4242, processStart: null });
    const a = await runner(s, { machine: 'laptop', machineId: 'ma', lock: { staleAfterSeconds: 120 } });
    expect(lockedError((await Promise.allSettled([a.r.run([s.step])]))[0]!).params).toMatchObject({ machine: 'desktop-bob', holder: 'other' });
    // Its last heartbeat was 10 minutes ago (server clock).
    expect((await conn.run(`touch -d "@$(( $(date +%s) - 600 ))" ${join(s.lockDir, 'heartbeat')}`, { privilege: 'sudo' })).code).toBe(0);
    expect((await remote.readLock())?.heartbeatAgeSeconds).toBeGreaterThanOrEqual(599);
    const b = await runner(s, { machine: 'laptop', machineId: 'ma', lock: { staleAfterSeconds: 120 } });
    s.release();
    expect((await b.r.run([s.step])).outcome).toBe('succeeded');
    expect(b.logs.some((l) => /far-away was taken over \(stale heartbeat\)/.test(l))).toBe(true);
  });

  it('a running holder keeps its heartbeat fresh, so it is never taken for stale', async () => {
    const s = scenario('heartbeat');
    const a = await runner(s, { machine: 'laptop', machineId: 'ma', lock: { heartbeatMs: 100 } });
    const first = a.r.run([s.step]);
    await until(() => s.events().length === 1, 'the first run to start');
    const hb = join(s.lockDir, 'heartbeat');
    // Set the heartbeat far into the past: the holder's next beat brings it back.
    const conn = await connect();
    await conn.run(`touch -d "@$(( $(date +%s) - 600 ))" ${hb}`, { privilege: 'sudo' });
    const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
    await until(async () => ((await remote.readLock())?.heartbeatAgeSeconds ?? 999) < 60, 'a fresh heartbeat');
    const b = await runner(s, { machine: 'desktop', machineId: 'mb', lock: { staleAfterSeconds: 60 } });
    expect(lockedError((await Promise.allSettled([b.r.run([s.step])]))[0]!).code).toBe('deploy.locked');
    s.release();
    expect((await first).outcome).toBe('succeeded');
  });

  /** A run of `first` then a second step, whose lock another computer breaks and takes ('successor-lock') once the first has started. */
  async function takenOverDuring(s: ReturnType<typeof scenario>, first: Step) {
    const a = await runner(s, { machine: 'laptop', machineId: 'ma', lock: { heartbeatMs: 100 } });
    const run = a.r.run([first, { ...s.step, id: 'second' }]);
    await until(() => s.events().length === 1, 'the first step to start');
    await a.remote.breakLock();
    const b = await runner(s, { machine: 'desktop', machineId: 'mb' });
    expect((await b.remote.acquireLock({ runId: 'successor', lockId: 'successor-lock', owner: 'bob', machine: 'desktop', machineId: 'mb', since: new Date().toISOString() })).ok).toBe(true);
    return { run, successor: b };
  }

  it('a run whose lock was broken and taken stops, writes no journal over its successor, and leaves its lock alone', async () => {
    const s = scenario('lost');
    const { run: first, successor: b } = await takenOverDuring(s, s.step);
    await b.remote.writeJournal('{"successor":true}', 'successor-lock');
    s.release();
    const result = await first;
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('deploy.lock_lost');
    expect(readFileSync(join(s.stateDir, 'journal.json'), 'utf8').trim()).toBe('{"successor":true}');
    expect(JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8')).lockId).toBe('successor-lock');
    // Only the first step ran: the run stopped at its next state change.
    expect(s.events()).toEqual(['start', 'end']);
  });

  it('a detached job whose lock was taken over is stopped there, not left running beside the successor', async () => {
    const s = scenario('lost-detached');
    const { run: first } = await takenOverDuring(s, s.detached);
    // The job is still waiting for the test: the run ends on its own, by the lost lock.
    const result = await first;
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('deploy.lock_lost');
    s.release();
    await new Promise((r) => setTimeout(r, 600));
    // Killed, so it never wrote its end; the second step never started; the successor's lock untouched.
    expect(s.events()).toEqual(['start']);
    expect(JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8')).lockId).toBe('successor-lock');
  });

  it('release removes the lock only for its holder (compare-and-delete on the server)', async () => {
    const s = scenario('release');
    const conn = await connect();
    const remote = new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
    await remote.acquireLock({ runId: 'r1', lockId: 'lock-one', owner: 'ana', machine: 'laptop', since: new Date().toISOString() });
    expect(await remote.releaseLock('lock-two')).toBe('not_held');
    expect(await remote.releaseLock('r1')).toBe('not_held');
    expect(existsSync(s.lockDir)).toBe(true);
    expect(await remote.releaseLock('lock-one')).toBe('released');
    expect(existsSync(s.lockDir)).toBe(false);
    // Callers that pass only a run id (no lock id) keep working: the run id is the lock id.
    expect((await remote.acquireLock({ runId: 'legacy', owner: 'ana', machine: 'laptop', since: new Date().toISOString() })).ok).toBe(true);
    expect(await remote.releaseLock('legacy')).toBe('released');
  });

  it('of many runs trying at once, exactly one gets the lock — also when they all take over a stale one', async () => {
    const s = scenario('race');
    const remotes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = await connect();
        return new Remote(c, await c.privilege(), { ...DEFAULT_LAYOUT, stateDir: s.stateDir });
      }),
    );
    const owner = (i: number) => ({ runId: `r${i}`, lockId: `l${i}`, owner: 'ana', machine: `m${i}`, machineId: `m${i}`, since: new Date().toISOString() });
    const first = await Promise.all(remotes.map((r, i) => r.acquireLock(owner(i))));
    expect(first.filter((r) => r.ok)).toHaveLength(1);
    // Its holder stopped 10 minutes ago: everyone sees it stale and tries to take it over; exactly one does
    // (the others then find a fresh holder and are refused).
    await remotes[0]!.conn.run(`touch -d "@$(( $(date +%s) - 600 ))" ${join(s.lockDir, 'heartbeat')}`, { privilege: 'sudo' });
    const second = await Promise.all(remotes.map((r, i) => r.acquireLock(owner(i + 10), { staleAfterSeconds: 300 })));
    expect(second.filter((r) => r.ok)).toHaveLength(1);
    expect(second.filter((r) => r.ok && r.takenOver)).toHaveLength(1);
  });
});
