import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import type { BackupFinished, BackupProgress } from '../../shared/contract-backup';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { DeployService, secretName } from '../services/deploy-service';
import { ProfileStore } from '../store/profile-store';
import { run, startDeployHost, startTcpProxy, type DeployHost, type TcpProxy } from '../testing';
import { FIXTURE_COUNTS, hostPsql, seedFixtureData, spoilPgDump, tableCounts } from '../testing/fixture-data';
import { BackupService } from './backup-service';

// Proven backups against a real server: sshd + sudo (a non-root login: the dump is staged for it),
// Docker, Compose and a real PostgreSQL 15 holding fixture data; the SSH connection goes through a
// proxy that cuts it. Dump → sha256 on the server → SFTP download → scratch restore → figures compared.

const CANARY = 'CANARY-pg-9d2e-secret';
const PROFILE = 'testhost';
let host: DeployHost;
let proxy: TcpProxy;
let dataDir: string;
let backups: BackupService;
let deploy: DeployService;
const events: { event: EventName; payload: unknown }[] = [];
const listeners = new Set<(event: EventName, payload: unknown) => void>();

const finished = (): BackupFinished[] => events.filter((e) => e.event === 'backup.finished').map((e) => e.payload as BackupFinished);
const progress = (): BackupProgress[] => events.filter((e) => e.event === 'backup.progress').map((e) => e.payload as BackupProgress);

async function runOp(start: Promise<{ done: Promise<void> }>): Promise<BackupFinished> {
  const before = finished().length;
  await (await start).done;
  const f = finished().slice(before);
  expect(f).toHaveLength(1);
  return f[0]!;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const serverProven = () => join(host.root, 'backups', 'proven');

beforeAll(async () => {
  host = await startDeployHost({ postgres: true });
  proxy = await startTcpProxy(host.sshd.port);
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-backup-'));
  const profiles = new ProfileStore(dataDir);
  const secrets = new MemorySecretStore();
  const log = new Logger(join(dataDir, 'logs', 'app.log'));
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    events.push({ event, payload });
    for (const l of listeners) l(event, payload);
  };
  deploy = new DeployService({ dataDir, profiles, secrets, log, emit });
  backups = new BackupService({ dataDir, profiles, log, connect: (p) => deploy.connect(p), emit, download: { backoffMs: 50, chunkSize: 64 * 1024, concurrency: 8 }, sessionBackoffMs: 50 });
  const base = host.profile();
  await profiles.save({ ...base, server: { ...base.server!, port: proxy.port } });
  await secrets.set(secretName(PROFILE, DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
  await secrets.set(secretName(PROFILE, DEPLOY_SECRETS.env), `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n`);
  const result = await deploy.runToEnd(PROFILE);
  expect(result?.outcome, JSON.stringify(result?.error)).toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject, { bulkRows: 60_000 });
}, 420_000);

afterAll(async () => {
  await proxy?.stop();
  await host?.stop();
}, 120_000);

describe('proven backups on a real PostgreSQL', () => {
  let firstId = '';

  it('dumps, checksums on the server, downloads over SFTP, restores into a scratch database and compares every table', async () => {
    const f = await runOp(backups.create(PROFILE, 'server'));
    expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
    firstId = f.backupId!;
    expect(firstId).toMatch(/^\d{8}-\d{6}-manual-[0-9a-f]{6}$/);
    const stages = progress().filter((p) => p.backupId === firstId || p.backupId === null).map((p) => p.stage);
    for (const s of ['dump', 'stage', 'download', 'checksum', 'verify']) expect(stages).toContain(s);

    // The manifest's figures are PostgreSQL's own counts of the source.
    const record = await backups.store.read(PROFILE, firstId);
    const counts = await tableCounts(host.docker, host.composeProject);
    expect(Object.fromEntries(record!.manifest.tables.map((t) => [t.table, t.rows]))).toEqual(counts);
    expect(counts['public.payments']).toBe(FIXTURE_COUNTS.payments);
    expect(counts['Compta|2026.Écritures "clôturées"']).toBe(3);
    expect(counts['public.audit_empty']).toBe(0);
    // The newest timestamp of a table, across its timestamp and timestamptz columns (UTC).
    expect(record!.manifest.tables.find((t) => t.table === 'public.payments')?.newest).toBe('2026-02-01T12:19:59Z');
    expect(record!.manifest.tables.find((t) => t.table === 'public.lots')?.newest).toBe('2025-12-17T00:00:00Z');
    expect(record!.manifest.serverVersion).toBeGreaterThanOrEqual(150000);

    // This computer's copy: the same bytes as the server's, private, in the data folder.
    const local = backups.store.dumpPath(PROFILE, firstId);
    expect(sha256(local)).toBe(record!.manifest.sha256);
    expect(sha256(join(serverProven(), `${firstId}.dump`))).toBe(record!.manifest.sha256);
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(statSync(backups.store.dir(PROFILE)).mode & 0o777).toBe(0o700);
    expect(statSync(join(serverProven(), `${firstId}.dump`)).mode & 0o777).toBe(0o600);
    // The staged copy for the SFTP read is gone, and no scratch container is left.
    expect(readdirSync(join(host.sshd.homeDir, '.cache', 'koprogo-deploy')).filter((n) => n.endsWith('.dump'))).toEqual([]);
    expect((await run('docker', ['ps', '-aq', '--filter', 'label=koprogo-deploy.verify'], { env: { ...process.env, ...host.docker.env } })).stdout.trim()).toBe('');

    const v = record!.verifications.at(-1)!;
    expect(v).toMatchObject({ where: 'server', outcome: 'proven', mismatches: [], tables: Object.keys(counts).length });
    expect(v.rows).toBe(Object.values(counts).reduce((a, b) => a + b, 0));

    const list = await backups.list(PROFILE);
    expect(list.database).toEqual({ service: 'postgres', user: 'koprogo', database: 'koprogo_db' });
    expect(list.backups.find((b) => b.id === firstId)).toMatchObject({ kind: 'proven', onServer: true, local: { complete: true }, verification: { outcome: 'proven' } });
    expect(list.dailyInstalled).toBe(true);
    expect(list.dailyRetentionDays).toBe(7);
  }, 300_000);

  it('verifies the same dump on this computer too, in a scratch cluster of the same major version', async () => {
    const f = await runOp(backups.verify(PROFILE, firstId, 'local'));
    expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
    const v = (await backups.store.read(PROFILE, firstId))!.verifications.at(-1)!;
    expect(v).toMatchObject({ where: 'local', outcome: 'proven', mismatches: [] });
  }, 180_000);

  it('resumes a download cut in the middle, from the bytes it had, with a new connection', async () => {
    let cut = false;
    const cutter = (event: EventName, payload: unknown) => {
      const p = payload as BackupProgress;
      if (event === 'backup.progress' && p.stage === 'download' && !cut && p.bytes !== null && p.bytes > 0 && p.bytes < (p.totalBytes ?? 0)) {
        cut = true;
        proxy.cutAll();
      }
    };
    listeners.add(cutter);
    const connectionsBefore = proxy.totalConnections;
    const from = progress().length;
    try {
      const f = await runOp(backups.create(PROFILE, 'none'));
      expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
      expect(cut).toBe(true);
      const resumed = progress()
        .slice(from)
        .filter((p) => p.stage === 'download' && p.resumedFrom !== null);
      expect(resumed.length).toBeGreaterThan(0);
      expect(resumed[0]!.resumedFrom).toBeGreaterThan(0);
      expect(proxy.totalConnections).toBeGreaterThan(connectionsBefore + 1);
      const record = await backups.store.read(PROFILE, f.backupId!);
      expect(sha256(backups.store.dumpPath(PROFILE, f.backupId!))).toBe(record!.manifest.sha256);
    } finally {
      listeners.delete(cutter);
    }
  }, 240_000);

  it('resumes a partial copy left by an earlier run (a closed laptop) instead of starting again', async () => {
    const path = backups.store.dumpPath(PROFILE, firstId);
    const size = statSync(path).size;
    renameSync(path, `${path}.part`);
    truncateSync(`${path}.part`, Math.floor(size / 3));
    expect((await backups.list(PROFILE)).backups.find((b) => b.id === firstId)?.local).toEqual({ complete: false, bytes: Math.floor(size / 3) });
    const from = progress().length;
    const f = await runOp(backups.download(PROFILE, firstId));
    expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
    expect(progress().slice(from).find((p) => p.stage === 'checksum')?.resumedFrom).toBe(Math.floor(size / 3));
    expect(sha256(path)).toBe((await backups.store.read(PROFILE, firstId))!.manifest.sha256);
  }, 120_000);

  it('a truncated dump is found by the scratch restore and stops with its own message', async () => {
    await spoilPgDump(host.docker, host.composeProject, 'truncate');
    try {
      const f = await runOp(backups.create(PROFILE, 'server'));
      expect(f.outcome).toBe('failed');
      expect(f.error?.code).toBe('backup.dump_truncated');
      const record = await backups.store.read(PROFILE, f.backupId ?? String(f.error?.params.backup));
      expect(record?.verifications.at(-1)?.outcome).toBe('truncated');
    } finally {
      await spoilPgDump(host.docker, host.composeProject, 'restore');
    }
  }, 180_000);

  it('a corrupted dump is found by the scratch restore and stops with its own message', async () => {
    await spoilPgDump(host.docker, host.composeProject, 'corrupt');
    try {
      const f = await runOp(backups.create(PROFILE, 'server'));
      expect(f.outcome).toBe('failed');
      expect(f.error?.code).toBe('backup.dump_corrupt');
      expect((await backups.list(PROFILE)).backups.find((b) => b.id === f.error?.params.backup)?.verification?.outcome).toBe('corrupt');
    } finally {
      await spoilPgDump(host.docker, host.composeProject, 'restore');
    }
  }, 180_000);

  it('a dump changed on the server after its checksum is refused by the download and by the verification', async () => {
    const f = await runOp(backups.create(PROFILE, 'none'));
    expect(f.outcome).toBe('succeeded');
    const id = f.backupId!;
    const serverFile = join(serverProven(), `${id}.dump`);
    const bytes = readFileSync(serverFile);
    bytes.write('XXXXXXXX', Math.floor(bytes.length / 2));
    writeFileSync(serverFile, bytes);
    const local = backups.store.dumpPath(PROFILE, id);
    renameSync(local, `${local}.old`);
    const again = await runOp(backups.download(PROFILE, id));
    expect(again.error?.code).toBe('backup.checksum_mismatch');
    expect(existsSync(local)).toBe(false);
    const v = await runOp(backups.verify(PROFILE, id, 'server'));
    expect(v.error?.code).toBe('backup.checksum_mismatch');
  }, 180_000);

  it('restores a proven backup after a safety dump: the rows come back and the services are healthy', async () => {
    const before = await tableCounts(host.docker, host.composeProject);
    await hostPsql(host.docker, host.composeProject, 'DELETE FROM payments WHERE id % 2 = 0; DROP TABLE audit_empty;');
    const damaged = await tableCounts(host.docker, host.composeProject);
    expect(damaged['public.payments']).toBeLessThan(before['public.payments']!);
    const f = await runOp(backups.restore(PROFILE, firstId));
    expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
    expect(await tableCounts(host.docker, host.composeProject)).toEqual(before);
    // The safety dump of the damaged database is kept on the server.
    const safety = readdirSync(serverProven()).filter((n) => /-safety-[0-9a-f]{6}\.dump$/.test(n));
    expect(safety.length).toBeGreaterThanOrEqual(1);
    const stages = progress().filter((p) => p.operation === 'restore').map((p) => p.stage);
    for (const s of ['safety', 'stop', 'restore', 'start', 'health']) expect(stages).toContain(s);
    const health = await run('sh', ['-c', `docker ps --filter label=com.docker.compose.project=${host.composeProject} --format '{{.Status}}'`], { env: { ...process.env, ...host.docker.env } });
    expect(health.stdout.trim().split('\n').every((l) => /\(healthy\)/.test(l))).toBe(true);
  }, 300_000);

  it("lists the server's daily dumps and proves one restorable, with its figures", async () => {
    const job = await run('sh', ['-c', join(host.root, 'bin', 'koprogo-backup')], { env: { ...process.env, ...host.docker.env }, timeoutMs: 120_000 });
    expect(job.code, job.stderr).toBe(0);
    const list = await backups.list(PROFILE);
    const daily = list.backups.find((b) => b.kind === 'daily');
    expect(daily).toMatchObject({ reason: 'daily', onServer: true });
    const f = await runOp(backups.verify(PROFILE, daily!.id, 'server'));
    expect(f.outcome, JSON.stringify(f.error)).toBe('succeeded');
    const after = (await backups.list(PROFILE)).backups.find((b) => b.id === daily!.id);
    expect(after?.verification).toMatchObject({ outcome: 'restorable', tables: Object.keys(await tableCounts(host.docker, host.composeProject)).length });
  }, 180_000);

  it('never writes the database password anywhere: data folder, logs, events', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.dump') || e.name.endsWith('.part') ? [] : [readFileSync(join(d, e.name), 'utf8')]));
    for (const text of walk(dataDir)) expect(text).not.toContain(CANARY);
    expect(JSON.stringify(events)).not.toContain(CANARY);
  });
});
