import { describe, expect, it } from 'vitest';
import type { Profile } from '../../shared/profile';
import { detectRecipe, type RecipeSource } from '../recipe/detect';
import { OVERLAY_FILES, STANDALONE_FILES } from '../recipe/fixtures/layouts';
import { settingsFromRecipe } from '../recipe/recipe-settings';
import { composeSettingsFrom } from './deploy-settings';
import { planReview } from './deploy-review';

// From the recipe's settings and the .env to what the steps are built with (issue 11).

const mapSource = (files: Record<string, string>): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });

async function profileFor(files: Record<string, string>, extra: Record<string, string> = {}): Promise<Profile> {
  const recipe = await detectRecipe(mapSource(files), {}, { owner: 'acme', name: 'koprogo' });
  return {
    version: 1,
    id: 'p',
    name: 'p',
    phase: 1,
    provider: { kind: 'existing' },
    server: { host: '203.0.113.7', port: 22, user: 'root' },
    repo: { url: 'https://github.com/acme/koprogo', ref: 'main' },
    settings: { ...settingsFromRecipe(recipe), ...extra },
    secrets: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const ENV = 'GITHUB_REPOSITORY=acme/koprogo\nIMAGE_TAG=1.4.2\nAPI_DOMAIN=api.koprogo.be\nPOSTGRES_PASSWORD=pg-secret-from-env\n';

describe('composeSettingsFrom with a recipe', () => {
  it('images resolved with the .env: a fixed tag is not moving, the default latest is; nothing is built', async () => {
    const profile = await profileFor(STANDALONE_FILES);
    const fixed = composeSettingsFrom(profile, { envContent: ENV, publicKey: 'k' });
    expect(fixed.images?.pull.find((p) => p.service === 'backend')).toEqual({ service: 'backend', image: 'ghcr.io/acme/koprogo/backend:1.4.2', moving: false });
    expect(fixed.images?.build).toEqual([]);
    const latest = composeSettingsFrom(profile, { envContent: ENV.replace('IMAGE_TAG=1.4.2\n', ''), publicKey: 'k' });
    expect(latest.images?.pull.find((p) => p.service === 'backend')).toMatchObject({ image: 'ghcr.io/acme/koprogo/backend:latest', moving: true });
  });

  it('the health check through the proxy: the Host from the .env, the proxy’s https port', async () => {
    const s = composeSettingsFrom(await profileFor(STANDALONE_FILES), { envContent: ENV, publicKey: 'k' });
    expect(s.healthProxy).toEqual({ host: 'api.koprogo.be', port: 443, scheme: 'https' });
    expect(s.healthUrl).toBe('https://api.koprogo.be:443/api/v1/health');
    // Without the variable, the compose file's default (as Compose would resolve it).
    expect(composeSettingsFrom(await profileFor(STANDALONE_FILES), { envContent: 'X=1\n', publicKey: 'k' }).healthProxy?.host).toBe('api2.koprogo.com');
  });

  it('the monitoring database: DATABASE_URL without the password, the password the PostgreSQL service gets', async () => {
    const s = composeSettingsFrom(await profileFor(STANDALONE_FILES), { envContent: ENV, publicKey: 'k' });
    expect(s.monitoringNeeds).toEqual({
      packages: ['bc', 'procps'],
      psql: true,
      database: { url: 'postgresql://koprogo@localhost:5432/koprogo_db', password: 'pg-secret-from-env' },
      warningExit: ['monitoring/scripts/vps_metrics.sh', 'monitoring/scripts/postgres_metrics.sh'],
      retentionDays: 7,
    });
    expect(s.backupData).toEqual({ volumes: [{ volume: 'backend_uploads', name: null }, { volume: 'minio_data', name: null }], paths: [] });
    expect(s.adoptContainerNames).toEqual(['koprogo-traefik', 'koprogo-postgres', 'koprogo-backend', 'koprogo-frontend', 'koprogo-minio']);
  });

  it('a private registry needs its password (the GitHub sign-in for GHCR); reading the server does not', async () => {
    const profile = await profileFor(STANDALONE_FILES, { 'registry.host': 'ghcr.io', 'registry.auth': 'github', 'registry.user': 'acme' });
    expect(() => composeSettingsFrom(profile, { envContent: ENV, publicKey: 'k' })).toThrow(/deploy.not_ready/);
    expect(composeSettingsFrom(profile, { envContent: ENV, publicKey: 'k', githubToken: 'gho_token' }).registry).toEqual({ host: 'ghcr.io', user: 'acme', password: 'gho_token' });
    expect(composeSettingsFrom(profile, { envContent: '', publicKey: 'x', purpose: 'server' }).layout.stateDir).toBe('/var/lib/koprogo-deploy');
  });

  it('exposed ports bound to 127.0.0.1 only with consent, from the texts the recipe read (another recipe’s are refused)', async () => {
    const no = await profileFor(OVERLAY_FILES, { 'exposure.bindLocal': 'no' });
    expect(composeSettingsFrom(no, { envContent: ENV, publicKey: 'k' }).bindLocal).toBeUndefined();
    const yes = await profileFor(OVERLAY_FILES, { 'exposure.bindLocal': 'yes' });
    expect(() => composeSettingsFrom(yes, { envContent: ENV, publicKey: 'k', composeTexts: { 'other.yml': '' } })).toThrow(/deploy.not_ready/);
    const texts = { 'docker-compose.yml': OVERLAY_FILES['docker-compose.yml']!, 'docker-compose.prod.yml': OVERLAY_FILES['docker-compose.prod.yml']! };
    const s = composeSettingsFrom(yes, { envContent: ENV, publicKey: 'k', composeTexts: texts });
    expect(s.bindLocal?.map((b) => [b.file, b.copy])).toEqual([
      ['docker-compose.yml', 'docker-compose.koprogo-local.yml'],
      ['docker-compose.prod.yml', 'docker-compose.prod.koprogo-local.yml'],
    ]);
    const review = planReview(yes, s);
    expect(review.bindLocal).toBe('yes');
    expect(review.exposure.map((e) => e.service)).toEqual(['postgres', 'backend', 'frontend', 'traefik']);
  });

  it('a JSON setting that does not read back names itself', async () => {
    const profile = await profileFor(STANDALONE_FILES, { 'compose.pull': '{not json' });
    expect(() => composeSettingsFrom(profile, { envContent: ENV, publicKey: 'k' })).toThrow(expect.objectContaining({ code: 'deploy.not_ready', params: { missing: 'compose.pull' } }));
  });
});

const tzProfile = (settings: Record<string, string>): Profile => ({
  version: 1,
  id: 'tz',
  name: 'TZ',
  phase: 1,
  provider: { kind: 'existing' },
  server: { host: '203.0.113.10', port: 22, user: 'root', hostKeySha256: 'SHA256:x' },
  repo: { url: 'https://github.com/acme/koprogo', ref: 'v1.0.0' },
  settings,
  secrets: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('deployment settings', () => {
  it('takes a time zone of the IANA list only (the shape alone is not enough)', () => {
    expect(composeSettingsFrom(tzProfile({ timezone: 'Europe/Brussels' }), { envContent: 'x', publicKey: 'x' }).timezone).toBe('Europe/Brussels');
    expect(composeSettingsFrom(tzProfile({ timezone: 'UTC' }), { envContent: 'x', publicKey: 'x' }).timezone).toBe('UTC');
    expect(() => composeSettingsFrom(tzProfile({ timezone: 'Europe/Bruxelles' }), { envContent: 'x', publicKey: 'x' })).toThrow(expect.objectContaining({ code: 'deploy.not_ready', params: { missing: 'timezone' } }));
  });
});
