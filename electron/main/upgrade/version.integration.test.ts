import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpgradePlan, UpgradeRun } from '../../shared/contract-upgrade';
import { dispatch } from '../ipc/dispatcher';
import { MemorySecretStore } from '../secrets/secret-store';
import { createHandlers, type Handlers } from '../services/handlers';
import { contractCalls } from '../testing/contract-calls';
import { addRelease, docker, headOf as checkoutHead, startDeployHost, type DeployHost, type ReleaseFiles } from '../testing';
import { seedFixtureData, tableCounts } from '../testing/fixture-data';
import { VERSION_STEPS } from './version-steps';

// The version update on the test host (real sshd, Docker, Compose v1, PostgreSQL): deployed at v1.0.0, the
// repository then gets v1.1.0 (its backend never becomes healthy; its env example adds MAIL_API_KEY and drops
// ACME_EMAIL) and v1.2.0 (healthy; adds MAIL_API_KEY and LOG_LEVEL). The update to v1.1.0 rolls back by itself:
// the deployment's files, `.env` and containers are compared with what they were before. The update to v1.2.0
// then succeeds and is recorded.

const CANARY = 'CANARY-ver-9c1d-secret';
const MAIL_KEY = 'CANARY-mail-5e2a-key';
const PROFILE = 'testhost';
let host: DeployHost;
let dataDir: string;
let handlers: Handlers;
const { events, emit, call, next } = contractCalls(() => handlers);
const commits: Record<string, string> = {};

/** Adds a release to the fixture repository: v1.0.0's files changed by `edit`, tagged `tag`. */
async function release(tag: string, edit: (files: ReleaseFiles) => ReleaseFiles): Promise<void> {
  commits[tag] = await addRelease(host.repo.url, tag, edit);
}

/** Every file under the checkout (`.git`, `.env` and the override included): path → type, mode, owner, content hash. */
function files(dir: string, base = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const rel = p.slice(base.length + 1);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(p)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${meta}`;
      files(p, base, out);
    } else out[rel] = `file ${meta} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  }
  return out;
}

interface ContainerView {
  id: string;
  image: string;
  configHash: string;
  status: string;
}

/** The project's containers by service: id, image id, Compose's config hash, state. */
async function containers(): Promise<Record<string, ContainerView>> {
  const ids = (await docker(host.docker.env, ['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${host.composeProject}`])).stdout.split('\n').filter(Boolean);
  const out: Record<string, ContainerView> = {};
  for (const id of ids) {
    const r = await docker(host.docker.env, ['inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}} {{.Id}} {{.Image}} {{index .Config.Labels "com.docker.compose.config-hash"}} {{.State.Status}}', id]);
    const [service, cid, image, configHash, status] = r.stdout.trim().split(' ');
    out[service!] = { id: cid!, image: image!, configHash: configHash!, status: status! };
  }
  return out;
}

const checkout = () => join(host.root, 'opt', 'app');
const headOf = () => checkoutHead(checkout());
const healthy = async () => (await fetch(host.repo.healthUrl).then((r) => r.status).catch(() => 0)) === 200;

const secrets = new MemorySecretStore();
function handlersFor(upgrade?: Parameters<typeof createHandlers>[0]['upgrade']): Handlers {
  return createHandlers({
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '0.0.0-test',
    frontDoor: 'test',
    systemLanguages: () => ['en'],
    openExternal: null,
    secrets,
    emit,
    backup: { download: { backoffMs: 50 }, sessionBackoffMs: 50 },
    ...(upgrade ? { upgrade } : {}),
  });
}

beforeAll(async () => {
  host = await startDeployHost({ postgres: true });
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-version-'));
  handlers = handlersFor();
  const base = host.profile();
  await call('profiles.save', { ...base, settings: { ...base.settings, healthTimeoutSec: '30' } });
  await call('server.importKey', { profileId: PROFILE, path: host.sshd.userKeyPath });
  await call('deploy.setEnv', { profileId: PROFILE, content: `DOMAIN=koprogo.example\nACME_EMAIL=admin@koprogo.example\nPOSTGRES_PASSWORD=${CANARY}\nJWT_SECRET=${CANARY}-jwt\n` });
  const deployed = next('deploy.finished');
  await call('deploy.start', { profileId: PROFILE });
  expect((await deployed).outcome).toBe('succeeded');
  await seedFixtureData(host.docker, host.composeProject);
  // v1.1.0: the backend serves no /health (its healthcheck fails); the example adds a key and drops one.
  await release('v1.1.0', ({ compose, example }) => ({
    compose: compose.replace('mkdir -p /www && echo ok > /www/health && ', 'mkdir -p /www && ').replace('retries: 30', 'retries: 3'),
    example: `${example.replace(/# E-mail address for Let's Encrypt certificates\nACME_EMAIL=.*\n/, '')}\n# API key of the mail provider\nMAIL_API_KEY=CHANGE_THIS_KEY\n`,
  }));
  // v1.2.0: healthy (the backend's command changes, so Compose recreates it); two new keys, one with a default.
  await release('v1.2.0', ({ compose, example }) => ({
    compose: compose.replace('echo ok > /www/health && ', 'echo ok > /www/health && echo 1.2.0 > /www/version && '),
    example: `${example}\n# API key of the mail provider\nMAIL_API_KEY=CHANGE_THIS_KEY\n# Log level\nLOG_LEVEL=info\n`,
  }));
}, 600_000);

afterAll(async () => {
  await host?.stop();
}, 120_000);

describe('version update (phases 1–2)', () => {
  it('lists the versions the repository has, newest first', async () => {
    const v = await call<{ current: string; commit: string; refs: { name: string; kind: string; commit: string }[] }>('upgrade.versions', { profileId: PROFILE });
    expect(v.current).toBe('v1.0.0');
    expect(v.commit).toBe(host.repo.commits.tag);
    expect(v.refs.filter((r) => r.kind === 'tag').map((r) => r.name)).toEqual(['v1.2.0', 'v1.1.0', 'v1.0.0']);
    expect(v.refs.find((r) => r.name === 'v1.1.0')?.commit).toBe(commits['v1.1.0']);
    expect(v.refs.find((r) => r.kind === 'branch')).toMatchObject({ name: 'main', commit: host.repo.commits.head });
  }, 120_000);

  it('a version update that fails health rolls back to exactly the previous files, .env and containers (compared)', async () => {
    const target = { kind: 'version', ref: 'v1.1.0' } as const;
    const plan = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target });
    expect(plan).toMatchObject({ kind: 'version', route: 'in-place', fromPhase: 1, toPhase: 1, cost: { deltaMonthly: 0 } });
    expect(plan.version).toMatchObject({ from: { ref: 'v1.0.0', commit: host.repo.commits.tag }, to: { ref: 'v1.1.0', commit: commits['v1.1.0'] }, envExample: '.env.vps.example', removed: ['ACME_EMAIL'], restoreDatabase: false });
    expect(plan.version?.added).toEqual([expect.objectContaining({ key: 'MAIL_API_KEY', example: '', missing: true, secret: true })]);
    expect(plan.steps.map((s) => s.id)).toEqual([...VERSION_STEPS]);
    expect(plan.steps.filter((s) => s.downtime).map((s) => s.id)).toEqual(['restart', 'health', 'rollback']);
    expect(plan.downtime.maxSec).toBeGreaterThanOrEqual(30);
    expect(plan.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['upgrade.warnings.envMissing', 'upgrade.warnings.envRemoved']));
    // No value for the new key: refused before anything changes.
    const refused = await dispatch(handlers, 'upgrade.start', { profileId: PROFILE, target, planHash: plan.planHash });
    expect(refused).toMatchObject({ ok: false, error: { code: 'upgrade.env_missing', params: { keys: 'MAIL_API_KEY' } } });

    const options = { env: { MAIL_API_KEY: MAIL_KEY } };
    const filled = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(filled.version?.added[0]?.missing).toBe(false);
    expect(JSON.stringify(filled)).not.toContain(MAIL_KEY);
    expect(JSON.stringify(filled)).not.toContain(CANARY);

    const before = { files: files(checkout()), env: readFileSync(join(checkout(), '.env'), 'utf8'), containers: await containers(), counts: await tableCounts(host.docker, host.composeProject), head: await headOf() };
    expect(Object.keys(before.containers).sort()).toEqual(['backend', 'postgres']);
    expect(before.head).toBe(host.repo.commits.tag);

    const finished = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: filled.planHash });
    const run = (await finished).run;
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatchObject({ code: 'upgrade.rolled_back', params: { ref: 'v1.1.0', services: 'backend' } });
    expect(run.ref).toBe('v1.1.0');
    expect(run.rollback).toMatchObject({ state: 'rolled-back', services: 'backend', databaseRestored: false });
    expect(run.rollback?.logs.map((l) => l.service)).toEqual(['backend']);
    const state = Object.fromEntries(run.steps.map((s) => [s.id, s.state]));
    expect(state).toMatchObject({ preflight: 'done', backup: 'done', 'keep-previous': 'done', checkout: 'done', 'env-update': 'done', pull: 'skipped', restart: 'done', health: 'failed', rollback: 'done', record: 'pending' });

    // Exactly as before: every file of the checkout (.git, .env, override), the containers' images and
    // definitions; the database container, which the new version did not change, is the same container.
    const after = { files: files(checkout()), env: readFileSync(join(checkout(), '.env'), 'utf8'), containers: await containers(), counts: await tableCounts(host.docker, host.composeProject), head: await headOf() };
    expect(after.head).toBe(before.head);
    expect(after.env).toBe(before.env);
    expect(after.env).not.toContain('MAIL_API_KEY');
    expect(after.files).toEqual(before.files);
    const strip = (c: Record<string, ContainerView>) => Object.fromEntries(Object.entries(c).map(([s, v]) => [s, { image: v.image, configHash: v.configHash, status: v.status }]));
    expect(strip(after.containers)).toEqual(strip(before.containers));
    expect(after.containers.postgres!.id).toBe(before.containers.postgres!.id);
    // The backend was recreated twice (by v1.1.0, then by the roll back): a new container of the same image and definition.
    expect(after.containers.backend!.id).not.toBe(before.containers.backend!.id);
    expect(after.counts).toEqual(before.counts);
    expect(await healthy()).toBe(true);

    // Not recorded; the lock given back; marked on the timeline; no secret in any event.
    expect(await call('profiles.get', { id: PROFILE })).toMatchObject({ repo: { ref: 'v1.0.0' } });
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
    const { marks } = await call<{ marks: { kind: string; runId: string; ref?: string }[] }>('upgrade.timeline', { profileId: PROFILE, from: 0, to: Date.now() + 1000 });
    expect(marks.filter((m) => m.runId === run.runId).map((m) => m.kind)).toEqual(['start', 'down', 'failed', 'rolledback']);
    expect(marks.find((m) => m.kind === 'rolledback')?.ref).toBe('v1.1.0');
    expect(JSON.stringify(events)).not.toContain(MAIL_KEY);
    expect(JSON.stringify(events)).not.toContain(CANARY);
    // A rolled-back run is not resumed: planning again makes a new plan.
    const again = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(again.planHash).toBe(filled.planHash);
  }, 900_000);

  it('a version update that becomes healthy is recorded: the new ref, the new .env', async () => {
    const target = { kind: 'version', ref: 'v1.2.0' } as const;
    const options = { env: { MAIL_API_KEY: MAIL_KEY } };
    const plan = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    expect(plan.version?.added.map((a) => [a.key, a.example, a.missing])).toEqual([
      ['MAIL_API_KEY', '', false],
      ['LOG_LEVEL', 'info', false],
    ]);
    expect(plan.version?.removed).toEqual([]);
    const before = await containers();
    const finished = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: plan.planHash });
    const run = (await finished).run;
    expect(run.outcome, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.rollback).toBeNull();
    expect(run.steps.find((s) => s.id === 'rollback')?.state).toBe('skipped');
    expect(await headOf()).toBe(commits['v1.2.0']);
    const env = readFileSync(join(checkout(), '.env'), 'utf8');
    expect(env).toContain(`POSTGRES_PASSWORD=${CANARY}`);
    expect(env).toMatch(new RegExp(`^MAIL_API_KEY='?${MAIL_KEY}'?$`, 'm'));
    expect(env).toMatch(/^LOG_LEVEL='?info'?$/m);
    const now = await containers();
    expect(now.backend!.id).not.toBe(before.backend!.id);
    expect(now.backend!.status).toBe('running');
    expect(await fetch(host.repo.healthUrl.replace('/health', '/version')).then((r) => r.text())).toBe('1.2.0\n');
    expect(await call('profiles.get', { id: PROFILE })).toMatchObject({ repo: { ref: 'v1.2.0' } });
    const { marks } = await call<{ marks: { kind: string; runId: string }[] }>('upgrade.timeline', { profileId: PROFILE, from: 0, to: Date.now() + 1000 });
    expect(marks.filter((m) => m.runId === run.runId).map((m) => m.kind)).toEqual(['start', 'down', 'up', 'end']);
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
    // The new .env is the profile's now: the next plan finds no new key, and a redeploy keeps it.
    const next2 = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target });
    expect(next2.version?.added).toEqual([]);
    expect(next2.warnings.map((w) => w.code)).toContain('upgrade.warnings.sameVersion');
    expect(JSON.stringify(events)).not.toContain(MAIL_KEY);
    const status = await call<{ run: UpgradeRun }>('upgrade.status', { profileId: PROFILE });
    expect(status.run.ref).toBe('v1.2.0');
  }, 900_000);

  it('a repository the server cannot reach is named as such, for the picker and the plan; nothing changes', async () => {
    const head = await headOf();
    renameSync(host.repo.path, `${host.repo.path}.away`);
    try {
      const list = await dispatch(handlers, 'upgrade.versions', { profileId: PROFILE });
      expect(list).toMatchObject({ ok: false, error: { code: 'upgrade.repo_unreachable', params: { url: host.repo.url } } });
      const plan = await dispatch(handlers, 'upgrade.plan', { profileId: PROFILE, target: { kind: 'version', ref: 'v1.1.0' } });
      expect(plan).toMatchObject({ ok: false, error: { code: 'upgrade.repo_unreachable' } });
    } finally {
      renameSync(`${host.repo.path}.away`, host.repo.path);
    }
    expect(await headOf()).toBe(head);
    expect((await call<{ refs: unknown[] }>('upgrade.versions', { profileId: PROFILE })).refs.length).toBeGreaterThan(0);
  }, 300_000);

  // Last: it leaves the server as another computer's run would find it.
  it('an update whose lock another computer takes over stops in the middle of its step: nothing rolled back under it, its journal kept', async () => {
    handlers = handlersFor({ lock: { heartbeatMs: 100 } });
    const target = { kind: 'version', ref: 'v1.1.0' } as const;
    const options = { env: { MAIL_API_KEY: MAIL_KEY } };
    const plan = await call<UpgradePlan>('upgrade.plan', { profileId: PROFILE, target, options });
    const lockDir = join(host.root, 'state', 'lock');
    const successorJournal = join(host.root, 'state', 'upgrade-journal.json');
    // While the new version's health is awaited (v1.1.0 never gets healthy), the desktop takes the lock over:
    // the files its own run writes on the server (engine/remote.ts's lock), and its journal.
    const takenOver = next('upgrade.step', (e) => e.stepId === 'health' && e.state === 'running').then(() => {
      rmSync(lockDir, { recursive: true, force: true });
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner.json'), JSON.stringify({ runId: 'successor', lockId: 'successor-lock', owner: 'bob', machine: 'desktop', machineId: 'mb', since: new Date().toISOString() }));
      writeFileSync(join(lockDir, 'heartbeat'), '');
      writeFileSync(successorJournal, '{"successor":true}\n');
    });
    const finished = next('upgrade.finished');
    await call('upgrade.start', { profileId: PROFILE, target, options, planHash: plan.planHash });
    await takenOver;
    const run = (await finished).run;
    expect(run.outcome).toBe('failed');
    expect(run.error).toMatchObject({ code: 'deploy.lock_lost', params: { runId: run.runId } });
    const state = Object.fromEntries(run.steps.map((s) => [s.id, s.state]));
    // Stopped in the health wait (not at its end, whose failure would have rolled back): no roll back, no record.
    expect(state).toMatchObject({ restart: 'done', health: 'failed', rollback: 'pending', record: 'pending' });
    expect(run.rollback).toBeNull();
    expect(JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8')).lockId).toBe('successor-lock');
    expect(readFileSync(successorJournal, 'utf8')).toBe('{"successor":true}\n');
    expect(await call('profiles.get', { id: PROFILE })).toMatchObject({ repo: { ref: 'v1.2.0' } });
    expect(JSON.stringify(events)).not.toContain(MAIL_KEY);
    rmSync(lockDir, { recursive: true, force: true });
  }, 600_000);
});
