import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseKubeconfig } from '../health/k3s';
import { randomBytes } from 'node:crypto';

// The cluster's kubeconfig on this computer: fetched from where the run happened (the script's
// `~/.kube/koprogo-<env>`, or Terraform's output), checked (an https API server, a token or an inline client
// certificate — what health/k3s.ts can use), written 0600 in the app's data folder (`k3s/<profile>/kubeconfig`,
// for the dashboard and for the user's own `kubectl`), and handed to the secret store too.

export function kubeconfigFile(dataDir: string, profileId: string): string {
  return join(dataDir, 'k3s', profileId, 'kubeconfig');
}

/** The credentials inside a kubeconfig, to mask wherever they could show (never logged). */
export function kubeconfigSecrets(yaml: string): string[] {
  const out: string[] = [];
  for (const m of yaml.matchAll(/^\s*(token|client-key-data|client-certificate-data|password):\s*["']?([^\s"']{8,})/gm)) out.push(m[2]!);
  return out;
}

/** Validates and saves the kubeconfig (atomic, 0600). Throws AppError('health.kubeconfig_invalid') on a bad one. */
export async function saveKubeconfig(dataDir: string, profileId: string, yaml: string): Promise<string> {
  parseKubeconfig(yaml);
  const path = kubeconfigFile(dataDir, profileId);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, yaml, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

export async function readKubeconfig(dataDir: string, profileId: string): Promise<string | null> {
  try {
    return await readFile(kubeconfigFile(dataDir, profileId), 'utf8');
  } catch {
    return null;
  }
}
