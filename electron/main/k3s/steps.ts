import type { K3sPlanStep, K3sRunner, K3sStepId } from '../../shared/contract-k3s';
import type { K3sEntryPoint, K3sStackEnv } from '../../shared/k3s-entry';
import { shJoin, shQuote } from '../ssh/quote';
import { requiredTools } from './settings';

// What a K3s deployment runs, in order, as pure functions of the entry point, the environment and where it runs.
// Terminal steps are bash scripts run under a pseudo-terminal (locally node-pty, on a control host tmux); the
// others are the app's own work (pre-flight, kubeconfig, cluster). The scripts hold no secret: the OVH
// credentials and the other variables reach them as environment only. Tested by string comparison.

export interface K3sRunSettings {
  runner: K3sRunner;
  entry: K3sEntryPoint;
  environment: string;
  repo: { url: string; ref: string };
  /** The run's folder on the machine that runs it (absolute): `repo/` (the checkout), `plan/`, `kubeconfig`. */
  workspace: string;
  /** A control host's pinned tools (put first on PATH), null on this computer. */
  toolsBin: string | null;
  /** Stack shape: terraform, or OpenTofu when only it is installed. */
  terraformBin: 'terraform' | 'tofu';
  /** A control host's preparation (pinned tools, prerequisites): control-host.ts; null on this computer. */
  prepare: { script: string; command: string } | null;
}

export interface K3sRunStep extends K3sPlanStep {
  /** The bash script of a terminal step (null for the app's own work). */
  script: string | null;
}

/** A step the app drives from the kubeconfig step: where the kubeconfig comes from on the runner. */
export type KubeconfigSource = { kind: 'file'; path: string } | { kind: 'terraform-output'; dir: string };

export const checkoutDirOf = (s: Pick<K3sRunSettings, 'workspace'>): string => `${s.workspace}/repo`;
export const kubeconfigPathOf = (s: Pick<K3sRunSettings, 'workspace'>): string => `${s.workspace}/kubeconfig`;
const planFileOf = (s: Pick<K3sRunSettings, 'workspace'>, env: string): string => `${s.workspace}/plan/${env}.tfplan`;

const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const rel = (from: string, path: string): string => (from && path.startsWith(`${from}/`) ? path.slice(from.length + 1) : path);

/** The environment's part of a stack entry point. */
export function stackEnv(entry: K3sEntryPoint, environment: string): K3sStackEnv | null {
  return entry.stack?.find((e) => e.name === environment) ?? null;
}

/** The head every terminal script starts with: strict mode, the pinned tools first on PATH, the folder. */
function head(s: K3sRunSettings, cwd: string | null, strict = true): string[] {
  const lines = ['#!/usr/bin/env bash', strict ? 'set -euo pipefail' : 'set -u'];
  if (s.toolsBin) lines.push(`export PATH=${shQuote(s.toolsBin)}:"$PATH"`);
  // Tools that look for a terminal still get one (the pty); colours stay on.
  lines.push('export TERM="${TERM:-xterm-256color}"');
  if (cwd !== null) lines.push(`cd ${shQuote(cwd === '' ? checkoutDirOf(s) : `${checkoutDirOf(s)}/${cwd}`)}`);
  return lines;
}

/** The checkout at the chosen ref. Untracked files (Terraform state, fetched kubeconfigs) survive: it never cleans. */
function checkoutScript(s: K3sRunSettings): string {
  return [
    ...head(s, null),
    `dir=${shQuote(checkoutDirOf(s))}`,
    `url=${shQuote(s.repo.url)}`,
    `ref=${shQuote(s.repo.ref)}`,
    'if [ -d "$dir/.git" ]; then',
    '  git -C "$dir" remote set-url origin "$url"',
    '  git -C "$dir" fetch --prune --tags --force origin',
    'else',
    '  mkdir -p "$(dirname "$dir")"',
    '  git clone --no-checkout -- "$url" "$dir"',
    'fi',
    'commit=$(git -C "$dir" rev-parse -q --verify "refs/tags/$ref^{commit}" || git -C "$dir" rev-parse -q --verify "refs/remotes/origin/$ref^{commit}" || git -C "$dir" rev-parse -q --verify "$ref^{commit}") || { echo "koprogo: $ref is not a tag, branch or commit of $url" >&2; exit 44; }',
    'git -C "$dir" -c advice.detachedHead=false checkout --force --detach "$commit"',
    'printf \'Checked out %s (%s)\\n\' "$ref" "$commit"',
  ].join('\n') + '\n';
}

function terminalStep(id: K3sStepId, command: string, cwd: string | null, script: string, interactive: boolean): K3sRunStep {
  return { id, command, cwd, terminal: true, interactive, script };
}

function appStep(id: K3sStepId, command: string): K3sRunStep {
  return { id, command, cwd: null, terminal: false, interactive: false, script: null };
}

/** Where the deploy script runs from: the roadmap's `cd infrastructure && ./scripts/deploy.sh dev`. */
export function scriptCwd(path: string): string {
  const d = dirOf(path);
  return /(^|\/)scripts$/.test(d) ? dirOf(d) : d;
}

/** Where the kubeconfig is on the runner once the entry point's steps are done. */
export function kubeconfigSource(s: K3sRunSettings): KubeconfigSource | null {
  if (s.entry.kind === 'script') return { kind: 'file', path: (s.entry.kubeconfig ?? '~/.kube/koprogo-{env}').split('{env}').join(s.environment) };
  const env = stackEnv(s.entry, s.environment);
  if (!env) return null;
  if (env.terraform && env.kubeconfigOutput) return { kind: 'terraform-output', dir: env.terraform };
  if (env.kubeconfigFile) return { kind: 'file', path: `${checkoutDirOf(s)}/${env.kubeconfigFile}` };
  return null;
}

/** Every step of the run, in order. */
export function buildK3sSteps(s: K3sRunSettings): K3sRunStep[] {
  const steps: K3sRunStep[] = [appStep('preflight', ['command -v bash git', ...requiredTools(s.entry, s.environment)].join(' '))];
  if (s.prepare) steps.push(terminalStep('prepare', s.prepare.command, null, s.prepare.script, false));
  steps.push(terminalStep('checkout', `git clone ${s.repo.url} && git checkout ${s.repo.ref}`, '', checkoutScript(s), false));
  const kube = kubeconfigSource(s);
  const kubeconfigStep = appStep('kubeconfig', kube?.kind === 'terraform-output' ? `${s.terraformBin} -chdir=${kube.dir} output -raw kubeconfig` : `cat ${kube?.path ?? '?'}`);
  if (s.entry.kind === 'script') {
    const cwd = scriptCwd(s.entry.path);
    const args = ['bash', `./${rel(cwd, s.entry.path)}`, s.environment];
    steps.push(terminalStep('deploy-script', shJoin(args), cwd, [...head(s, cwd, false), `exec ${shJoin(args)}`].join('\n') + '\n', true));
    steps.push(kubeconfigStep);
  } else {
    const env = stackEnv(s.entry, s.environment);
    if (env?.terraform) {
      const tf = s.terraformBin;
      const plan = planFileOf(s, s.environment);
      const dir = env.terraform;
      const init = [tf, `-chdir=${dir}`, 'init', '-input=false'];
      const doPlan = [tf, `-chdir=${dir}`, 'plan', '-input=false', `-out=${plan}`];
      const apply = [tf, `-chdir=${dir}`, 'apply', '-input=false', plan];
      steps.push(terminalStep('terraform-init', shJoin(init), '', [...head(s, ''), `exec ${shJoin(init)}`].join('\n') + '\n', false));
      steps.push(terminalStep('terraform-plan', shJoin(doPlan), '', [...head(s, ''), `mkdir -p ${shQuote(dirOf(plan))}`, `rm -f ${shQuote(plan)}`, `exec ${shJoin(doPlan)}`].join('\n') + '\n', true));
      steps.push(terminalStep('terraform-apply', shJoin(apply), '', [...head(s, ''), `exec ${shJoin(apply)}`].join('\n') + '\n', false));
    }
    if (env?.ansible) {
      const cwd = dirOf(env.ansible.playbook);
      const args = ['ansible-playbook', '-i', rel(cwd, env.ansible.inventory), rel(cwd, env.ansible.playbook)];
      steps.push(terminalStep('ansible', shJoin(args), cwd, [...head(s, cwd), 'export ANSIBLE_FORCE_COLOR=1', `exec ${shJoin(args)}`].join('\n') + '\n', false));
    }
    steps.push(kubeconfigStep);
    const kubeEnv = `export KUBECONFIG=${shQuote(kubeconfigPathOf(s))}`;
    if (env?.kustomize) {
      const cmd = `kustomize build ${shQuote(env.kustomize)} | kubectl apply -f -`;
      steps.push(terminalStep('kustomize', cmd, '', [...head(s, ''), kubeEnv, cmd].join('\n') + '\n', false));
    } else if (env?.helm) {
      const args = ['helm', 'upgrade', '--install', 'koprogo', env.helm.chart, ...(env.helm.values ? ['-f', env.helm.values] : []), '--namespace', 'koprogo', '--create-namespace', '--wait', '--timeout', '10m'];
      steps.push(terminalStep('helm', shJoin(args), '', [...head(s, ''), kubeEnv, `exec ${shJoin(args)}`].join('\n') + '\n', false));
    }
  }
  steps.push(appStep('cluster', 'GET /api/v1/nodes, GET /api/v1/pods'));
  return steps;
}

/**
 * The runner-side script of the kubeconfig step: prints the kubeconfig on stdout and keeps a 0600 copy at the
 * workspace's `kubeconfig` (what kubectl and helm use in the next steps). `~` is the runner's home.
 */
export function kubeconfigScript(s: K3sRunSettings, source: KubeconfigSource): string {
  const out = shQuote(kubeconfigPathOf(s));
  const lines = ['set -eu', 'umask 077'];
  if (s.toolsBin) lines.push(`export PATH=${shQuote(s.toolsBin)}:"$PATH"`);
  if (source.kind === 'file') {
    const path = source.path.startsWith('~/') ? `"$HOME"/${shQuote(source.path.slice(2))}` : shQuote(source.path);
    lines.push(`src=${path}`, '[ -f "$src" ] || { echo "koprogo: no kubeconfig at $src" >&2; exit 45; }', `if [ "$src" != ${out} ]; then cp -- "$src" ${out}.tmp && mv -f ${out}.tmp ${out}; fi`);
  } else {
    lines.push(`cd ${shQuote(checkoutDirOf(s))}`, `${shJoin([s.terraformBin, `-chdir=${source.dir}`, 'output', '-raw', 'kubeconfig'])} > ${out}.tmp || { rm -f ${out}.tmp; exit 45; }`, `mv -f ${out}.tmp ${out}`);
  }
  lines.push(`chmod 600 ${out}`, `cat -- ${out}`);
  return `${lines.join('\n')}\n`;
}
