import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract, IPC_CALL_CHANNEL, METHOD_NAMES, MAX_MESSAGE_BYTES, type EventName } from '../../shared/contract';
import type { Envelope } from '../../shared/errors';
import { createHandlers, type ServiceDeps } from '../services/handlers';
import { startWebServer, SESSION_COOKIE, type WebServer } from '../web-server';
import { startSshd, type SshdHandle } from '../testing';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { startGitHubFake, type GitHubFake } from '../testing/github-fake';
import { FIXTURE_REPOS } from '../recipe/fixtures/repos';
import { startHetznerFake, type HetznerFake } from '../testing/hetzner-fake';
import { registerIpc } from './register-ipc';

// One suite, two front doors: Electron IPC (through the registered handler, with Electron's
// structured clone in between) and the WebSocket of web mode (a real server and socket).

interface Door {
  name: string;
  dataDir: string;
  events: { event: EventName; payload: unknown }[];
  call(method: unknown, input: unknown): Promise<Envelope<unknown>>;
  sendRaw?(text: string): Promise<unknown>;
  close(): Promise<void>;
}

function deps(dataDir: string, emit: ServiceDeps['emit'], frontDoor: ServiceDeps['frontDoor']): ServiceDeps {
  return {
    dataDir,
    appName: 'KoproGo Deploy',
    appVersion: '0.0.0-test',
    frontDoor,
    systemLanguages: () => ['nl-BE'],
    openExternal: null,
    emit,
    github: { apiBaseUrl: github.url, webBaseUrl: github.url, clientId: GITHUB_CLIENT_ID },
    dnsServers: [dns.address],
    providers: { hetznerApiUrl: hetzner?.url },
  };
}

async function ipcDoor(): Promise<Door> {
  const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-ipc-'));
  const events: Door['events'] = [];
  const registered = new Map<string, (...args: unknown[]) => unknown>();
  const fakeIpc = {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => registered.set(channel, fn),
    removeHandler: (channel: string) => registered.delete(channel),
  };
  registerIpc(fakeIpc as never, createHandlers(deps(dataDir, (event, payload) => events.push({ event, payload }), 'electron')), {
    origins: ['app://koprogo'],
    trustedWebContentsIds: () => [7],
  });
  const handler = registered.get(IPC_CALL_CHANNEL)!;
  const event = { senderFrame: { url: 'app://koprogo/index.html', parent: null }, sender: { id: 7 } };
  return {
    name: 'electron-ipc',
    dataDir,
    events,
    // Electron serialises arguments with the structured clone algorithm.
    call: async (method, input) => structuredClone((await handler(event, structuredClone(method), structuredClone(input))) as Envelope<unknown>),
    close: async () => undefined,
  };
}

async function wsDoor(): Promise<Door> {
  const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-ws-'));
  const staticDir = mkdtempSync(join(tmpdir(), 'koprogo-static-'));
  const events: Door['events'] = [];
  const server: WebServer = await startWebServer({ staticDir, handlers: (emit) => createHandlers(deps(dataDir, emit, 'web')) });
  const token = new URL(server.loginUrl).hash.replace('#token=', '');
  const res = await fetch(`${server.url}session`, { method: 'POST', headers: { Origin: server.url.slice(0, -1), 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Cookie: cookie, Origin: server.url.slice(0, -1) } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  const orphans: ((v: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id: number | null; envelope?: Envelope<unknown>; event?: EventName; payload?: unknown };
    if (msg.event) events.push({ event: msg.event, payload: msg.payload });
    else if (msg.id === null) orphans.shift()?.(msg);
    else pending.get(msg.id)?.(msg.envelope);
  });
  return {
    name: 'web-socket',
    dataDir,
    events,
    call: (method, input) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve as (v: unknown) => void);
        ws.send(JSON.stringify({ id, method, input }));
      }),
    sendRaw: (text) =>
      new Promise((resolve) => {
        orphans.push(resolve);
        ws.send(text);
      }),
    close: async () => {
      ws.close();
      await server.close();
    },
  };
}

// A real SSH server for the server.* methods (no deployment runs in this suite), the GitHub fake and a DNS server.
let sshd: SshdHandle;
let github: GitHubFake;
let dns: DnsServer;
// The local fake of the Hetzner Cloud API for the provider.* methods.
let hetzner: HetznerFake;
const GITHUB_CLIENT_ID = 'Iv1.contract-test';
const GITHUB_TOKEN = 'ghp_contractTestToken0123456789abcdef';
const stateDir = mkdtempSync(join(tmpdir(), 'koprogo-state-'));
beforeAll(async () => {
  [sshd, hetzner] = await Promise.all([startSshd(), startHetznerFake()]);
  github = await startGitHubFake({ repos: FIXTURE_REPOS, tokens: [GITHUB_TOKEN], clientId: GITHUB_CLIENT_ID });
  dns = await startDnsServer({ 'api.koprogo.test': { a: ['203.0.113.10'] } });
}, 60_000);
afterAll(async () => {
  await sshd?.stop();
  await hetzner?.stop();
  await github?.close();
  await dns?.close();
});

const validProfile = {
  id: 'acme',
  name: 'ACME',
  phase: 1,
  provider: { kind: 'existing' },
  server: { host: '203.0.113.10', port: 22, user: 'deploy' },
  repo: { url: 'https://github.com/acme/koprogo', ref: 'main' },
  settings: {},
  secrets: {},
};
const liveProfile = () => ({
  ...validProfile,
  server: { host: sshd.host, port: sshd.port, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
  settings: { 'layout.stateDir': stateDir },
});

/**
 * Good input and the check of its answer, for every method of the contract. `error`: the input is
 * valid but the answer is a typed failure the method owns (never an `ipc.*` one).
 */
const good: Record<string, { input: unknown; check: (value: any) => void; error?: string }> = {
  'app.info': { input: {}, check: (v) => expect(v).toMatchObject({ name: 'KoproGo Deploy', systemLanguages: ['nl-BE'] }) },
  'phases.list': { input: {}, check: (v) => expect(v.map((p: { id: number }) => p.id)).toEqual([1, 2, 3, 4]) },
  'phases.recommend': {
    input: { copros: 60, lotsPerCopro: 8 },
    check: (v) => {
      expect(v.recommendation.phase).toBe(1);
      expect(v.economics).toMatchObject({ phase: 1, revenueMonthly: 900, costMonthly: { min: 5, max: 5 } });
    },
  },
  'settings.get': { input: {}, check: (v) => expect(v).toEqual({ language: null }) },
  'settings.set': { input: { language: 'fr' }, check: (v) => expect(v).toEqual({ language: 'fr' }) },
  'wizard.load': { input: {}, check: (v) => expect(v).toEqual({ state: { step: 'phase', phase: null, copros: null, lotsPerCopro: null, profileId: null }, problem: null }) },
  'wizard.save': { input: { step: 'phase', phase: 3, copros: 60, lotsPerCopro: 8 }, check: (v) => expect(v).toEqual({ saved: true }) },
  'wizard.reset': { input: {}, check: (v) => expect(v.state.phase).toBeNull() },
  'profiles.list': { input: {}, check: (v) => expect(v).toEqual({ profiles: [], problems: [] }) },
  'profiles.save': { input: () => liveProfile(), check: (v) => expect(v).toMatchObject({ id: 'acme', version: 1 }) },
  'profiles.get': { input: { id: 'acme' }, check: (v) => expect(v).toMatchObject({ id: 'acme', name: 'ACME' }) },
  'profiles.delete': {
    input: { id: 'acme' },
    check: (v) => {
      // The deploy key added by github.installDeployKey leaves the repository with the deployment.
      expect(v).toEqual({ deleted: true, deployKey: 'deleted' });
      expect(github.deployKeys('acme', 'koprogo-private')).toEqual([]);
    },
  },
  'shell.openExternal': { input: { url: 'https://console.hetzner.cloud/projects' }, check: (v) => expect(v).toEqual({ url: 'https://console.hetzner.cloud/projects', openedBy: 'client' }) },
  'server.generateKey': { input: { profileId: 'acme' }, check: (v) => expect(v.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ koprogo-deploy@acme$/) },
  'server.importKey': { input: () => ({ profileId: 'acme', path: sshd.userKeyPath }), check: (v) => expect(v.publicKey).toBe(sshd.userPublicKey.split(' ').slice(0, 2).join(' ')) },
  'server.publicKey': { input: { profileId: 'acme' }, check: (v) => expect(v.publicKey).toMatch(/^ssh-ed25519 /) },
  'server.probe': { input: () => ({ host: sshd.host, port: sshd.port, user: sshd.user }), check: (v) => expect(v).toEqual({ fingerprint: sshd.hostKeySha256 }) },
  'server.check': { input: { profileId: 'acme' }, check: (v) => expect(v).toMatchObject({ privilege: 'sudo' }) },
  'deploy.setEnv': { input: { profileId: 'acme', content: 'DOMAIN=x.example\nSECRET=CANARY-123456\n' }, check: (v) => expect(v).toEqual({ saved: true, persistent: false }) },
  'deploy.hasEnv': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ present: true, keys: ['DOMAIN', 'SECRET'] }) },
  'deploy.plan': {
    input: { profileId: 'acme' },
    check: (v) => {
      expect(v.entries.map((e: { stepId: string }) => e.stepId)).toContain('compose-up');
      expect(JSON.stringify(v)).not.toContain('CANARY-123456');
    },
  },
  // github.installDeployKey made the repository key before.
  'deploy.repoKey': { input: { profileId: 'acme', action: 'get' }, check: (v) => expect(v.publicKey).toMatch(/^ssh-ed25519 \S+$/) },
  'deploy.status': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ active: false, runId: null, outcome: null, steps: [], failedStep: null, error: null, finishedAt: null, log: [] }) },
  'deploy.secrets': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ persistent: false, missing: [] }) },
  'server.provideKey': { input: () => ({ profileId: 'acme', privateKey: readFileSync(sshd.userKeyPath, 'utf8') }), check: (v) => expect(v.publicKey).toBe(sshd.userPublicKey.split(' ').slice(0, 2).join(' ')) },
  'deploy.envFromServer': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ found: false, keys: [] }) },
  'update.status': { input: {}, check: (v) => expect(v).toMatchObject({ status: 'unsupported', current: '0.0.0-test' }) },
  'update.check': { input: {}, check: (v) => expect(v.status).toBe('unsupported') },
  'update.install': { input: {}, check: () => undefined, error: 'update.failed' },
  'profiles.export': { input: { id: 'acme', passphrase: null }, check: (v) => expect(v).toMatchObject({ filename: 'koprogo-deploy-acme.json', secrets: [] }) },
  'profiles.import': { input: { content: 'not a profile', passphrase: null }, check: () => undefined, error: 'transfer.file_invalid' },
  'diagnostics.export': { input: {}, check: (v) => expect(v.files).toContain('versions.json') },
  'deploy.cancel': { input: {}, check: (v) => expect(v).toEqual({ cancelled: false }) },
  'deploy.breakLock': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ broken: true }) },
  // The roadmap layout fixes no container names: nothing to look for, nothing to adopt.
  'deploy.adoption': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ found: null }) },
  'deploy.adopt': { input: { profileId: 'acme', project: 'production' }, check: () => undefined, error: 'deploy.adopt_gone' },
    'github.status': { input: {}, check: (v) => expect(v).toEqual({ signedIn: false, persistent: false, waiting: false, host: 'github.com' }) },
  'github.setToken': { input: { token: GITHUB_TOKEN }, check: (v) => expect(v).toEqual({ signedIn: true, persistent: false }) },
  'github.deviceStart': { input: {}, check: (v) => expect(v).toMatchObject({ userCode: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/), verificationUri: expect.any(String) }) },
  'github.deviceCancel': { input: {}, check: (v) => expect(v).toEqual({ cancelled: true }) },
  'repo.inspect': {
    input: { url: 'https://github.com/gilmry/koprogo' },
    check: (v) => {
      expect(v).toMatchObject({ fullName: 'gilmry/koprogo', private: false, defaultRef: { kind: 'release', ref: 'v1.0.0' } });
      expect(v.releases.map((r: { tag: string }) => r.tag)).toEqual(['v1.1.0-rc.1', 'v1.0.0', 'v0.9.0']);
    },
  },
  'recipe.detect': {
    input: { profileId: 'acme', url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' },
    check: (v) => {
      expect(v.recipe.production.kind).toBe('base+prod');
      expect(v.settings).toMatchObject({ composeFiles: 'docker-compose.yml,docker-compose.prod.yml', envFile: '.env', 'postgres.service': 'postgres' });
      expect(v.candidates).toContain('.env.vps.example');
    },
  },
  'config.form': { input: { profileId: 'acme' }, check: (v) => expect(v.form.fields.map((f: { key: string }) => f.key)).toContain('JWT_SECRET') },
  'config.save': {
    input: { profileId: 'acme', values: { API_DOMAIN: 'api.koprogo.test', ACME_EMAIL: 'ops@koprogo.be' }, htpasswd: { TRAEFIK_DASHBOARD_AUTH: { user: 'admin', password: 'a long password' } } },
    check: (v) => expect(v).toMatchObject({ ok: true, persistent: false }),
  },
  'config.dnsCheck': {
    input: { profileId: 'acme', domains: ['api.koprogo.test', 'nope.koprogo.test'] },
    check: (v) => expect(v.results.map((r: { state: string }) => r.state)).toEqual(['points_elsewhere', 'not_found']),
  },
  'github.installDeployKey': {
    input: { profileId: 'acme', url: 'git@github.com:acme/koprogo-private.git' },
    check: (v) => {
      expect(v.publicKey).toMatch(/^ssh-ed25519 /);
      expect(v.knownHosts.split('\n')[0]).toMatch(/^github\.com ssh-ed25519 /);
      expect(github.deployKeys('acme', 'koprogo-private').map((k) => k.id)).toEqual([v.keyId]);
    },
  },
  'github.forget': { input: {}, check: (v) => expect(v).toEqual({ forgotten: true }) },
  // Starting a real deployment is the integration tests' job: here a profile that does not exist.
  'deploy.start': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  // ---- providers (against the Hetzner fake; the OVH flow is the provider service's integration test)
  'provider.saveCredentials': { input: () => ({ kind: 'hetzner', token: hetzner.token }), check: (v) => expect(v).toEqual({ saved: true, persistent: false }) },
  'provider.status': { input: {}, check: (v) => expect(v).toEqual({ persistent: false, hetzner: { configured: true }, ovh: { configured: false, endpoint: null, credential: 'none' } }) },
  'provider.offers': {
    input: { phase: 1 },
    check: (v) => {
      expect(v.providers.map((p: { provider: string }) => p.provider)).toEqual(['hetzner']);
      expect(v.providers[0].offers[0]).toMatchObject({ name: 'cx22', priceMonthly: { net: 3.79, currency: 'EUR' } });
      expect(JSON.stringify(v)).not.toContain(hetzner.token);
    },
  },
  'provider.servers': { input: { provider: 'hetzner' }, check: (v) => expect(v).toEqual({ servers: [] }) },
  'provider.ovhRequestConsumerKey': { input: {}, check: () => undefined, error: 'provider.not_configured' },
  'provider.ovhStatus': { input: {}, check: () => undefined, error: 'provider.not_configured' },
  'provider.ovhVps': { input: { phase: 1 }, check: () => undefined, error: 'provider.not_configured' },
  'provider.create': { input: { profileId: 'ghost', offerId: 'hetzner:cx22@fsn1' }, check: () => undefined, error: 'profile.not_found' },
  'provider.forget': { input: { provider: 'hetzner' }, check: (v) => expect(v).toEqual({ forgotten: true }) },
  // Health: the live sampling itself is the integration tests' job; here the answers' shapes.
  'health.watch': { input: { profileId: 'acme', mode: 'background' }, check: (v) => expect(v).toEqual({ watching: true, mode: 'background' }) },
  'health.current': {
    input: { profileId: 'acme' },
    check: (v) => expect(v).toMatchObject({ profileId: 'acme', phase: 1, watching: true, mode: 'background', thresholds: { source: 'roadmap', ram: { warn: 75, critical: 85 } }, signals: { active: [] } }),
  },
  'health.history': { input: { profileId: 'acme', from: 0, to: 1000, maxPoints: 100, metrics: ['ram'] }, check: (v) => expect(v).toEqual({ from: 0, to: 1000, series: { ram: { t: [], v: [] } } }) },
  'health.exportCsv': { input: { profileId: 'acme', from: 0, to: 1000 }, check: (v) => expect(v.csv).toMatch(/^time,resolution,cpu_percent,.*\r\n$/) },
  'health.logs': { input: { profileId: 'acme', container: 'not-ours' }, check: () => undefined, error: 'health.container_unknown' },
  'health.unwatch': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ stopped: true }) },
  // K3s (phases 3–4): the runs are the k3s integration tests' job; here the answers without a K3s profile.
  'k3s.localHost': { input: {}, check: (v) => expect(v).toMatchObject({ platform: process.platform, via: 'native', ptyAvailable: true }) },
  'k3s.preflight': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'k3s.plan': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'k3s.variables': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'k3s.setVariables': { input: { profileId: 'ghost', values: { KOPROGO_DOMAIN: 'api.koprogo.test' } }, check: () => undefined, error: 'profile.not_found' },
  'k3s.start': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'k3s.answer': { input: { profileId: 'ghost', promptId: 'p-1', answer: 'yes' }, check: (v) => expect(v).toEqual({ sent: false }) },
  'k3s.input': { input: { profileId: 'ghost', text: 'yes\r' }, check: (v) => expect(v).toEqual({ sent: false }) },
  'k3s.cancel': { input: { profileId: 'ghost' }, check: (v) => expect(v).toEqual({ cancelled: false }) },
  'k3s.status': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'k3s.output': { input: { profileId: 'ghost', offset: 0 }, check: () => undefined, error: 'profile.not_found' },
  'k3s.checklist': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  // Backups: the real dump, download and restore are the integration tests' job; this profile names no database.
  'backup.list': {
    input: { profileId: 'acme' },
    check: (v) => expect(v).toMatchObject({ profileId: 'acme', database: null, dailyRetentionDays: null, backups: [], snapshots: null, serverError: null }),
  },
  'backup.create': { input: { profileId: 'acme' }, check: () => undefined, error: 'backup.no_database' },
  'backup.verify': { input: { profileId: 'acme', backupId: '20260101-000000-manual-abcdef' }, check: () => undefined, error: 'backup.no_database' },
  'backup.download': { input: { profileId: 'acme', backupId: '20260101-000000-manual-abcdef' }, check: () => undefined, error: 'backup.no_database' },
  'backup.restore': { input: { profileId: 'acme', backupId: 'koprogo_db-20260101-033000.sql.gz', confirm: true }, check: () => undefined, error: 'backup.no_database' },
  'backup.snapshot': { input: { profileId: 'ghost' }, check: () => undefined, error: 'profile.not_found' },
  'backup.installDaily': { input: { profileId: 'acme' }, check: () => undefined, error: 'backup.no_database' },
  'backup.status': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ active: null }) },
  'backup.cancel': { input: {}, check: (v) => expect(v).toEqual({ cancelled: false }) },
  // Upgrades: this profile is a server of its own (no provider): the move to phase 2 is in place.
  'upgrade.plan': {
    input: { profileId: 'acme', target: { kind: 'phase', toPhase: 2 } },
    check: (v) => {
      expect(v).toMatchObject({ profileId: 'acme', kind: 'phase-1-2', route: 'in-place', fromPhase: 1, toPhase: 2, current: null, target: null });
      expect(v.steps.map((s: { id: string }) => s.id)).toEqual(['preflight', 'backup', 'tuning', 'restart', 'health', 'record']);
      expect(v.planHash).toMatch(/^[0-9a-f]{32}$/);
    },
  },
  'upgrade.start': { input: { profileId: 'acme', target: { kind: 'phase', toPhase: 2 }, planHash: 'not-the-plan' }, check: () => undefined, error: 'upgrade.plan_changed' },
  'upgrade.status': { input: { profileId: 'acme' }, check: (v) => expect(v).toEqual({ active: false, run: null }) },
  'upgrade.timeline': { input: { profileId: 'acme', from: 0, to: 1000 }, check: (v) => expect(v).toEqual({ marks: [] }) },
  'upgrade.cancel': { input: {}, check: (v) => expect(v).toEqual({ cancelled: false }) },
  'upgrade.recognize': {
    input: () => ({ host: sshd.host, port: sshd.port, user: sshd.user, hostKeySha256: sshd.hostKeySha256, keyPath: sshd.userKeyPath, stateDir, save: false }),
    check: () => undefined,
    error: 'recognize.not_found',
  },
  // Phase 2 → 3 and 3 → 4 (this profile is phase 1 and has no cluster).
  'upgrade.setClusterDatabase': { input: { profileId: 'acme', clusterProfileId: 'no-cluster', host: '127.0.0.1', port: 15432, user: 'app', database: 'koprogo_db', password: 'x' }, check: () => undefined, error: 'profile.not_found' },
  'upgrade.rollback': { input: { profileId: 'acme' }, check: () => undefined, error: 'upgrade.rollback_unavailable' },
  'upgrade.phase4Confirm': { input: { profileId: 'acme', item: 'p4-replicate', done: true }, check: () => undefined, error: 'upgrade.not_available' },
  // The version update's ref picker reads the server's checkout: this server has none (never deployed).
  'upgrade.versions': { input: { profileId: 'acme' }, check: () => undefined, error: 'upgrade.no_checkout' },
};

/** Bad input for every method, and the field the error must point at ('' for no particular field). */
const bad: Record<string, { input: unknown; field: string }[]> = {
  'app.info': [{ input: { extra: 1 }, field: '(root)' }],
  'phases.list': [{ input: 'list', field: '(root)' }],
  'phases.recommend': [
    { input: { copros: -1, lotsPerCopro: 8 }, field: 'copros' },
    { input: { copros: 'abc', lotsPerCopro: 8 }, field: 'copros' },
    { input: { copros: 1e12, lotsPerCopro: 8 }, field: 'copros' },
    { input: { copros: 2.5, lotsPerCopro: 8 }, field: 'copros' },
    { input: { copros: 60, lotsPerCopro: 0 }, field: 'lotsPerCopro' },
    { input: { copros: 60 }, field: 'lotsPerCopro' },
    { input: { copros: 60, lotsPerCopro: 8, selected: 5 }, field: 'selected' },
  ],
  'settings.get': [{ input: [], field: '(root)' }],
  'settings.set': [{ input: { language: 'de' }, field: 'language' }],
  'wizard.load': [{ input: { x: 1 }, field: '(root)' }],
  'wizard.save': [
    { input: { step: 'phase', phase: 9, copros: 1, lotsPerCopro: 1 }, field: 'phase' },
    { input: { step: 'phase', phase: 1, copros: -3, lotsPerCopro: 1 }, field: 'copros' },
    { input: { step: 'nowhere', phase: 1, copros: 1, lotsPerCopro: 1 }, field: 'step' },
  ],
  'wizard.reset': [{ input: { force: true }, field: '(root)' }],
  'profiles.list': [{ input: 7, field: '(root)' }],
  'profiles.get': [
    { input: { id: '../../etc/passwd' }, field: 'id' },
    { input: { id: 'x'.repeat(300) }, field: 'id' },
  ],
  'profiles.save': [
    { input: { ...validProfile, id: 'Bad Id' }, field: 'id' },
    { input: { ...validProfile, phase: 0 }, field: 'phase' },
    { input: { ...validProfile, server: { host: 'a b', port: 22, user: 'deploy' } }, field: 'server.host' },
    { input: { ...validProfile, server: { host: 'h', port: 70000, user: 'deploy' } }, field: 'server.port' },
    { input: { ...validProfile, secrets: { token: { ref: 'plain-secret-value' } } }, field: 'secrets.token.ref' },
    { input: { ...validProfile, name: 'x'.repeat(500) }, field: 'name' },
  ],
  'profiles.delete': [{ input: {}, field: 'id' }],
  'shell.openExternal': [{ input: { url: 42 }, field: 'url' }],
  'server.generateKey': [{ input: { profileId: '../x' }, field: 'profileId' }],
  'server.importKey': [{ input: { profileId: 'acme', path: '' }, field: 'path' }],
  'server.publicKey': [{ input: {}, field: 'profileId' }],
  'server.probe': [
    { input: { host: 'a;b', port: 22, user: 'root' }, field: 'host' },
    { input: { host: 'h', port: 0, user: 'root' }, field: 'port' },
    { input: { host: 'h', port: 22, user: 'root; rm -rf /' }, field: 'user' },
  ],
  'server.check': [{ input: { profileId: 7 }, field: 'profileId' }],
  'deploy.setEnv': [{ input: { profileId: 'acme', content: 'x'.repeat(200_001) }, field: 'content' }],
  'deploy.hasEnv': [{ input: { profileId: 'A' }, field: 'profileId' }],
  'deploy.plan': [{ input: { profileId: '' }, field: 'profileId' }],
  'deploy.start': [{ input: { profileId: 'acme', fresh: 'yes' }, field: 'fresh' }],
  'deploy.cancel': [{ input: { all: true }, field: '(root)' }],
  'deploy.status': [{ input: {}, field: 'profileId' }],
  'deploy.repoKey': [{ input: { profileId: 'acme', action: 'steal' }, field: 'action' }],
  'deploy.breakLock': [{ input: { profileId: null }, field: 'profileId' }],
  'deploy.adoption': [{ input: { profileId: '' }, field: 'profileId' }],
  'deploy.adopt': [{ input: { profileId: 'acme', project: 'Not a project' }, field: 'project' }],
  'deploy.secrets': [{ input: {}, field: 'profileId' }],
  'server.provideKey': [{ input: { profileId: 'acme', privateKey: 'x'.repeat(20_001) }, field: 'privateKey' }],
  'deploy.envFromServer': [{ input: { profileId: '../etc' }, field: 'profileId' }],
  'update.status': [{ input: { x: 1 }, field: '(root)' }],
  'update.check': [{ input: [], field: '(root)' }],
  'update.install': [{ input: { now: true }, field: '(root)' }],
  'profiles.export': [{ input: { id: 'acme', passphrase: 'x'.repeat(1001) }, field: 'passphrase' }],
  'profiles.import': [{ input: { content: '', passphrase: null }, field: 'content' }],
  'diagnostics.export': [{ input: { all: true }, field: '(root)' }],
  'github.status': [{ input: { x: 1 }, field: '(root)' }],
  'github.setToken': [{ input: { token: '' }, field: 'token' }],
  'github.forget': [{ input: { all: true }, field: '(root)' }],
  'github.deviceStart': [{ input: [], field: '(root)' }],
  'github.deviceCancel': [{ input: { x: 1 }, field: '(root)' }],
  'repo.inspect': [{ input: { url: '' }, field: 'url' }],
  'github.installDeployKey': [{ input: { profileId: 'acme', url: 'x'.repeat(600) }, field: 'url' }],
  'recipe.detect': [{ input: { profileId: 'acme', url: 'https://github.com/a/b', ref: 'main', overrides: { composeFiles: [] } }, field: 'overrides.composeFiles' }],
  'config.form': [{ input: {}, field: 'profileId' }],
  'config.save': [{ input: { profileId: 'acme', values: { A: 5 } }, field: 'values.A' }],
  'config.dnsCheck': [{ input: { profileId: 'acme', domains: [] }, field: 'domains' }],
  'provider.status': [{ input: { x: 1 }, field: '(root)' }],
  'provider.saveCredentials': [
    { input: { kind: 'hetzner', token: 'a b' }, field: 'token' },
    { input: { kind: 'hetzner', token: 'x'.repeat(201) }, field: 'token' },
    { input: { kind: 'ovh', endpoint: 'ovh-xx', applicationKey: 'abc', applicationSecret: 'def' }, field: 'endpoint' },
    { input: { kind: 'ovh', endpoint: 'ovh-eu', applicationKey: 'a;b', applicationSecret: 'def' }, field: 'applicationKey' },
    { input: { kind: 'gcp', token: 'abc' }, field: 'kind' },
  ],
  'provider.forget': [{ input: { provider: 'aws' }, field: 'provider' }],
  'provider.ovhRequestConsumerKey': [{ input: { url: 'https://evil.example' }, field: '(root)' }],
  'provider.ovhStatus': [{ input: { poll: true }, field: '(root)' }],
  'provider.ovhVps': [{ input: { phase: '1' }, field: 'phase' }],
  'provider.offers': [{ input: { phase: 7 }, field: 'phase' }],
  'provider.create': [
    { input: { profileId: 'acme', offerId: '' }, field: 'offerId' },
    { input: { profileId: '../x', offerId: 'hetzner:cx22@fsn1' }, field: 'profileId' },
  ],
  'provider.servers': [{ input: { provider: 1 }, field: 'provider' }],
  'health.watch': [
    { input: { profileId: 'acme', mode: 'always' }, field: 'mode' },
    { input: { profileId: '../acme', mode: 'foreground' }, field: 'profileId' },
  ],
  'health.unwatch': [{ input: {}, field: 'profileId' }],
  'health.current': [{ input: { profileId: 'acme', refresh: 'yes' }, field: 'refresh' }],
  'health.history': [
    { input: { profileId: 'acme', from: 2000, to: 1000, maxPoints: 100 }, field: 'to' },
    { input: { profileId: 'acme', from: 0, to: 1000, maxPoints: 1e6 }, field: 'maxPoints' },
    { input: { profileId: 'acme', from: 0, to: 1000, maxPoints: 100, metrics: ['password'] }, field: 'metrics.0' },
  ],
  'health.exportCsv': [{ input: { profileId: 'acme', from: -1, to: 1000 }, field: 'from' }],
  'health.logs': [
    { input: { profileId: 'acme', container: 'x; rm -rf /' }, field: 'container' },
    { input: { profileId: 'acme', container: 'db', lines: 100_000 }, field: 'lines' },
  ],
  'k3s.localHost': [{ input: { x: 1 }, field: '(root)' }],
  'k3s.preflight': [{ input: { profileId: '../x' }, field: 'profileId' }],
  'k3s.plan': [{ input: { profileId: 'acme', repo: { url: '', ref: 'main' } }, field: 'repo.url' }],
  'k3s.variables': [{ input: {}, field: 'profileId' }],
  'k3s.setVariables': [{ input: { profileId: 'acme', values: { KOPROGO_DOMAIN: 'x'.repeat(10_001) } }, field: 'values.KOPROGO_DOMAIN' }],
  'k3s.start': [{ input: { profileId: 'acme', fresh: 1 }, field: 'fresh' }],
  'k3s.answer': [{ input: { profileId: 'acme', promptId: 'p', answer: 'maybe' }, field: 'answer' }],
  'k3s.input': [{ input: { profileId: 'acme', text: '' }, field: 'text' }],
  'k3s.cancel': [{ input: {}, field: 'profileId' }],
  'k3s.status': [{ input: { profileId: 5 }, field: 'profileId' }],
  'k3s.output': [{ input: { profileId: 'acme', offset: -1 }, field: 'offset' }],
  'k3s.checklist': [{ input: { profileId: 'acme', domain: 'not a domain' }, field: 'domain' }],
  'backup.list': [{ input: { profileId: '../acme' }, field: 'profileId' }],
  'backup.create': [{ input: { profileId: 'acme', verify: 'somewhere' }, field: 'verify' }],
  'backup.verify': [
    { input: { profileId: 'acme', backupId: '../../etc/passwd' }, field: 'backupId' },
    { input: { profileId: 'acme', backupId: '20260101-000000-manual-abcdef', where: 'cloud' }, field: 'where' },
  ],
  'backup.download': [{ input: { profileId: 'acme', backupId: 'x; rm -rf /' }, field: 'backupId' }],
  'backup.restore': [
    { input: { profileId: 'acme', backupId: '20260101-000000-manual-abcdef' }, field: 'confirm' },
    { input: { profileId: 'acme', backupId: '20260101-000000-manual-abcdef', confirm: false }, field: 'confirm' },
  ],
  'backup.snapshot': [{ input: {}, field: 'profileId' }],
  'backup.installDaily': [{ input: { profileId: 1 }, field: 'profileId' }],
  'backup.cancel': [{ input: { all: true }, field: '(root)' }],
  'backup.status': [{ input: {}, field: 'profileId' }],
  'upgrade.plan': [
    { input: { profileId: 'acme', target: { kind: 'phase', toPhase: 5 } }, field: 'target.toPhase' },
    { input: { profileId: 'acme', target: { kind: 'version', ref: '--upload-pack=x' } }, field: 'target.ref' },
    { input: { profileId: 'acme', target: { kind: 'version', ref: 'v1..v2' } }, field: 'target.ref' },
    { input: { profileId: 'acme', target: { kind: 'phase', toPhase: 2 }, options: { upgradeDisk: 'yes' } }, field: 'options.upgradeDisk' },
  ],
  'upgrade.start': [{ input: { profileId: 'acme', target: { kind: 'phase', toPhase: 2 } }, field: 'planHash' }],
  'upgrade.status': [{ input: {}, field: 'profileId' }],
  'upgrade.timeline': [{ input: { profileId: 'acme', from: -1, to: 0 }, field: 'from' }],
  'upgrade.cancel': [{ input: { now: true }, field: '(root)' }],
  'upgrade.recognize': [
    { input: { host: '127.0.0.1', port: 22, user: 'root', hostKeySha256: 'abc', keyPath: '/k' }, field: 'hostKeySha256' },
    { input: { host: '127.0.0.1', port: 22, user: 'root', hostKeySha256: `SHA256:${'A'.repeat(43)}`, keyPath: '/k', stateDir: 'relative/dir' }, field: 'stateDir' },
  ],
  'upgrade.setClusterDatabase': [
    { input: { profileId: 'acme', clusterProfileId: 'c', host: '127.0.0.1 ; id', port: 5432, user: 'app', database: 'db', password: 'x' }, field: 'host' },
    { input: { profileId: 'acme', clusterProfileId: 'c', host: '127.0.0.1', port: 0, user: 'app', database: 'db', password: 'x' }, field: 'port' },
  ],
  'upgrade.rollback': [{ input: {}, field: 'profileId' }],
  'upgrade.phase4Confirm': [{ input: { profileId: 'acme', item: 'p4-nope', done: true }, field: 'item' }],
  'upgrade.versions': [{ input: { profileId: 'acme', ref: 'v1' }, field: '(root)' }],
};

describe.each([['electron-ipc', ipcDoor], ['web-socket', wsDoor]] as const)('contract through %s', (_name, makeDoor) => {
  let door: Door;
  beforeAll(async () => {
    door = await makeDoor();
  });
  afterAll(async () => {
    await door.close();
  });

  it('covers every method of the contract in this suite', () => {
    expect(Object.keys(good).sort()).toEqual([...METHOD_NAMES].sort());
    expect(Object.keys(bad).sort()).toEqual([...METHOD_NAMES].sort());
  });

  // Order matters for the profile methods: save, then get, then delete.
  const later = ['profiles.', 'server.', 'deploy.', 'provider.', 'github.', 'repo.', 'recipe.', 'config.', 'health.', 'update.', 'diagnostics.', 'backup.', 'upgrade.'];
  const sequence = [
    ...Object.keys(contract).filter((m) => !later.some((p) => m.startsWith(p))),
    'profiles.list', 'profiles.save', 'profiles.get',
    'server.generateKey', 'server.importKey', 'server.publicKey', 'server.probe', 'server.check',
    'github.status', 'github.setToken', 'github.deviceStart', 'github.deviceCancel', 'repo.inspect',
    'recipe.detect', 'config.form', 'config.save', 'config.dnsCheck', 'github.installDeployKey',
    'deploy.setEnv', 'deploy.hasEnv', 'deploy.repoKey', 'deploy.plan', 'deploy.status', 'deploy.secrets', 'server.provideKey', 'deploy.envFromServer', 'deploy.cancel', 'deploy.breakLock', 'deploy.adoption', 'deploy.adopt', 'deploy.start',
    'update.status', 'update.check', 'update.install', 'profiles.export', 'profiles.import', 'diagnostics.export',
    'health.watch', 'health.current', 'health.history', 'health.exportCsv', 'health.logs', 'health.unwatch',
    'backup.list', 'backup.create', 'backup.verify', 'backup.download', 'backup.restore', 'backup.snapshot', 'backup.installDaily', 'backup.status', 'backup.cancel',
    'upgrade.plan', 'upgrade.start', 'upgrade.status', 'upgrade.timeline', 'upgrade.cancel', 'upgrade.recognize',
    'upgrade.setClusterDatabase', 'upgrade.rollback', 'upgrade.phase4Confirm', 'upgrade.versions',
    'profiles.delete', 'github.forget',
    'provider.saveCredentials', 'provider.status', 'provider.offers', 'provider.servers',
    'provider.ovhRequestConsumerKey', 'provider.ovhStatus', 'provider.ovhVps', 'provider.create', 'provider.forget',
  ];
  it('runs every method in the good-input sequence', () => expect([...sequence].sort()).toEqual([...METHOD_NAMES].sort()));
  it.each(sequence)('%s answers good input', async (method) => {
    const spec = good[method]!;
    const envelope = await door.call(method, typeof spec.input === 'function' ? (spec.input as () => unknown)() : spec.input);
    if (spec.error) {
      expect(envelope).toMatchObject({ ok: false, error: { code: spec.error } });
      return;
    }
    expect(envelope.ok, JSON.stringify(envelope)).toBe(true);
    if (envelope.ok) spec.check(envelope.value);
    // The GitHub token travels in github.setToken's input only: never in an answer.
    expect(JSON.stringify(envelope)).not.toContain(GITHUB_TOKEN);
  });

  it('the GitHub token is nowhere in the data folder (logs included) nor in an event', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [readFileSync(join(d, e.name), 'utf8')]));
    const files = walk(door.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const text of files) expect(text).not.toContain(GITHUB_TOKEN);
    expect(JSON.stringify(door.events)).not.toContain(GITHUB_TOKEN);
  });

  it.each(Object.entries(bad).flatMap(([m, cases]) => cases.map((c) => [m, c.field, c] as const)))('%s refuses a bad %s', async (method, _field, c) => {
    const before = snapshot(door.dataDir);
    const envelope = await door.call(method, c.input);
    expect(envelope.ok).toBe(false);
    if (envelope.ok) return;
    expect(envelope.error.code).toBe('ipc.invalid_input');
    expect(envelope.error.remedy).toBe('ipc.invalid_input');
    expect(envelope.error.fields?.map((f) => f.path)).toContain(c.field);
    expect(snapshot(door.dataDir)).toEqual(before); // nothing saved
  });

  it('names the problem of each field so it can be translated', async () => {
    const envelope = await door.call('phases.recommend', { copros: 2.5, lotsPerCopro: 0 });
    expect(envelope.ok === false && envelope.error.fields).toEqual([
      { path: 'copros', issue: 'not_integer', params: { expected: 'int', format: 'safeint' } },
      { path: 'lotsPerCopro', issue: 'too_small', params: { minimum: 1, origin: 'number' } },
    ]);
  });

  it('refuses an unknown method, naming it safely', async () => {
    const envelope = await door.call('system.exec\u0000<script>', {});
    expect(envelope).toEqual({ ok: false, error: { code: 'ipc.unknown_method', params: { method: 'system.exec?<script>' }, remedy: 'ipc.unknown_method' } });
    expect(await door.call(42, {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown_method', params: { method: 'number' } } });
    expect(await door.call('__proto__', {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown_method' } });
    expect(await door.call('constructor', {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown_method' } });
  });

  it('refuses a payload over the size limit', async () => {
    const envelope = await door.call('profiles.save', { ...validProfile, name: 'x'.repeat(MAX_MESSAGE_BYTES + 10) });
    expect(envelope.ok).toBe(false);
    if (!envelope.ok) expect(envelope.error).toEqual({ code: 'ipc.payload_too_large', params: { limit: MAX_MESSAGE_BYTES }, remedy: 'ipc.payload_too_large' });
    expect((await door.call('app.info', {})).ok).toBe(true); // still usable
  });

  it('a URL outside the allowed list is refused with a typed error', async () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'https://evil.example/phish', 'https://user:pw@github.com/']) {
      expect(await door.call('shell.openExternal', { url })).toMatchObject({ ok: false, error: { code: 'shell.url_not_allowed' } });
    }
  });

  it('pushes events to the front door', async () => {
    door.events.length = 0;
    await door.call('profiles.save', { ...validProfile, id: 'evented' });
    await waitFor(() => door.events.length > 0);
    expect(door.events).toContainEqual({ event: 'profiles.changed', payload: { ids: ['evented'] } });
  });
});

describe('web socket frames', () => {
  let door: Door;
  beforeAll(async () => {
    door = await wsDoor();
  });
  afterAll(async () => {
    await door.close();
  });

  it('a malformed frame gets a typed error and the socket stays usable', async () => {
    for (const text of ['not json', '[1,2]', '{"method":"app.info"}', '{"id":"7","method":"app.info"}', 'null']) {
      expect(await door.sendRaw!(text)).toEqual({ id: null, envelope: { ok: false, error: { code: 'ipc.malformed', params: {}, remedy: 'ipc.malformed' } } });
    }
    expect((await door.call('app.info', {})).ok).toBe(true);
  });
});

describe('electron IPC sender check', () => {
  it('refuses calls from another frame, another page or another window', async () => {
    const registered = new Map<string, (...args: unknown[]) => Promise<Envelope<unknown>>>();
    const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-ipc-'));
    registerIpc({ handle: (c: string, f: never) => registered.set(c, f), removeHandler: () => undefined } as never, createHandlers(deps(dataDir, () => undefined, 'electron')), {
      origins: ['app://koprogo'],
      trustedWebContentsIds: () => [7],
    });
    const handler = registered.get(IPC_CALL_CHANNEL)!;
    const attempts = [
      { senderFrame: { url: 'app://koprogo/index.html', parent: {} }, sender: { id: 7 } }, // iframe
      { senderFrame: { url: 'https://evil.example/', parent: null }, sender: { id: 7 } }, // navigated away
      { senderFrame: { url: 'file:///tmp/x.html', parent: null }, sender: { id: 7 } },
      { senderFrame: { url: 'app://koprogo/index.html', parent: null }, sender: { id: 8 } }, // other window
      { senderFrame: null, sender: { id: 7 } }, // frame gone
    ];
    for (const event of attempts) {
      expect(await handler(event, 'settings.set', { language: 'fr' })).toMatchObject({ ok: false, error: { code: 'ipc.untrusted_sender' } });
    }
    expect(existsSync(join(dataDir, 'settings.json'))).toBe(false);
  });
});

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (!p.includes(`${join('logs')}`)) out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { SESSION_COOKIE };

describe('bounds said in human terms', () => {
  it('a number beyond 2^53 reports the field’s own limit, never 9,007,199,254,740,991', async () => {
    const { zodIssues } = await import('./dispatcher');
    const { recommendInputSchema } = await import('../../shared/contract');
    const { z } = await import('zod');
    const huge = recommendInputSchema.safeParse({ copros: 1e20, lotsPerCopro: 5 });
    expect(zodIssues(huge.error!)).toEqual([{ path: 'copros', issue: 'too_big', params: { maximum: 1_000_000, origin: 'number' } }]);
    const unbounded = z.object({ n: z.number().int().min(1) }).safeParse({ n: 1e20 });
    expect(zodIssues(unbounded.error!)).toEqual([{ path: 'n', issue: 'number_too_large', params: {} }]);
    expect(JSON.stringify(zodIssues(huge.error!))).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });
});
