import { describe, expect, it } from 'vitest';
import { detectK3s } from '../recipe/detect-k3s';
import type { FileMap } from '../testing/github-fake';
import { prepareCommand, prepareScript } from './control-host';
import { buildK3sSteps, kubeconfigScript, kubeconfigSource, type K3sRunSettings } from './steps';
import { K3S_SCRIPT_FILES, K3S_STACK_FILES } from './testing/fixtures';

const entryOf = async (files: FileMap) => (await detectK3s(Object.keys(files), async (p) => files[p] ?? null)).k3s!.entryPoints[0]!;

async function settings(files: FileMap, over: Partial<K3sRunSettings> = {}): Promise<K3sRunSettings> {
  return {
    runner: 'remote',
    entry: await entryOf(files),
    environment: 'dev',
    repo: { url: 'https://github.com/gilmry/koprogo', ref: 'v1.0.0' },
    workspace: '/home/u/.koprogo-deploy/k3s/p',
    toolsBin: '/home/u/.koprogo-deploy/tools/bin',
    terraformBin: 'terraform',
    prepare: { script: '#!/usr/bin/env bash\n', command: 'terraform 1.9.8' },
    ...over,
  };
}

describe('the K3s steps, in order', () => {
  it('the deploy script: pre-flight, preparation, checkout, the script in the roadmap’s folder, kubeconfig, cluster', async () => {
    const s = await settings(K3S_SCRIPT_FILES);
    const steps = buildK3sSteps(s);
    expect(steps.map((x) => [x.id, x.command, x.cwd, x.terminal, x.interactive])).toEqual([
      ['preflight', 'command -v bash git terraform ansible-playbook helm kubectl', null, false, false],
      ['prepare', 'terraform 1.9.8', null, true, false],
      ['checkout', 'git clone https://github.com/gilmry/koprogo && git checkout v1.0.0', '', true, false],
      ['deploy-script', 'bash ./scripts/deploy.sh dev', 'infrastructure', true, true],
      ['kubeconfig', 'cat ~/.kube/koprogo-dev', null, false, false],
      ['cluster', 'GET /api/v1/nodes, GET /api/v1/pods', null, false, false],
    ]);
    expect(steps[3]!.script).toBe(
      '#!/usr/bin/env bash\nset -u\nexport PATH=/home/u/.koprogo-deploy/tools/bin:"$PATH"\nexport TERM="${TERM:-xterm-256color}"\ncd /home/u/.koprogo-deploy/k3s/p/repo/infrastructure\nexec bash ./scripts/deploy.sh dev\n',
    );
    // No value of a variable is ever part of a script.
    expect(steps.map((x) => x.script ?? '').join('')).not.toMatch(/OVH_APPLICATION_SECRET=|export OVH_/);
    expect(kubeconfigScript(s, kubeconfigSource(s)!)).toBe(
      [
        'set -eu',
        'umask 077',
        'export PATH=/home/u/.koprogo-deploy/tools/bin:"$PATH"',
        'src="$HOME"/.kube/koprogo-dev',
        '[ -f "$src" ] || { echo "koprogo: no kubeconfig at $src" >&2; exit 45; }',
        'if [ "$src" != /home/u/.koprogo-deploy/k3s/p/kubeconfig ]; then cp -- "$src" /home/u/.koprogo-deploy/k3s/p/kubeconfig.tmp && mv -f /home/u/.koprogo-deploy/k3s/p/kubeconfig.tmp /home/u/.koprogo-deploy/k3s/p/kubeconfig; fi',
        'chmod 600 /home/u/.koprogo-deploy/k3s/p/kubeconfig',
        'cat -- /home/u/.koprogo-deploy/k3s/p/kubeconfig',
        '',
      ].join('\n'),
    );
  });

  it('the stack on this computer: the app’s own Terraform plan and apply of that plan, Ansible in its folder, Helm for production', async () => {
    const base = { runner: 'local' as const, toolsBin: null, prepare: null, workspace: '/data/k3s/p' };
    const dev = buildK3sSteps(await settings(K3S_STACK_FILES, base));
    const tf = 'terraform -chdir=infrastructure/environments/dev/terraform';
    expect(dev.map((x) => [x.id, x.command])).toEqual([
      ['preflight', 'command -v bash git terraform ansible-playbook kubectl kustomize'],
      ['checkout', 'git clone https://github.com/gilmry/koprogo && git checkout v1.0.0'],
      ['terraform-init', `${tf} init -input=false`],
      ['terraform-plan', `${tf} plan -input=false -out=/data/k3s/p/plan/dev.tfplan`],
      ['terraform-apply', `${tf} apply -input=false /data/k3s/p/plan/dev.tfplan`],
      ['ansible', 'ansible-playbook -i inventory.ini site.yml'],
      ['kubeconfig', `${tf} output -raw kubeconfig`],
      ['kustomize', "kustomize build infrastructure/environments/dev/kustomize | kubectl apply -f -"],
      ['cluster', 'GET /api/v1/nodes, GET /api/v1/pods'],
    ]);
    expect(dev.find((x) => x.id === 'terraform-plan')!.script).toBe(
      `#!/usr/bin/env bash\nset -euo pipefail\nexport TERM="\${TERM:-xterm-256color}"\ncd /data/k3s/p/repo\nmkdir -p /data/k3s/p/plan\nrm -f /data/k3s/p/plan/dev.tfplan\nexec ${tf} plan -input=false -out=/data/k3s/p/plan/dev.tfplan\n`,
    );
    expect(dev.find((x) => x.id === 'ansible')!.cwd).toBe('infrastructure/environments/dev/ansible');
    const prod = buildK3sSteps(await settings(K3S_STACK_FILES, { ...base, environment: 'prod', terraformBin: 'tofu' }));
    expect(prod.find((x) => x.id === 'terraform-apply')!.command).toBe('tofu -chdir=infrastructure/environments/prod/terraform apply -input=false /data/k3s/p/plan/prod.tfplan');
    expect(prod.find((x) => x.id === 'helm')!.command).toBe(
      'helm upgrade --install koprogo infrastructure/charts/koprogo -f infrastructure/environments/prod/helm/values.yaml --namespace koprogo --create-namespace --wait --timeout 10m',
    );
    expect(prod.some((x) => x.id === 'kustomize')).toBe(false);
  });

  it('paths with spaces (macOS data folder) are quoted', async () => {
    const s = await settings(K3S_SCRIPT_FILES, { runner: 'local', toolsBin: null, prepare: null, workspace: '/Users/a/Library/Application Support/KoproGo Deploy/k3s/p' });
    expect(buildK3sSteps(s).find((x) => x.id === 'deploy-script')!.script).toContain("cd '/Users/a/Library/Application Support/KoproGo Deploy/k3s/p/repo/infrastructure'\n");
  });
});

describe('preparing a control host', () => {
  it('installs each pinned tool from its vendor, checked against the published SHA-256, only what the entry point needs', () => {
    const script = prepareScript(['terraform', 'kubectl'], { toolsRoot: '/home/u/.koprogo-deploy/tools' });
    expect(script).toContain('for c in bash git tmux curl tar sha256sum unzip; do command -v "$c"');
    expect(script).toContain(
      'install_tool terraform 1.9.8 "https://releases.hashicorp.com/terraform/1.9.8/terraform_1.9.8_${os}_${arch}.zip" "https://releases.hashicorp.com/terraform/1.9.8/terraform_1.9.8_SHA256SUMS" "terraform_1.9.8_${os}_${arch}.zip" "terraform" zip\n',
    );
    expect(script).toContain('install_tool kubectl 1.31.4 "https://dl.k8s.io/release/v1.31.4/bin/${os}/${arch}/kubectl" "https://dl.k8s.io/release/v1.31.4/bin/${os}/${arch}/kubectl.sha256" "kubectl" "kubectl" binary\n');
    expect(script).not.toContain('helm');
    expect(script).not.toContain('python3 -m venv');
    expect(prepareCommand(['terraform', 'kubectl'])).toBe('terraform 1.9.8, kubectl 1.31.4');
    expect(prepareScript(['ansible-playbook'], { toolsRoot: '/t' })).toContain("\"$T/ansible-playbook-2.17.7\"/bin/pip install --quiet --disable-pip-version-check ansible-core==2.17.7\n");
    expect(() => prepareScript(['helm'], { toolsRoot: '/t', sources: { helm: { kind: 'binary', url: 'http://x/$(id)', sums: 'http://x', file: 'h', member: 'h' } } })).toThrow();
  });
});
