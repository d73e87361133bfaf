import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradePlan, UpgradeRun } from '../../shared/contract-upgrade';
import { findLocalPostgres, startScratchCluster, type ScratchCluster } from '../backup/scratch-cluster';
import { dispatch } from '../ipc/dispatcher';
import { saveKubeconfig } from '../k3s/kubeconfig';
import { MemorySecretStore } from '../secrets/secret-store';
import { createHandlers, type Handlers } from '../services/handlers';
import { contractCalls } from '../testing/contract-calls';
import { startDeployHost, type DeployHost } from '../testing';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { clusterTableCounts, hostPsql, seedFixtureData, serverWritable as serverWritableOf, tableCounts } from '../testing/fixture-data';
import { startK8sFake, type K8sFake } from '../testing/k8s-fake';
import { POSTGRES_MAJOR } from '../testing/postgres-image';

// Phase 2 → 3 below the UI: the test host (real sshd, Docker, Compose, PostgreSQL) is the phase 2 server; the
// cluster is a profile whose K3s run succeeded (its kubeconfig points at the fake Kubernetes API); a real local
// PostgreSQL stands in for the cluster's database; three local DNS servers play the public resolvers (one of them
// also the system's). The run stops for the TTL, goes on once it is lowered, makes the server read-only, restores
// the proven dump into the cluster's database and compares the figures, then waits for the DNS change: not made,
// the run stops; the rollback gives the server back. Made, the switch is seen on every resolver, the run waits
// for the user's confirmation with the server still up, and records the deployment as phase 3.

const CANARY = 'CANARY-k3s-7d1e-secret';
const DB_PASSWORD = 'Cluster-db-9f3a-secret';
const PROFILE = 'testhost';
const CLUSTER = 'cluster-dev';
const DOMAIN = 'app.koprogo.test';
const INGRESS = '127.0.0.2';
let host: DeployHost;
let k8s: K8sFake;
let db: ScratchCluster;
let dns: DnsServer[] = [];
let dataDir: string;
let secrets: MemorySecretStore;
let handlers: Handlers;
const { events, emit, call, next } = contractCalls(() => handlers);

const target = { kind: 'phase', toPhase: 3 } as const;
const options = { clusterProfileId: CLUSTER, ingress: INGRESS };
const setDns = (a: string, ttl: number) => dns.forEach((d) => d.set(DOMAIN, { a: [a], ttl }));

const clusterCounts = () => clusterTableCounts(db, 'koprogo_db');
const serverWritable = () => serverWritableOf(host.docker, host.composeProject);

beforeAll(async () => {
  const binDir = await findLocalPostgres(POSTGRES_MAJOR);
  if (!binDir) throw new Error(`PostgreSQL ${POSTGRES_MAJOR} client programs are needed on this computer`);
  host = await startDeployHost({ postgres: true });
  k8s = await startK8sFake({ state: { nodes: [{ name: 'koprogo-dev-cp-0' }, { name: 'koprogo-dev-worker-0' }], pods: [{ namespace: 'koprogo', name: 'koprogo-backend-0' }, { namespace: 'kube-system', name: 'traefik-0' }] } });
  db = await startScratchCluster({ binDir, user: 'koprogo', database: 'koprogo_db' });
  // The application's role in the cluster's database (the test reads it as the cluster's own superuser).
  const pw = await db.client('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'], { stdin: `CREATE ROLE app LOGIN PASSWORD '${DB_PASSWORD}';\nALTER DATABASE koprogo_db OWNER TO app;\n` });
  if (pw.code !== 0) throw new Error(pw.stderr);
  dns = await Promise.all([startDnsServer(), startDnsServer(), startDnsServer()]);
  setDns('127.0.0.1', 3600);
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-to-k3s-'));
  secrets = new MemorySecretStore();
  handlers = createHandlers({
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '0.0.0-test',
    frontDoor: 'test',
    systemLanguages: () => ['en'],
    openExternal: null,
    secrets,
    dnsServers: [dns[0]!.address],
    emit,
    backup: { download: { backoffMs: 50 }, sessionBackoffMs: 50 },
    upgrade: { toK3s: { resolvers: dns.map((d) => d.address), propagation: { timeoutMs: 1500, pollMs: 200 }, clusterWait: { attempts: 3, delayMs: 100 } } },
  });
  await call('profiles.save', host.profile({ phase: 2 }));
  await call('server.importKey', { profileId: PROFILE, path: host.sshd.userKeyPath });
  await call('deploy.setEnv', { profileId: PROFILE, content: `DOMAIN=${DOMAIN}\nPOSTGRES_PASSWORD=${CANARY}\n` });
  const deployed = next('deploy.finished');
  await call('deploy.start', { profileId: PROFILE });
  expect((await deployed).outcome).toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject);
  // The cluster, as the K3s screens leave it after a successful run: its profile records the deployment, the kubeconfig is saved.
  const base = host.profile();
  await call('profiles.save', {
    id: CLUSTER,
    name: 'Cluster (dev)',
    phase: 3,
    provider: { kind: 'existing' },
    server: base.server,
    repo: base.repo,
    settings: { 'k3s.environment': 'dev', 'k3s.domain': DOMAIN, 'k3s.deployedAt': '2026-12-01T10:00:00.000Z', 'k3s.deployedRef': 'v1.0.0', 'k3s.deployedEnvironment': 'dev' },
    secrets: {},
  });
  await saveKubeconfig(dataDir, CLUSTER, k8s.kubeconfig());
}, 420_000);

afterAll(async () => {
  await Promise.all(dns.map((d) => d.close()));
  await db?.stop();
  await k8s?.close();
  await host?.stop();
}, 120_000);

describe('phase 2 → 3 onto the K3s cluster', () => {
  let plan: UpgradePlan;
  let counts: Record<string, number>;

  it('plans it: the cluster, the records and their TTL, the change, the resolvers, the cost, the downtime', async () => {
    // Without the cluster's database the plan says so (and the run would stop at the cluster check).
    const bare = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(bare.warnings.map((w) => w.code)).toContain('upgrade.warnings.noClusterDatabase');
    const bad = await dispatch(handlers, 'upgrade.setClusterDatabase', { profileId: PROFILE, clusterProfileId: CLUSTER, host: '127.0.0.1; rm -rf /', port: db.port, user: 'koprogo', database: 'koprogo_db', password: DB_PASSWORD });
    expect(bad).toMatchObject({ ok: false, error: { code: 'ipc.invalid_input' } });
    await call('upgrade.setClusterDatabase', { profileId: PROFILE, clusterProfileId: CLUSTER, host: '127.0.0.1', port: db.port, user: 'app', database: 'koprogo_db', password: DB_PASSWORD });
    plan = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(plan).toMatchObject({ kind: 'phase-2-3', route: 'k3s-migrate', fromPhase: 2, toPhase: 3, downtime: { minSec: 1800, maxSec: 7200 } });
    expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'cluster', 'dns-ttl', 'freeze', 'backup', 'cluster-restore', 'cluster-health', 'dns-switch', 'cutover', 'record']);
    expect(plan.steps.filter((s) => s.downtime).map((s) => s.id)).toEqual(['freeze', 'backup', 'cluster-restore', 'cluster-health']);
    expect(plan.cost).toMatchObject({ before: { net: 15 }, after: { net: 30 }, deltaMonthly: 15, currency: 'EUR' });
    expect(plan.migration).toMatchObject({
      cluster: { profileId: CLUSTER, environment: 'dev', deployedAt: '2026-12-01T10:00:00.000Z' },
      database: { host: '127.0.0.1', port: db.port, user: 'app', database: 'koprogo_db' },
      dns: { domain: DOMAIN, current: [{ type: 'A', value: '127.0.0.1', ttl: 3600 }], lowerTtl: true, lowerTtlTo: 300, changes: [{ name: DOMAIN, type: 'A', from: ['127.0.0.1'], to: INGRESS }], resolvers: dns.map((d) => d.address) },
      rollback: { addresses: ['127.0.0.1'] },
    });
    expect(plan.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['upgrade.warnings.lowerTtl', 'upgrade.warnings.serverKept']));
    const freeze = plan.steps.find((s) => s.id === 'freeze')!.remote[0]!.actions[0]!;
    expect(freeze.kind === 'run' && freeze.script).toContain('default_transaction_read_only = on');
    const restore = plan.steps.find((s) => s.id === 'cluster-restore')!.remote[0]!.actions[0]!;
    expect(restore.kind === 'run' && restore.script).toContain('pg_restore --clean --if-exists');
    const text = JSON.stringify(plan);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(DB_PASSWORD);
  }, 120_000);

  it('stops for a long TTL, goes on once lowered; the server goes read-only; the dump is restored and counted; no DNS change: stopped; rollback gives the server back', async () => {
    counts = await tableCounts(host.docker, host.composeProject);
    expect(counts['public.owners']).toBe(2000);
    const first = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: plan.planHash });
    const stopped = (await first).run;
    expect(stopped.outcome).toBe('failed');
    expect(stopped.waitingFor).toBe('ttl');
    expect(stopped.error).toMatchObject({ code: 'upgrade.confirm_needed', params: { what: 'ttl', ttl: 3600, advised: 300 } });
    expect(stopped.steps.find((s) => s.id === 'freeze')?.state).toBe('pending');
    expect(await serverWritable()).toBe(true);

    // The user lowers the TTL at their DNS provider: the same plan (its hash ignores the TTL) resumes.
    setDns('127.0.0.1', 300);
    const again = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(again.planHash).toBe(plan.planHash);
    expect(again.migration?.dns.lowerTtl).toBe(false);
    const second = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: plan.planHash });
    const run = (await second).run;
    expect(run.runId).toBe(stopped.runId);
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatchObject({ code: 'upgrade.dns_not_propagated', params: { domain: DOMAIN, count: 3, total: 3 } });
    expect(run.steps.filter((s) => s.state === 'done').map((s) => s.id)).toEqual(['preflight', 'cluster', 'dns-ttl', 'freeze', 'backup', 'cluster-restore', 'cluster-health']);
    expect(run.propagation).toEqual(dns.map((d) => ({ resolver: d.address, addresses: ['127.0.0.1'], switched: false })));
    expect(run.downtimeMs).toBeGreaterThan(0);
    // The cluster's database holds the server's data, table by table.
    expect(await clusterCounts()).toEqual(counts);
    // The old server stays up, read-only.
    expect(await serverWritable()).toBe(false);
    expect((await hostPsql(host.docker, host.composeProject, 'SELECT count(*) FROM owners')).trim()).toBe('2000');

    // Rollback: the server writable again, the records to put back (the DNS never moved: already there).
    const back = await call<{ rolledBack: true; records: { name: string; type: string; from: string[]; to: string }[]; propagated: boolean }>('upgrade.rollback', { profileId: PROFILE });
    expect(back).toEqual({ rolledBack: true, records: [{ name: DOMAIN, type: 'A', from: [INGRESS], to: '127.0.0.1' }], propagated: true });
    expect(await serverWritable()).toBe(true);
    expect((await call<{ run: UpgradeRun }>('upgrade.status', { profileId: PROFILE })).run.outcome).toBe('cancelled');
    expect((await call<{ phase: number }>('profiles.get', { id: PROFILE })).phase).toBe(2);
  }, 600_000);

  it('again: the DNS switched while it waits, seen on every resolver; the server stays up until confirmed; recorded as phase 3', async () => {
    // New data since the rollback: the second migration carries it.
    await hostPsql(host.docker, host.composeProject, "INSERT INTO owners (name) VALUES ('After rollback')");
    counts = await tableCounts(host.docker, host.composeProject);
    // The user changes the record as soon as the cluster answers; one resolver sees it a little later.
    const switching = next('upgrade.step', (p) => p.stepId === 'cluster-health' && p.state === 'done').then(() => {
      dns[0]!.set(DOMAIN, { a: [INGRESS], ttl: 300 });
      dns[1]!.set(DOMAIN, { a: [INGRESS], ttl: 300 });
      setTimeout(() => dns[2]!.set(DOMAIN, { a: [INGRESS], ttl: 300 }), 400);
    });
    const fresh = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    const first = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: fresh.planHash, fresh: true });
    await switching;
    const waiting = (await first).run;
    expect(waiting.outcome).toBe('failed');
    expect(waiting.waitingFor).toBe('cutover');
    expect(waiting.steps.find((s) => s.id === 'dns-switch')?.state).toBe('done');
    expect(waiting.propagation?.every((v) => v.switched && v.addresses.join() === INGRESS)).toBe(true);
    expect(await clusterCounts()).toEqual(counts);
    // Until the user confirms, the server stays up (read-only) and the profile is still phase 2.
    expect(await serverWritable()).toBe(false);
    expect((await call<{ phase: number }>('profiles.get', { id: PROFILE })).phase).toBe(2);

    const done = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: fresh.planHash, confirm: ['cutover'] });
    const run = (await done).run;
    expect(run.outcome, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.runId).toBe(waiting.runId);
    expect(run.waitingFor).toBeNull();
    expect(run.downtimeMs).toBeGreaterThan(0);
    expect(run.downtimeMs).toBe(waiting.downtimeMs);
    const profile = await call<{ phase: number; settings: Record<string, string> }>('profiles.get', { id: PROFILE });
    expect(profile).toMatchObject({ phase: 3, settings: { 'k3s.deployedEnvironment': 'dev', 'k3s.domain': DOMAIN, 'upgrade.migratedFrom': host.sshd.host } });
    expect(readFileSync(profile.settings['k3s.kubeconfig']!, 'utf8')).toBe(k8s.kubeconfig());
    const { marks } = await call<{ marks: { kind: string; runId: string }[] }>('upgrade.timeline', { profileId: PROFILE, from: 0, to: Date.now() + 1000 });
    expect(marks.filter((m) => m.runId === run.runId).map((m) => m.kind)).toEqual(['start', 'down', 'up', 'failed', 'end']);
    // Done: no rollback any more; secrets never in events.
    expect(await dispatch(handlers, 'upgrade.rollback', { profileId: PROFILE })).toMatchObject({ ok: false, error: { code: 'upgrade.rollback_unavailable' } });
    const text = JSON.stringify(events);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(DB_PASSWORD);
  }, 600_000);
});
