import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { PROFILE_VERSION, type Profile } from '../../shared/profile';
import { buildComposeSteps } from '../engine/steps/compose-plan';
import { Logger } from '../log';
import { encodedForms } from '../redaction';
import { MemorySecretStore } from '../secrets/secret-store';
import { generateEd25519 } from '../ssh/keys';
import { ProfileStore } from '../store/profile-store';
import { startDeployHost, type DeployHost } from '../testing';
import { composeSettingsFrom } from '../services/deploy-settings';
import { DeployService, publicKeyOf, secretName } from '../services/deploy-service';

// No secret in `ps`: every process started locally or on the server shows its argv to every user of that
// machine. Checked two ways: statically (no remote command of a deployment carries a secret — values go over
// SFTP), and live (every process's argv sampled from /proc while a whole deployment runs on the test server,
// which runs on this machine, so local and server processes are both seen).

const CANARY = 'CANARY-argv-9d3c-secret';
const ENV = ['DOMAIN=koprogo.example', `POSTGRES_PASSWORD=${CANARY}`, `JWT_SECRET=${CANARY}-jwt`, ''].join('\n');

function argvOfAll(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (args) out.push(args.replace(/\0/g, ' '));
    } catch {
      /* the process ended */
    }
  }
  return out;
}

describe('remote commands carry no secret', () => {
  it('for every step of a deployment with a private repository, in any encoding', () => {
    const repoKey = generateEd25519('repo').privateKey;
    const sshKey = generateEd25519('ssh').privateKey;
    const profile: Profile = {
      version: PROFILE_VERSION,
      id: 'argv',
      name: 'argv',
      phase: 1,
      provider: { kind: 'existing' },
      server: { host: '127.0.0.1', port: 22, user: 'root', hostKeySha256: 'SHA256:x' },
      repo: { url: 'git@github.com:acme/private.git', ref: 'v1.0.0' },
      settings: { composeFiles: 'docker-compose.yml', 'repo.knownHosts': 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'postgres.service': 'postgres', 'postgres.user': 'koprogo', 'postgres.database': 'koprogo' },
      secrets: {},
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const steps = buildComposeSteps(composeSettingsFrom(profile, { envContent: ENV, publicKey: publicKeyOf(sshKey), repoKey }));
    const forbidden = [CANARY, ...encodedForms(CANARY), ...repoKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))];
    let files = 0;
    for (const step of steps) {
      const scripts = [step.check?.script, step.verify?.script, ...step.apply.map((a) => (a.kind === 'run' ? a.command.script : a.file.secret ? '' : a.file.content))];
      for (const script of scripts) for (const f of forbidden) expect(script ?? '', `${step.id} holds a secret in a command`).not.toContain(f);
      files += step.apply.filter((a) => a.kind === 'file' && a.file.secret).length;
    }
    // The secrets do travel — as files (SFTP), the .env and the deploy key.
    expect(files).toBe(2);
  });
});

describe('live: argv of every process while a deployment runs', () => {
  let host: DeployHost;
  let service: DeployService;
  const seen = new Set<string>();
  let sampling = true;
  let sampler: Promise<void>;

  beforeAll(async () => {
    host = await startDeployHost();
    const dataDir = mkdtempSync(join(tmpdir(), 'kgt-argv-'));
    const profiles = new ProfileStore(dataDir);
    const secrets = new MemorySecretStore();
    service = new DeployService({ dataDir, profiles, secrets, log: new Logger(join(dataDir, 'logs', 'app.log')), emit: () => undefined });
    await profiles.save(host.profile());
    await secrets.set(secretName('testhost', DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
    await secrets.set(secretName('testhost', DEPLOY_SECRETS.env), ENV);
    sampler = (async () => {
      while (sampling) {
        for (const a of argvOfAll()) seen.add(a);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }, 180_000);

  afterAll(async () => {
    sampling = false;
    await sampler;
    await host?.stop();
  }, 60_000);

  it('deploys, re-reads the server’s .env and plans without a secret in any process’s argv', async () => {
    const result = await service.runToEnd('testhost');
    expect(result?.outcome).toBe('succeeded');
    expect(await service.readServerEnv('testhost')).toBe(ENV);
    await service.plan('testhost');
    // The sampler saw the deployment's processes (sanity: it was really looking).
    expect([...seen].some((a) => /\bsh -s\b/.test(a))).toBe(true);
    expect([...seen].some((a) => a.includes('docker'))).toBe(true);
    for (const a of seen) expect(a).not.toContain(CANARY);
  }, 300_000);
});
