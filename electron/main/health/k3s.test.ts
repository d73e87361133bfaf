import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { freePort } from '../testing/free-port';
import { createTestCertificates, startSilentServer, type TestCertificates } from '../testing/https-server';
import { startK8sFake, type K8sFake } from '../testing/k8s-fake';
import { parseKubeconfig, readClusterState, readServerVersion } from './k3s';

// Nodes and pods read from a local fake Kubernetes API (real response shapes, token or client-certificate auth).

let certs: TestCertificates;
let fake: K8sFake;

beforeAll(async () => {
  certs = await createTestCertificates();
  fake = await startK8sFake({ certificates: certs, token: 'secret-token-6f1c' });
});

afterAll(async () => {
  await fake?.close();
  await certs?.cleanup();
});

async function failure(p: Promise<unknown>): Promise<AppError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('readClusterState', () => {
  it('a healthy single-node K3s cluster: the node and its pods', async () => {
    fake.state.nodes = [{ name: 'koprogo-1' }];
    fake.state.pods = [
      { namespace: 'kube-system', name: 'coredns-ccb96694c-x7k2p' },
      { namespace: 'kube-system', name: 'traefik-5d45fc8cc9-4m9hq' },
      { namespace: 'koprogo', name: 'api-7d9f8b6c5-abcde', containers: [{ name: 'api' }, { name: 'sidecar' }] },
    ];
    const state = await readClusterState(fake.kubeconfig());
    expect(state).toEqual({
      nodes: [{ name: 'koprogo-1', ready: true, roles: ['control-plane', 'master'], kubeletVersion: 'v1.31.4+k3s1' }],
      pods: [
        { namespace: 'kube-system', name: 'coredns-ccb96694c-x7k2p', phase: 'Running', ready: true, restarts: 0, node: 'koprogo-1', reason: null },
        { namespace: 'kube-system', name: 'traefik-5d45fc8cc9-4m9hq', phase: 'Running', ready: true, restarts: 0, node: 'koprogo-1', reason: null },
        { namespace: 'koprogo', name: 'api-7d9f8b6c5-abcde', phase: 'Running', ready: true, restarts: 0, node: 'koprogo-1', reason: null },
      ],
    });
  });

  it('with the client certificate K3s writes instead of a token', async () => {
    fake.state.nodes = [{ name: 'koprogo-1' }];
    fake.state.pods = [];
    const before = fake.requests.length;
    const state = await readClusterState(fake.kubeconfig({ auth: 'certificate' }));
    expect(state.nodes.map((n) => n.name)).toEqual(['koprogo-1']);
    expect(fake.requests.slice(before).map((r) => r.via)).toEqual(['certificate', 'certificate']);
  });

  it('a NotReady agent node, with no role', async () => {
    fake.state.nodes = [{ name: 'koprogo-1' }, { name: 'koprogo-2', ready: false, kubeletVersion: 'v1.30.8+k3s1' }];
    fake.state.pods = [];
    const state = await readClusterState(fake.kubeconfig());
    expect(state.nodes).toEqual([
      { name: 'koprogo-1', ready: true, roles: ['control-plane', 'master'], kubeletVersion: 'v1.31.4+k3s1' },
      { name: 'koprogo-2', ready: false, roles: [], kubeletVersion: 'v1.30.8+k3s1' },
    ]);
  });

  it('a CrashLoopBackOff pod: not ready, restarts summed over its containers, the reason', async () => {
    fake.state.nodes = [{ name: 'koprogo-1' }];
    fake.state.pods = [
      {
        namespace: 'koprogo',
        name: 'api-7d9f8b6c5-crash',
        containers: [
          { name: 'api', state: { waiting: 'CrashLoopBackOff' }, restartCount: 17 },
          { name: 'sidecar', restartCount: 2 },
        ],
      },
      { namespace: 'koprogo', name: 'worker-pending', phase: 'Pending', node: null },
    ];
    const state = await readClusterState(fake.kubeconfig());
    expect(state.pods).toEqual([
      { namespace: 'koprogo', name: 'api-7d9f8b6c5-crash', phase: 'Running', ready: false, restarts: 19, node: 'koprogo-1', reason: 'CrashLoopBackOff' },
      { namespace: 'koprogo', name: 'worker-pending', phase: 'Pending', ready: false, restarts: 0, node: null, reason: null },
    ]);
  });

  it('follows the list pagination (limit/continue)', async () => {
    fake.state.nodes = [{ name: 'koprogo-1' }];
    fake.state.pods = Array.from({ length: 7 }, (_, i) => ({ namespace: 'koprogo', name: `pod-${i}` }));
    const before = fake.requests.length;
    const state = await readClusterState(fake.kubeconfig(), { pageSize: 3 });
    expect(state.pods.map((p) => p.name)).toEqual(fake.state.pods.map((p) => p.name));
    expect(fake.requests.slice(before).filter((r) => r.path === '/api/v1/pods')).toHaveLength(3);
  });

  it('a refused token: health.kube_unauthorized (401), and the token appears nowhere in the error', async () => {
    const error = await failure(readClusterState(fake.kubeconfig({ token: 'wrong-token-d00d' })));
    expect(error.code).toBe('health.kube_unauthorized');
    expect(error.params).toEqual({ host: '127.0.0.1', status: 401 });
    expect(JSON.stringify(error.toEnvelope()) + error.message).not.toMatch(/wrong-token|secret-token/);
  });

  it('an unreachable API server: health.connection_refused', async () => {
    const port = await freePort();
    const error = await failure(readClusterState(fake.kubeconfig({ server: `https://127.0.0.1:${port}` })));
    expect(error.code).toBe('health.connection_refused');
    expect(error.params).toEqual({ host: '127.0.0.1', port });
  });

  it('an API server that never answers: health.timeout', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const error = await failure(readClusterState(fake.kubeconfig(), { server: `https://127.0.0.1:${silent.port}`, timeoutMs: 300 }));
      expect(error.code).toBe('health.timeout');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
  });

  it('a server whose certificate is not from the kubeconfig CA: health.tls_untrusted, the token not sent', async () => {
    const other = await createTestCertificates();
    const stranger = await startK8sFake({ certificates: other, token: 'secret-token-6f1c' });
    try {
      const before = stranger.requests.length;
      // Our kubeconfig (our CA, our token) pointed at a server with another CA.
      const error = await failure(readClusterState(fake.kubeconfig(), { server: stranger.server }));
      expect(error.code).toBe('health.tls_untrusted');
      expect(stranger.requests.length).toBe(before);
    } finally {
      await stranger.close();
      await other.cleanup();
    }
  });

  it('reads the server version', async () => {
    await expect(readServerVersion(fake.kubeconfig())).resolves.toBe('v1.31.4+k3s1');
  });
});

describe('parseKubeconfig', () => {
  const base = (user: string, cluster = '    server: https://127.0.0.1:6443\n') => `apiVersion: v1
clusters:
- cluster:
${cluster}  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
${user}`;

  it.each([
    ['not yaml', ': : :\n  - [', /not YAML/],
    ['no clusters', 'apiVersion: v1\nkind: Config\n', /clusters/],
    ['an exec plugin', base('    exec:\n      command: aws\n'), /exec and auth-provider/],
    ['no credentials', base('    username: admin\n'), /no token or inline client certificate/],
    ['skip TLS verify', base('    token: abc\n', '    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true\n'), /insecure-skip-tls-verify/],
    ['plain http', base('    token: abc\n', '    server: http://127.0.0.1:6443\n'), /not https/],
    ['a CA file path', base('    token: abc\n', '    server: https://127.0.0.1:6443\n    certificate-authority: /etc/ca.pem\n'), /file paths/],
  ])('refuses %s with health.kubeconfig_invalid', (_name, yaml, reason) => {
    let error: unknown = null;
    try {
      parseKubeconfig(yaml);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('health.kubeconfig_invalid');
    expect(String((error as AppError).params.reason)).toMatch(reason);
  });

  it('never puts the token in an error about the rest of the file', () => {
    const yaml = base('    token: tok-very-secret\n').replace('current-context: default', 'current-context: missing');
    let error: unknown = null;
    try {
      parseKubeconfig(yaml);
    } catch (e) {
      error = e;
    }
    expect((error as AppError).code).toBe('health.kubeconfig_invalid');
    expect(JSON.stringify((error as AppError).toEnvelope())).not.toContain('tok-very-secret');
  });
});
