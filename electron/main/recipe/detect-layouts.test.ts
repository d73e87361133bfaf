import { describe, expect, it } from 'vitest';
import type { FileMap } from '../testing/github-fake';
import { detectRecipe, type Recipe, type RecipeSource } from './detect';
import { BUILD_ONLY_FILES, MONOSITE_FILES, OVERLAY_FILES, PRIVATE_IMAGES_FILES, STANDALONE_FILES } from './fixtures/layouts';

// The layouts of issue 11: the production path the repository's own tooling runs, not a guess from file names.

const mapSource = (files: FileMap): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });
const codes = (r: Recipe) => r.missing.map((m) => m.code);
const detect = (files: FileMap, repo: { private?: boolean } = {}) => detectRecipe(mapSource(files), {}, { owner: 'acme', name: 'koprogo', ...repo });

describe('(f) a root dev compose + production overlay, run by the CI deploy workflow', () => {
  it('takes the workflow’s combination and its --env-file, and says which source decided', async () => {
    const r = await detect(OVERLAY_FILES);
    expect(r.production).toMatchObject({ kind: 'tooling', files: ['docker-compose.yml', 'docker-compose.prod.yml'], envFile: '.env.production', envExample: '.env.production.example' });
    expect(r.production?.source?.[0]).toMatchObject({ kind: 'workflow', file: '.github/workflows/deploy-vps.yml', target: 'deploy' });
    expect(r.choice).toMatchObject({ code: 'recipe.choice.tooling_workflow', params: { sourceFile: '.github/workflows/deploy-vps.yml', target: 'deploy' } });
    expect(r.envFile).toBe('.env.production');
  });

  it('without the workflow, the stale script (its file is gone) is said, never used, and the file names decide', async () => {
    const { '.github/workflows/deploy-vps.yml': _w, ...rest } = OVERLAY_FILES;
    const r = await detect(rest);
    expect(r.missing).toContainEqual({ code: 'recipe.tooling_stale', params: { sourceKind: 'script', sourceFile: 'scripts/deploy-prod.sh', target: '', via: '', missing: 'docker-compose.production.yml' }, severity: 'info' });
    expect(r.production).toMatchObject({ kind: 'base+prod', files: ['docker-compose.yml', 'docker-compose.prod.yml'], envExample: '.env.production.example' });
    expect(r.envFile).toBe('.env');
  });

  it('the dev file’s published ports stay published (Compose concatenates ports): each is a risk', async () => {
    const r = await detect(OVERLAY_FILES);
    expect(r.exposure.map((e) => [e.service, e.kind, e.published, e.target, e.file])).toEqual([
      ['postgres', 'database', '5432', 5432, 'docker-compose.yml'],
      ['backend', 'backend', '8080', 8080, 'docker-compose.yml'],
      ['frontend', 'frontend', '3000', 3000, 'docker-compose.yml'],
      // Traefik's insecure dashboard; its 80/443 are meant to be public.
      ['traefik', 'proxy', '8081', 8080, 'docker-compose.prod.yml'],
    ]);
  });

  it('registry images are pulled, moving tags marked; the CI that publishes them is named', async () => {
    const r = await detect(OVERLAY_FILES);
    expect(r.images.build).toEqual([]);
    expect(r.images.pull.filter((p) => p.moving).map((p) => p.service)).toEqual(['backend', 'frontend']);
    expect(r.images.ci).toBe('.github/workflows/docker-build-push.yml');
    // Source bind mounts of the dev file are the repository's code, not data to back up.
    expect(r.backup.notCovered.filter((n) => n.reason === 'in-repository').map((n) => n.source)).toEqual(['./backend', './frontend/src']);
  });
});

describe('(g) a standalone production compose in deploy/production/, run by `make deploy-prod`', () => {
  it('uses it alone (never merged with the root dev compose), from the Makefile target through the GitOps script', async () => {
    const r = await detect(STANDALONE_FILES);
    expect(r.production?.files).toEqual(['deploy/production/docker-compose.yml']);
    expect(r.production?.source?.map((s) => [s.kind, s.file, s.target])).toEqual([
      ['makefile', 'Makefile', 'deploy-prod'],
      ['script', 'deploy/production/gitops-deploy.sh', 'deploy'],
    ]);
    expect(r.choice?.params).toMatchObject({ sourceKind: 'makefile', target: 'deploy-prod', via: 'deploy/production/gitops-deploy.sh' });
    // No --env-file: Compose reads .env in the project folder.
    expect(r.envFile).toBe('deploy/production/.env');
    expect(r.envExample?.path).toBe('deploy/production/.env.example');
    // Staging, dev and MCP targets were read and are not production.
    expect(r.tooling.filter((t) => t.subcommand === 'up' && t.production === false).map((t) => t.chain[0]?.target)).toEqual(['dev', 'mcp-up', 'deploy-staging']);
  });

  it('the backend’s health through Traefik with its Host rule; MinIO’s healthcheck is not the application’s', async () => {
    const r = await detect(STANDALONE_FILES);
    expect(r.backend).toBe('backend');
    expect(r.health).toEqual({
      service: 'backend',
      url: 'http://localhost:8080/api/v1/health',
      path: '/api/v1/health',
      containerPort: 8080,
      publishedPort: null,
      via: 'proxy',
      host: '${API_DOMAIN:-api2.koprogo.com}',
      proxyPort: '443',
      proxyScheme: 'https',
    });
    expect(r.exposure.map((e) => [e.service, e.kind, e.published])).toEqual([['minio', 'storage', '9001']]);
  });

  it('backups cover PostgreSQL, MinIO and uploads; logs, certificates and the database files are listed as not covered', async () => {
    const r = await detect(STANDALONE_FILES);
    expect(r.backup.covered.map((c) => [c.kind, c.service, c.source, c.what])).toEqual([
      ['postgres', 'postgres', 'koprogo_db', 'database'],
      ['volume', 'backend', 'backend_uploads', 'uploads'],
      ['volume', 'minio', 'minio_data', 'object-storage'],
    ]);
    expect(r.backup.notCovered.map((c) => [c.source, c.reason])).toEqual([
      ['/var/run/docker.sock', 'socket'],
      ['traefik_letsencrypt', 'certificates'],
      ['postgres_data', 'database-files'],
      ['backend_logs', 'logs'],
    ]);
  });

  it('what phase 2 starts from, the seeded superadmin, the container names of a copy started by the script', async () => {
    const r = await detect(STANDALONE_FILES);
    expect(r.tuning.postgres?.command).toEqual(['postgres', '-c', 'shared_buffers=256MB', '-c', 'max_connections=15', '-c', 'max_wal_size=1GB', '-c', 'log_min_duration_statement=1000', '-c', 'shared_preload_libraries=pg_stat_statements']);
    expect(r.tuning.backend).toEqual({ service: 'backend', resources: { limits: { memory: '384M', cpus: '0.75' }, reservations: { memory: '256M' } } });
    expect(r.defaultCredentials).toEqual([{ file: 'backend/migrations/20250102000000_seed_superadmin.sql', user: 'admin@koprogo.com', password: 'admin123' }]);
    expect(r.adoption).toEqual({ containerNames: ['koprogo-traefik', 'koprogo-postgres', 'koprogo-backend', 'koprogo-frontend', 'koprogo-minio'], project: 'production' });
  });

  it('the monitoring scripts’ needs (bc, psql, DATABASE_URL, exit 1 = warning) and the repository’s log retention', async () => {
    const r = await detect(STANDALONE_FILES);
    expect(Object.fromEntries(r.monitoring.scripts.map((s) => [s.path.split('/').pop(), s.needs]))).toEqual({
      'capacity_calculator.sh': { packages: ['bc'], psql: true, databaseUrl: true, warningExit: false },
      'postgres_metrics.sh': { packages: [], psql: true, databaseUrl: true, warningExit: true },
      'vps_metrics.sh': { packages: ['bc', 'procps'], psql: true, databaseUrl: true, warningExit: true },
    });
    expect(r.monitoring.retentionDays).toBe(7);
  });
});

describe('(h) a shared base + per-environment override, chosen by the Makefile', () => {
  it('the base in infrastructure/_shared/ and the production override, with the Makefile’s --env-file', async () => {
    const r = await detect(MONOSITE_FILES);
    expect(r.production).toMatchObject({
      kind: 'tooling',
      files: ['infrastructure/_shared/docker-compose/docker-compose.base.yml', 'infrastructure/monosite/vps/production/docker-compose.override.yml'],
      envFile: 'infrastructure/monosite/vps/production/.env',
      envExample: 'infrastructure/monosite/vps/production/.env.example',
    });
    expect(r.production?.source?.[0]).toMatchObject({ kind: 'makefile', file: 'Makefile', target: 'vps-deploy' });
    // The dev target runs the dev override: not production.
    expect(r.tooling.find((t) => t.chain[0]?.target === 'vps-dev-deploy')?.production).toBe(false);
    // The override adds 443 and the backend's limits merge with the base's.
    expect(r.services.find((s) => s.name === 'traefik')?.ports.map((p) => p.published)).toEqual(['80', '443']);
    expect(r.tuning.backend?.resources).toEqual({ limits: { memory: '384M', cpus: '0.75' }, reservations: { memory: '256M' } });
  });

  it('without the Makefile, the override alone is completed with the one shared base, and the Code step is told it is a guess', async () => {
    const { Makefile: _m, ...rest } = MONOSITE_FILES;
    const r = await detect(rest);
    expect(r.production?.kind).toBe('shared-base');
    expect(r.production?.files[0]).toBe('infrastructure/_shared/docker-compose/docker-compose.base.yml');
    expect(codes(r)).toContain('recipe.base_guessed');
  });
});

describe('(i) images built from source only; the production command in the README', () => {
  it('the README’s production block decides; the services to build and their language are known', async () => {
    const r = await detect(BUILD_ONLY_FILES);
    expect(r.production).toMatchObject({ kind: 'tooling', files: ['docker-compose.yml', 'docker-compose.prod.yml'] });
    expect(r.production?.source?.[0]).toMatchObject({ kind: 'docs', file: 'README.md', target: 'Production deployment' });
    expect(r.images.build).toEqual([
      { service: 'backend', context: 'backend', dockerfile: null, language: 'rust' },
      { service: 'frontend', context: 'frontend', dockerfile: null, language: 'node' },
    ]);
    expect(r.images.pull.map((p) => p.service)).toEqual(['postgres']);
  });
});

describe('(j) private images on GHCR', () => {
  it('the repository’s own images of a private repository are marked private (the app logs in)', async () => {
    const r = await detect(PRIVATE_IMAGES_FILES, { private: true });
    expect(r.images.pull.filter((p) => p.private).map((p) => [p.service, p.registry, p.moving])).toEqual([
      ['backend', 'ghcr.io', false],
      ['frontend', 'ghcr.io', false],
    ]);
    const pub = await detect(PRIVATE_IMAGES_FILES, { private: false });
    expect(pub.images.pull.some((p) => p.private)).toBe(false);
  });
});

describe('reading the tooling is bounded', () => {
  it('at most 8 tooling files, each read once', async () => {
    const many: Record<string, string> = { ...STANDALONE_FILES };
    for (let i = 0; i < 20; i += 1) many[`scripts/deploy-${i}.sh`] = '#!/bin/sh\necho nothing\n';
    const r = await detect(many);
    expect(new Set(r.filesRead).size).toBe(r.filesRead.length);
    expect(r.filesRead.filter((f) => f.startsWith('scripts/'))).toHaveLength(0);
    expect(r.production?.source?.[0]?.target).toBe('deploy-prod');
  });
});

describe('images: prebuilt first, a local tag beside a build section is built', () => {
  it('pulls a registry image even with a build section; builds one named only locally', async () => {
    const files = {
      'docker-compose.yml': 'services:\n  api:\n    image: ghcr.io/acme/api:1\n    build: ./api\n  worker:\n    image: koprogo-worker:local\n    build: ./worker\n  db:\n    image: postgres:15\n',
      'docker-compose.prod.yml': 'services:\n  api:\n    restart: always\n',
    };
    const r = await detect(files);
    expect(r.images.pull.map((p) => p.service)).toEqual(['api', 'db']);
    expect(r.images.build.map((b) => b.service)).toEqual(['worker']);
  });
});
