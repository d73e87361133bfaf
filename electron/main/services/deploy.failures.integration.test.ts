import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { startDeployHost, type DeployHost } from '../testing';
import { DeployService, secretName } from './deploy-service';

// Known failures produced for real on the test host, each recognised from the output and typed with its
// own remedy: systemd's tools without systemd (the stand-ins removed, the real timedatectl runs), the
// apt lock held by another process (a real flock; apt-get is a stand-in that takes the same lock),
// the backend's published port taken by another listener (real Docker, real bind error). The run
// record keeps the error and the log, so a new service (a restart of the app) still says why.

const ENV = 'DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=CANARY-fail-77ab\n';
let host: DeployHost;
let dataDir: string;
let profiles: ProfileStore;
let secrets: MemorySecretStore;
const finished: EventPayload<'deploy.finished'>[] = [];

const service = () =>
  new DeployService({
    dataDir,
    profiles,
    secrets,
    log: new Logger(join(dataDir, 'app.log')),
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
      if (event === 'deploy.finished') finished.push(payload as EventPayload<'deploy.finished'>);
    },
  });

beforeAll(async () => {
  host = await startDeployHost();
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-failures-'));
  profiles = new ProfileStore(dataDir);
  secrets = new MemorySecretStore();
  await profiles.save(host.profile());
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
  await secrets.set(secretName('testhost', DEPLOY_SECRETS.env), ENV);
}, 120_000);

afterAll(async () => {
  await host?.stop();
}, 60_000);

describe('known failures on the test host', () => {
  it('no systemd: the time zone step fails with the real systemd message, typed deploy.no_systemd', async () => {
    host.shims.removeSystemd();
    try {
      const result = await service().runToEnd('testhost');
      expect(result?.outcome).toBe('failed');
      expect(result?.failedStep).toBe('timezone');
      expect(result?.error?.code).toBe('deploy.no_systemd');
      expect(result?.error?.params.step).toBe('timezone');
    } finally {
      host.shims.restoreSystemd();
    }
    // A restart of the app: a new service reads the record, with the error and the real output.
    const status = await service().status('testhost');
    expect(status.outcome).toBe('failed');
    expect(status.error?.code).toBe('deploy.no_systemd');
    expect(status.failedStep).toBe('timezone');
    expect(status.log.map((l) => l.line).join('\n')).toContain('System has not been booted with systemd');
    expect(JSON.stringify(status)).not.toContain('CANARY-fail-77ab');
  }, 180_000);

  it('apt lock held: the first package step fails with apt’s message and the holder, typed deploy.apt_locked', async () => {
    const release = await host.shims.holdAptLock(2);
    try {
      const result = await service().runToEnd('testhost');
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.code).toBe('deploy.apt_locked');
      expect(result?.error?.params.process).toBe('flock');
      expect(Number(result?.error?.params.pid)).toBeGreaterThan(0);
      expect(['firewall', 'fail2ban', 'unattended-upgrades', 'docker']).toContain(result?.failedStep);
    } finally {
      await release();
    }
  }, 180_000);

  it('port busy: compose up fails with Docker’s bind error, typed deploy.port_in_use with the port', async () => {
    const listener: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(host.repo.port, '127.0.0.1', () => resolve());
    });
    try {
      const result = await service().runToEnd('testhost');
      expect(result?.outcome).toBe('failed');
      expect(result?.failedStep).toBe('compose-up');
      expect(result?.error?.code).toBe('deploy.port_in_use');
      expect(result?.error?.params.port).toBe(String(host.repo.port));
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  }, 240_000);

  it('once each cause is gone, Retry finishes the deployment and the error is no longer reported', async () => {
    const result = await service().runToEnd('testhost');
    expect(result?.outcome).toBe('succeeded');
    const status = await service().status('testhost');
    expect(status.outcome).toBe('succeeded');
    expect(status.error).toBeNull();
    expect(finished.map((f) => f.error?.code ?? f.outcome)).toEqual(['deploy.no_systemd', 'deploy.apt_locked', 'deploy.port_in_use', 'succeeded']);
  }, 240_000);
});
