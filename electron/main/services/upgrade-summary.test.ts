import { describe, expect, it } from 'vitest';
import type { HealthCurrent } from '../../shared/contract-health';
import { healthSummarySchema } from '../../shared/contract-upgrade';
import { healthSummary } from './upgrade-handlers';

// Only the fields the summary reads; the rest of a HealthCurrent does not change it.
function current(over: Partial<HealthCurrent>): HealthCurrent {
  return { point: null, https: null, cluster: null, ...over } as HealthCurrent;
}
const node = (name: string, ready: boolean) => ({ name, ready, roles: [], kubeletVersion: 'v1.31.4+k3s1' });
const pod = (name: string, ready: boolean) => ({ namespace: 'koprogo', name, phase: ready ? 'Running' : 'Pending', ready, restarts: 0, node: null });

describe('healthSummary (the before/after figures of an upgrade)', () => {
  it('takes a server sample with its HTTPS p99', () => {
    const point = { at: 10, cpus: 4, cpuPercent: 12.5, ramUsedPercent: 40, load: { one: 0.5, five: 0.4, fifteen: 0.3 } } as unknown as HealthCurrent['point'];
    const s = healthSummary(current({ point, https: { latency: { p99: 180 } } as unknown as HealthCurrent['https'] }));
    expect(s).toEqual({ at: 10, cpus: 4, cpuPercent: 12.5, ramUsedPercent: 40, load1: 0.5, p99Ms: 180 });
    expect(healthSummarySchema.parse(s)).toEqual(s);
  });

  it('takes a cluster’s nodes and pods on K3s, with no server figures', () => {
    const cluster = { checkedAt: 20, error: null, nodes: [node('cp-0', true), node('worker-0', true), node('worker-1', false)], pods: [pod('backend', true), pod('frontend', false)] };
    const s = healthSummary(current({ cluster }));
    expect(s).toEqual({ at: 20, cpus: null, cpuPercent: null, ramUsedPercent: null, load1: null, p99Ms: null, nodes: { ready: 2, total: 3 }, pods: { ready: 1, total: 2 } });
    expect(healthSummarySchema.parse(s)).toEqual(s);
  });

  it('has nothing to say for a cluster it could not read, or nothing at all', () => {
    const error = { code: 'k3s.api_unreachable', params: {} } as unknown as NonNullable<HealthCurrent['cluster']>['error'];
    expect(healthSummary(current({ cluster: { checkedAt: 1, error, nodes: [], pods: [] } }))).toBeNull();
    expect(healthSummary(current({ cluster: { checkedAt: 1, error: null, nodes: [], pods: [] } }))).toBeNull();
    expect(healthSummary(current({}))).toBeNull();
  });
});
