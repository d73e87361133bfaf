import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { generateEd25519 } from '../ssh/keys';
import { ProfileStore } from '../store/profile-store';
import { DeployService, secretName } from './deploy-service';

// The plan one can review (issue 14's bullet, the mechanism): only secrets are masked. A user name that is also
// a common word (`koprogo`) no longer masks `hostnamectl set-hostname koprogo-prod` or file names; non-secret
// `.env` values are shown in clear; secret values are masked whatever their length.

const CANARY = 'CANARY-plan-5b1e-secret';
const ENV = [
  '# KoproGo environment',
  'DOMAIN=koprogo.example',
  'POSTGRES_USER=koprogo',
  'POSTGRES_DB=koprogo',
  `POSTGRES_PASSWORD=${CANARY}`,
  'JWT_SECRET=short7x',
  'DATABASE_URL=postgres://koprogo:url-pass-4d2a@postgres:5432/koprogo',
  'RUST_LOG=info',
  '',
].join('\n');

let service: DeployService;
let logFile: string;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgt-plan-'));
  const profiles = new ProfileStore(dataDir);
  const secrets = new MemorySecretStore();
  logFile = join(dataDir, 'logs', 'app.log');
  service = new DeployService({ dataDir, profiles, secrets, log: new Logger(logFile), emit: () => undefined });
  await profiles.save({
    id: 'koprogo',
    name: 'KoproGo',
    phase: 1,
    provider: { kind: 'existing' },
    server: { host: '127.0.0.1', port: 22, user: 'koprogo', hostKeySha256: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    repo: { url: 'https://github.com/koprogo/koprogo', ref: 'v1.0.0' },
    settings: { hostname: 'koprogo-prod', deployUser: 'koprogo' },
    secrets: {},
  });
  await secrets.set(secretName('koprogo', DEPLOY_SECRETS.sshKey), generateEd25519('t').privateKey);
  await secrets.set(secretName('koprogo', DEPLOY_SECRETS.env), ENV);
});

describe('the plan masks secrets only', () => {
  it('shows the hostname, user and paths although `koprogo` is also a .env value', async () => {
    const text = JSON.stringify(await service.plan('koprogo'));
    expect(text).toContain('koprogo-prod');
    expect(text).not.toMatch(/••••••-prod/);
    expect(text).toContain('/koprogo');
  });

  it('shows non-secret .env values in clear and masks the secret ones, short ones included', async () => {
    const plan = await service.plan('koprogo');
    const env = plan.find((s) => s.stepId === 'env-file')!.actions[0]!;
    expect(env.kind).toBe('file');
    const content = env.kind === 'file' ? env.content : '';
    expect(content).toContain('DOMAIN=koprogo.example');
    expect(content).toContain('POSTGRES_USER=koprogo');
    expect(content).toContain('RUST_LOG=info');
    expect(content).toContain('POSTGRES_PASSWORD=••••••');
    expect(content).toContain('JWT_SECRET=••••••');
    expect(content).toContain('DATABASE_URL=postgres://koprogo:••••••@postgres:5432/koprogo');
    const text = JSON.stringify(plan);
    for (const secret of [CANARY, 'short7x', 'url-pass-4d2a']) expect(text).not.toContain(secret);
  });

  it('reports the secret too short to be masked in logs, by its key and without its value', async () => {
    await service.plan('koprogo');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/a secret \(\.env JWT_SECRET\) of 7 characters is shorter than 8/);
    expect(log).not.toContain('short7x');
  });
});
