import { K3S_RUNNERS, type K3sRunner } from '../../shared/contract-k3s';
import { AppError } from '../../shared/errors';
import { K3S_TOOLS, k3sEntryPointSchema, OVH_VARIABLES, type K3sEntryPoint, type K3sTool } from '../../shared/k3s-entry';
import type { Profile } from '../../shared/profile';

// A K3s deployment's choices, kept in the profile's (non-secret) settings: the entry point the Code step chose
// (as the recipe described it), the environment, where it runs, the production domain; and what the last
// successful run recorded. The variables' values are secrets (the secret store, K3S_VARIABLES_SECRET).

export const K3S_SETTINGS = {
  entry: 'k3s.entry',
  environment: 'k3s.environment',
  runner: 'k3s.runner',
  distro: 'k3s.wslDistro',
  domain: 'k3s.domain',
  deployedAt: 'k3s.deployedAt',
  deployedRef: 'k3s.deployedRef',
  deployedEnvironment: 'k3s.deployedEnvironment',
  kubeconfig: 'k3s.kubeconfig',
} as const;

/** Secret name (per profile) of the variables the user gave for the entry point (JSON object). */
export const K3S_VARIABLES_SECRET = 'k3s-variables';

export interface K3sConfig {
  entry: K3sEntryPoint;
  environment: string;
  runner: K3sRunner;
  distro: string | null;
  repo: { url: string; ref: string };
}

/** The saved entry point, or null when none (or one this version cannot read). */
export function entryOf(profile: Profile): K3sEntryPoint | null {
  const raw = profile.settings[K3S_SETTINGS.entry];
  if (!raw) return null;
  try {
    const parsed = k3sEntryPointSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Everything a run needs from the profile; a typed error names what is missing. */
export function k3sConfigOf(profile: Profile): K3sConfig {
  if (profile.phase < 3) throw new AppError('k3s.not_configured', { missing: 'phase' });
  if (!profile.repo) throw new AppError('k3s.not_configured', { missing: 'repository' });
  const entry = entryOf(profile);
  if (!entry) throw new AppError('k3s.no_entry_point', { phase: profile.phase });
  if (!entry.phases.includes(profile.phase as 3 | 4)) throw new AppError('k3s.no_entry_point', { phase: profile.phase });
  const environment = profile.settings[K3S_SETTINGS.environment] ?? '';
  const known = entry.kind === 'stack' ? entry.stack?.map((e) => e.name) ?? [] : entry.environments;
  if (!environment || (known.length > 0 && !known.includes(environment))) throw new AppError('k3s.environment_unknown', { environment: environment || '—', environments: known.join(', ') || '—' });
  const runner = profile.settings[K3S_SETTINGS.runner] ?? 'local';
  if (!(K3S_RUNNERS as readonly string[]).includes(runner)) throw new AppError('k3s.not_configured', { missing: 'runner' });
  if (runner === 'remote' && !profile.server) throw new AppError('k3s.control_host_missing', {});
  return { entry, environment, runner: runner as K3sRunner, distro: profile.settings[K3S_SETTINGS.distro] ?? null, repo: profile.repo };
}

/** Every variable the entry point requires for this environment (the OVH ones included). */
export function requiredVariables(entry: K3sEntryPoint, environment: string): string[] {
  if (entry.kind === 'script') return [...entry.variables];
  const own = entry.stack?.find((e) => e.name === environment)?.variables ?? [];
  return [...new Set([...OVH_VARIABLES, ...own])];
}

/** The tools this environment's steps use (a stack's environment: only its own parts). */
export function requiredTools(entry: K3sEntryPoint, environment: string): K3sTool[] {
  if (entry.kind === 'script') return [...entry.tools];
  const env = entry.stack?.find((e) => e.name === environment);
  if (!env) return [...entry.tools];
  const out = new Set<K3sTool>();
  if (env.terraform) out.add('terraform');
  if (env.ansible) out.add('ansible-playbook');
  if (env.kustomize) ['kustomize', 'kubectl'].forEach((t) => out.add(t as K3sTool));
  else if (env.helm) ['helm', 'kubectl'].forEach((t) => out.add(t as K3sTool));
  return K3S_TOOLS.filter((t) => out.has(t));
}

/** Variables whose value is a credential: masked in the output and the logs (a domain or a region stays readable). */
export function isSecretName(name: string): boolean {
  return /SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|(^|_)KEY($|_)/i.test(name);
}
