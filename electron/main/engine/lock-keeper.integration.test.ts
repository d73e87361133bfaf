import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../shared/profile';
import type { BackupService } from '../backup/backup-service';
import { Session } from '../backup/session';
import { SshConnection } from '../ssh/connection';
import { startSshd, type SshdHandle } from '../testing';
import { UpgradeJournalStore } from '../upgrade/journal';
import { buildPlan } from '../upgrade/plan';
import { UpgradeRunner } from '../upgrade/runner';
import { LockKeeper, remoteLockTarget } from './lock-keeper';
import { Remote } from './remote';
import { defaultComposeSettings } from './steps/compose-plan';
import { DEFAULT_LAYOUT } from './types';

// The lock keeper on a real sshd: a held lock stays fresh while its run is silent for longer than the
// staleness limit, a lock that stopped being kept goes stale and is taken over (and its keeper notices),
// and an upgrade whose step lasts long — a big backup, a resize — keeps its lock the whole time.

let sshd: SshdHandle;
let root: string;
const conns: SshConnection[] = [];

async function connect(): Promise<SshConnection> {
  const conn = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  conns.push(conn);
  return conn;
}

async function remoteAt(stateDir: string): Promise<Remote> {
  const conn = await connect();
  return new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir });
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets the lock's heartbeat ten minutes into the past (server clock), as if its holder had stopped long ago. */
async function ageHeartbeat(remote: Remote, stateDir: string): Promise<void> {
  expect((await remote.conn.run(`touch -d "@$(( $(date +%s) - 600 ))" ${join(stateDir, 'lock', 'heartbeat')}`, { privilege: 'sudo' })).code).toBe(0);
}

const owner = (runId: string, machine: string) => ({ runId, owner: 'ana', machine, since: new Date().toISOString() });

beforeAll(async () => {
  sshd = await startSshd();
  root = mkdtempSync(join(tmpdir(), 'kgt-keeper-'));
  chmodSync(root, 0o777);
}, 60_000);
afterAll(async () => {
  for (const c of conns) c.close();
  await sshd?.stop();
});

describe('the lock keeper', () => {
  it('keeps the lock fresh while the run is silent, so another computer is refused; once it stops keeping it, the lock goes stale, is taken over, and the keeper notices', async () => {
    const stateDir = join(root, 'keeper', 'state');
    const a = await remoteAt(stateDir);
    const b = await remoteAt(stateDir);
    const lost: string[] = [];
    const held = await LockKeeper.acquire({ target: remoteLockTarget(() => a), owner: owner('run-a', 'laptop'), heartbeatMs: 100, onLost: () => lost.push('lost') });
    expect(held.ok).toBe(true);
    const keeper = held.ok ? held.keeper : null;
    await ageHeartbeat(a, stateDir);
    await until(async () => ((await b.readLock())?.heartbeatAgeSeconds ?? 999) < 60, 'the keeper to refresh the heartbeat');
    expect((await b.acquireLock({ ...owner('run-b', 'desktop'), lockId: 'b-lock' }, { staleAfterSeconds: 60 })).ok).toBe(false);
    expect(keeper!.heartbeats).toBeGreaterThan(0);
    // The run stops keeping it (e.g. the app froze): the lock goes stale and the other computer takes it over.
    keeper!.stop();
    // A heartbeat sent just before the stop may still be on its way: aged after it, not before.
    await keeper!.idle();
    await ageHeartbeat(a, stateDir);
    const taken = await b.acquireLock({ ...owner('run-b', 'desktop'), lockId: 'b-lock' }, { staleAfterSeconds: 60 });
    expect(taken).toMatchObject({ ok: true, takenOver: { reason: 'stale_heartbeat', holder: { runId: 'run-a' } } });
    // A keeper whose lock went to someone else learns it at its next heartbeat, and never releases the successor's.
    const again = await LockKeeper.acquire({ target: remoteLockTarget(() => a), owner: owner('run-c', 'laptop'), heartbeatMs: 100, staleAfterSeconds: 60 });
    expect(again.ok).toBe(false);
    const zombie = await LockKeeper.acquire({ target: remoteLockTarget(() => b), owner: owner('run-b', 'desktop'), lockId: 'b-lock', heartbeatMs: 100, onLost: () => lost.push('zombie lost') });
    expect(zombie.ok).toBe(true);
    await b.breakLock();
    expect((await a.acquireLock({ ...owner('run-d', 'laptop'), lockId: 'd-lock' })).ok).toBe(true);
    await until(() => lost.includes('zombie lost'), 'the keeper to notice the loss');
    expect(zombie.ok && zombie.keeper.lost).toBe(true);
    expect(zombie.ok && (await zombie.keeper.release())).toBe('not_held');
    expect(JSON.parse(readFileSync(join(stateDir, 'lock', 'owner.json'), 'utf8')).lockId).toBe('d-lock');
    expect(lost).toEqual(['zombie lost']);
  });

  it('skips heartbeats while the connection is gone, and beats again once it is back', async () => {
    const stateDir = join(root, 'cut', 'state');
    let current: Remote | null = await remoteAt(stateDir);
    const held = await LockKeeper.acquire({ target: remoteLockTarget(() => current), owner: owner('run-cut', 'laptop'), heartbeatMs: 50 });
    expect(held.ok).toBe(true);
    const keeper = held.ok ? held.keeper : null;
    const saved = current;
    current = null;
    const before = keeper!.heartbeats;
    await sleep(300);
    expect(keeper!.heartbeats).toBe(before);
    expect(keeper!.lost).toBe(false);
    current = saved;
    await until(() => keeper!.heartbeats > before, 'a heartbeat after the reconnect');
    expect(await keeper!.release()).toBe('released');
    expect(existsSync(join(stateDir, 'lock'))).toBe(false);
  });
});

describe('a long upgrade', () => {
  it('keeps its lock through a step far longer than the staleness limit: another computer cannot take it over', async () => {
    const stateDir = join(root, 'upgrade', 'state');
    const before = defaultComposeSettings({ phase: 1, postgres: { service: 'postgres', user: 'koprogo', database: 'koprogo_db' }, tuning: { postgresService: 'postgres', backendService: 'backend' } });
    const settings = { ...before, layout: { ...before.layout, stateDir } };
    const built = buildPlan({ kind: 'phase-1-2', profileId: 'p', fromPhase: 1, toPhase: 2, before: settings, after: { ...settings, phase: 2 }, facts: { route: 'in-place', memoryGb: 2, cpus: 2 }, options: {}, redact: (t) => t });
    // Only the backup: a proof of a big database that lasts (here until the test lets it end).
    const plan = { ...built, order: ['backup' as const] };
    let finishBackup: () => void = () => undefined;
    let backupRunning = false;
    const backups = {
      prove: async () => {
        backupRunning = true;
        await new Promise<void>((r) => (finishBackup = r));
      },
    } as unknown as BackupService;
    const profile = { id: 'p', name: 'p', server: { host: sshd.host, port: sshd.port, user: sshd.user } } as unknown as Profile;
    const session = new Session(profile, settings, { connect: () => connect(), redact: (t) => t, log: () => undefined });
    const runner = new UpgradeRunner({
      session,
      after: { ...settings, phase: 2 },
      journals: new UpgradeJournalStore(join(root, 'upgrade', 'data')),
      backups,
      provider: null,
      owner: { owner: 'ana', machine: 'laptop' },
      emit: () => undefined,
      log: () => undefined,
      health: async () => null,
      waitForSsh: async () => undefined,
      recordProfile: async () => undefined,
      lock: { heartbeatMs: 100 },
    });
    const runId = await runner.prepare(plan, true);
    const done = runner.execute(plan);
    await until(() => backupRunning, 'the backup to start');
    const other = await remoteAt(stateDir);
    // Long enough that, without heartbeats, a 1-second staleness limit would have passed several times.
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      const tried = await other.acquireLock({ ...owner('run-other', 'desktop-bob'), lockId: `other-${i}` }, { staleAfterSeconds: 1 });
      expect(tried.ok, `attempt ${i}: the upgrade's lock was taken over`).toBe(false);
      expect(tried.ok ? null : tried.holder?.runId).toBe(runId);
    }
    // And one ten minutes stale-looking is refreshed by the running upgrade.
    await ageHeartbeat(other, stateDir);
    await until(async () => ((await other.readLock())?.heartbeatAgeSeconds ?? 999) < 60, 'the upgrade to refresh its heartbeat');
    finishBackup();
    const run = await done;
    expect(run.outcome).toBe('succeeded');
    expect(existsSync(join(stateDir, 'lock'))).toBe(false);
    session.close();
  }, 60_000);
});
