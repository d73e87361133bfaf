import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { dispatch } from '../ipc/dispatcher';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { createHandlers } from '../services/handlers';
import { readableEd25519 } from '../ssh/keys';
import { electronUpdater, lazyElectronUpdater, type AppUpdaterLike } from '../electron-updater';
import { notesText, UpdateService, type Updater } from './update';

// The desktop lifecycle through the contract: a profile moved to another computer (its secrets only
// inside a passphrase-encrypted envelope, or not at all), the diagnostics zip (no canary secret in any
// of its files, even one a log kept in clear), and auto-update that never installs during a deployment.

const CANARY = { key: readableEd25519().private, env: 'DOMAIN=koprogo.example\nPOSTGRES_PASSWORD=CANARY-diag-7f3e91\nJWT_SECRET=CANARY-jwt-4b2a8c77\n', repo: 'CANARY-repo-key-0c55', token: 'CANARY-hetzner-token-5d8e', github: 'ghp_CANARYgithubtoken0123456789ab' };

function door(opts: { secrets?: MemorySecretStore; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'koprogo-life-'));
  const secrets = opts.secrets ?? new MemorySecretStore();
  const events: { event: EventName; payload: unknown }[] = [];
  const handlers = createHandlers({
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '9.9.9',
    frontDoor: 'test',
    systemLanguages: () => ['en'],
    openExternal: null,
    secrets,
    log: new Logger(join(dataDir, 'logs', 'app.log')),
    emit: (event, payload) => events.push({ event, payload }),
  });
  const call = async <T,>(method: string, input: unknown): Promise<T> => {
    const r = (await dispatch(handlers, method, input)) as Envelope<T>;
    if (!r.ok) throw Object.assign(new Error(r.error.code), { envelope: r.error });
    return r.value;
  };
  const fail = async (method: string, input: unknown): Promise<string> => {
    const r = await dispatch(handlers, method, input);
    return r.ok ? 'no error' : r.error.code;
  };
  return { dataDir, secrets, events, call, fail };
}

const profile = {
  id: 'acme',
  name: 'ACME',
  phase: 1,
  provider: { kind: 'existing' },
  server: { host: '203.0.113.10', port: 22, user: 'root', hostKeySha256: 'SHA256:abcdef' },
  repo: { url: 'https://github.com/acme/koprogo', ref: 'v1.0.0' },
  settings: { hostname: 'acme-prod', timezone: 'Europe/Brussels' },
  secrets: {},
};

async function seeded() {
  const d = door();
  await d.call('profiles.save', profile);
  await d.secrets.set('acme.ssh-key', CANARY.key);
  await d.secrets.set('acme.env', CANARY.env);
  await d.secrets.set('acme.repo-key', CANARY.repo);
  await d.secrets.set('provider.hetzner.token', CANARY.token);
  await d.secrets.set('github.token', CANARY.github);
  return d;
}

const everyCanary = (text: string) => [CANARY.key.split('\n')[1]!, 'CANARY-diag-7f3e91', 'CANARY-jwt-4b2a8c77', CANARY.repo, CANARY.token, CANARY.github].filter((c) => text.includes(c));

describe('profile export and import', () => {
  it('with a passphrase: round-trips the profile and its secrets, none of them in clear in the file', async () => {
    const a = await seeded();
    const out = await a.call<{ filename: string; content: string; secrets: string[] }>('profiles.export', { id: 'acme', passphrase: 'correct horse battery' });
    expect(out.filename).toBe('koprogo-deploy-acme.json');
    expect(out.secrets.sort()).toEqual(['env', 'repo-key', 'ssh-key']);
    expect(everyCanary(out.content)).toEqual([]);
    expect(out.content).not.toContain('BEGIN OPENSSH PRIVATE KEY');

    // Another computer: the wrong passphrase is refused and saves nothing; the right one restores all.
    const b = door();
    expect(await b.fail('profiles.import', { content: out.content, passphrase: 'wrong passphrase!' })).toBe('transfer.passphrase_wrong');
    expect((await b.call<{ profiles: unknown[] }>('profiles.list', {})).profiles).toEqual([]);
    const imported = await b.call<{ profile: { id: string }; restored: string[]; sealed: boolean }>('profiles.import', { content: out.content, passphrase: 'correct horse battery' });
    expect(imported).toMatchObject({ profile: { id: 'acme' }, sealed: false });
    expect(imported.restored.sort()).toEqual(['env', 'repo-key', 'ssh-key']);
    expect(await b.secrets.get('acme.ssh-key')).toBe(CANARY.key);
    expect(await b.secrets.get('acme.env')).toBe(CANARY.env);
    expect(await b.call('profiles.get', { id: 'acme' })).toMatchObject({ server: profile.server, repo: profile.repo, settings: profile.settings });
    // Account credentials never travel with a deployment.
    expect(await b.secrets.get('provider.hetzner.token')).toBeNull();
    // Nothing secret on the new computer's disk either (the session store keeps them in memory).
    const disk = readdirSync(b.dataDir, { recursive: true }).map(String).filter((f) => statSync(join(b.dataDir, f)).isFile()).map((f) => readFileSync(join(b.dataDir, f), 'utf8')).join('\n');
    expect(everyCanary(disk)).toEqual([]);
    // A second import keeps the first: the new one is named beside it.
    const again = await b.call<{ profile: { id: string } }>('profiles.import', { content: out.content, passphrase: 'correct horse battery' });
    expect(again.profile.id).toBe('acme-2');
  });

  it('without a passphrase: the file holds no secret; imported, the missing ones are asked for again', async () => {
    const a = await seeded();
    const out = await a.call<{ content: string; secrets: string[] }>('profiles.export', { id: 'acme', passphrase: null });
    expect(out.secrets).toEqual([]);
    expect(everyCanary(out.content)).toEqual([]);
    const b = door();
    const imported = await b.call<{ restored: string[] }>('profiles.import', { content: out.content, passphrase: null });
    expect(imported.restored).toEqual([]);
    // The one cause, named: the server is trusted and its key is not here.
    expect(await b.call('deploy.secrets', { profileId: 'acme' })).toEqual({ persistent: false, missing: ['sshKey'] });
  });

  it('refuses a short passphrase, a damaged or foreign file', async () => {
    const a = await seeded();
    expect(await a.fail('profiles.export', { id: 'acme', passphrase: 'short' })).toBe('transfer.passphrase_too_short');
    const out = await a.call<{ content: string }>('profiles.export', { id: 'acme', passphrase: 'correct horse battery' });
    // The envelope is authenticated (GCM) and bound to its profile's id: changed, it does not open.
    const tampered = JSON.parse(out.content) as { profile: { id: string }; secrets: { data: string } };
    tampered.profile.id = 'other';
    expect(await a.fail('profiles.import', { content: JSON.stringify(tampered), passphrase: 'correct horse battery' })).toBe('transfer.passphrase_wrong');
    const flipped = JSON.parse(out.content) as { secrets: { data: string } };
    flipped.secrets.data = (flipped.secrets.data[0] === 'A' ? 'B' : 'A') + flipped.secrets.data.slice(1);
    expect(await a.fail('profiles.import', { content: JSON.stringify(flipped), passphrase: 'correct horse battery' })).toBe('transfer.passphrase_wrong');
    expect(await a.fail('profiles.import', { content: '{"format":"something else"}', passphrase: null })).toBe('transfer.file_invalid');
    expect(await a.fail('profiles.import', { content: 'not json', passphrase: null })).toBe('transfer.file_invalid');
  });
});

describe('diagnostics export', () => {
  it('is a zip of versions, profile shapes, journals, last run and logs, with no canary secret anywhere', async () => {
    const d = await seeded();
    // A log written in clear (an older version, or a secret never registered in this session).
    mkdirSync(join(d.dataDir, 'logs'), { recursive: true });
    appendFileSync(join(d.dataDir, 'logs', 'web.log'), `2026-01-01 INFO env ${CANARY.env}\nkey ${CANARY.key}\nAuthorization: Bearer ${CANARY.token}\n${CANARY.github}\n`);
    mkdirSync(join(d.dataDir, 'journals'), { recursive: true });
    appendFileSync(join(d.dataDir, 'journals', 'acme.last-run.json'), JSON.stringify({ lines: [{ line: `POSTGRES_PASSWORD=CANARY-diag-7f3e91` }] }));
    const r = await d.call<{ filename: string; zip: string; files: string[] }>('diagnostics.export', {});
    expect(r.filename).toMatch(/^koprogo-deploy-diagnostics-.*\.zip$/);
    const files = unzipSync(Buffer.from(r.zip, 'base64'));
    expect(Object.keys(files).sort()).toEqual(['README.txt', 'logs/web.log', 'profiles/acme.shape.json', 'runs/acme.last-run.json', 'versions.json']);
    const all = Object.values(files).map((f) => strFromU8(f)).join('\n');
    expect(everyCanary(all)).toEqual([]);
    expect(all).not.toContain('203.0.113.10');
    expect(strFromU8(files['logs/web.log']!)).toContain('Authorization: Bearer ••••••');
    expect(JSON.parse(strFromU8(files['versions.json']!))).toMatchObject({ app: { version: '9.9.9', frontDoor: 'test', secretsPersist: false } });
    expect(JSON.parse(strFromU8(files['profiles/acme.shape.json']!))).toMatchObject({ id: 'acme', provider: 'existing', server: { pinned: true }, repo: { host: 'github.com' }, settings: { hostname: 'text(9)' } });
  });
});

describe('auto-update', () => {
  const fake = (version: string | null) => {
    const calls: string[] = [];
    const updater: Updater = {
      check: async () => (version ? { version, notes: 'Faster health checks', date: '2026-02-01' } : null),
      download: async (onProgress) => {
        calls.push('download');
        onProgress(50);
        onProgress(100);
      },
      install: () => calls.push('install'),
    };
    return { updater, calls };
  };

  it('says a new version with its notes, downloads and installs it when asked', async () => {
    const { updater, calls } = fake('0.2.0');
    const states: string[] = [];
    const s = new UpdateService({ updater, currentVersion: '0.1.0', deploying: () => false, emit: (_e, p) => states.push((p as { status: string }).status), log: new Logger(null) });
    expect((await s.check())).toMatchObject({ status: 'available', current: '0.1.0', available: { version: '0.2.0', notes: 'Faster health checks' } });
    expect(await s.install()).toEqual({ scheduled: 'now' });
    expect(calls).toEqual(['download', 'install']);
    expect(states).toEqual(['checking', 'available', 'downloading', 'downloading', 'downloading', 'ready']);
  });

  it('never installs during a deployment: it waits for its end', async () => {
    const { updater, calls } = fake('0.2.0');
    let deploying = true;
    const s = new UpdateService({ updater, currentVersion: '0.1.0', deploying: () => deploying, emit: () => undefined, log: new Logger(null) });
    await s.check();
    expect(await s.install()).toEqual({ scheduled: 'after_deployment' });
    expect(s.get()).toMatchObject({ status: 'ready', waitingForDeployment: true });
    expect(calls).toEqual(['download']);
    s.deploymentEnded(); // another run still going on: still waiting
    expect(calls).toEqual(['download']);
    deploying = false;
    s.deploymentEnded();
    expect(calls).toEqual(['download', 'install']);
    expect(s.get().waitingForDeployment).toBe(false);
  });

  it('is "unsupported" without an updater (web mode, CLI), and up to date when there is nothing newer', async () => {
    const none = new UpdateService({ updater: null, currentVersion: '0.1.0', deploying: () => false, emit: () => undefined, log: new Logger(null) });
    expect((await none.check()).status).toBe('unsupported');
    expect((await door().call<{ status: string }>('update.status', {})).status).toBe('unsupported');
    const latest = new UpdateService({ updater: fake(null).updater, currentVersion: '0.1.0', deploying: () => false, emit: () => undefined, log: new Logger(null) });
    expect((await latest.check()).status).toBe('up_to_date');
  });

  it('electron-updater is driven by the user: no download or install behind their back; notes become text', async () => {
    const listeners: ((i: { percent: number }) => void)[] = [];
    const calls: string[] = [];
    const app: AppUpdaterLike = {
      autoDownload: true,
      autoInstallOnAppQuit: true,
      allowPrerelease: true,
      checkForUpdates: async () => ({ isUpdateAvailable: true, updateInfo: { version: '0.2.0', releaseNotes: '<h2>What changed</h2><ul><li>Faster &amp; safer</li></ul><script>alert(1)</script>', releaseDate: '2026-02-01' } }),
      downloadUpdate: async () => {
        for (const l of listeners) l({ percent: 42 });
        calls.push('downloadUpdate');
        return [];
      },
      quitAndInstall: (silent, run) => calls.push(`quitAndInstall(${String(silent)},${String(run)})`),
      on: (_e, l) => listeners.push(l),
      removeListener: (_e, l) => listeners.splice(listeners.indexOf(l), 1),
    };
    const u = electronUpdater(app, '0.1.0');
    expect([app.autoDownload, app.autoInstallOnAppQuit, app.allowPrerelease]).toEqual([false, false, false]);
    const found = await u.check();
    expect(found).toEqual({ version: '0.2.0', notes: 'What changed\n• Faster & safer\nalert(1)', date: '2026-02-01' });
    const seen: number[] = [];
    await u.download((p) => seen.push(p));
    expect(seen).toEqual([42]);
    expect(listeners).toHaveLength(0);
    u.install();
    expect(calls).toEqual(['downloadUpdate', 'quitAndInstall(true,true)']);
    expect(notesText([{ version: '0.2.0', note: '<p>One</p>' }])).toBe('0.2.0\nOne');

    // Loaded on the first check only (not at start-up), and once.
    let loads = 0;
    const lazy = lazyElectronUpdater(async () => {
      loads += 1;
      return app;
    }, '0.1.0');
    expect(loads).toBe(0);
    await lazy.check();
    await lazy.check();
    expect(loads).toBe(1);
  });
});
