// A local fake of the Kubernetes API server (https://kubernetes.io/docs/reference/kubernetes-api/) as K3s serves
// it, for the dashboard's nodes and pods: `GET /version`, `GET /api/v1/nodes`, `GET /api/v1/pods` (all namespaces)
// and `GET /api/v1/namespaces/<ns>/pods`, with the real response shapes (NodeList/PodList, `metadata.continue`
// pagination with `limit`, node and pod conditions, containerStatuses with restartCount and waiting reasons such
// as CrashLoopBackOff) and the API server's `Status` error bodies. Authentication as the API server does it: a
// bearer token, or a client certificate issued by the cluster CA (what K3s writes in /etc/rancher/k3s/k3s.yaml);
// anything else is 401. HTTPS with a test CA; `kubeconfig()` writes a matching kubeconfig. In process, on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { createServer, type ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createTestCertificates, type TestCertificates } from './https-server';
import { listenOnLoopback } from './loopback';

export interface FakeNodeSpec {
  name: string;
  /** Default true. */
  ready?: boolean;
  /** Default ['control-plane', 'master'] for the first node, [] for the others (K3s agents have no role label). */
  roles?: string[];
  /** Default 'v1.31.4+k3s1'. */
  kubeletVersion?: string;
}

export interface FakeContainerSpec {
  name: string;
  ready?: boolean;
  restartCount?: number;
  /** 'running' (default), or a waiting reason (CrashLoopBackOff, ImagePullBackOff, ContainerCreating…), or 'terminated'. */
  state?: 'running' | 'terminated' | { waiting: string };
}

export interface FakePodSpec {
  namespace?: string;
  name: string;
  /** Default 'Running'. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** null: not scheduled yet. Default: the first node. */
  node?: string | null;
  /** Default one running, ready container named after the pod. */
  containers?: FakeContainerSpec[];
}

export interface K8sFakeState {
  nodes: FakeNodeSpec[];
  pods: FakePodSpec[];
}

export interface K8sFakeRequest {
  path: string;
  authenticated: boolean;
  /** 'token' | 'certificate' | null */
  via: 'token' | 'certificate' | null;
}

export interface K8sFake {
  /** `https://127.0.0.1:<port>` */
  server: string;
  port: number;
  /** The cluster CA (PEM). */
  ca: string;
  /** Mutable: tests change nodes and pods between reads. */
  state: K8sFakeState;
  readonly requests: readonly K8sFakeRequest[];
  /**
   * A kubeconfig for this fake: bearer token (default) or the client certificate K3s would write; `token` replaces
   * the accepted one (to test a refused token), `server` another API address.
   */
  kubeconfig(opts?: { auth?: 'token' | 'certificate'; token?: string; server?: string }): string;
  close(): Promise<void>;
}

export interface K8sFakeOptions {
  /** The bearer token accepted (default: a random one). */
  token?: string;
  state?: Partial<K8sFakeState>;
  /** Reuses certificates (they take ~150 ms to generate); the fake then does not remove them. */
  certificates?: TestCertificates;
}

const CREATED = '2026-01-05T09:00:00Z';

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function nodeObject(spec: FakeNodeSpec, index: number): unknown {
  const ready = spec.ready ?? true;
  const roles = spec.roles ?? (index === 0 ? ['control-plane', 'master'] : []);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'k3s',
  };
  for (const role of roles) labels[`node-role.kubernetes.io/${role}`] = 'true';
  const condition = (type: string, value: string, reason: string, message: string) => ({
    type,
    status: value,
    lastHeartbeatTime: CREATED,
    lastTransitionTime: CREATED,
    reason,
    message,
  });
  return {
    metadata: { name: spec.name, uid: randomUUID(), resourceVersion: String(1000 + index), creationTimestamp: CREATED, labels, annotations: { 'k3s.io/node-args': '["server"]' } },
    spec: { podCIDR: `10.42.${index}.0/24`, podCIDRs: [`10.42.${index}.0/24`], providerID: `k3s://${spec.name}`, ...(ready ? {} : { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: CREATED }] }) },
    status: {
      capacity: { cpu: '2', memory: '4005540Ki', pods: '110', 'ephemeral-storage': '39937312Ki' },
      allocatable: { cpu: '2', memory: '4005540Ki', pods: '110', 'ephemeral-storage': '38851569198' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
      ],
      addresses: [
        { type: 'InternalIP', address: `10.0.0.${index + 2}` },
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        machineID: 'e3b0c44298fc1c149afbf4c8996fb924',
        systemUUID: 'a1b2c3d4-0000-0000-0000-000000000000',
        bootID: randomUUID(),
        kernelVersion: '6.1.0-28-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.23-k3s2',
        kubeletVersion: spec.kubeletVersion ?? 'v1.31.4+k3s1',
        kubeProxyVersion: spec.kubeletVersion ?? 'v1.31.4+k3s1',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

function podObject(spec: FakePodSpec, defaultNode: string | null): unknown {
  const namespace = spec.namespace ?? 'default';
  const phase = spec.phase ?? 'Running';
  const node = spec.node === undefined ? defaultNode : spec.node;
  const containers = spec.containers ?? [{ name: spec.name }];
  const statuses = containers.map((c) => {
    const state = c.state ?? 'running';
    const ready = c.ready ?? state === 'running';
    const restartCount = c.restartCount ?? 0;
    return {
      name: c.name,
      state:
        state === 'running'
          ? { running: { startedAt: CREATED } }
          : state === 'terminated'
            ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: CREATED, finishedAt: CREATED, containerID: `containerd://${c.name}` } }
            : { waiting: { reason: state.waiting, message: `back-off 5m0s restarting failed container=${c.name} pod=${spec.name}_${namespace}` } },
      lastState: restartCount > 0 ? { terminated: { exitCode: 1, reason: 'Error', startedAt: CREATED, finishedAt: CREATED, containerID: `containerd://${c.name}-prev` } } : {},
      ready,
      restartCount,
      image: `registry.example/library/${c.name}:latest`,
      imageID: `registry.example/library/${c.name}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${c.name}`,
      started: state === 'running',
    };
  });
  const allReady = phase === 'Running' && statuses.every((s) => s.ready);
  const condition = (type: string, value: boolean) => ({ type, status: value ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: CREATED });
  return {
    metadata: { name: spec.name, namespace, uid: randomUUID(), resourceVersion: '4242', creationTimestamp: CREATED, labels: { app: spec.name } },
    spec: {
      containers: containers.map((c) => ({ name: c.name, image: `${c.name}:latest`, imagePullPolicy: 'IfNotPresent' })),
      restartPolicy: 'Always',
      ...(node ? { nodeName: node } : {}),
      serviceAccountName: 'default',
    },
    status: {
      phase,
      conditions: node
        ? [condition('PodReadyToStartContainers', true), condition('Initialized', true), condition('Ready', allReady), condition('ContainersReady', allReady), condition('PodScheduled', true)]
        : [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: CREATED, reason: 'Unschedulable', message: '0/1 nodes are available.' }],
      ...(node ? { hostIP: '10.0.0.2', podIP: '10.42.0.9', startTime: CREATED, containerStatuses: statuses } : {}),
      qosClass: 'BestEffort',
    },
  };
}

/** `limit`/`continue` as the API server pages lists (the token is opaque to clients; here an offset). */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; continue: string | null } | 'gone' {
  const limit = Number(query.get('limit') ?? '0');
  const token = query.get('continue');
  let offset = 0;
  if (token) {
    const decoded = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) return 'gone';
    offset = decoded;
  }
  if (!(limit > 0)) return { items: items.slice(offset), continue: null };
  const end = offset + limit;
  return { items: items.slice(offset, end), continue: end < items.length ? Buffer.from(String(end)).toString('base64url') : null };
}

export async function startK8sFake(opts: K8sFakeOptions = {}): Promise<K8sFake> {
  const certs = opts.certificates ?? (await createTestCertificates());
  const token = opts.token ?? `fake-${randomUUID()}`;
  const state: K8sFakeState = { nodes: opts.state?.nodes ?? [{ name: 'koprogo-1' }], pods: opts.state?.pods ?? [] };
  const requests: K8sFakeRequest[] = [];
  // Client certificates are asked for but not required: a token-only client must still reach the 401 logic.
  const serverOptions: ServerOptions = { cert: certs.valid.cert, key: certs.valid.key, ca: certs.ca, requestCert: true, rejectUnauthorized: false };
  const server = createServer(serverOptions, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const viaCert = socket.authorized && peer && Object.keys(peer).length > 0;
    const viaToken = req.headers.authorization === `Bearer ${token}`;
    const via = viaToken ? 'token' : viaCert ? 'certificate' : null;
    requests.push({ path: url.pathname, authenticated: via !== null, via });
    const send = (code: number, body: string) => {
      res.writeHead(code, { 'content-type': 'application/json', 'audit-id': randomUUID() });
      res.end(body);
    };
    if (!via) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    const list = (kind: string, items: unknown[]) => {
      const p = page(items, url.searchParams);
      if (p === 'gone') return send(410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'));
      send(200, JSON.stringify({ kind, apiVersion: 'v1', metadata: { resourceVersion: '4242', ...(p.continue ? { continue: p.continue, remainingItemCount: items.length } : {}) }, items: p.items }));
    };
    const firstNode = state.nodes[0]?.name ?? null;
    if (url.pathname === '/version') {
      return send(200, JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.4+k3s1', gitCommit: 'a7a8f2cbd3b4b4f2c1d1e5b8e8d6c0f4e2a1b3c5', gitTreeState: 'clean', buildDate: '2024-12-17T00:00:00Z', goVersion: 'go1.22.9', compiler: 'gc', platform: 'linux/amd64' }));
    }
    if (url.pathname === '/api/v1/nodes') return list('NodeList', state.nodes.map(nodeObject));
    if (url.pathname === '/api/v1/pods') return list('PodList', state.pods.map((p) => podObject(p, firstNode)));
    const ns = /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/pods$/.exec(url.pathname);
    if (ns) return list('PodList', state.pods.filter((p) => (p.namespace ?? 'default') === ns[1]).map((p) => podObject(p, firstNode)));
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
  server.on('tlsClientError', () => undefined);
  const listener = await listenOnLoopback(server);
  const port = listener.port;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const apiServer = `https://127.0.0.1:${port}`;
  return {
    server: apiServer,
    port,
    ca: certs.ca,
    state,
    requests,
    kubeconfig: (k = {}) => {
      const user =
        k.auth === 'certificate'
          ? `    client-certificate-data: ${b64(certs.client.cert)}\n    client-key-data: ${b64(certs.client.key)}\n`
          : `    token: ${k.token ?? token}\n`;
      // The layout K3s writes (names "default"), with this fake's address.
      return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(certs.ca)}
    server: ${k.server ?? apiServer}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
${user}`;
    },
    close: async () => {
      await listener.close();
      if (!opts.certificates) await certs.cleanup();
    },
  };
}
