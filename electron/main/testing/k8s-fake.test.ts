import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startK8sFake, type K8sFake } from './k8s-fake';

// The fake's raw answers, as a Kubernetes client sees them (the K3s reader's behaviour is tested in health/k3s.test.ts).

let fake: K8sFake;

beforeAll(async () => {
  fake = await startK8sFake({ token: 't0ken', state: { nodes: [{ name: 'n1' }, { name: 'n2', ready: false }], pods: [{ name: 'a' }, { name: 'b', namespace: 'kube-system' }, { name: 'c' }] } });
});
afterAll(() => fake?.close());

function get(path: string, token: string | null = 't0ken'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fake.server}${path}`, { ca: fake.ca, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the fake Kubernetes API', () => {
  it('401 with a Status body without a token or with a wrong one', async () => {
    for (const token of [null, 'nope']) {
      const r = await get('/api/v1/nodes', token);
      expect(r).toEqual({ status: 401, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
    }
  });

  it('a NodeList with conditions, role labels and nodeInfo', async () => {
    const r = await get('/api/v1/nodes');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'NodeList', apiVersion: 'v1' });
    expect(r.body.items.map((n: any) => [n.metadata.name, n.status.conditions.find((c: any) => c.type === 'Ready').status])).toEqual([['n1', 'True'], ['n2', 'Unknown']]);
    expect(r.body.items[0].metadata.labels['node-role.kubernetes.io/control-plane']).toBe('true');
    expect(r.body.items[0].status.nodeInfo.kubeletVersion).toBe('v1.31.4+k3s1');
  });

  it('pods of all namespaces or of one, paged with limit and continue', async () => {
    const all = await get('/api/v1/pods');
    expect(all.body.items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['default/a', 'kube-system/b', 'default/c']);
    expect(all.body.items[0].status.containerStatuses[0]).toMatchObject({ name: 'a', ready: true, restartCount: 0, state: { running: {} } });
    const ns = await get('/api/v1/namespaces/kube-system/pods');
    expect(ns.body.items.map((p: any) => p.metadata.name)).toEqual(['b']);
    const first = await get('/api/v1/pods?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.metadata.continue).toEqual(expect.any(String));
    const second = await get(`/api/v1/pods?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(second.body.items.map((p: any) => p.metadata.name)).toEqual(['c']);
    expect(second.body.metadata.continue).toBeUndefined();
    expect((await get('/api/v1/pods?limit=2&continue=bogus')).status).toBe(410);
  });

  it('/version, and 404 elsewhere', async () => {
    expect((await get('/version')).body).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.4+k3s1' });
    expect((await get('/api/v1/secrets')).status).toBe(404);
  });
});
