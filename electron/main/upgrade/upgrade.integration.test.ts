import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradePlan, UpgradeRun } from '../../shared/contract-upgrade';
import { dispatch } from '../ipc/dispatcher';
import { MemorySecretStore } from '../secrets/secret-store';
import { createHandlers, type Handlers } from '../services/handlers';
import { contractCalls } from '../testing/contract-calls';
import { docker, startDeployHost, startHetznerFake, startTcpProxy, type DeployHost, type TcpProxy } from '../testing';
import { spoilPgDump, seedFixtureData, tableCounts, hostPsql, databaseContainer } from '../testing/fixture-data';
import type { HetznerFake } from '../testing/hetzner-fake';

// Phase 1 → 2 on Hetzner, end to end below the UI: the fake Hetzner API (graceful shutdown with a lag,
// `server_not_stopped` once after it, change_type, power on) reached through a proxy that cuts it
// during the resize wait, and the test host (real sshd, Docker, Compose, PostgreSQL) as the server.
// The first attempt stops at the cut; a new app instance resumes it: one resize, not two.

const CANARY = 'CANARY-upg-4b7e-secret';
const PROFILE = 'testhost';
let host: DeployHost;
let hetzner: HetznerFake;
let apiProxy: TcpProxy;
let dataDir: string;
let secrets: MemorySecretStore;
let serverId = 0;
const { events, emit, call, next } = contractCalls(() => handlers);

function handlersFor(): Handlers {
  return createHandlers({
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '0.0.0-test',
    frontDoor: 'test',
    systemLanguages: () => ['en'],
    openExternal: null,
    secrets,
    emit,
    providers: { hetznerApiUrl: `http://127.0.0.1:${apiProxy.port}/v1`, hetznerClient: { pollInitialMs: 20, pollFactor: 1.5, pollMaxMs: 150, baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 } },
    backup: { download: { backoffMs: 50 }, sessionBackoffMs: 50 },
    upgrade: { sshWait: { initialDelayMs: 50, maxDelayMs: 200 } },
  });
}

let handlers: Handlers;

const changeTypeActions = () => hetzner.state.actions.filter((a) => a.command === 'change_server_type');
const target = { kind: 'phase', toPhase: 2 } as const;

beforeAll(async () => {
  host = await startDeployHost({ postgres: true });
  hetzner = await startHetznerFake({ shutdownLagPolls: 2, notStoppedAfterShutdown: 1, actionPolls: 4 });
  apiProxy = await startTcpProxy(Number(new URL(hetzner.url).port));
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-upgrade-'));
  secrets = new MemorySecretStore();
  handlers = handlersFor();
  // The server the app created in an earlier session: a CX22 in Falkenstein whose address is the test host.
  const server = hetzner.addServer({ name: 'koprogo-testhost', serverType: 'cx22', location: 'fsn1', ipv4: '127.0.0.1', labels: { 'managed-by': 'koprogo-deploy', 'koprogo-profile': PROFILE } });
  serverId = server.id;
  const base = host.profile();
  await call('profiles.save', { ...base, provider: { kind: 'hetzner', location: 'fsn1', serverType: 'cx22' }, settings: { ...base.settings, providerServerId: String(serverId), providerServerHost: '127.0.0.1' } });
  await call('server.importKey', { profileId: PROFILE, path: host.sshd.userKeyPath });
  await call('deploy.setEnv', { profileId: PROFILE, content: `DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\n` });
  await call('provider.saveCredentials', { kind: 'hetzner', token: hetzner.token });
  const deployed = next('deploy.finished');
  await call('deploy.start', { profileId: PROFILE });
  expect((await deployed).outcome).toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject);
}, 420_000);

afterAll(async () => {
  await apiProxy?.stop();
  await hetzner?.stop();
  await host?.stop();
}, 120_000);

describe('phase 1 → 2 on Hetzner', () => {
  let plan: UpgradePlan;
  let counts: Record<string, number>;

  it('plans it: every call and command, the cost change, the downtime, the disk kept small', async () => {
    plan = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target });
    expect(plan).toMatchObject({ kind: 'phase-1-2', route: 'hetzner-resize', fromPhase: 1, toPhase: 2, upgradeDisk: false, verify: 'server' });
    expect(plan.current).toMatchObject({ name: 'cx22', vcpu: 2, ramGb: 4, diskGb: 40, priceMonthly: { net: 3.79 } });
    expect(plan.target).toMatchObject({ name: 'cx32', vcpu: 4, ramGb: 8, diskGb: 80, priceMonthly: { net: 6.8 } });
    expect(plan.cost.deltaMonthly).toBe(3.01);
    expect(plan.disk).toEqual({ keptGb: 40, offeredGb: 80 });
    expect(plan.snapshot).toMatchObject({ available: true, chosen: true, maxCostMonthly: { net: 0.48, currency: 'EUR' } });
    expect(plan.downtime).toEqual({ minSec: 120, maxSec: 360 });
    expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'backup', 'snapshot', 'shutdown', 'change-type', 'poweron', 'wait-ssh', 'tuning', 'restart', 'health', 'record']);
    expect(plan.steps.find((s) => s.id === 'change-type')?.api).toEqual([{ method: 'POST', path: `/servers/${serverId}/actions/change_type`, body: JSON.stringify({ server_type: 'cx32', upgrade_disk: false }) }]);
    expect(plan.steps.filter((s) => s.downtime).map((s) => s.id)).toEqual(['shutdown', 'change-type', 'poweron', 'wait-ssh', 'tuning', 'restart', 'health']);
    const tuning = plan.steps.find((s) => s.id === 'tuning')!.remote[0]!.actions[0]!;
    expect(tuning.kind === 'file' && tuning.content).toContain('shared_buffers=1GB');
    expect(JSON.stringify(plan)).not.toContain(CANARY);
    // The other choice: enlarge the disk too, said to forbid a downgrade.
    const big = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options: { upgradeDisk: true } });
    expect(big.disk).toEqual({ keptGb: 80, offeredGb: 80 });
    expect(big.warnings.map((w) => w.code)).toContain('upgrade.warnings.noDowngrade');
    expect(big.planHash).not.toBe(plan.planHash);
  }, 120_000);

  it('a corrupted dump stops the upgrade before anything changes', async () => {
    await spoilPgDump(host.docker, host.composeProject, 'corrupt');
    try {
      const finished = next('upgrade.finished');
      await call('upgrade.start', { profileId: PROFILE, target, planHash: plan.planHash });
      const { run } = await finished;
      expect(run.outcome).toBe('failed');
      expect(run.error?.code).toBe('backup.dump_corrupt');
      expect(run.steps.find((s) => s.id === 'backup')?.state).toBe('failed');
      expect(run.steps.find((s) => s.id === 'shutdown')?.state).toBe('pending');
      expect(hetzner.requestCount({ method: 'POST', path: /\/actions\/shutdown$/ })).toBe(0);
      expect(hetzner.state.servers[0]).toMatchObject({ status: 'running' });
      expect(hetzner.state.servers[0]!.server_type.name).toBe('cx22');
      // Nothing was changed: the lock is given back and the deployment is still phase 1.
      expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
      expect((await call<{ phase: number }>('profiles.get', { id: PROFILE })).phase).toBe(1);
    } finally {
      await spoilPgDump(host.docker, host.composeProject, 'restore');
    }
  }, 300_000);

  it('a cut during the resize wait stops the run; a new app instance resumes it, and the server is resized once', async () => {
    counts = await tableCounts(host.docker, host.composeProject);
    // The cut: as soon as the change_type action is being waited for, the API stops answering.
    const cutting = next('upgrade.progress', (p) => p.message.code === 'upgrade.progress.changeType').then(() => {
      apiProxy.refuse(true);
      apiProxy.cutAll();
    });
    const failed = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, planHash: plan.planHash, fresh: true });
    await cutting;
    const first = (await failed).run;
    expect(first.outcome).toBe('failed');
    expect(first.steps.find((s) => s.id === 'change-type')?.state).toBe('failed');
    expect(changeTypeActions()).toHaveLength(1);
    // The 409 after the finished shutdown was answered once, and retried.
    expect(hetzner.state.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/change_type') && r.status === 409)).toHaveLength(1);
    const status = await call<{ run: UpgradeRun }>('upgrade.status', { profileId: PROFILE });
    expect(status.run.outcome).toBe('failed');

    // The network is back, the app restarted: the same plan resumes where it stopped.
    apiProxy.refuse(false);
    handlers = handlersFor();
    const again = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target });
    expect(again.planHash).toBe(plan.planHash);
    const done = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, planHash: plan.planHash });
    const run = (await done).run;
    expect(run.outcome, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.runId).toBe(first.runId);
    expect(run.steps.every((s) => s.state === 'done' || s.state === 'skipped')).toBe(true);

    // One resize, not two; graceful (no hard power-off); the disk kept small.
    expect(changeTypeActions()).toHaveLength(1);
    expect(hetzner.state.actions.filter((a) => a.command === 'shutdown_server')).toHaveLength(1);
    expect(hetzner.state.actions.filter((a) => a.command === 'stop_server')).toHaveLength(0);
    const server = hetzner.state.servers[0]!;
    expect(server.server_type.name).toBe('cx32');
    expect(server.disk).toBe(40);
    expect(server.status).toBe('running');
    expect(hetzner.state.images.filter((i) => i.labels['koprogo-profile'] === PROFILE)).toHaveLength(1);

    // Phase 2 tuning in effect, the data intact, the deployment saved as phase 2 on its new type.
    expect(readFileSync(join(host.root, 'opt', 'app', 'docker-compose.koprogo.yml'), 'utf8')).toContain('shared_buffers=1GB');
    expect((await hostPsql(host.docker, host.composeProject, 'SHOW shared_buffers')).trim()).toBe('1GB');
    const backend = await docker(host.docker.env, ['ps', '-q', '--filter', `label=com.docker.compose.project=${host.composeProject}`, '--filter', 'label=com.docker.compose.service=backend']);
    expect((await docker(host.docker.env, ['inspect', '--format', '{{.HostConfig.Memory}}', backend.stdout.trim()])).stdout.trim()).toBe(String(500 * 1024 * 1024));
    expect(await databaseContainer(host.docker, host.composeProject)).toMatch(/^[0-9a-f]+$/);
    expect(await tableCounts(host.docker, host.composeProject)).toEqual(counts);
    expect(await call('profiles.get', { id: PROFILE })).toMatchObject({ phase: 2, provider: { kind: 'hetzner', serverType: 'cx32' } });

    // Downtime measured; marks for the dashboard; the lock given back; the journal on the server too.
    expect(run.downtimeMs).toBeGreaterThan(0);
    expect(run.backupId).toMatch(/-upgrade-/);
    const { marks } = await call<{ marks: { kind: string; runId: string }[] }>('upgrade.timeline', { profileId: PROFILE, from: 0, to: Date.now() + 1000 });
    expect(marks.filter((m) => m.runId === run.runId).map((m) => m.kind)).toEqual(['start', 'down', 'failed', 'up', 'end']);
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
    expect(JSON.parse(readFileSync(join(host.root, 'state', 'upgrade-journal.json'), 'utf8'))).toMatchObject({ runId: run.runId, outcome: 'succeeded' });

    // Asking again: the deployment is phase 2 already.
    const e = await dispatch(handlers, 'upgrade.plan', { profileId: PROFILE, target });
    expect(e).toMatchObject({ ok: false, error: { code: 'upgrade.already_done' } });
    expect(JSON.stringify(events)).not.toContain(CANARY);
  }, 600_000);

  it('recognises the deployment from its server, as another computer would', async () => {
    const other = mkdtempSync(join(tmpdir(), 'koprogo-other-'));
    const h = createHandlers({ dataDir: other, appName: 'KoproGo Deploy', appVersion: '0', frontDoor: 'test', systemLanguages: () => ['en'], openExternal: null, secrets: new MemorySecretStore(), emit: () => undefined });
    const r = await dispatch(h, 'upgrade.recognize', { host: host.sshd.host, port: host.sshd.port, user: host.sshd.user, hostKeySha256: host.sshd.hostKeySha256, keyPath: host.sshd.userKeyPath, stateDir: join(host.root, 'state') });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.ok && r.value).toMatchObject({
      profileId: PROFILE,
      journal: { profileId: PROFILE, outcome: 'succeeded' },
      phase: 2,
      composeProject: host.composeProject,
      composeFiles: ['docker-compose.yml', 'docker-compose.prod.yml'],
      checkout: join(host.root, 'opt', 'app'),
      repo: { url: host.repo.url, ref: 'v1.0.0' },
      deployUser: host.deployUser,
      postgres: { service: 'postgres', user: 'koprogo', database: 'koprogo_db' },
      saved: true,
    });
    const saved = await dispatch(h, 'profiles.get', { id: PROFILE });
    expect(saved).toMatchObject({ ok: true, value: { phase: 2, server: { host: host.sshd.host, hostKeySha256: host.sshd.hostKeySha256 }, settings: { composeProject: host.composeProject, 'postgres.service': 'postgres' } } });
    // Recognised well enough to back it up from there.
    const list = await dispatch(h, 'backup.list', { profileId: PROFILE });
    expect(list.ok && (list.value as { backups: { reason: string }[] }).backups.some((b) => b.reason === 'upgrade')).toBe(true);
  }, 120_000);
});
