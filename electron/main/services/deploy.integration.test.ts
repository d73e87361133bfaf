import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { composeContainers, run, startDeployHost, type DeployHost } from '../testing';
import { DeployService, secretName } from './deploy-service';

// The whole phase-1 path on a real test server: sshd + sudo, Docker engine, Compose, the fixture
// repository. plan → run → healthy, then a re-run that only checks.

const CANARY = 'CANARY-7f3a-secret';
// Every kind of character that could break a shell or a Compose env file.
const NASTY = `p@ss "w'rd" $HOME \`id\` $(id) ; é✓ \\ end`;
const ENV = [
  '# KoproGo environment',
  'DOMAIN=koprogo.example',
  `POSTGRES_PASSWORD=${CANARY}`,
  `JWT_SECRET='${NASTY.replace(/'/g, '')}'`,
  '',
].join('\n');

let host: DeployHost;
let dataDir: string;
let service: DeployService;
let profiles: ProfileStore;
let logFile: string;
const events: { event: EventName; payload: unknown }[] = [];

beforeAll(async () => {
  host = await startDeployHost();
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-deploy-'));
  profiles = new ProfileStore(dataDir);
  const secrets = new MemorySecretStore();
  logFile = join(dataDir, 'logs', 'app.log');
  service = new DeployService({
    dataDir,
    profiles,
    secrets,
    log: new Logger(logFile),
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void events.push({ event, payload }),
  });
  // The public domain is `localhost` here: it resolves to the test server, so the check from this
  // computer sees DNS ready and the endpoint answering.
  const base = host.profile();
  await profiles.save({ ...base, settings: { ...base.settings, publicHealthUrl: host.repo.healthUrl.replace('127.0.0.1', 'localhost') } });
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.env), ENV);
}, 120_000);

afterAll(async () => {
  await host?.stop();
}, 60_000);

describe('phase 1 deployment on a real test server', () => {
  it('checks the server before anything changes', async () => {
    const check = await service.checkServer('testhost');
    expect(check.privilege).toBe('sudo');
    expect(check.memoryMb).toBeGreaterThan(100);
  });

  it('shows a plan with every command and file, secrets masked', async () => {
    const plan = await service.plan('testhost');
    expect(plan.map((s) => s.stepId)).toEqual([
      'wait-ready', 'timezone', 'hostname', 'docker', 'deploy-user', 'firewall', 'fail2ban', 'unattended-upgrades',
      'repository', 'env-file', 'compose-up', 'health', 'monitoring-cron',
    ]);
    const text = JSON.stringify(plan);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('p@ss');
    const env = plan.find((s) => s.stepId === 'env-file')!.actions[0]!;
    expect(env).toMatchObject({ kind: 'file', secret: true, mode: '0600' });
    expect(env.kind === 'file' && env.content).toContain('POSTGRES_PASSWORD=••••••');
  });

  it('deploys: every step runs, the app is healthy, .env is literal and private', async () => {
    const result = await service.runToEnd('testhost');
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    expect(result?.outcome).toBe('succeeded');

    const checkout = join(host.root, 'opt', 'app');
    expect(readFileSync(join(checkout, 'VERSION'), 'utf8').trim()).toBe('1.0.0');
    const envPath = join(checkout, '.env');
    expect(readFileSync(envPath, 'utf8')).toBe(ENV);
    expect((statSync(envPath).mode & 0o777).toString(8)).toBe('600');
    const owner = (await run('stat', ['-c', '%U', envPath])).stdout.trim();
    expect(owner).toBe(host.deployUser);

    const containers = await composeContainers(host.docker.env, host.composeProject);
    expect(containers.length).toBeGreaterThan(0);
    const health = await fetch(host.repo.healthUrl);
    expect(await health.text()).toBe('ok\n');
    // Compose read the .env: DOMAIN reached the container.
    const inspect = await run('docker', ['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', containers[0]!], { env: { ...process.env, ...host.docker.env } });
    expect(inspect.stdout).toContain('DOMAIN=koprogo.example');

    expect(readFileSync(join(host.shims.stateDir, 'timezone'), 'utf8').trim()).toBe('Europe/Brussels');
    expect(readFileSync(join(host.root, 'hosts'), 'utf8')).toContain('127.0.1.1 kgtest');
    expect(readFileSync(join(host.shims.stateDir, 'ufw-rules'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[0]).sort()).toEqual([`${host.sshd.port}/tcp`, '443/tcp', '80/tcp'].sort());
    expect(readdirSync(join(host.root, 'cron.d'))).toEqual(['koprogo-monitoring']);
    expect((await run('id', ['-nG', host.deployUser])).stdout).toContain('docker');

    const finished = events.find((e) => e.event === 'deploy.finished')?.payload as EventPayload<'deploy.finished'>;
    expect(finished.publicHealth).toMatchObject({ status: 'ok', httpStatus: 200 });

    // Secrets appear nowhere: not in the log file, the events, the local or the server journal.
    const journalLocal = readFileSync(join(dataDir, 'journals', 'testhost.json'), 'utf8');
    const journalRemote = readFileSync(join(host.root, 'state', 'journal.json'), 'utf8');
    for (const text of [readFileSync(logFile, 'utf8'), JSON.stringify(events), journalLocal, journalRemote]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain('p@ss');
    }
    expect(JSON.parse(journalRemote).outcome).toBe('succeeded');
    // The lock is released.
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
  }, 240_000);

  it('a re-run changes nothing: every step is checked and skipped', async () => {
    events.length = 0;
    const before = readdirSync(join(host.root, 'state', 'runs')).length;
    const result = await service.runToEnd('testhost');
    expect(result?.outcome).toBe('succeeded');
    const steps = events.filter((e) => e.event === 'deploy.step').map((e) => e.payload as { stepId: string; state: string });
    // Only the preflight (wait for cloud-init and the package lock, check the OS) runs every time.
    expect(steps.filter((s) => s.state === 'running').map((s) => s.stepId)).toEqual(['wait-ready']);
    expect(steps.filter((s) => s.state === 'skipped')).toHaveLength(12);
    expect(readdirSync(join(host.root, 'state', 'runs')).length).toBe(before);
    expect(result!.roundTrips).toBeLessThan(40);
  }, 120_000);

  it('switches to a private repository over SSH with a read-only deploy key, and to another ref', async () => {
    const { publicKey } = await service.generateRepoKey('testhost');
    // The Git host here is the test server's own sshd: authorize the deploy key for its user.
    const config = readFileSync(host.sshd.configPath, 'utf8');
    const keysFile = /^AuthorizedKeysFile\s+(\S+)$/m.exec(config)![1]!.replace('%u', host.sshd.user);
    appendFileSync(keysFile, `${publicKey}\n`);
    const profile = await profiles.get('testhost');
    await profiles.save({
      ...profile,
      repo: { url: `ssh://${host.sshd.user}@127.0.0.1:${host.sshd.port}${host.repo.path}`, ref: 'main' },
      settings: { ...profile.settings, 'repo.knownHosts': `[127.0.0.1]:${host.sshd.port} ${host.sshd.hostPublicKey}` },
    });
    const plan = await service.plan('testhost');
    expect(plan.map((p) => p.stepId)).toContain('repository-key');
    expect(JSON.stringify(plan)).not.toContain('OPENSSH PRIVATE KEY');
    events.length = 0;
    const result = await service.runToEnd('testhost');
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    expect(readFileSync(join(host.root, 'opt', 'app', 'VERSION'), 'utf8').trim()).toBe('1.1.0-dev');
    const keyPath = join(host.root, 'opt', 'keys', 'app.key');
    expect((statSync(keyPath).mode & 0o777).toString(8)).toBe('600');
    expect((await run('stat', ['-c', '%U', keyPath])).stdout.trim()).toBe(host.deployUser);
    expect(readFileSync(logFile, 'utf8')).not.toContain('OPENSSH PRIVATE KEY');
    expect(JSON.stringify(events)).not.toContain('OPENSSH PRIVATE KEY');
  }, 120_000);

  it('a second run while one holds the lock is refused, naming the holder', async () => {
    const lockDir = join(host.root, 'state', 'lock');
    await run('sh', ['-c', `mkdir ${lockDir} && printf '%s' '{"runId":"other-run","owner":"alice","machine":"laptop-2","since":"2026-11-26T09:00:00.000Z"}' > ${lockDir}/owner.json`]);
    const result = await service.runToEnd('testhost');
    expect(result?.outcome).toBe('failed');
    expect(result?.error?.code).toBe('deploy.locked');
    expect(result?.error?.params).toMatchObject({ owner: 'alice', machine: 'laptop-2', since: '2026-11-26T09:00:00.000Z' });
    await service.breakLock('testhost');
    expect(existsSync(lockDir)).toBe(false);
  }, 60_000);
});
