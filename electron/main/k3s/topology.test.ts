import { describe, expect, it } from 'vitest';
import { topologyFor } from './topology';

describe('the roadmap topologies', () => {
  it('dev, staging (phase 3) and production (phase 4) with their monthly cost', () => {
    expect(topologyFor('dev')).toEqual({ environment: 'dev', phase: 3, controlPlanes: 1, workers: 1, worker: null, loadBalancer: false, objectStorage: false, monthlyEuros: 30, totals: { instances: 2, vcpu: 6, ramGb: 22 } });
    expect(topologyFor('staging')).toMatchObject({ phase: 3, controlPlanes: 1, workers: 2, monthlyEuros: 90, totals: { instances: 3, vcpu: 12, ramGb: 60 } });
    expect(topologyFor('prod')).toEqual({ environment: 'prod', phase: 4, controlPlanes: 3, workers: 3, worker: { vcpu: 8, ramGb: 30 }, loadBalancer: true, objectStorage: true, monthlyEuros: 270, totals: { instances: 6, vcpu: 36, ramGb: 180 } });
    expect(topologyFor('production').phase).toBe(4);
  });
});
