import { z } from 'zod';

// The K3s entry points of a repository (phases 3–4), as recipe detection finds them: (a) a deploy script and the
// environments it accepts, or (b) a per-environment stack (Terraform root, Ansible inventory and playbook,
// Kustomize overlay or Helm chart and values; Makefile targets that wrap them). Shared by the recipe (Code step)
// and the K3s run (electron/main/k3s).

export const K3S_TOOLS = ['terraform', 'tofu', 'ansible-playbook', 'helm', 'kubectl', 'kustomize'] as const;
export type K3sTool = (typeof K3S_TOOLS)[number];
export const k3sToolSchema = z.enum(K3S_TOOLS);

/** The variables every OVH entry point reads (the roadmap exports them before `deploy.sh`); the app hands them out. */
export const OVH_VARIABLES = ['OVH_ENDPOINT', 'OVH_APPLICATION_KEY', 'OVH_APPLICATION_SECRET', 'OVH_CONSUMER_KEY'] as const;

/** Why an entry point found under infrastructure/ does not serve phases 3–4. */
export const NOT_K3S_REASONS = ['single_vps', 'empty_terraform', 'no_cluster'] as const;

const relPath = z.string().min(1).max(300).regex(/^[^/\0][^\0]*$/).refine((p) => !p.split('/').includes('..'), 'path');
const envName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/);
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/);

export const k3sStackEnvSchema = z.object({
  name: envName,
  /** The phase this environment is (production: 4, the others: 3). */
  phase: z.union([z.literal(3), z.literal(4)]),
  terraform: relPath.nullable(),
  /** The Terraform root declares `output "kubeconfig"` (read with `terraform output -raw kubeconfig`). */
  kubeconfigOutput: z.boolean(),
  ansible: z.object({ inventory: relPath, playbook: relPath }).nullable(),
  kustomize: relPath.nullable(),
  helm: z.object({ chart: relPath, values: relPath.nullable() }).nullable(),
  /** A kubeconfig file the playbook fetches (relative to the repository), when it names one. */
  kubeconfigFile: relPath.nullable(),
  /** `variable "x"` without a default in the Terraform root: asked as TF_VAR_x. */
  variables: z.array(varName),
});
export type K3sStackEnv = z.infer<typeof k3sStackEnvSchema>;

export const k3sEntryPointSchema = z.object({
  id: z.string().max(320),
  kind: z.enum(['script', 'stack']),
  /** The script, or the folder holding the environments. */
  path: relPath,
  environments: z.array(envName),
  /** Which phases this entry point serves ([] when it is not a K3s path). */
  phases: z.array(z.union([z.literal(3), z.literal(4)])),
  notK3s: z.enum(NOT_K3S_REASONS).nullable(),
  /** The Terraform root(s) looked at, and what they provision. */
  terraform: z.object({ paths: z.array(relPath), resources: z.array(z.string().max(100)).max(50) }).nullable(),
  tools: z.array(k3sToolSchema),
  /** Variables the entry point requires (OVH ones included), from its checks. */
  variables: z.array(varName),
  /** Script: where it writes the kubeconfig, `{env}` for the environment (default `~/.kube/koprogo-{env}`). */
  kubeconfig: z.string().max(300).nullable(),
  /** Stack: one entry per environment folder. */
  stack: z.array(k3sStackEnvSchema).nullable(),
  /** A Makefile wrapping the tools, with its targets (shown; the app drives the tools itself). */
  makefile: z.object({ path: relPath, targets: z.array(z.string().max(60)).max(40) }).nullable(),
});
export type K3sEntryPoint = z.infer<typeof k3sEntryPointSchema>;

/** Phase of an environment name: production-like names are phase 4, the others phase 3. */
export function phaseOfEnvironment(name: string): 3 | 4 {
  return /^(prod|production|prd|live)$/i.test(name) ? 4 : 3;
}
