import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubClient } from '../github/client';
import { startGitHubFake, type FileMap, type GitHubFake } from '../testing/github-fake';
import { detectRecipe, githubSource, localFolderSource, RecipeSchema, type Recipe, type RecipeSource } from './detect';
import { parseComposeYaml } from './detect-yaml';
import { ENV_FOLDERS_FILES, FIXTURE_REPOS, K3S_ONLY_FILES, MONOREPO_FILES, NO_COMPOSE_FILES, ROADMAP_FILES } from './fixtures/repos';

const mapSource = (files: FileMap): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });
const codes = (r: Recipe) => r.missing.map((m) => m.code);

const K3S_ENTRY = {
  id: 'script:infrastructure/scripts/deploy.sh',
  kind: 'script',
  path: 'infrastructure/scripts/deploy.sh',
  environments: ['dev', 'staging', 'prod'],
  phases: [3, 4],
  notK3s: null,
  terraform: { paths: ['infrastructure/terraform/environments/dev'], resources: ['module.k3s'] },
  tools: ['terraform', 'ansible-playbook', 'helm'],
  variables: ['OVH_ENDPOINT', 'OVH_APPLICATION_KEY', 'OVH_APPLICATION_SECRET', 'OVH_CONSUMER_KEY'],
  kubeconfig: '~/.kube/koprogo-{env}',
  stack: null,
  makefile: null,
};
const K3S = { root: 'infrastructure', terraform: true, ansible: true, helm: true, deployScript: 'infrastructure/scripts/deploy.sh', environments: ['dev', 'staging', 'prod'], entryPoints: [K3S_ENTRY] };
const NEEDS = { packages: [], psql: false, databaseUrl: false, warningExit: false };
const MONITORING = {
  scripts: [
    { path: 'monitoring/scripts/capacity_calculator.sh', kind: 'capacity', needs: NEEDS },
    { path: 'monitoring/scripts/postgres_metrics.sh', kind: 'postgres', needs: { ...NEEDS, psql: true } },
    { path: 'monitoring/scripts/vps_metrics.sh', kind: 'vps', needs: { ...NEEDS, packages: ['procps'] } },
  ],
  thresholds: { path: 'monitoring/config/thresholds.env', keys: ['CPU_WARN', 'CPU_CRIT', 'RAM_WARN', 'DISK_WARN', 'P99_LATENCY_MS'] },
  retentionDays: null,
};
const ENV_KEYS = ['API_DOMAIN', 'ACME_EMAIL', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'JWT_SECRET', 'RUST_LOG', 'KOPROGO_VERSION', 'TRAEFIK_DASHBOARD_AUTH'];
const HEALTH = { service: 'backend', url: 'http://localhost:8080/api/v1/health', path: '/api/v1/health', containerPort: 8080, publishedPort: '8080', via: 'host', host: null, proxyPort: null, proxyScheme: null };

describe('detectRecipe on the fixture layouts', () => {
  it('(a) the roadmap layout: docker-compose.yml + docker-compose.prod.yml, every phase', async () => {
    const r = await detectRecipe(mapSource(ROADMAP_FILES));
    expect(r).toEqual({
      composeCombinations: [
        { kind: 'base+prod', files: ['docker-compose.yml', 'docker-compose.prod.yml'], environment: 'production', envExample: '.env.vps.example' },
        { kind: 'base+vps', files: ['docker-compose.yml', 'docker-compose.vps.yml'], environment: 'production', envExample: '.env.vps.example' },
        { kind: 'base-only', files: ['docker-compose.yml'], environment: null, envExample: '.env.vps.example' },
      ],
      production: { kind: 'base+prod', files: ['docker-compose.yml', 'docker-compose.prod.yml'], environment: 'production', envExample: '.env.vps.example' },
      choice: { code: 'recipe.choice.prod_overlay', params: { files: 'docker-compose.yml + docker-compose.prod.yml', environment: 'production', alternatives: 2 } },
      composeDir: '',
      envExample: { path: '.env.vps.example', keys: ENV_KEYS, problems: 0 },
      services: [
        // `ports: []` in the overlay does not unpublish: Compose concatenates ports across files.
        { name: 'postgres', image: 'postgres:15', build: false, ports: [{ published: '5432', target: 5432, protocol: 'tcp', hostIp: null }], healthcheck: 'pg_isready -U koprogo -d koprogo_db', dependsOn: [] },
        {
          name: 'backend',
          image: 'ghcr.io/gilmry/koprogo-backend:${KOPROGO_VERSION:-latest}',
          build: true,
          ports: [
            { published: '8080', target: 8080, protocol: 'tcp', hostIp: null },
            { published: '8080', target: 8080, protocol: 'tcp', hostIp: '127.0.0.1' },
          ],
          healthcheck: 'curl -f http://localhost:8080/api/v1/health',
          dependsOn: ['postgres'],
        },
        { name: 'frontend', image: null, build: true, ports: [{ published: '3000', target: 3000, protocol: 'tcp', hostIp: null }], healthcheck: null, dependsOn: ['backend'] },
        {
          name: 'traefik',
          image: 'traefik:v3.1',
          build: false,
          ports: [
            { published: '80', target: 80, protocol: 'tcp', hostIp: null },
            { published: '443', target: 443, protocol: 'tcp', hostIp: null },
          ],
          healthcheck: null,
          dependsOn: [],
        },
      ],
      health: HEALTH,
      postgres: { service: 'postgres', image: 'postgres:15', user: 'koprogo', database: 'koprogo_db', userFrom: 'env-example', passwordExpr: '${POSTGRES_PASSWORD}' },
      monitoring: MONITORING,
      k3s: K3S,
      phases: { 1: true, 2: true, 3: true, 4: true },
      missing: [],
      filesRead: [
        'infrastructure/scripts/deploy.sh',
        'README.md',
        'docker-compose.yml',
        'docker-compose.prod.yml',
        '.env.vps.example',
        'monitoring/scripts/capacity_calculator.sh',
        'monitoring/scripts/postgres_metrics.sh',
        'monitoring/scripts/vps_metrics.sh',
        'monitoring/config/thresholds.env',
        'infrastructure/terraform/environments/dev/main.tf',
      ],
      envFile: '.env',
      tooling: [],
      backend: 'backend',
      images: {
        pull: [
          { service: 'postgres', image: 'postgres:15', registry: null, moving: false, private: false },
          { service: 'backend', image: 'ghcr.io/gilmry/koprogo-backend:${KOPROGO_VERSION:-latest}', registry: 'ghcr.io', moving: true, private: false },
          { service: 'traefik', image: 'traefik:v3.1', registry: null, moving: false, private: false },
        ],
        build: [{ service: 'frontend', context: 'frontend', dockerfile: null, language: 'node' }],
        ci: null,
      },
      proxy: { service: 'traefik', httpPort: '80', httpsPort: '443' },
      exposure: [
        { service: 'postgres', kind: 'database', published: '5432', target: 5432, protocol: 'tcp', file: 'docker-compose.yml' },
        { service: 'backend', kind: 'backend', published: '8080', target: 8080, protocol: 'tcp', file: 'docker-compose.yml' },
        { service: 'frontend', kind: 'frontend', published: '3000', target: 3000, protocol: 'tcp', file: 'docker-compose.yml' },
      ],
      backup: {
        covered: [{ kind: 'postgres', service: 'postgres', source: 'koprogo_db', target: '', what: 'database' }],
        notCovered: [
          { kind: 'volume', service: 'postgres', source: 'postgres_data', target: '/var/lib/postgresql/data', reason: 'database-files' },
          { kind: 'bind', service: 'traefik', source: '/var/run/docker.sock', target: '/var/run/docker.sock', reason: 'socket' },
          { kind: 'bind', service: 'traefik', source: './traefik.yml', target: '/etc/traefik/traefik.yml', reason: 'read-only' },
          { kind: 'volume', service: 'traefik', source: 'letsencrypt', target: '/letsencrypt', reason: 'certificates' },
        ],
      },
      tuning: { postgres: { service: 'postgres', command: null }, backend: { service: 'backend', resources: null } },
      defaultCredentials: [],
      adoption: { containerNames: [], project: null },
    });
  });

  it('(b) per-environment folders: the production folder, its .env.example and override', async () => {
    const r = await detectRecipe(mapSource(ENV_FOLDERS_FILES));
    expect(r.composeCombinations.map((c) => [c.kind, c.environment])).toEqual([
      ['env-folder', 'production'],
      ['env-folder', 'staging'],
    ]);
    expect(r.production).toEqual({ kind: 'env-folder', files: ['deploy/docker-compose.yml', 'deploy/production/docker-compose.override.yml'], environment: 'production', envExample: 'deploy/production/.env.example' });
    expect(r.choice?.code).toBe('recipe.choice.environment_folder');
    expect(r.composeDir).toBe('deploy');
    expect(r.envExample).toEqual({ path: 'deploy/production/.env.example', keys: ['POSTGRES_PASSWORD', 'KOPROGO_VERSION', 'API_DOMAIN'], problems: 0 });
    expect(r.health).toEqual({ ...HEALTH, url: 'http://127.0.0.1:8080/api/v1/health' });
    expect(r.postgres).toEqual({ service: 'postgres', image: 'postgres:15', user: 'koprogo', database: 'koprogo_db', userFrom: 'compose', passwordExpr: '${POSTGRES_PASSWORD}' });
    expect(r.services.map((s) => s.name)).toEqual(['backend', 'postgres', 'traefik']);
    expect(r.k3s).toBeNull();
    expect(r.phases).toEqual({ 1: true, 2: true, 3: false, 4: false });
    expect(codes(r)).toEqual(['recipe.no_monitoring_scripts', 'recipe.no_thresholds', 'recipe.no_k3s']);
  });

  it('(c) no compose at all: explained, no phase enabled, nothing read', async () => {
    const r = await detectRecipe(mapSource(NO_COMPOSE_FILES));
    expect(r.production).toBeNull();
    expect(r.phases).toEqual({ 1: false, 2: false, 3: false, 4: false });
    expect(r.missing).toEqual([
      { code: 'recipe.unknown_layout', params: { files: 5 }, severity: 'blocking' },
      { code: 'recipe.no_compose', params: {}, severity: 'blocking' },
      { code: 'recipe.no_monitoring_scripts', params: {}, severity: 'info' },
      { code: 'recipe.no_thresholds', params: {}, severity: 'info' },
      { code: 'recipe.no_k3s', params: {}, severity: 'info' },
    ]);
    expect(r.filesRead).toEqual([]);
  });

  it('(d) K3s only: phases 3–4 with the deploy script environments', async () => {
    const r = await detectRecipe(mapSource(K3S_ONLY_FILES));
    expect(r.k3s).toEqual(K3S);
    expect(r.phases).toEqual({ 1: false, 2: false, 3: true, 4: true });
    expect(codes(r)).toEqual(['recipe.no_compose', 'recipe.no_monitoring_scripts', 'recipe.no_thresholds']);
  });

  it('(e) monorepo: compose files in ops/docker with a VPS overlay', async () => {
    const r = await detectRecipe(mapSource(MONOREPO_FILES));
    expect(r.production).toEqual({ kind: 'base+vps', files: ['ops/docker/docker-compose.yml', 'ops/docker/docker-compose.vps.yml'], environment: 'production', envExample: 'ops/docker/.env.example' });
    expect(r.choice?.code).toBe('recipe.choice.vps_overlay');
    expect(r.composeDir).toBe('ops/docker');
    expect(r.health).toEqual(HEALTH);
    expect(r.postgres?.database).toBe('koprogo_db');
    expect(r.phases).toEqual({ 1: true, 2: true, 3: false, 4: false });
  });

  it('an empty repository, broken YAML and a base file alone are explained, never a crash', async () => {
    expect(codes(await detectRecipe(mapSource({})))).toContain('recipe.empty_repository');
    const broken = await detectRecipe(mapSource({ 'docker-compose.yml': 'services:\n  a:\n    image: "unterminated\n' }));
    // js-yaml reports an unterminated string where the input ends.
    expect(broken.missing.find((m) => m.code === 'recipe.compose_invalid')).toMatchObject({ code: 'recipe.compose_invalid', params: { file: 'docker-compose.yml', line: 4 } });
    const alone = await detectRecipe(mapSource({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n' }));
    expect(alone.production?.kind).toBe('base-only');
    expect(codes(alone)).toEqual(expect.arrayContaining(['recipe.no_production_compose', 'recipe.no_env_example', 'recipe.no_http_healthcheck', 'recipe.no_postgres']));
    expect(alone.phases[1]).toBe(true);
    expect(() => RecipeSchema.parse(JSON.parse(JSON.stringify(alone)))).not.toThrow();
  });
});

describe('files the user points at', () => {
  const ODD: FileMap = {
    'deployment/app.yaml': 'services:\n  web:\n    image: nginx:1\n    healthcheck:\n      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/health"]\n',
    'deployment/settings.sample': 'DOMAIN=your-domain.example.com\nADMIN_PASSWORD=CHANGE_ME\n',
  };

  it('an unknown layout becomes usable once the compose file and the env example are chosen', async () => {
    const before = await detectRecipe(mapSource(ODD));
    expect(before.production).toBeNull();
    expect(codes(before)).toContain('recipe.no_compose');
    const r = await detectRecipe(mapSource(ODD), { composeFiles: ['deployment/app.yaml'], envExample: 'deployment/settings.sample' });
    expect(r.production).toEqual({ kind: 'chosen', files: ['deployment/app.yaml'], environment: null, envExample: 'deployment/settings.sample' });
    expect(r.choice?.code).toBe('recipe.choice.chosen_by_user');
    expect(r.composeDir).toBe('deployment');
    expect(r.envExample).toEqual({ path: 'deployment/settings.sample', keys: ['DOMAIN', 'ADMIN_PASSWORD'], problems: 0 });
    expect(r.services.map((s) => s.name)).toEqual(['web']);
    expect(r.phases[1]).toBe(true);
    expect(codes(r)).not.toContain('recipe.no_compose');
  });

  it('a chosen file that is not in the repository is said, never a crash', async () => {
    const r = await detectRecipe(mapSource(ROADMAP_FILES), { composeFiles: ['nope.yml'], envExample: 'nope.env' });
    expect(r.missing.filter((m) => m.code === 'recipe.chosen_file_missing').map((m) => m.params.file)).toEqual(['nope.yml', 'nope.env']);
    // Detection still chose the roadmap's combination.
    expect(r.production?.kind).toBe('base+prod');
  });
});

describe('the compose YAML subset', () => {
  it('reads anchors, merges, block scalars and long port syntax', () => {
    const r = parseComposeYaml('x-c: &c\n  restart: always\nservices:\n  a:\n    <<: *c\n    command: |\n      echo hi\n    ports:\n    - "80:80"\n    - target: 1\n      published: 2\n');
    expect(r).toEqual({ value: { 'x-c': { restart: 'always' }, services: { a: { restart: 'always', command: 'echo hi\n', ports: ['80:80', { target: 1, published: 2 }] } } }, errors: [] });
  });
});

describe('sources', () => {
  let fake: GitHubFake;
  let tmp: string;
  beforeAll(async () => {
    fake = await startGitHubFake({ repos: FIXTURE_REPOS });
    tmp = await mkdtemp(join(tmpdir(), 'koprogo-detect-'));
  });
  afterAll(async () => {
    await fake.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('GitHub: the roadmap layout at a release, in at most 11 API requests', async () => {
    // tree + 2 compose files, the env example, 3 monitoring scripts (what they need), the thresholds, the K3s
    // deploy script (also read as tooling) and the README (docs: no Makefile, script or workflow decided).
    const client = new GitHubClient({ baseUrl: fake.url });
    fake.resetCounter();
    const fromApi = await detectRecipe(githubSource(client, { owner: 'gilmry', name: 'koprogo' }, 'v1.0.0'));
    console.log(`recipe-requests (roadmap layout): client ${client.requestCount}, fake ${fake.requestCount}`);
    expect(client.requestCount).toBe(fake.requestCount);
    expect(fake.requestCount).toBeLessThanOrEqual(11);
    expect(fake.requestCount).toBe(11); // tree + 10 files (tooling, compose, env example, monitoring, thresholds, the Terraform root deploy.sh works in)
    expect(fromApi).toEqual(await detectRecipe(mapSource(ROADMAP_FILES)));
  });

  it('GitHub: the no-compose layout (old release) reads only the tree', async () => {
    const client = new GitHubClient({ baseUrl: fake.url });
    const r = await detectRecipe(githubSource(client, { owner: 'gilmry', name: 'koprogo' }, 'v0.9.0'));
    expect(r.missing[0]?.code).toBe('recipe.unknown_layout');
    expect(client.requestCount).toBe(1);
  });

  it('a local folder: a temp copy of the roadmap fixture gives the same recipe', async () => {
    const src = join(tmp, 'src');
    for (const [path, content] of Object.entries(ROADMAP_FILES)) {
      await mkdir(dirname(join(src, path)), { recursive: true });
      await writeFile(join(src, path), content);
    }
    await mkdir(join(src, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(src, 'node_modules', 'x', 'docker-compose.yml'), 'services: {}\n');
    const copy = join(tmp, 'copy');
    await cp(src, copy, { recursive: true });
    expect(await detectRecipe(localFolderSource(copy))).toEqual(await detectRecipe(mapSource(ROADMAP_FILES)));
    expect(await localFolderSource(copy).readText('../etc/passwd')).toBeNull();
  });
});
