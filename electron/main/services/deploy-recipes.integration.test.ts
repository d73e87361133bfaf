import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../shared/contract';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import type { ProfileInput } from '../../shared/profile';
import { composeCommand } from '../engine/steps/compose';
import { Logger } from '../log';
import { detectRecipe, type Recipe, type RecipeSource } from '../recipe/detect';
import { settingsFromRecipe } from '../recipe/recipe-settings';
import { MemorySecretStore } from '../secrets/secret-store';
import { ProfileStore } from '../store/profile-store';
import { docker, importBusyboxImage, run, runOk, startDeployHost, type DeployHost } from '../testing';
import { buildOnlyFiles, gitopsFiles, monositeFiles, overlayFiles, type FixtureRegistries } from '../testing/app-fixtures';
import { createGitRepo, type GitRepo } from '../testing/git-fixture';
import { freePort } from '../testing/free-port';
import { importPostgresImage } from '../testing/postgres-image';
import { startRegistry, type RegistryHandle } from '../testing/registry';
import { DeployService, secretName } from './deploy-service';
import { composeSettingsFrom } from './deploy-settings';

// The real application's production path on a real test server (sshd + sudo, Docker engine, Compose v1 behind the
// plugin shim, local registries with busybox and PostgreSQL images): fixture repositories of the shapes the
// recipe detects, deployed through the recipe's settings, and `docker compose config` of what the deployment runs
// compared as a whole with the combination (and env file) the repository's own tooling runs.

const REGISTRY_USER = 'kgt-pull';
const REGISTRY_PASSWORD = 'CANARY-registry-5e1f';
const THEIR_PG_PASSWORD = 'their-pg-password-71a';

let host: DeployHost;
let pub: RegistryHandle;
let priv: RegistryHandle;
let registries: FixtureRegistries;
let dataDir: string;
let profiles: ProfileStore;
let secrets: MemorySecretStore;
let service: DeployService;
let logFile: string;
const texts = new Map<string, Record<string, string>>();
const repos: GitRepo[] = [];
const tempDirs: string[] = [];
const events: Array<{ event: EventName; payload: unknown }> = [];

/** GET with a Host header (fetch does not let a caller set Host). */
function getWithHost(port: number, path: string, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: hostHeader } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const mapSource = (files: Record<string, string>): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });
const dockerEnv = () => ({ ...process.env, ...host.docker.env });

beforeAll(async () => {
  host = await startDeployHost();
  await importBusyboxImage(host.docker.env);
  await importPostgresImage(host.docker.env);
  pub = await startRegistry();
  priv = await startRegistry({ auth: { user: REGISTRY_USER, password: REGISTRY_PASSWORD } });
  registries = { registry: pub.host, privateRegistry: priv.host };
  await pub.push(host.docker.env, 'local/busybox:1', 'library/busybox:1');
  await pub.push(host.docker.env, 'local/postgres:15', 'library/postgres:15');
  await pub.push(host.docker.env, 'local/busybox:1', 'library/postgres:15-standin');
  await pub.push(host.docker.env, 'local/busybox:1', 'koprogo/backend:1.0');
  await priv.push(host.docker.env, 'local/busybox:1', 'koprogo/backend:main-latest');
  // The deployment must pull them, not find them: only the registries hold the images.
  const refs = (await docker(host.docker.env, ['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((r) => r.startsWith('127.0.0.1:'));
  if (refs.length > 0) await docker(host.docker.env, ['rmi', ...refs]);
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-recipes-'));
  tempDirs.push(dataDir);
  profiles = new ProfileStore(dataDir);
  secrets = new MemorySecretStore();
  logFile = join(dataDir, 'app.log');
  service = new DeployService({
    dataDir,
    profiles,
    secrets,
    log: new Logger(logFile),
    emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void events.push({ event, payload }),
    composeTexts: async (id) => texts.get(id) ?? null,
  });
  await secrets.set(DEPLOY_SECRETS_GITHUB, REGISTRY_PASSWORD);
}, 300_000);

const DEPLOY_SECRETS_GITHUB = 'github.token';

afterAll(async () => {
  for (const r of repos) {
    await run('git', ['config', '--system', '--fixed-value', '--unset-all', 'safe.directory', r.path]);
    await r.stop();
  }
  await pub?.stop();
  await priv?.stop();
  await host?.stop();
  for (const t of tempDirs) rmSync(t, { recursive: true, force: true });
}, 120_000);

interface Deployed {
  id: string;
  files: Record<string, string>;
  recipe: Recipe;
  root: string;
  checkout: string;
  env: string;
}

/** A fixture repository, detected as the Code step does, saved as the profile the wizard would make. */
async function prepare(id: string, files: Record<string, string>, env: string, extra: Record<string, string> = {}, phase: 1 | 2 = 1): Promise<Deployed> {
  const repo = await createGitRepo(files);
  repos.push(repo);
  await runOk('git', ['config', '--system', '--add', 'safe.directory', repo.path]);
  const recipe = await detectRecipe(mapSource(files), {}, { owner: 'acme', name: 'koprogo' });
  texts.set(id, Object.fromEntries((recipe.production?.files ?? []).map((f) => [f, files[f] ?? ''])));
  const root = join(host.root, id);
  mkdirSync(root, { recursive: true });
  const base = host.profile();
  const layout = Object.fromEntries(['stateDir', 'appRoot', 'cronDir', 'aptConfDir', 'fail2banDir', 'backupDir', 'binDir', 'logrotateDir'].map((k) => [`layout.${k}`, join(root, k)]));
  const profile: ProfileInput = {
    ...base,
    id,
    name: id,
    phase,
    repo: { url: repo.url, ref: 'v1.0.0' },
    settings: { ...base.settings, ...settingsFromRecipe(recipe), ...layout, composeProject: `${host.composeProject}${id.slice(0, 4)}`, healthTimeoutSec: '120', ...extra },
  };
  await profiles.save(profile);
  await secrets.set(secretName(id, DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
  await secrets.set(secretName(id, DEPLOY_SECRETS.env), env);
  return { id, files, recipe, root, checkout: join(root, 'appRoot', 'app'), env };
}

async function deploy(d: Deployed) {
  events.length = 0;
  const result = await service.runToEnd(d.id);
  return result;
}

/** `docker compose config` of what the deployment runs (its own command, from the checkout). */
async function deployedConfig(d: Deployed): Promise<string> {
  const profile = await profiles.get(d.id);
  const settings = composeSettingsFrom(profile, { envContent: d.env, publicKey: 'x', composeTexts: texts.get(d.id) ?? null, githubToken: 'x', registryPassword: 'x' });
  return runOk('sh', ['-c', `${composeCommand(settings)} config`], { cwd: d.checkout, env: dockerEnv() });
}

/** `docker-compose config` of a combination and env file, as the repository's tooling names them. */
async function expectedConfig(d: Deployed, project: string, envFile: string, files: string[]): Promise<string> {
  return runOk('docker-compose', ['-p', project, '--env-file', envFile, ...files.flatMap((f) => ['-f', f]), 'config'], { cwd: d.checkout, env: dockerEnv() });
}

async function containers(filter: string): Promise<string[]> {
  const r = await docker(host.docker.env, ['ps', '-a', '--filter', filter, '--format', '{{.Names}} {{.Label "com.docker.compose.project"}} {{.Status}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** The cron lines of a cron.d file run as cron runs them: cron's minimal environment, /bin/sh, as root. */
async function runCronLines(file: string, match: RegExp): Promise<void> {
  const text = readFileSync(file, 'utf8');
  const path = /^PATH=(.*)$/m.exec(text)?.[1] ?? '/usr/bin:/bin';
  for (const line of text.split('\n').filter((l) => /^[0-9*]/.test(l) && match.test(l))) {
    const m = /^(?:\S+\s+){5}root\s+(.*)$/.exec(line);
    expect(m, line).not.toBeNull();
    const command = m![1]!.replace(/\\%/g, '%');
    const r = await run('env', ['-i', 'SHELL=/bin/sh', `PATH=${path}`, 'HOME=/root', 'LOGNAME=root', '/bin/sh', '-c', command], { timeoutMs: 180_000 });
    const log = /(\S+\.log) 2>&1$/.exec(command)?.[1];
    expect(r.code, `${line}\n${r.stderr}\n${log && existsSync(log) ? readFileSync(log, 'utf8') : ''}`).toBe(0);
  }
}

describe('(g) a standalone production compose run by `make deploy-prod`, first started by the repository’s own script', () => {
  let d: Deployed;
  let theirs: string;
  const proxyPort = { value: 0 };

  beforeAll(async () => {
    proxyPort.value = await freePort();
    const files = gitopsFiles(registries);
    const env = `API_DOMAIN=api.koprogo.test\nPROXY_PORT=${proxyPort.value}\nPOSTGRES_PASSWORD=our-generated-password-3c\nIMAGE_TAG=main-latest\n`;
    d = await prepare('gitops', files, env, {
      // The images are private on the local registry: the GHCR mechanism (the GitHub sign-in's token as the
      // password) against a registry that runs here.
      'registry.host': priv.host,
      'registry.auth': 'github',
      'registry.user': REGISTRY_USER,
      'exposure.bindLocal': 'no',
    });
    // The repository's own GitOps script, run on the server the way its README says (its checkout, its .env).
    theirs = mkdtempSync(join(tmpdir(), 'kgt-their-checkout-'));
    tempDirs.push(theirs);
    await runOk('git', ['clone', '-q', repos[repos.length - 1]!.url, theirs]);
    writeFileSync(join(theirs, 'deploy/production/.env'), `API_DOMAIN=api.koprogo.test\nPROXY_PORT=${proxyPort.value}\nPOSTGRES_PASSWORD=${THEIR_PG_PASSWORD}\nIMAGE_TAG=main-latest\n`);
    const cfg = join(theirs, '.docker');
    await runOk('docker', ['login', priv.host, '-u', REGISTRY_USER, '--password-stdin'], { input: REGISTRY_PASSWORD, env: { ...dockerEnv(), DOCKER_CONFIG: cfg } });
    await runOk('bash', [join(theirs, 'deploy/production/gitops-deploy.sh'), 'deploy'], { env: { ...dockerEnv(), REPO_DIR: theirs, DOCKER_CONFIG: cfg }, timeoutMs: 300_000 });
    // Data their deployment holds: a table, and an object in MinIO's volume.
    for (let i = 0; i < 120; i++) {
      const ready = await docker(host.docker.env, ['exec', 'koprogo-postgres', 'pg_isready', '-U', 'koprogo', '-d', 'koprogo_db']);
      if (ready.code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await runOk('docker', ['exec', 'koprogo-postgres', 'psql', '-U', 'koprogo', '-d', 'koprogo_db', '-c', 'CREATE TABLE adopted_marker (id int); INSERT INTO adopted_marker VALUES (42);'], { env: dockerEnv() });
    await runOk('docker', ['exec', 'koprogo-minio', 'sh', '-c', 'echo invoice > /data/documents/invoice.pdf'], { env: dockerEnv() });
  }, 400_000);

  it('the Makefile target through the GitOps script decides: that file alone, its project folder’s .env', () => {
    expect(d.recipe.production).toMatchObject({ kind: 'tooling', files: ['deploy/production/docker-compose.yml'], envFile: null });
    expect(d.recipe.production?.source?.map((s) => [s.kind, s.target])).toEqual([
      ['makefile', 'deploy-prod'],
      ['script', 'deploy'],
    ]);
    expect(d.recipe.envFile).toBe('deploy/production/.env');
    expect(d.recipe.health).toMatchObject({ service: 'backend', via: 'proxy', host: '${API_DOMAIN}', proxyPort: '${PROXY_PORT:-80}', proxyScheme: 'http' });
    expect(d.recipe.adoption).toEqual({ containerNames: ['koprogo-proxy', 'koprogo-postgres', 'koprogo-backend', 'koprogo-minio'], project: 'production' });
  });

  it('a copy already runs under the project its script gave it: the deployment stops before changing anything, and says so', async () => {
    expect(await containers('name=koprogo-')).toEqual([
      expect.stringMatching(/^koprogo-backend production Up/),
      expect.stringMatching(/^koprogo-minio production Up/),
      expect.stringMatching(/^koprogo-postgres production Up/),
      expect.stringMatching(/^koprogo-proxy production Up/),
    ]);
    const result = await deploy(d);
    expect(result?.error?.toEnvelope()).toMatchObject({ code: 'deploy.adopt_required' });
    expect(result?.outcome).toBe('failed');
    expect(result?.failedStep).toBe('adopt-check');
    expect(result?.error?.code).toBe('deploy.adopt_required');
    expect(result?.error?.params).toMatchObject({ project: 'production' });
    // Nothing was changed: not even the time zone, and no checkout.
    expect(existsSync(d.checkout)).toBe(false);
    const adoption = await service.adoption(d.id);
    expect(adoption?.containers.sort()).toEqual(['koprogo-backend', 'koprogo-minio', 'koprogo-postgres', 'koprogo-proxy'].sort());
    expect(adoption).toMatchObject({ project: 'production', envFound: true, volumes: expect.arrayContaining(['production_postgres_data', 'production_minio_data']) });
  }, 120_000);

  it('adopting reuses its project and volumes and keeps its .env values: one copy, its data intact, healthy through the proxy', async () => {
    expect(await service.adopt(d.id, 'production')).toEqual({ adopted: true, envMerged: true });
    const merged = (await secrets.get(secretName(d.id, DEPLOY_SECRETS.env)))!;
    expect(merged).toContain(`POSTGRES_PASSWORD=${THEIR_PG_PASSWORD}`);
    d.env = merged;
    const result = await deploy(d);
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    expect(result?.outcome).toBe('succeeded');
    // One copy, the same names, the same project; its volumes (and their data) reused.
    const running = await containers('label=com.docker.compose.project=production');
    expect(running.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['koprogo-backend production', 'koprogo-minio production', 'koprogo-postgres production', 'koprogo-proxy production']);
    expect(await containers(`label=com.docker.compose.project=${host.composeProject}gito`)).toEqual([]);
    const marker = await runOk('docker', ['exec', 'koprogo-postgres', 'psql', '-U', 'koprogo', '-d', 'koprogo_db', '-t', '-A', '-c', 'SELECT id FROM adopted_marker'], { env: dockerEnv() });
    expect(marker.trim()).toBe('42');
    expect((await runOk('docker', ['exec', 'koprogo-minio', 'cat', '/data/documents/invoice.pdf'], { env: dockerEnv() })).trim()).toBe('invoice');
    // The .env went where Compose reads it for this combination.
    const envPath = join(d.checkout, 'deploy/production/.env');
    expect((statSync(envPath).mode & 0o777).toString(8)).toBe('600');
  }, 400_000);

  it('runs exactly the combination its tooling runs: `docker compose config` compared as a whole', async () => {
    const ours = await deployedConfig(d);
    expect(ours).toBe(await expectedConfig(d, 'production', 'deploy/production/.env', ['deploy/production/docker-compose.yml']));
    // Not the dev file merged in (what a guess from file names did): that differs.
    expect(ours).not.toBe(await expectedConfig(d, 'production', 'deploy/production/.env', ['docker-compose.yml', 'deploy/production/docker-compose.yml']));
    expect(ours).toContain('API_HOST: api.koprogo.test');
  }, 120_000);

  it('health through the proxy only, with the API domain as Host header; private images pulled after a 0600 login, nothing built', async () => {
    const published = (await docker(host.docker.env, ['ps', '--filter', 'label=com.docker.compose.project=production', '--format', '{{.Names}} {{.Ports}}'])).stdout;
    expect(published).toMatch(new RegExp(`koprogo-proxy 127\\.0\\.0\\.1:${proxyPort.value}->80/tcp`));
    expect(published).not.toMatch(/koprogo-backend .*->/);
    const logs = await docker(host.docker.env, ['logs', 'koprogo-proxy']);
    expect(logs.stderr + logs.stdout).toMatch(/route GET \/api\/v1\/health host=api\.koprogo\.test/);
    expect(await getWithHost(proxyPort.value, '/api/v1/health', 'api.koprogo.test')).toEqual({ status: 200, body: 'ok 1\n' });
    // Another Host is not routed to the backend: the check really went by the API domain.
    expect((await getWithHost(proxyPort.value, '/api/v1/health', 'www.koprogo.test')).status).toBe(404);
    const config = join(d.root, 'stateDir', 'docker', 'config.json');
    expect((statSync(config).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(config, 'utf8')).toContain(priv.host);
    expect((statSync(join(d.root, 'stateDir', 'registry', `${priv.host.replace(':', '_')}.password`)).mode & 0o777).toString(8)).toBe('600');
    const plan = JSON.stringify(await service.plan(d.id));
    expect(plan).not.toContain(REGISTRY_PASSWORD);
    expect(readFileSync(logFile, 'utf8')).not.toContain(REGISTRY_PASSWORD);
    expect(plan).toContain('pull proxy postgres backend minio');
    expect(plan).toContain('up -d --remove-orphans --no-build');
  }, 120_000);

  it('monitoring from cron as cron runs it: the warning is a warning, psql runs in the container, outputs written, logs rotated', async () => {
    const finished = events.find((e) => e.event === 'deploy.finished')?.payload as EventPayload<'deploy.finished'> | undefined;
    // Each script ran once during the deployment, its result in the summary.
    expect(finished?.monitoring?.map((m) => [m.name, m.status]), JSON.stringify(finished?.monitoring)).toEqual([
      ['metrics', 'warning'],
      ['postgres-metrics', 'ok'],
      ['capacity', 'ok'],
    ]);
    const logs = join(d.root, 'stateDir', 'logs');
    for (const f of readdirSync(logs).filter((f) => f !== 'monitor.log')) writeFileSync(join(logs, f), '');
    await runCronLines(join(d.root, 'cronDir', 'koprogo-monitoring'), /koprogo-monitor/);
    const metrics = readFileSync(join(logs, 'metrics.log'), 'utf8');
    expect(metrics).toMatch(/\[WARNING\] RAM usage: [\d.]+% \(threshold 0%\)\n=== exit 1: warning\n$/);
    const status = readFileSync(join(d.root, 'stateDir', 'monitoring', 'metrics.status'), 'utf8');
    expect(status).toMatch(/^\S+Z 1 warning /);
    const pg = readFileSync(join(logs, 'postgres-metrics.log'), 'utf8');
    expect(pg).toMatch(/database=koprogo_db connections=\d+\n=== exit 0: ok\n$/);
    expect(readFileSync(join(logs, 'capacity.log'), 'utf8')).toMatch(/Estimated maximum copropriétés: 14999\n=== exit 0: ok\n$/);
    // The repository's own JSON reports, in its monitoring/logs.
    expect(readdirSync(join(d.checkout, 'monitoring/logs')).some((f) => /^metrics_\d{8}_\d{6}\.json$/.test(f))).toBe(true);
    // The password reached psql through the environment only (the secret file is root's, 0600).
    expect((statSync(join(d.root, 'stateDir', 'monitoring', 'env')).mode & 0o777).toString(8)).toBe('600');
    // Log rotation: the real logrotate reads the file and rotates (the repository keeps 5 days).
    const rotate = join(d.root, 'logrotateDir', 'koprogo-deploy');
    expect(readFileSync(rotate, 'utf8')).toContain('    rotate 5\n');
    const state = join(d.root, 'logrotate.state');
    await runOk('logrotate', ['-f', '-s', state, rotate]);
    expect(readdirSync(logs)).toContain('metrics.log.1');
  }, 300_000);

  it('the daily backup covers PostgreSQL and the MinIO volume (run as cron runs it)', async () => {
    await runCronLines(join(d.root, 'cronDir', 'koprogo-backup'), /koprogo-backup/);
    const backups = readdirSync(join(d.root, 'backupDir')).sort();
    expect(backups.map((f) => f.replace(/\d{8}-\d{6}/, 'T'))).toEqual(['koprogo_db-T.sql.gz', 'production-minio_data-T.tar.gz']);
    const dump = await runOk('sh', ['-c', `gzip -dc '${join(d.root, 'backupDir', backups[0]!)}'`]);
    expect(dump).toContain('CREATE TABLE public.adopted_marker');
    const archive = await runOk('tar', ['-tzf', join(d.root, 'backupDir', backups[1]!)]);
    expect(archive).toContain('./documents/invoice.pdf');
  }, 120_000);

  it('a moving tag is re-pulled on the next run and the container recreated with the new image', async () => {
    const build = mkdtempSync(join(tmpdir(), 'kgt-v2-'));
    tempDirs.push(build);
    writeFileSync(join(build, 'Dockerfile'), 'FROM local/busybox:1\nRUN echo 2 > /VERSION\n');
    await runOk('docker', ['build', '-q', '-t', 'local/backend:v2', build], { env: dockerEnv(), timeoutMs: 120_000 });
    await priv.push(host.docker.env, 'local/backend:v2', 'koprogo/backend:main-latest');
    const result = await deploy(d);
    expect(result?.outcome).toBe('succeeded');
    const ran = events.filter((e) => e.event === 'deploy.step' && (e.payload as { state: string }).state === 'running').map((e) => (e.payload as { stepId: string }).stepId);
    expect(ran).toEqual(expect.arrayContaining(['compose-pull', 'compose-up']));
    expect(await getWithHost(proxyPort.value, '/api/v1/health', 'api.koprogo.test')).toEqual({ status: 200, body: 'ok 2\n' });
  }, 300_000);

  it('a registry that refuses the password stops the run at the login, said as such, the password never shown', async () => {
    await secrets.set(DEPLOY_SECRETS_GITHUB, 'CANARY-wrong-token-77');
    try {
      const result = await deploy(d);
      expect(result?.failedStep).toBe('registry-login');
      expect(result?.error?.toEnvelope()).toMatchObject({ code: 'deploy.registry_denied', params: { registry: priv.host } });
      expect(JSON.stringify(events)).not.toContain('CANARY-wrong-token-77');
      expect(readFileSync(logFile, 'utf8')).not.toContain('CANARY-wrong-token-77');
    } finally {
      await secrets.set(DEPLOY_SECRETS_GITHUB, REGISTRY_PASSWORD);
    }
  }, 120_000);
});

describe('(h) a shared base + per-environment override chosen by the Makefile, with its --env-file; phase 2', () => {
  let d: Deployed;
  let project: string;

  beforeAll(async () => {
    const port = await freePort();
    d = await prepare('monosite', monositeFiles(registries), `API_DOMAIN=api.monosite.test\nBACKEND_PORT=${port}\nPOSTGRES_PASSWORD=monosite-password-1\n`);
    project = (await profiles.get(d.id)).settings.composeProject!;
  }, 120_000);

  it('deploys running exactly base + production override with the Makefile’s env file', async () => {
    expect(d.recipe.production?.source?.[0]).toMatchObject({ kind: 'makefile', target: 'vps-deploy' });
    expect(d.recipe.envFile).toBe('infrastructure/monosite/vps/production/.env');
    const result = await deploy(d);
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    const envPath = join(d.checkout, 'infrastructure/monosite/vps/production/.env');
    expect(readFileSync(envPath, 'utf8')).toBe(d.env);
    const files = ['infrastructure/_shared/docker-compose/docker-compose.base.yml', 'infrastructure/monosite/vps/production/docker-compose.override.yml'];
    const ours = await deployedConfig(d);
    expect(ours).toBe(await expectedConfig(d, project, 'infrastructure/monosite/vps/production/.env', files));
    expect(ours).toContain('API_DOMAIN: api.monosite.test');
    expect(ours).toContain('RUST_LOG: warn');
  }, 300_000);

  it('phase 2: the override keeps the repository’s PostgreSQL flags and merges the backend’s deploy.resources, checked by config', async () => {
    const profile = await profiles.get(d.id);
    await profiles.update(profile, { phase: 2 });
    const result = await deploy(d);
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    const config = yaml.load(await deployedConfig(d)) as { services: Record<string, { command?: string[]; deploy?: unknown }> };
    expect(config.services.postgres?.command).toEqual([
      'postgres', '-c', 'shared_buffers=1GB', '-c', 'max_connections=15', '-c', 'max_wal_size=1GB', '-c', 'log_min_duration_statement=1000', '-c', 'shared_preload_libraries=pg_stat_statements',
    ]);
    expect(config.services.backend?.deploy).toEqual({ resources: { limits: { cpus: 0.75, memory: '500M' }, reservations: { memory: '256M' } } });
    // Everything else is the phase-1 combination.
    const phase1 = yaml.load(await expectedConfig(d, project, 'infrastructure/monosite/vps/production/.env', ['infrastructure/_shared/docker-compose/docker-compose.base.yml', 'infrastructure/monosite/vps/production/docker-compose.override.yml'])) as typeof config;
    delete phase1.services.postgres!.command;
    delete phase1.services.backend!.deploy;
    delete config.services.postgres!.command;
    delete config.services.backend!.deploy;
    expect(config).toEqual(phase1);
  }, 300_000);
});

describe('(f) a root dev compose + production overlay chosen by the CI workflow; internal ports bound to 127.0.0.1 with consent', () => {
  let d: Deployed;
  let project: string;

  beforeAll(async () => {
    const [db, backend] = [await freePort(), await freePort()];
    d = await prepare('overlay', overlayFiles(registries), `DB_PORT=${db}\nBACKEND_PORT=${backend}\nPOSTGRES_PASSWORD=overlay-password-1\n`, { 'exposure.bindLocal': 'yes' });
    project = (await profiles.get(d.id)).settings.composeProject!;
  }, 120_000);

  it('the plan shows the ports the dev file publishes on every interface, and the user’s choice', async () => {
    expect(d.recipe.production).toMatchObject({ kind: 'tooling', envFile: '.env.production' });
    const { review } = await service.planWithReview(d.id);
    expect(review.exposure.map((e) => [e.service, e.kind, e.published])).toEqual([
      ['postgres', 'database', '${DB_PORT:-5432}'],
      ['backend', 'backend', '${BACKEND_PORT:-8080}'],
    ]);
    expect(review.bindLocal).toBe('yes');
  }, 60_000);

  it('deploys with every port on 127.0.0.1; otherwise the same config as the workflow’s combination; the prebuilt image is pulled, not built', async () => {
    const result = await deploy(d);
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    const bindings = (await docker(host.docker.env, ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Ports}}'])).stdout;
    expect(bindings.trim()).not.toBe('');
    expect(bindings.match(/[\d.:[\]]+->/g)!.every((b) => b.startsWith('127.0.0.1:'))).toBe(true);
    const ours = yaml.load(await deployedConfig(d)) as { services: Record<string, { ports?: Array<{ host_ip?: string } | string> }> };
    const theirs = yaml.load(await expectedConfig(d, project, '.env.production', ['docker-compose.yml', 'docker-compose.prod.yml'])) as typeof ours;
    for (const c of [ours, theirs]) for (const s of Object.values(c.services)) delete s.ports;
    expect(ours).toEqual(theirs);
    const images = (await docker(host.docker.env, ['images', '--format', '{{.Repository}}'])).stdout;
    expect(images).not.toContain(`${project}_backend`);
    expect(readFileSync(join(d.checkout, '.env.production'), 'utf8')).toBe(d.env);
  }, 300_000);
});

describe('(i) images only built from source; the production command in the README', () => {
  let d: Deployed;
  let project: string;

  beforeAll(async () => {
    const port = await freePort();
    d = await prepare('build', buildOnlyFiles(registries), `BACKEND_PORT=${port}\nJWT_SECRET=build-jwt-secret-1234\n`);
    project = (await profiles.get(d.id)).settings.composeProject!;
  }, 120_000);

  it('says what building costs before the plan, builds on the server, and runs the README’s combination', async () => {
    const { review } = await service.planWithReview(d.id);
    expect(review.build).toEqual([
      { service: 'backend', language: 'rust' },
      { service: 'frontend', language: 'node' },
    ]);
    expect(review.buildCost).toMatchObject({ peakMb: 3500 });
    const result = await deploy(d);
    expect(result?.error?.toEnvelope() ?? null).toBeNull();
    expect(await deployedConfig(d)).toBe(await expectedConfig(d, project, '.env', ['docker-compose.yml', 'docker-compose.prod.yml']));
    const port = /BACKEND_PORT=(\d+)/.exec(d.env)![1];
    expect(await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).text()).toBe('ok built\n');
  }, 400_000);
});
