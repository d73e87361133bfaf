/** K3s nodes and pods through the Kubernetes API, with the deployment's saved kubeconfig. */

export interface ClusterNode {
  name: string;
  ready: boolean;
  roles: string[];
  kubeletVersion: string;
}

export interface ClusterPod {
  namespace: string;
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  node: string | null;
}

export interface ClusterState {
  nodes: ClusterNode[];
  pods: ClusterPod[];
}

export interface ReadClusterOptions {
  timeoutMs?: number;
}

export function readClusterState(kubeconfigYaml: string, opts: ReadClusterOptions = {}): Promise<ClusterState> {
  void kubeconfigYaml;
  void opts;
  return Promise.reject(new Error('not implemented'));
}
