import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload, MethodName, MethodOutput } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import type { PhaseId } from '../../shared/phases';
import { PHASE_SINCE_SETTING } from '../../shared/profile';
import type { Envelope } from '../../shared/errors';
import { HealthHistory, historyDirFor } from '../health/history';
import { takeSample } from '../health/sample';
import { dispatch } from '../ipc/dispatcher';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { saveKubeconfig } from '../k3s/kubeconfig';
import { createTestCertificates, startHttpsServer } from '../testing/https-server';
import { startK8sFake } from '../testing/k8s-fake';
import { BUSYBOX_IMAGE, docker, importBusyboxImage, startDocker, startSshd, startTcpProxy, type DockerHandle, type SshdHandle, type TcpProxy } from '../testing';
import { secretName } from './deploy-service';
import { KUBECONFIG_SECRET } from './health-service';
import { createHandlers, type Handlers, type ServiceDeps } from './handlers';

// The health service through the contract, against a real OpenSSH server (non-root user with sudo)
// and a real Docker engine holding the deployment's Compose-labelled containers.

const CANARY = 'CANARY-health-7e1d';
const ENV = `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n`;
const project = `kgs${randomBytes(3).toString('hex')}`;

let dockerd: DockerHandle;
let sshd: SshdHandle;
let proxy: TcpProxy;
const dirs: string[] = [];

interface App {
  handlers: Handlers;
  events: { event: EventName; payload: unknown }[];
  notified: { title: string; body: string }[];
  dataDir: string;
  log: Logger;
  call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>>;
}

function app(opts: { dataDir?: string; health?: ServiceDeps['health']; secrets?: MemorySecretStore } = {}): App {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'koprogo-health-'));
  if (!opts.dataDir) dirs.push(dataDir);
  const events: App['events'] = [];
  const notified: App['notified'] = [];
  const log = new Logger(join(dataDir, 'logs', 'app.log'));
  const handlers = createHandlers({
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '0.0.0-test',
    frontDoor: 'test',
    systemLanguages: () => ['en-GB'],
    openExternal: null,
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => events.push({ event, payload }),
    secrets: opts.secrets ?? new MemorySecretStore(),
    log,
    notify: (n) => notified.push(n),
    connectOptions: { readyTimeoutMs: 5_000, keepaliveIntervalMs: 500, keepaliveCountMax: 2 },
    health: { foregroundMs: 300, backoff: { initialMs: 100, maxMs: 400 }, ...opts.health },
  });
  return {
    handlers,
    events,
    notified,
    dataDir,
    log,
    call: async (method, input) => {
      const envelope = (await dispatch(handlers, method, input)) as Envelope<never>;
      if (!envelope.ok) throw new Error(`${method}: ${JSON.stringify(envelope.error)}`);
      return envelope.value;
    },
  };
}

async function saveProfile(a: App, id: string, port: number, secrets: MemorySecretStore, settings: Record<string, string> = {}, phase: PhaseId = 1): Promise<void> {
  await new ProfileStore(a.dataDir).save({
    id,
    name: `Health ${id}`,
    phase,
    provider: { kind: 'existing' },
    server: { host: sshd.host, port, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
    repo: null,
    settings: { composeProject: project, 'postgres.service': 'postgres', 'postgres.user': 'koprogo', 'postgres.database': 'koprogo_db', ...settings },
    secrets: {},
  });
  await secrets.set(secretName(id, DEPLOY_SECRETS.sshKey), sshd.userPrivateKey);
  await secrets.set(secretName(id, DEPLOY_SECRETS.env), ENV);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Current = EventPayload<'health.sample'>;
const samples = (a: App, id: string): Current[] => a.events.filter((e) => e.event === 'health.sample').map((e) => e.payload as Current).filter((c) => c.profileId === id);

beforeAll(async () => {
  dockerd = await startDocker();
  await importBusyboxImage(dockerd.env);
  sshd = await startSshd({ sudo: 'nopasswd', setEnv: { DOCKER_HOST: dockerd.env.DOCKER_HOST } });
  proxy = await startTcpProxy(sshd.port);
  const labels = ['--label', `com.docker.compose.project=${project}`, '--label', 'com.docker.compose.service=backend'];
  const r = await docker(dockerd.env, [
    'run', '-d', '--name', `${project}-backend-1`, '--network', 'none', ...labels, '--health-cmd', 'true', '--health-interval', '1s',
    BUSYBOX_IMAGE, 'sh', '-c', `echo "boot with password ${CANARY}"; echo "listening on :8080"; exec sleep 3600`,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  // A "database" container whose psql is a stand-in answering size|connections.
  const psql = join(mkdtempSync(join(tmpdir(), 'kgt-psql-')), 'psql');
  dirs.push(dirname(psql));
  writeFileSync(psql, '#!/bin/sh\necho "45678901|4"\n', { mode: 0o755 });
  const db = ['--label', `com.docker.compose.project=${project}`, '--label', 'com.docker.compose.service=postgres'];
  for (const args of [['create', '--name', `${project}-postgres-1`, '--network', 'none', ...db, BUSYBOX_IMAGE, 'sleep', '3600'], ['cp', psql, `${project}-postgres-1:/bin/psql`], ['start', `${project}-postgres-1`]]) {
    const d = await docker(dockerd.env, args);
    if (d.code !== 0) throw new Error(d.stderr);
  }
  const deadline = Date.now() + 30_000;
  while ((await docker(dockerd.env, ['inspect', '--format', '{{.State.Health.Status}}', `${project}-backend-1`])).stdout.trim() !== 'healthy') {
    if (Date.now() > deadline) throw new Error('the backend container did not become healthy');
    await new Promise((res) => setTimeout(res, 100));
  }
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await sshd?.stop();
  await dockerd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('health service over the real test host', () => {
  it('watches live: one exec per sample, coloured levels, history kept across a restart, CSV, redacted logs', async () => {
    // The real sampling call, watched: the connection's round trips before and after each sample.
    const trips: { conn: object; before: number; after: number }[] = [];
    const counted = async (...args: Parameters<typeof takeSample>) => {
      const before = args[0].roundTrips;
      const s = await takeSample(...args);
      trips.push({ conn: args[0], before, after: args[0].roundTrips });
      return s;
    };
    const secrets = new MemorySecretStore();
    const a = app({ secrets, health: { sample: counted } });
    await saveProfile(a, 'live', sshd.port, secrets);
    const [first] = await Promise.all([a.call('health.watch', { profileId: 'live', mode: 'foreground' }), a.call('health.watch', { profileId: 'live', mode: 'foreground' })]);
    expect(first).toEqual({ watching: true, mode: 'foreground' });
    await waitFor('three samples', () => samples(a, 'live').filter((c) => c.live).length >= 3);

    // A sample is one exec round trip, and nothing else runs on the connection between two samples.
    expect(trips.length).toBeGreaterThanOrEqual(3);
    expect(new Set(trips.map((t) => t.conn)).size).toBe(1);
    for (const t of trips) expect(t.after - t.before).toBe(1);
    for (let i = 1; i < trips.length; i++) expect(trips[i]!.before).toBe(trips[i - 1]!.after);

    const current = await a.call('health.current', { profileId: 'live' });
    expect(current).toMatchObject({ profileId: 'live', phase: 1, watching: true, mode: 'foreground', live: true, staleSince: null, error: null });
    expect(current.point!.containers.map((c) => c.name).sort()).toEqual([`${project}-backend-1`, `${project}-postgres-1`]);
    expect(current.point!.containers.find((c) => c.service === 'backend')).toMatchObject({ status: 'healthy', restartCount: 0 });
    // The database through its container (service name and user from the deployment settings).
    expect(current.point).toMatchObject({ postgres: { sizeBytes: 45_678_901, connections: 4 }, postgresStatus: 'ok' });
    expect(current.point!.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(current.levels.ram).toMatch(/^(ok|warn|critical)$/);
    expect(current.levels.cpu).toMatch(/^(ok|warn|critical)$/);
    expect(current.thresholds).toMatchObject({ source: 'roadmap', ram: { warn: 75, critical: 85 }, cpu: { warn: 70, critical: 85 }, disk: { warn: 70, critical: 80 } });
    // Load levels are scaled to the server's cores (1.5 / 2.0 for 2 cores).
    expect(current.thresholds.load.critical).toBeCloseTo((2.0 * current.point!.cpus) / 2, 5);

    // Logs on demand: the last lines of our container, with the deployment's secrets masked.
    const logs = await a.call('health.logs', { profileId: 'live', container: `${project}-backend-1`, lines: 10 });
    expect(logs.lines).toEqual(['boot with password ••••••', 'listening on :8080']);
    expect(JSON.stringify(a.events)).not.toContain(CANARY);
    await expect(a.call('health.logs', { profileId: 'live', container: 'someone-else', lines: 10 })).rejects.toThrow('health.container_unknown');

    const sampledAt = current.lastSampleAt!;
    // Watching again, twice at once (a click and a visibility change), keeps one sampler.
    await Promise.all([a.call('health.watch', { profileId: 'live', mode: 'foreground' }), a.call('health.watch', { profileId: 'live', mode: 'background' })]);
    expect(await a.call('health.unwatch', { profileId: 'live' })).toEqual({ stopped: true });
    const n = samples(a, 'live').length;
    const calls = trips.length;
    await new Promise((r) => setTimeout(r, 800));
    expect(samples(a, 'live').length).toBe(n); // stopped for good
    expect(trips.length).toBe(calls); // and no sampler left behind

    // A new app instance on the same data folder: the history is still there, bounded for the chart.
    const b = app({ dataDir: a.dataDir, secrets });
    const series = await b.call('health.history', { profileId: 'live', from: sampledAt - 3_600_000, to: sampledAt + 1_000, maxPoints: 4 });
    expect(series.series.ram!.t.length).toBeGreaterThanOrEqual(2);
    expect(series.series.ram!.t.length).toBeLessThanOrEqual(4);
    expect(series.series.ram!.v.every((v) => v > 0 && v <= 100)).toBe(true);
    const csv = await b.call('health.exportCsv', { profileId: 'live', from: sampledAt - 3_600_000, to: sampledAt + 1_000 });
    expect(csv.filename).toMatch(/^koprogo-health-live-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = csv.csv.trim().split('\r\n');
    expect(lines[0]).toMatch(/^time,resolution,cpu_percent,/);
    expect(lines.length).toBeGreaterThanOrEqual(4); // the header and one row per sample (3 at least)
    const notWatched = await b.call('health.current', { profileId: 'live' });
    expect(notWatched).toMatchObject({ watching: false, live: false, point: null });
  }, 90_000);

  it('a cut connection shows stale since the first failure, then recovers by itself', async () => {
    const secrets = new MemorySecretStore();
    const a = app({ secrets });
    await saveProfile(a, 'cut', proxy.port, secrets);
    await a.call('health.watch', { profileId: 'cut', mode: 'foreground' });
    try {
      await waitFor('a live sample', () => samples(a, 'cut').some((c) => c.live));
      const lastGood = samples(a, 'cut').filter((c) => c.live).at(-1)!.lastSampleAt!;
      proxy.refuse(true);
      proxy.cutAll();
      const stale = await waitFor('stale', () => samples(a, 'cut').find((c) => c.staleSince !== null));
      expect(stale.live).toBe(false);
      expect(stale.staleSince!).toBeGreaterThanOrEqual(lastGood);
      expect(stale.error?.code).toMatch(/^ssh\./);
      // Old numbers are not shown as live: the point is kept, but marked stale.
      expect(stale.lastSampleAt).toBe(lastGood);
      await waitFor('retries', () => samples(a, 'cut').filter((c) => c.staleSince !== null).length >= 3);
      expect(new Set(samples(a, 'cut').filter((c) => c.staleSince !== null).map((c) => c.staleSince)).size).toBe(1);
      proxy.refuse(false);
      const back = await waitFor('recovery', () => samples(a, 'cut').slice(samples(a, 'cut').findIndex((c) => c.staleSince !== null)).find((c) => c.live));
      expect(back).toMatchObject({ live: true, staleSince: null, error: null });
      expect(back.lastSampleAt!).toBeGreaterThan(lastGood);
    } finally {
      proxy.refuse(false);
      await a.call('health.unwatch', { profileId: 'cut' });
    }
  }, 60_000);

  it('a high-RAM fixture sustained over the window recommends phase 2, notified once; a spike does not', async () => {
    // The fixture: real samples from the test host with the memory figure forced to 92 % used, on top
    // of 35 minutes of history at 92 % (as if the app had been watching for that long).
    const forced = (ramPercent: number) => async (...args: Parameters<typeof takeSample>) => {
      const s = await takeSample(...args);
      return { ...s, memory: { ...s.memory, availableKb: Math.round(s.memory.totalKb * (1 - ramPercent / 100)) } };
    };
    const seed = async (dataDir: string, id: string, ramPercent: number) => {
      const history = await HealthHistory.open({ dir: historyDirFor(dataDir, id) });
      const now = Date.now();
      for (let at = now - 35 * 60_000; at < now - 5_000; at += 5_000) await history.append({ at, values: { ram: ramPercent, cpu: 20, load1: 0.5, cpus: 2, disk: 40 } });
      await history.flush();
    };

    const secrets = new MemorySecretStore();
    const high = app({ secrets, health: { sample: forced(92) } });
    await saveProfile(high, 'hot', sshd.port, secrets);
    await seed(high.dataDir, 'hot', 92);
    await high.call('health.watch', { profileId: 'hot', mode: 'foreground' });
    try {
      await waitFor('three samples', () => samples(high, 'hot').filter((c) => c.live).length >= 3);
      const current = await high.call('health.current', { profileId: 'hot' });
      expect(current.levels.ram).toBe('critical');
      expect(current.signals.active.map((s) => s.id)).toEqual(['ram_sustained']);
      expect(current.signals.recommendation).toMatchObject({ nextPhase: 2, monthlyCost: { min: 15 } });
      expect(current.signals.active[0]!.message).toMatchObject({ code: 'health.signal.ram_sustained', params: { threshold: 85, windowMinutes: 30 } });
      // One event and one desktop notification, not one per sample.
      expect(high.events.filter((e) => e.event === 'health.signal').map((e) => e.payload)).toMatchObject([{ profileId: 'hot', profileName: 'Health hot', started: [{ id: 'ram_sustained' }], recommendation: { nextPhase: 2 } }]);
      expect(high.notified).toHaveLength(1);
      expect(high.notified[0]!.title).toBe('Health hot: time to upgrade?');
      expect(high.notified[0]!.body).toContain('Memory above 85 %');
      expect(high.notified[0]!.body).toContain('Time to move to phase 2');
    } finally {
      await high.call('health.unwatch', { profileId: 'hot' });
    }
    // After a restart, the signal that is still on is shown but not notified again.
    const restarted = app({ dataDir: high.dataDir, secrets, health: { sample: forced(92) } });
    await restarted.call('health.watch', { profileId: 'hot', mode: 'foreground' });
    try {
      await waitFor('three samples', () => samples(restarted, 'hot').filter((c) => c.live).length >= 3);
      expect((await restarted.call('health.current', { profileId: 'hot' })).signals.recommendation?.nextPhase).toBe(2);
      expect(restarted.notified).toEqual([]);
      expect(restarted.events.filter((e) => e.event === 'health.signal')).toEqual([]);
    } finally {
      await restarted.call('health.unwatch', { profileId: 'hot' });
    }

    // The same live figure after 35 calm minutes: a spike, not a signal.
    const spikeSecrets = new MemorySecretStore();
    const spike = app({ secrets: spikeSecrets, health: { sample: forced(92) } });
    await saveProfile(spike, 'spike', sshd.port, spikeSecrets);
    await seed(spike.dataDir, 'spike', 40);
    await spike.call('health.watch', { profileId: 'spike', mode: 'foreground' });
    try {
      await waitFor('three samples', () => samples(spike, 'spike').filter((c) => c.live).length >= 3);
      const current = await spike.call('health.current', { profileId: 'spike' });
      expect(current.levels.ram).toBe('critical');
      expect(current.signals).toMatchObject({ active: [], recommendation: null });
      expect(spike.notified).toEqual([]);
    } finally {
      await spike.call('health.unwatch', { profileId: 'spike' });
    }

    // Just moved to phase 2: the 35 minutes at 92 % were the old server's. The new one, at 92 % too for its
    // first samples, has not been watched for the window yet: no phase 3 signal, nothing notified.
    const movedSecrets = new MemorySecretStore();
    const moved = app({ secrets: movedSecrets, health: { sample: forced(92) } });
    await saveProfile(moved, 'moved', sshd.port, movedSecrets, { [PHASE_SINCE_SETTING]: String(Date.now() - 4_000) }, 2);
    await seed(moved.dataDir, 'moved', 92);
    await moved.call('health.watch', { profileId: 'moved', mode: 'foreground' });
    try {
      await waitFor('three samples', () => samples(moved, 'moved').filter((c) => c.live).length >= 3);
      const current = await moved.call('health.current', { profileId: 'moved' });
      expect(current.phase).toBe(2);
      expect(current.levels.ram).toBe('critical');
      expect(current.signals).toMatchObject({ active: [], recommendation: null });
      expect(moved.notified).toEqual([]);
    } finally {
      await moved.call('health.unwatch', { profileId: 'moved' });
    }
  }, 90_000);

  it('checks HTTPS from this computer alongside each sample: latency percentiles, certificate, P99 in the history', async () => {
    const certs = await createTestCertificates({ expiringDays: 10 });
    const server = await startHttpsServer({ tls: certs.expiring });
    const secrets = new MemorySecretStore();
    const a = app({ secrets, health: { https: { ca: certs.ca } } });
    await saveProfile(a, 'tls', sshd.port, secrets, { publicHealthUrl: server.url('/health') });
    try {
      await a.call('health.watch', { profileId: 'tls', mode: 'foreground' });
      await waitFor('three samples', () => samples(a, 'tls').filter((c) => c.live).length >= 3);
      const current = await a.call('health.current', { profileId: 'tls' });
      expect(current.https).toMatchObject({ url: server.url('/health'), ok: true, status: 200, errorCode: null });
      expect(current.https!.latency.count).toBeGreaterThanOrEqual(3);
      expect(current.https!.latency.p50!).toBeLessThanOrEqual(current.https!.latency.p99!);
      expect(current.https!.certificate).toMatchObject({ selfSigned: false, defaultCert: false, trusted: true });
      expect(current.https!.certificate!.daysLeft).toBeLessThan(14);
      expect(current.levels.p99).toBe('ok');
      expect(server.requests.length).toBeGreaterThanOrEqual(3);
      const series = await a.call('health.history', { profileId: 'tls', from: 0, to: Date.now() + 1000, maxPoints: 100, metrics: ['p99Ms'] });
      expect(series.series.p99Ms!.v.length).toBeGreaterThanOrEqual(2);
    } finally {
      await a.call('health.unwatch', { profileId: 'tls' });
      await server.close();
      await certs.cleanup();
    }
  }, 60_000);

  it('a K3s deployment (phase 3) shows its nodes and pods from the saved kubeconfig', async () => {
    const certs = await createTestCertificates();
    const fake = await startK8sFake({ certificates: certs, token: 'token-health-77aa' });
    fake.state.nodes = [{ name: 'koprogo-cp-1', roles: ['control-plane'] }, { name: 'koprogo-w-1', ready: false }];
    fake.state.pods = [{ namespace: 'koprogo', name: 'api-7d9f8b6c5-abcde', node: 'koprogo-w-1', containers: [{ name: 'api', restartCount: 4 }] }];
    const secrets = new MemorySecretStore();
    const a = app({ secrets });
    await saveProfile(a, 'k3s', sshd.port, secrets);
    const store = new ProfileStore(a.dataDir);
    await store.save({ ...(await store.get('k3s')), phase: 3 });
    await secrets.set(secretName('k3s', KUBECONFIG_SECRET), fake.kubeconfig());
    try {
      const current = await a.call('health.current', { profileId: 'k3s', refresh: true });
      expect(current.phase).toBe(3);
      expect(current.cluster?.error).toBeNull();
      expect(current.cluster?.nodes.map((n) => [n.name, n.ready])).toEqual([['koprogo-cp-1', true], ['koprogo-w-1', false]]);
      expect(current.cluster?.pods[0]).toMatchObject({ namespace: 'koprogo', name: 'api-7d9f8b6c5-abcde', restarts: 4, node: 'koprogo-w-1' });
      // K3s: the cluster is what is watched (from this computer, no SSH sample): the server's figures stay empty.
      expect(current.point).toBeNull();
      expect(current.live).toBe(true);
      // A refused token is a typed error on the panel, and the dashboard says it is not live.
      await secrets.set(secretName('k3s', KUBECONFIG_SECRET), fake.kubeconfig({ token: 'wrong-token-0000' }));
      const refused = await a.call('health.current', { profileId: 'k3s', refresh: true });
      expect(refused.cluster?.error?.code).toBe('health.kube_unauthorized');
      expect(refused.live).toBe(false);
      expect(refused.error?.code).toBe('health.kube_unauthorized');
      // The 0600 copy in the data folder serves when the secret store has none (web mode, the CLI, a restart).
      await secrets.delete(secretName('k3s', KUBECONFIG_SECRET));
      await saveKubeconfig(a.dataDir, 'k3s', fake.kubeconfig());
      const fromFile = await a.call('health.current', { profileId: 'k3s', refresh: true });
      expect(fromFile.cluster?.error).toBeNull();
      expect(fromFile.cluster?.nodes).toHaveLength(2);
    } finally {
      await a.call('health.unwatch', { profileId: 'k3s' });
      await fake.close();
      await certs.cleanup();
    }
  }, 60_000);

  it('refresh takes one sample on demand (the CLI status) and a profile without a server is refused', async () => {
    const secrets = new MemorySecretStore();
    const a = app({ secrets });
    await saveProfile(a, 'once', sshd.port, secrets);
    const current = await a.call('health.current', { profileId: 'once', refresh: true });
    expect(current).toMatchObject({ live: true, mode: 'paused', watching: true });
    expect(current.point!.containers).toHaveLength(2);
    await a.call('health.unwatch', { profileId: 'once' });
    await new ProfileStore(a.dataDir).save({ id: 'empty', name: 'Empty', phase: 1, provider: null, server: null, repo: null, settings: {}, secrets: {} });
    await expect(a.call('health.watch', { profileId: 'empty', mode: 'foreground' })).rejects.toThrow('health.no_server');
  }, 60_000);
});

