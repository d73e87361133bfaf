import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { healthPathFromOpenApi } from './analysis';
import { bindLocalCopies, bindLocalCopy, copyPath } from './bind-local';
import { detectRecipe, type RecipeSource } from './detect';
import { OVERLAY_FILES } from './fixtures/layouts';

// The 127.0.0.1 copies, judged by the real `docker-compose config`: the same configuration but the published
// internal ports, now on 127.0.0.1 only.

const dir = mkdtempSync(join(tmpdir(), 'koprogo-bind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mapSource = (files: Record<string, string>): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });

function config(files: Record<string, string>, combo: string[]): { services: Record<string, { ports?: Array<{ host_ip?: string } | string> }> } {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const r = spawnSync('docker-compose', [...combo.flatMap((f) => ['-f', f]), 'config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, POSTGRES_PASSWORD: 'x', API_DOMAIN: 'a.b', FRONTEND_DOMAIN: 'c.d' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return yaml.load(r.stdout) as ReturnType<typeof config>;
}

describe('bind-local copies', () => {
  it('names the copy beside its original', () => {
    expect(copyPath('docker-compose.yml')).toBe('docker-compose.koprogo-local.yml');
    expect(copyPath('deploy/prod/compose.yaml')).toBe('deploy/prod/compose.koprogo-local.yaml');
  });

  it('the combination with the copies is the same config, every published port on 127.0.0.1', async () => {
    const recipe = await detectRecipe(mapSource(OVERLAY_FILES));
    const files = recipe.production!.files;
    const copies = bindLocalCopies(files, OVERLAY_FILES, recipe.exposure);
    expect(copies.map((c) => c.file)).toEqual(['docker-compose.yml', 'docker-compose.prod.yml']);
    const withCopies = { ...OVERLAY_FILES, ...Object.fromEntries(copies.map((c) => [c.copy, c.content])) };
    const original = config(withCopies, files);
    const bound = config(withCopies, files.map((f) => copies.find((c) => c.file === f)?.copy ?? f));
    const ports = Object.values(bound.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    // Traefik's 80/443 stay public: the proxy is meant to be reached.
    for (const p of ports) {
      const text = typeof p === 'string' ? p : JSON.stringify(p);
      if (/"target":(80|443)\b|:(80|443)(\/tcp)?$/.test(text)) continue;
      expect(typeof p === 'string' ? p.startsWith('127.0.0.1:') : p.host_ip === '127.0.0.1', text).toBe(true);
    }
    for (const c of [original, bound]) for (const s of Object.values(c.services)) delete s.ports;
    expect(bound).toEqual(original);
  });

  it('long syntax gets host_ip; a port without host port stays random but local; nothing to change gives no copy', () => {
    const text = 'services:\n  db:\n    image: postgres\n    ports:\n      - target: 5432\n        published: 5432\n      - "6543"\n      - "127.0.0.1:7000:7000"\n';
    const exposures = [
      { service: 'db', kind: 'database' as const, published: '5432', target: 5432, protocol: 'tcp', file: 'c.yml' },
      { service: 'db', kind: 'database' as const, published: null, target: 6543, protocol: 'tcp', file: 'c.yml' },
    ];
    const copy = bindLocalCopy('c.yml', text, exposures)!;
    const doc = yaml.load(copy.content) as { services: { db: { ports: unknown[] } } };
    expect(doc.services.db.ports).toEqual([{ target: 5432, published: 5432, host_ip: '127.0.0.1' }, '127.0.0.1::6543', '127.0.0.1:7000:7000']);
    expect(copy.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bindLocalCopy('c.yml', text, [])).toBeNull();
  });
});

describe('health route from an OpenAPI document', () => {
  it('prefers a health path, in YAML or JSON', () => {
    expect(healthPathFromOpenApi('openapi: 3.0.0\npaths:\n  /api/v1/users:\n    get: {}\n  /api/v1/health:\n    get: {}\n  /ping:\n    get: {}\n')).toBe('/api/v1/health');
    expect(healthPathFromOpenApi('{"paths": {"/healthz": {}, "/x": {}}}')).toBe('/healthz');
    expect(healthPathFromOpenApi('paths:\n  /users: {}\n')).toBeNull();
  });
});
