import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { composeContainers, startDeployHost, startSshd, startTcpProxy, type DeployHost, type TcpProxy } from '../testing';
import { DeployService, secretName } from './deploy-service';
import { readableEd25519 } from '../ssh/keys';

// Fault injection: the SSH connection is cut after every step and in the middle of a long one; the
// deployment resumes each time and ends exactly as an uninterrupted one, applying nothing twice.
// Then every way of failing to reach the server: a typed error, and nothing changed on the server.

const ENV = 'DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=CANARY-faults-9d2e\n';

let host: DeployHost;
let proxy: TcpProxy;
let dataDir: string;
let profiles: ProfileStore;
let secrets: MemorySecretStore;
let service: DeployService;
let onEvent: (event: EventName, payload: unknown) => void = () => undefined;

beforeAll(async () => {
  host = await startDeployHost();
  proxy = await startTcpProxy(host.sshd.port);
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-faults-'));
  profiles = new ProfileStore(dataDir);
  secrets = new MemorySecretStore();
  service = new DeployService({
    dataDir,
    profiles,
    secrets,
    log: new Logger(join(dataDir, 'app.log')),
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => onEvent(event, payload),
    connectOptions: { keepaliveIntervalMs: 500, keepaliveCountMax: 2, readyTimeoutMs: 5000 },
  });
  const base = host.profile();
  await profiles.save({ ...base, server: { ...base.server!, port: proxy.port } });
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.env), ENV);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await host?.stop();
}, 60_000);

describe('a deployment cut at every step boundary and inside a long step', () => {
  it('resumes each time and ends as an uninterrupted run, applying nothing twice', async () => {
    const cutAfter = new Set<string>();
    let cutInside = false;
    onEvent = (event, payload) => {
      if (event !== 'deploy.step') return;
      const p = payload as { stepId: string; state: string };
      // In the middle of the long compose-up job (detached on the server): cut once while it runs.
      if (p.stepId === 'compose-up' && p.state === 'running' && !cutInside) {
        cutInside = true;
        setTimeout(() => proxy.cutAll(), 150);
      }
      // At each step boundary: cut once right after the step finished.
      if ((p.state === 'done' || p.state === 'skipped') && !cutAfter.has(p.stepId)) {
        cutAfter.add(p.stepId);
        proxy.cutAll();
      }
    };
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      const result = await service.runToEnd('testhost');
      outcomes.push(result?.error?.code ?? result?.outcome ?? 'none');
      if (result?.outcome === 'succeeded') break;
      expect(result?.error?.code).toBe('ssh.disconnected');
    }
    onEvent = () => undefined;
    // (outcomes kept for the failure message)
    expect(outcomes.at(-1)).toBe('succeeded');
    expect(cutInside).toBe(true);
    expect(cutAfter.size).toBe(13);
    expect(outcomes.filter((o) => o === 'ssh.disconnected').length).toBeGreaterThanOrEqual(13);

    // Same end state as an uninterrupted run.
    const checkout = join(host.root, 'opt', 'app');
    expect(readFileSync(join(checkout, '.env'), 'utf8')).toBe(ENV);
    expect(readFileSync(join(checkout, 'VERSION'), 'utf8').trim()).toBe('1.0.0');
    expect(await (await fetch(host.repo.healthUrl)).text()).toBe('ok\n');
    expect(await composeContainers(host.docker.env, host.composeProject)).toHaveLength(1);
    const journal = JSON.parse(readFileSync(join(host.root, 'state', 'journal.json'), 'utf8'));
    expect(journal.outcome).toBe('succeeded');
    expect(Object.values(journal.steps).every((s) => ['done', 'skipped'].includes((s as { state: string }).state))).toBe(true);
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);

    // Nothing applied twice: one detached job per long step, one call per system change.
    const jobs = readdirSync(join(host.root, 'state', 'runs'));
    expect(jobs.filter((j) => j.includes('-compose-up-'))).toHaveLength(1);
    expect(jobs.filter((j) => j.includes('-repository-'))).toHaveLength(1);
    const calls = readFileSync(host.shims.callsFile, 'utf8').split('\n');
    expect(calls.filter((c) => c.startsWith('timedatectl set-timezone'))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('hostnamectl set-hostname'))).toHaveLength(1);
    expect(calls.filter((c) => c === 'ufw --force enable')).toHaveLength(1);
    const creates = readFileSync(join(dataDir, 'app.log'), 'utf8').match(/\[compose-up\] Creating \S+_backend_1 \.\.\. done/g) ?? [];
    expect(creates).toHaveLength(1);
  }, 300_000);
});

describe('cancel', () => {
  it('stops the long step on the server, releases the lock, and a later run finishes the job', async () => {
    // A new .env: the env file and the compose services must be applied again.
    const newEnv = `${ENV}EXTRA=after-cancel\n`;
    await secrets.set(secretName('testhost', DEPLOY_SECRETS.env), newEnv);
    const states: string[] = [];
    onEvent = (event, payload) => {
      if (event !== 'deploy.step') return;
      const p = payload as { stepId: string; state: string };
      states.push(`${p.stepId}:${p.state}`);
      // The second 'running' event of the step comes with its job id, just before the job starts.
      if (p.stepId === 'compose-up' && p.state === 'running' && states.filter((x) => x === 'compose-up:running').length === 2) service.cancel();
    };
    const cancelled = await service.runToEnd('testhost');
    onEvent = () => undefined;
    expect(cancelled?.error?.toEnvelope() ?? null).toMatchObject({ code: 'deploy.cancelled' });
    expect(cancelled?.outcome).toBe('cancelled');
    expect(cancelled?.error?.code).toBe('deploy.cancelled');
    expect(states).toContain('compose-up:cancelled');
    expect(existsSync(join(host.root, 'state', 'lock'))).toBe(false);
    const journal = JSON.parse(readFileSync(join(host.root, 'state', 'journal.json'), 'utf8'));
    expect(journal.outcome).toBe('cancelled');

    // The cancelled job was stopped on the server: Compose was interrupted before its container was up
    // (it was started a moment before the cancel; creating a container takes it about a second).
    const jobs = readdirSync(join(host.root, 'state', 'runs')).filter((j) => j.startsWith(`${cancelled!.runId}-compose-up-`));
    expect(jobs).toHaveLength(1);
    expect(readFileSync(join(host.root, 'state', 'runs', jobs[0]!, 'log'), 'utf8')).not.toMatch(/_backend_1 \.\.\. done/);

    const resumed = await service.runToEnd('testhost');
    expect(resumed?.outcome).toBe('succeeded');
    // The retry started its own job (next attempt) rather than waiting on the stopped one.
    expect(readdirSync(join(host.root, 'state', 'runs')).filter((j) => j.startsWith(`${cancelled!.runId}-compose-up-`))).toHaveLength(2);
    expect(readFileSync(join(host.root, 'opt', 'app', '.env'), 'utf8')).toBe(newEnv);
    expect(await (await fetch(host.repo.healthUrl)).text()).toBe('ok\n');
  }, 120_000);
});

describe('failing to reach the server changes nothing', () => {
  const stateDir = () => join(host.root, 'state-untouched');

  async function attempt(profileOverrides: Record<string, unknown>, key?: string) {
    const base = host.profile();
    await profiles.save({ ...base, id: 'broken', ...profileOverrides, settings: { ...base.settings, 'layout.stateDir': stateDir() } });
    await secrets.set(secretName('broken', DEPLOY_SECRETS.sshKey), key ?? host.sshd.userPrivateKey);
    await secrets.set(secretName('broken', DEPLOY_SECRETS.env), ENV);
    const result = await service.runToEnd('broken');
    expect(result?.outcome).toBe('failed');
    expect(existsSync(stateDir())).toBe(false);
    return result!.error!;
  }

  it('a changed host key stops before any command', async () => {
    const base = host.profile();
    const e = await attempt({ server: { ...base.server!, hostKeySha256: 'SHA256:0000000000000000000000000000000000000000000' } });
    expect(e.code).toBe('ssh.host_key_mismatch');
    expect(e.params.got).toBe(host.sshd.hostKeySha256);
  });

  it('wrong key, wrong user, closed port: each its own error', async () => {
    const base = host.profile();
    expect((await attempt({}, readableEd25519().private)).code).toBe('ssh.auth_failed');
    expect((await attempt({ server: { ...base.server!, user: 'nosuchuser' } })).code).toBe('ssh.auth_failed');
    expect((await attempt({ server: { ...base.server!, port: 1 } })).code).toBe('ssh.connection_refused');
  });

  it('a user without sudo is refused before anything changes', async () => {
    const nosudo = await startSshd({ sudo: 'none' });
    try {
      const e = await attempt(
        { server: { host: nosudo.host, port: nosudo.port, user: nosudo.user, hostKeySha256: nosudo.hostKeySha256 } },
        nosudo.userPrivateKey,
      );
      expect(e.code).toBe('ssh.sudo_missing');
      expect(e.params.user).toBe(nosudo.user);
    } finally {
      await nosudo.stop();
    }
  }, 60_000);
});
