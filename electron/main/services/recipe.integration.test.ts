import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { Logger } from '../log';
import { FIXTURE_REPOS } from '../recipe/fixtures/repos';
import { readEnvAsComposeV2 } from '../recipe/env-file';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { startSshd, type SshdHandle } from '../testing';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { startGitHubFake, type GitHubFake } from '../testing/github-fake';
import { DeployService, secretName } from './deploy-service';
import { RecipeService } from './recipe-service';

// A re-run from another computer: the configuration form merges the .env the server runs with (read over SSH,
// as root through sudo, from a real sshd) with the new version's example; values kept, added keys asked, removed
// keys listed; saved back into the secret store. The GitHub fake serves the repository, a local DNS server the domains.

let sshd: SshdHandle;
let github: GitHubFake;
let dns: DnsServer;
let appRoot: string;
let recipes: RecipeService;
let secrets: MemorySecretStore;
let logFile: string;
const dataDirs = new WeakMap<RecipeService, string>();
const dataDirOf = (r: RecipeService) => dataDirs.get(r)!;

const TOKEN = 'ghp_recipeIntegrationToken0123456789';
const SERVER_ENV = [
  'API_DOMAIN=api.koprogo.test',
  'ACME_EMAIL=ops@koprogo.be',
  'POSTGRES_USER=koprogo',
  'POSTGRES_PASSWORD=SERVER-CANARY-password-1',
  'POSTGRES_DB=koprogo_db',
  'JWT_SECRET=server-jwt-secret-abcdef',
  'RUST_LOG=warn',
  'KOPROGO_VERSION=0.9.0',
  "TRAEFIK_DASHBOARD_AUTH='admin:$apr1$abcdefgh$0123456789abcdefghijkl'",
  'LEGACY_FLAG=on',
  '',
].join('\n');

beforeAll(async () => {
  sshd = await startSshd();
  github = await startGitHubFake({ repos: FIXTURE_REPOS, tokens: [TOKEN] });
  dns = await startDnsServer({ 'api.koprogo.test': { a: ['127.0.0.1'] } });
  const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-recipe-'));
  // The checkout lives under a root-only folder: only sudo can read its .env.
  appRoot = mkdtempSync(join(tmpdir(), 'koprogo-approot-'));
  chmodSync(appRoot, 0o700);
  const profiles = new ProfileStore(dataDir);
  secrets = new MemorySecretStore();
  logFile = join(dataDir, 'logs', 'app.log');
  const emit = <E extends EventName>(_event: E, _payload: EventPayload<E>) => undefined;
  const deploy = new DeployService({ dataDir, profiles, secrets, log: new Logger(logFile), emit });
  recipes = new RecipeService({ dataDir, profiles, secrets, emit, repoKeys: deploy, readServerEnv: (id) => deploy.readServerEnv(id), github: { apiBaseUrl: github.url }, dnsServers: [dns.address] });
  await profiles.save({
    id: 'rerun',
    name: 'Re-run',
    phase: 1,
    provider: { kind: 'existing' },
    server: { host: sshd.host, port: sshd.port, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
    repo: { url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' },
    settings: { 'layout.appRoot': appRoot },
    secrets: {},
  });
  dataDirs.set(recipes, dataDir);
  await secrets.set(secretName('rerun', DEPLOY_SECRETS.sshKey), sshd.userPrivateKey);
  await recipes.detect('rerun', 'https://github.com/gilmry/koprogo', 'v1.0.0');
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await github?.close();
  await dns?.close();
});

describe("the configuration form merged with the server's .env", () => {
  it('says when the server has no .env yet, and falls back to a fresh form', async () => {
    const form = await recipes.form('rerun', { fromServer: true });
    expect(form?.mergedWith).toBe('none');
    expect(form?.rerun).toBe(false);
  });

  it("keeps the server's values, asks nothing they already answer, lists removed keys, and saves the merge", async () => {
    mkdirSync(join(appRoot, 'app'), { recursive: true });
    writeFileSync(join(appRoot, 'app', '.env'), SERVER_ENV, { mode: 0o600 });
    const form = await recipes.form('rerun', { fromServer: true });
    expect(form).not.toBeNull();
    expect(form!.mergedWith).toBe('server');
    const byKey = Object.fromEntries(form!.fields.map((f) => [f.key, f]));
    expect(byKey.POSTGRES_PASSWORD).toMatchObject({ value: 'SERVER-CANARY-password-1', source: 'saved' });
    expect(byKey.RUST_LOG?.value).toBe('warn');
    expect(form!.removed).toEqual(['LEGACY_FLAG']);

    // The user changes one value and keeps the rest.
    const values = Object.fromEntries(form!.fields.filter((f) => !f.derived && f.kind !== 'htpasswd').map((f) => [f.key, f.value]));
    const r = await recipes.save('rerun', { values: { ...values, KOPROGO_VERSION: '1.0.0' } });
    expect(r.ok).toBe(true);
    const saved = await secrets.get(secretName('rerun', DEPLOY_SECRETS.env));
    const read = readEnvAsComposeV2(saved ?? '');
    expect(read.values.get('POSTGRES_PASSWORD')).toBe('SERVER-CANARY-password-1');
    expect(read.values.get('KOPROGO_VERSION')).toBe('1.0.0');
    expect(read.values.get('TRAEFIK_DASHBOARD_AUTH')).toBe('admin:$apr1$abcdefgh$0123456789abcdefghijkl');
    expect(read.values.get('LEGACY_FLAG')).toBe('on');
    // The server's secrets never reach the log.
    expect(readFileSync(logFile, { encoding: 'utf8', flag: 'a+' })).not.toContain('SERVER-CANARY');
  });

  it('an unknown domain is refused at save', async () => {
    const form = await recipes.form('rerun');
    const values = Object.fromEntries(form!.fields.filter((f) => !f.derived && f.kind !== 'htpasswd').map((f) => [f.key, f.value]));
    const r = await recipes.save('rerun', { values: { ...values, API_DOMAIN: 'nowhere.koprogo.test' } });
    expect(r).toEqual({ ok: false, problems: [{ key: 'API_DOMAIN', problem: 'domain_not_found' }] });
  });
});

describe('the deploy key of a private repository', () => {
  it('is added read-only with GitHub host keys pinned, replaced rather than piled up, and removed', async () => {
    const url = 'git@github.com:acme/koprogo-private.git';
    await expect(recipes.installDeployKey('rerun', url)).rejects.toMatchObject({ code: 'github.unauthorized' });
    await recipes.setToken(TOKEN);
    const first = await recipes.installDeployKey('rerun', url);
    expect(first.knownHosts).toMatch(/^github\.com ssh-ed25519 /m);
    const second = await recipes.installDeployKey('rerun', url);
    expect(github.deployKeys('acme', 'koprogo-private').map((k) => [k.id, k.read_only])).toEqual([[second.keyId, true]]);
    expect(second.publicKey.split(' ').slice(0, 2)).toEqual(first.publicKey.split(' ').slice(0, 2));
    const profile = await new ProfileStore(dataDirOf(recipes)).get('rerun');
    expect(profile.settings['repo.knownHosts']).toBe(second.knownHosts);
    expect(await recipes.removeDeployKey(profile)).toBe('deleted');
    expect(github.deployKeys('acme', 'koprogo-private')).toEqual([]);
    expect(await recipes.removeDeployKey(profile)).toBe('already_gone');
  });
});
