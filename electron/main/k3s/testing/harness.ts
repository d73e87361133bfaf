// What a K3s test needs, started together: a data folder, profile and secret stores, the app logger, the fake
// Kubernetes API (the cluster the run "creates"), the fake tools handing out its kubeconfig, a fixture repository,
// and the K3s service with every event recorded. Used by the integration tests, the e2e set-up and the bench.
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../../../shared/contract';
import type { K3sEntryPoint } from '../../../shared/k3s-entry';
import type { ProfileInput } from '../../../shared/profile';
import { detectK3s } from '../../recipe/detect-k3s';
import { Logger } from '../../log';
import { MemorySecretStore } from '../../secrets/secret-store';
import { ProfileStore } from '../../store/profile-store';
import type { FileMap } from '../../testing/github-fake';
import { startK8sFake, type K8sFake } from '../../testing/k8s-fake';
import type { SshConnection } from '../../ssh/connection';
import { K3sService, type K3sServiceDeps } from '../k3s-service';
import { LocalK3sHost } from '../pty-local';
import { K3S_SETTINGS } from '../settings';
import { createFakeTools, startToolServer, type FakeTools, type FakeToolSettings, type ToolServer } from './fake-tools';
import { createK3sFixtureRepo, type K3sFixtureRepo } from './repo';

/** Canary OVH credentials: any of them in a log, the journal, `ps` or a file left behind is a leak. */
export const CANARY_OVH = {
  OVH_ENDPOINT: 'ovh-eu',
  OVH_APPLICATION_KEY: 'CANARYak7f3e9b1c',
  OVH_APPLICATION_SECRET: 'CANARYas0d4e8f2a6b7c9d1e',
  OVH_CONSUMER_KEY: 'CANARYck5a1b9c3d7e2f4a6b8c',
};
export const CANARY_VALUES = [CANARY_OVH.OVH_APPLICATION_KEY, CANARY_OVH.OVH_APPLICATION_SECRET, CANARY_OVH.OVH_CONSUMER_KEY];

export type RecordedEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export interface K3sHarnessOptions {
  files: FileMap;
  environment?: string;
  phase?: 3 | 4;
  runner?: 'local' | 'remote';
  tools?: FakeToolSettings;
  /** Tools left off PATH (a missing tool). */
  without?: string[];
  variables?: Record<string, string>;
  /** Extra service options (remote connection, tool sources, timings). */
  service?: Partial<K3sServiceDeps>;
  server?: ProfileInput['server'];
  connect?: () => Promise<SshConnection>;
  /** A local download server for the fake tools, as the control host's tool sources. */
  toolServer?: boolean;
}

export interface K3sHarness {
  dataDir: string;
  home: string;
  profileId: string;
  profiles: ProfileStore;
  secrets: MemorySecretStore;
  log: Logger;
  logFile: string;
  /** The app's K3s service; `restart()` replaces it, as a new app instance on the same data folder would. */
  readonly service: K3sService;
  /** A new service on the same data folder (the app quit and started again): nothing kept in memory. */
  restart(): void;
  k8s: K8sFake;
  tools: FakeTools;
  toolServer: ToolServer | null;
  repo: K3sFixtureRepo;
  entry: K3sEntryPoint;
  events: RecordedEvent[];
  /** Resolves with the first recorded event (past or future) that matches. */
  waitFor<E extends EventName>(event: E, match?: (p: EventPayload<E>) => boolean, timeoutMs?: number): Promise<EventPayload<E>>;
  /** All terminal output sent to the screens so far, in order. */
  output(): string;
  stop(): Promise<void>;
}

export async function startK3sHarness(opts: K3sHarnessOptions): Promise<K3sHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-k3s-'));
  const home = mkdtempSync(join(tmpdir(), 'koprogo-k3s-home-'));
  const k8s = await startK8sFake({
    state: {
      nodes: [{ name: 'koprogo-dev-cp-0' }, { name: 'koprogo-dev-worker-0', roles: [] }],
      pods: [
        { namespace: 'koprogo', name: 'koprogo-backend-7d9f8b6c5-x2x4z', node: 'koprogo-dev-worker-0' },
        { namespace: 'kube-system', name: 'coredns-6799fbcd5-9kq2m' },
        { namespace: 'kube-system', name: 'traefik-d7c9c5778-4qz7x' },
      ],
    },
  });
  const kubeconfigPath = join(dataDir, 'fake-cluster.yaml');
  writeFileSync(kubeconfigPath, k8s.kubeconfig());
  chmodSync(kubeconfigPath, 0o644);
  chmodSync(dataDir, 0o755);
  const tools = await createFakeTools({ kubeconfig: kubeconfigPath, ...opts.tools });
  const toolServer = opts.toolServer ? await startToolServer(tools) : null;
  const repo = await createK3sFixtureRepo(opts.files);
  const entry = (await detectK3s(Object.keys(opts.files).sort(), async (p) => opts.files[p] ?? null)).k3s?.entryPoints[0];
  if (!entry) throw new Error('the fixture has no K3s entry point');
  const profiles = new ProfileStore(dataDir);
  const secrets = new MemorySecretStore();
  const logFile = join(dataDir, 'logs', 'app.log');
  const log = new Logger(logFile);
  const profileId = 'koprogo-k3s';
  const environment = opts.environment ?? 'dev';
  await profiles.save({
    id: profileId,
    name: 'KoproGo K3s',
    phase: opts.phase ?? 3,
    provider: { kind: 'ovh', endpoint: 'ovh-eu' },
    server: opts.server ?? null,
    repo: { url: repo.url, ref: 'v1.0.0' },
    settings: { [K3S_SETTINGS.entry]: JSON.stringify(entry), [K3S_SETTINGS.environment]: environment, [K3S_SETTINGS.runner]: opts.runner ?? 'local' },
    secrets: {},
  });
  const events: RecordedEvent[] = [];
  const waiters = new Set<() => void>();
  const path = [tools.bin, ...(process.env.PATH ?? '').split(':')].join(':');
  const hiddenBin = opts.without?.length ? join(tools.dir, 'partial-bin') : null;
  if (hiddenBin) {
    const { mkdirSync, symlinkSync } = await import('node:fs');
    mkdirSync(hiddenBin);
    for (const t of ['terraform', 'ansible-playbook', 'helm', 'kubectl', 'kustomize']) if (!opts.without!.includes(t)) symlinkSync(join(tools.bin, t), join(hiddenBin, t));
  }
  const localPath = hiddenBin ? [hiddenBin, ...(process.env.PATH ?? '').split(':')].join(':') : path;
  const makeService = () => new K3sService({
    dataDir,
    profiles,
    secrets,
    log,
    emit: (event, payload) => {
      events.push({ event, payload } as RecordedEvent);
      for (const w of [...waiters]) w();
    },
    connect: opts.connect ?? (() => Promise.reject(new Error('no control host in this test'))),
    ovhEnvironment: async () => ({ ...CANARY_OVH }),
    secretName: (p, k) => `${p}.${k}`,
    host:
      (opts.runner ?? 'local') === 'local'
        ? (profile, config) => new LocalK3sHost({ dataDir, profileId: profile.id, distro: config.distro, baseEnv: { ...process.env, PATH: localPath, HOME: home } })
        : undefined,
    stallMs: 400,
    clusterWait: { attempts: 3, delayMs: 200 },
    reconnect: { attempts: 10, delayMs: 300 },
    stopAfterMs: 3000,
    ...(toolServer ? { toolSources: toolServer.sources } : {}),
    ...opts.service,
  });
  let service = makeService();
  if (opts.variables) await service.setVariables(profileId, opts.variables);
  const waitFor = <E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 120_000): Promise<EventPayload<E>> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = events.find((e) => e.event === event && match(e.payload as EventPayload<E>));
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.payload as EventPayload<E>);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${event} event within ${timeoutMs} ms; got: ${events.map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    dataDir,
    home,
    profileId,
    profiles,
    secrets,
    log,
    logFile,
    get service() {
      return service;
    },
    restart: () => {
      service = makeService();
    },
    k8s,
    tools,
    toolServer,
    repo,
    entry,
    events,
    waitFor,
    output: () => events.filter((e): e is Extract<RecordedEvent, { event: 'k3s.output' }> => e.event === 'k3s.output').map((e) => e.payload.data).join(''),
    stop: async () => {
      await Promise.allSettled([k8s.close(), tools.stop(), repo.stop(), toolServer?.close()]);
      await rm(dataDir, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    },
  };
}
