import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { ProfileStore } from './store/profile-store';
import { startSshd, type SshdHandle } from './testing';

// `npm run cli -- status <profile> [--json]` against a real OpenSSH server: one sample now, the same
// current state the dashboard shows.

let sshd: SshdHandle;
let dataDir: string;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

beforeAll(async () => {
  sshd = await startSshd({ sudo: 'nopasswd' });
  dataDir = mkdtempSync(join(tmpdir(), 'koprogo-cli-status-'));
  process.env.KOPROGO_DATA_DIR = dataDir;
  process.env.LC_ALL = 'en_GB.UTF-8';
  await new ProfileStore(dataDir).save({
    id: 'st',
    name: 'Status',
    phase: 1,
    provider: { kind: 'existing' },
    server: { host: sshd.host, port: sshd.port, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
    repo: null,
    settings: {},
    secrets: {},
  });
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cli status', () => {
  it('--json prints the current state after one sample', async () => {
    const r = await run('status', 'st', '--key', sshd.userKeyPath, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const current = JSON.parse(r.out);
    expect(current).toMatchObject({ profileId: 'st', phase: 1, live: true, staleSince: null, thresholds: { source: 'roadmap', ram: { warn: 75, critical: 85 } }, signals: { active: [], recommendation: null } });
    expect(current.point.ramUsedPercent).toBeGreaterThan(0);
    expect(current.levels.ram).toMatch(/^(ok|warn|critical)$/);
  }, 60_000);

  it('prints a table of the metrics against their levels, in the language of the environment', async () => {
    const r = await run('status', 'st', '--key', sshd.userKeyPath);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Live, sampled at /);
    expect(r.out).toMatch(/Memory\s+\d+(\.\d)? %\s+(OK|Warning|Critical)\s+75 %\s+85 %/);
    expect(r.out).toMatch(/Disk\s+/);
    expect(r.out).toContain('No upgrade signal.');
    process.env.LC_ALL = 'fr_BE.UTF-8';
    const fr = await run('status', 'st', '--key', sshd.userKeyPath);
    process.env.LC_ALL = 'en_GB.UTF-8';
    expect(fr.out).toMatch(/^En direct, mesuré à /);
    expect(fr.out).toContain('Mémoire');
  }, 60_000);

  it('an unknown profile or a server that does not answer: a typed error and a non-zero exit', async () => {
    const missing = await run('status', 'nobody', '--key', sshd.userKeyPath);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('Error:');
    const store = new ProfileStore(dataDir);
    const p = await store.get('st');
    await store.save({ ...p, id: 'down', server: { ...p.server!, port: 1 } });
    const down = await run('status', 'down', '--key', sshd.userKeyPath, '--json');
    expect(down.code).toBe(3);
    expect(JSON.parse(down.out)).toMatchObject({ live: false, error: { code: expect.stringMatching(/^ssh\./) } });
  }, 60_000);
});
