import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { commandOf, interpolate, isMap, mergeComposeFiles, parseComposeFile, parsePort, type ComposeMap } from './compose-model';
import { MONOSITE_FILES, OVERLAY_FILES, STANDALONE_FILES } from './fixtures/layouts';

// The model's merge of a combination against the real `docker-compose config` (Debian's Compose v1): the same
// services, published ports (an overlay cannot unpublish), commands, deploy.resources and volumes.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function composeConfig(files: Record<string, string>, combo: string[], env: Record<string, string>): ComposeMap {
  const dir = mkdtempSync(join(tmpdir(), 'koprogo-model-'));
  dirs.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const envFile = join(dir, 'test.env');
  writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  const r = spawnSync('docker-compose', ['--env-file', envFile, ...combo.flatMap((f) => ['-f', join(dir, f)]), 'config'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return yaml.load(r.stdout) as ComposeMap;
}

const ENV = { API_DOMAIN: 'api.koprogo.test', POSTGRES_PASSWORD: 'pw', JWT_SECRET: 'jwt', IMAGE_TAG: '1.2.3', GITHUB_REPOSITORY: 'acme/koprogo' };

function model(files: Record<string, string>, combo: string[]) {
  return mergeComposeFiles(combo.map((path) => ({ path, value: parseComposeFile(files[path] ?? '').value ?? {} })));
}

const portsOf = (svc: ComposeMap | undefined, env: Record<string, string>) =>
  (Array.isArray(svc?.ports) ? svc.ports : [])
    .map((p) => parsePort(p))
    .map((p) => `${p?.hostIp ? interpolate(p.hostIp, env) : '0.0.0.0'}:${p?.published ? interpolate(p.published, env) : ''}:${p?.target}`)
    .sort();

describe.each([
  ['root dev compose + production overlay', OVERLAY_FILES, ['docker-compose.yml', 'docker-compose.prod.yml']],
  ['standalone production compose', STANDALONE_FILES, ['deploy/production/docker-compose.yml']],
  ['shared base + production override', MONOSITE_FILES, ['infrastructure/_shared/docker-compose/docker-compose.base.yml', 'infrastructure/monosite/vps/production/docker-compose.override.yml']],
])('%s: the model merges as docker-compose config does', (_name, files, combo) => {
  const real = composeConfig(files, combo, ENV);
  const ours = model(files, combo);
  const realServices = isMap(real.services) ? real.services : {};

  it('the same services and published ports (concatenated across files)', () => {
    expect(Object.keys(ours.services).sort()).toEqual(Object.keys(realServices).sort());
    for (const name of Object.keys(realServices)) expect(portsOf(ours.services[name], ENV), name).toEqual(portsOf(realServices[name] as ComposeMap, ENV));
  });

  it('the same commands, deploy.resources and volume targets', () => {
    for (const [name, r] of Object.entries(realServices) as Array<[string, ComposeMap]>) {
      const o = ours.services[name] ?? {};
      const cmd = commandOf(o.command);
      const expected = commandOf(r.command);
      expect(Array.isArray(cmd) ? cmd.map((c) => interpolate(c, ENV)) : cmd === null ? null : interpolate(cmd, ENV).split(' '), name).toEqual(Array.isArray(expected) || expected === null ? expected : expected.split(' '));
      const resources = (d: unknown) => JSON.parse(interpolate(JSON.stringify(isMap(d) ? (d.resources ?? null) : null), ENV).replace(/"(\d+(\.\d+)?)"/gu, '$1'));
      expect(resources(o.deploy), name).toEqual(resources(r.deploy));
      const targets = (s: ComposeMap) => (Array.isArray(s.volumes) ? s.volumes : []).map((v) => (isMap(v) ? String(v.target) : String(v).split(':')[1] ?? String(v))).sort();
      expect(targets(o), name).toEqual(targets(r));
    }
  });
});
