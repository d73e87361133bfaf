import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli';
import { detectK3s } from '../recipe/detect-k3s';
import { ProfileStore } from '../store/profile-store';
import { startK8sFake, type K8sFake } from '../testing/k8s-fake';
import { K3S_SETTINGS } from './settings';
import { createFakeTools, type FakeTools } from './testing/fake-tools';
import { K3S_SCRIPT_FILES } from './testing/fixtures';
import { CANARY_OVH, CANARY_VALUES } from './testing/harness';
import { createK3sFixtureRepo, type K3sFixtureRepo } from './testing/repo';

// `cli deploy` and `cli status` for a K3s profile, on this computer: the roadmap's exported OVH_* variables (the CLI
// has no keychain), the other variables from --env-file, the question answered yes with --yes or on stdin, the
// terminal output printed as it comes; then the cluster's nodes and pods.

let dataDir: string;
let home: string;
let k8s: K8sFake;
let tools: FakeTools;
let repo: K3sFixtureRepo;
const saved = { ...process.env };

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, (s) => (out += s), (s) => (err += s), Readable.from([stdin]));
  return { code, out, err };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-cli-k3s-'));
  home = mkdtempSync(join(tmpdir(), 'koprogo-cli-k3s-home-'));
  k8s = await startK8sFake({ state: { nodes: [{ name: 'koprogo-dev-cp-0' }], pods: [{ namespace: 'koprogo', name: 'koprogo-backend-0' }] } });
  const kube = join(dataDir, 'cluster.yaml');
  writeFileSync(kube, k8s.kubeconfig());
  chmodSync(kube, 0o644);
  tools = await createFakeTools({ kubeconfig: kube });
  repo = await createK3sFixtureRepo(K3S_SCRIPT_FILES);
  const entry = (await detectK3s(Object.keys(K3S_SCRIPT_FILES), async (p) => K3S_SCRIPT_FILES[p] ?? null)).k3s!.entryPoints[0]!;
  await new ProfileStore(dataDir).save({
    id: 'k3s-cli',
    name: 'K3s from the CLI',
    phase: 3,
    provider: { kind: 'ovh', endpoint: 'ovh-eu' },
    server: null,
    repo: { url: repo.url, ref: 'v1.0.0' },
    settings: { [K3S_SETTINGS.entry]: JSON.stringify(entry), [K3S_SETTINGS.environment]: 'dev', [K3S_SETTINGS.runner]: 'local' },
    secrets: {},
  });
  Object.assign(process.env, { KOPROGO_DATA_DIR: dataDir, LC_ALL: 'en_GB.UTF-8', HOME: home, PATH: `${tools.bin}:${process.env.PATH ?? ''}`, ...CANARY_OVH });
}, 60_000);

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await Promise.allSettled([k8s.close(), tools.stop(), repo.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('cli deploy and status of a K3s profile', () => {
  it('a "no" typed on stdin stops before anything is applied (exit 3, the reason and what to do)', async () => {
    const vars = join(dataDir, 'k3s.env');
    writeFileSync(vars, '# K3s variables\nKOPROGO_DOMAIN=api.koprogo.example\nOVH_APPLICATION_SECRET=not-from-a-file\n');
    const r = await run(['deploy', 'k3s-cli', '--env-file', vars], 'no\n');
    expect(r.code).toBe(3);
    expect(r.err).toContain('Plan: 3 to add, 0 to change, 0 to destroy');
    expect(r.err).toContain('Error: ');
    expect(r.out).toContain('Aborted: nothing was changed.');
  }, 120_000);

  it('--yes approves; the output streams; then status shows the nodes and pods', async () => {
    // The CLI keeps nothing between runs (no keychain): the variables come from the file again — or from the
    // environment, like the roadmap's `export` lines.
    process.env.KOPROGO_DOMAIN = 'api.koprogo.example';
    const r = await run(['deploy', 'k3s-cli', '--yes']);
    delete process.env.KOPROGO_DOMAIN;
    expect(r.code).toBe(0);
    expect(r.out).toContain('\u001b[32m');
    expect(r.out).toContain('Apply complete! Resources: 3 added');
    for (const c of CANARY_VALUES) expect(r.out + r.err).not.toContain(c);
    const s = await run(['status', 'k3s-cli']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^Cluster live, read at /);
    expect(s.out).toContain('Nodes: 1 of 1 ready');
    expect(s.out).toContain('✓ koprogo/koprogo-backend-0  Running');
    const json = JSON.parse((await run(['status', 'k3s-cli', '--json'])).out);
    expect(json).toMatchObject({ phase: 3, live: true, point: null, cluster: { error: null } });
  }, 180_000);
});
