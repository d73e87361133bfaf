import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { classifyNetworkError } from './https-check';

// K3s nodes and pods for the dashboard (phases 3–4), read from the Kubernetes API with the deployment's saved
// kubeconfig: two list calls (`/api/v1/nodes`, `/api/v1/pods`), paged, validated with zod.
//
// Why not @kubernetes/client-node (installed): its v2 loads undici 8, which needs Node ≥ 22.19 (it uses
// zlib's zstd at import time) and throws on import under Node 20, where the CLI, web mode and the tests run; and
// its KubeConfig class imports the same undici. Two GET calls with a bearer token or a client certificate over
// node:https are little code; the kubeconfig is read with js-yaml (the YAML parser the client itself uses).
// Only what K3s writes is supported: inline `*-data` fields, a token or a client certificate. Exec plugins,
// file paths and `insecure-skip-tls-verify` are refused: credentials must never go to an unverified server.

export interface ClusterNode {
  name: string;
  ready: boolean;
  /** From the `node-role.kubernetes.io/<role>` labels, sorted; [] for a K3s agent. */
  roles: string[];
  kubeletVersion: string;
}

export interface ClusterPod {
  namespace: string;
  name: string;
  /** Pending, Running, Succeeded, Failed, Unknown. */
  phase: string;
  ready: boolean;
  /** Sum of the containers' restartCount. */
  restarts: number;
  node: string | null;
  /** Why a container is not running (CrashLoopBackOff, ImagePullBackOff…) or the pod's own reason; null when none. */
  reason: string | null;
}

export interface ClusterState {
  nodes: ClusterNode[];
  pods: ClusterPod[];
}

export interface ReadClusterOptions {
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Another address for the API server (e.g. a local end of an SSH tunnel); the certificate is still checked. */
  server?: string;
  /** Items per page (default 500, the API server's usual chunk). */
  pageSize?: number;
}

// ---- kubeconfig -------------------------------------------------------------------------------

const b64 = z.string().regex(/^[A-Za-z0-9+/=\s]+$/, 'not base64');
const clusterSchema = z.object({
  server: z.string().url(),
  'certificate-authority-data': b64.optional(),
  'certificate-authority': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': z.string().optional(),
});
const contextSchema = z.object({ cluster: z.string(), user: z.string() });
const userSchema = z.object({
  token: z.string().min(1).optional(),
  'client-certificate-data': b64.optional(),
  'client-key-data': b64.optional(),
  'client-certificate': z.string().optional(),
  'client-key': z.string().optional(),
  exec: z.unknown().optional(),
  'auth-provider': z.unknown().optional(),
  username: z.string().optional(),
});

const kubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema })),
  contexts: z.array(z.object({ name: z.string(), context: contextSchema })),
  users: z.array(z.object({ name: z.string(), user: userSchema })),
});

export interface ApiTarget {
  server: URL;
  ca: string | undefined;
  tlsServerName: string | undefined;
  auth: { token: string } | { cert: string; key: string };
}

function invalid(reason: string): AppError {
  return new AppError('health.kubeconfig_invalid', { reason });
}

const fromB64 = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'base64').toString('utf8');

/** The current context's cluster and user, as request options. Errors never carry a credential. */
export function parseKubeconfig(yaml: string, serverOverride?: string): ApiTarget {
  let doc: unknown;
  try {
    doc = loadYaml(yaml);
  } catch (error) {
    throw invalid(`not YAML (${(error as { reason?: string }).reason ?? 'syntax'})`);
  }
  const parsed = kubeconfigSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const cfg = parsed.data;
  const contextName = cfg['current-context'] ?? cfg.contexts[0]?.name;
  const context = cfg.contexts.find((c) => c.name === contextName)?.context;
  if (!context) throw invalid(`no context ${contextName ?? ''}`.trim());
  const cluster = cfg.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw invalid(`no cluster ${context.cluster}`);
  const user = cfg.users.find((u) => u.name === context.user)?.user;
  if (!user) throw invalid(`no user ${context.user}`);
  if (cluster['insecure-skip-tls-verify']) throw invalid('insecure-skip-tls-verify is not supported');
  if (cluster['certificate-authority'] !== undefined) throw invalid('certificate-authority file paths are not supported (use certificate-authority-data)');
  const server = new URL(serverOverride ?? cluster.server);
  if (server.protocol !== 'https:') throw invalid('the server is not https');
  let auth: ApiTarget['auth'];
  if (user.token) auth = { token: user.token };
  else if (user['client-certificate-data'] && user['client-key-data']) auth = { cert: fromB64(user['client-certificate-data']), key: fromB64(user['client-key-data']) };
  else if (user.exec !== undefined || user['auth-provider'] !== undefined) throw invalid('exec and auth-provider plugins are not supported');
  else throw invalid('no token or inline client certificate');
  return {
    server,
    ca: cluster['certificate-authority-data'] ? fromB64(cluster['certificate-authority-data']) : undefined,
    tlsServerName: cluster['tls-server-name'],
    auth,
  };
}

// ---- API responses ----------------------------------------------------------------------------

// Only the fields used; the API server adds fields over versions, so unknown keys are allowed (and dropped).
const condition = z.object({ type: z.string(), status: z.string() });
const listMeta = z.object({ continue: z.string().optional() }).optional();

const nodeList = z.object({
  kind: z.literal('NodeList'),
  metadata: listMeta,
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string().min(1), labels: z.record(z.string(), z.string()).optional() }),
      status: z.object({
        conditions: z.array(condition).optional(),
        nodeInfo: z.object({ kubeletVersion: z.string() }),
      }),
    }),
  ),
});

const containerState = z.object({
  waiting: z.object({ reason: z.string().optional() }).optional(),
  terminated: z.object({ reason: z.string().optional() }).optional(),
  running: z.object({}).optional(),
});

const podList = z.object({
  kind: z.literal('PodList'),
  metadata: listMeta,
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
      spec: z.object({ nodeName: z.string().optional() }).optional(),
      status: z.object({
        phase: z.string().optional(),
        reason: z.string().optional(),
        conditions: z.array(condition).optional(),
        containerStatuses: z
          .array(z.object({ restartCount: z.number().int().min(0), state: containerState.optional() }))
          .optional(),
      }),
    }),
  ),
});

const isTrue = (conds: { type: string; status: string }[] | undefined, type: string) => conds?.some((c) => c.type === type && c.status === 'True') ?? false;

const ROLE_LABEL = 'node-role.kubernetes.io/';

function toNode(item: z.infer<typeof nodeList>['items'][number]): ClusterNode {
  const labels = item.metadata.labels ?? {};
  return {
    name: item.metadata.name,
    ready: isTrue(item.status.conditions, 'Ready'),
    roles: Object.keys(labels)
      .filter((k) => k.startsWith(ROLE_LABEL) && k.length > ROLE_LABEL.length)
      .map((k) => k.slice(ROLE_LABEL.length))
      .sort(),
    kubeletVersion: item.status.nodeInfo.kubeletVersion,
  };
}

function toPod(item: z.infer<typeof podList>['items'][number]): ClusterPod {
  const statuses = item.status.containerStatuses ?? [];
  const notRunning = statuses.map((s) => s.state?.waiting?.reason ?? s.state?.terminated?.reason).find((r) => r !== undefined);
  return {
    namespace: item.metadata.namespace,
    name: item.metadata.name,
    phase: item.status.phase ?? 'Unknown',
    ready: isTrue(item.status.conditions, 'Ready'),
    restarts: statuses.reduce((sum, s) => sum + s.restartCount, 0),
    node: item.spec?.nodeName ?? null,
    reason: notRunning ?? item.status.reason ?? null,
  };
}

// ---- Requests ---------------------------------------------------------------------------------

const MAX_BODY = 32 * 1024 * 1024;
const MAX_PAGES = 50;

function getJson(target: ApiTarget, path: string, timeoutMs: number): Promise<unknown> {
  const host = target.server.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.server.port ? Number(target.server.port) : 443;
  const servername = target.tlsServerName ?? (isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const req = httpsRequest({
      host,
      port,
      method: 'GET',
      path: `${target.server.pathname.replace(/\/$/, '')}${path}`,
      agent: false,
      ...(servername ? { servername } : {}),
      ...(target.ca ? { ca: target.ca } : {}),
      ...('cert' in target.auth ? { cert: target.auth.cert, key: target.auth.key } : {}),
      headers: { accept: 'application/json', 'user-agent': 'koprogo-deploy', ...('token' in target.auth ? { authorization: `Bearer ${target.auth.token}` } : {}) },
    });
    const timer = setTimeout(() => {
      settle(() => reject(new AppError('health.timeout', { host, timeoutMs })));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => {
      settle(() => {
        const f = classifyNetworkError(error, host, port, timeoutMs);
        reject(new AppError(f.code, f.params));
      });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 401 || status === 403) {
        res.destroy();
        settle(() => reject(new AppError('health.kube_unauthorized', { host, status })));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > MAX_BODY) {
          res.destroy();
          settle(() => reject(new AppError('health.kube_response_invalid', { host, reason: 'response too large' })));
        } else chunks.push(b);
      });
      res.on('error', (error) => settle(() => reject(new AppError('health.unreachable', { host, reason: (error as { code?: string }).code ?? 'reset' }))));
      res.on('end', () => {
        settle(() => {
          if (status < 200 || status >= 300) return reject(new AppError('health.kube_response_invalid', { host, reason: `status ${status} for ${path.split('?')[0]}` }));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(new AppError('health.kube_response_invalid', { host, reason: 'not JSON' }));
          }
        });
      });
    });
    req.end();
  });
}

async function listAll<T extends z.ZodType<{ metadata?: { continue?: string | undefined } | undefined; items: unknown[] }>>(
  target: ApiTarget,
  path: string,
  schema: T,
  opts: Required<Pick<ReadClusterOptions, 'timeoutMs' | 'pageSize'>>,
): Promise<z.infer<T>['items']> {
  const items: unknown[] = [];
  let token: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const query = new URLSearchParams({ limit: String(opts.pageSize) });
    if (token) query.set('continue', token);
    const json = await getJson(target, `${path}?${query.toString()}`, opts.timeoutMs);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError('health.kube_response_invalid', { host: target.server.hostname, reason: `${path} ${issue.path.join('.')}: ${issue.message}`.slice(0, 200) });
    }
    items.push(...parsed.data.items);
    token = parsed.data.metadata?.continue;
    if (!token) return items as z.infer<T>['items'];
  }
  throw new AppError('health.kube_response_invalid', { host: target.server.hostname, reason: `more than ${MAX_PAGES} pages` });
}

/** Nodes and pods of the cluster the kubeconfig's current context names. Throws AppError (health.*). */
export async function readClusterState(kubeconfigYaml: string, opts: ReadClusterOptions = {}): Promise<ClusterState> {
  const target = parseKubeconfig(kubeconfigYaml, opts.server);
  const o = { timeoutMs: opts.timeoutMs ?? 10_000, pageSize: opts.pageSize ?? 500 };
  const [nodes, pods] = await Promise.all([listAll(target, '/api/v1/nodes', nodeList, o), listAll(target, '/api/v1/pods', podList, o)]);
  return { nodes: nodes.map(toNode), pods: pods.map(toPod) };
}

/** The API server's version (`gitVersion`, e.g. "v1.31.4+k3s1"). */
export async function readServerVersion(kubeconfigYaml: string, opts: Pick<ReadClusterOptions, 'timeoutMs' | 'server'> = {}): Promise<string> {
  const target = parseKubeconfig(kubeconfigYaml, opts.server);
  const json = await getJson(target, '/version', opts.timeoutMs ?? 10_000);
  const parsed = z.object({ gitVersion: z.string().min(1) }).safeParse(json);
  if (!parsed.success) throw new AppError('health.kube_response_invalid', { host: target.server.hostname, reason: '/version gitVersion missing' });
  return parsed.data.gitVersion;
}
