import type { Topology } from '../../shared/contract-k3s';
import { phaseOfEnvironment } from '../../shared/k3s-entry';
import { getPhase } from '../../shared/phases';

// The roadmap's K3s topologies and their monthly cost (shown before anything is bought): phase 3 dev is one control
// plane and one worker (~30 €), staging one control plane and two workers (~90 €); phase 4 production is three
// control planes with HA etcd and three workers of 8 vCPU / 30 GB behind an OVH Load Balancer, with Object Storage
// for the backups (~270 €).

export function topologyFor(environment: string): Topology {
  const phase = phaseOfEnvironment(environment);
  const cost = getPhase(phase).costMonthly;
  if (phase === 4) {
    const p = getPhase(4);
    return {
      environment,
      phase,
      controlPlanes: 3,
      workers: 3,
      worker: { vcpu: 8, ramGb: 30 },
      loadBalancer: true,
      objectStorage: true,
      monthlyEuros: cost.min,
      totals: { instances: 6, vcpu: p.vcpu.min, ramGb: p.ramGb.min },
    };
  }
  const staging = /^(stag|staging|preprod|pre-prod|uat)/i.test(environment);
  return {
    environment,
    phase,
    controlPlanes: 1,
    workers: staging ? 2 : 1,
    worker: null,
    loadBalancer: false,
    objectStorage: false,
    monthlyEuros: staging ? (cost.max ?? cost.min) : cost.min,
    // The roadmap's phase-3 range: dev at its low end, staging at its high end.
    totals: { instances: staging ? 3 : 2, vcpu: staging ? (getPhase(3).vcpu.max ?? 12) : getPhase(3).vcpu.min, ramGb: staging ? (getPhase(3).ramGb.max ?? 60) : getPhase(3).ramGb.min },
  };
}
