import { describe, expect, it } from 'vitest';
import { EMPTY_TERRAFORM_FILES, K3S_SCRIPT_FILES, K3S_STACK_FILES, SINGLE_VPS_FILES } from '../k3s/testing/fixtures';
import type { FileMap } from '../testing/github-fake';
import { detectRecipe, type RecipeSource } from './detect';
import { analyzeTerraform, detectK3s, kubeconfigOfScript, toolsOfScript, variablesOfScript } from './detect-k3s';

// The K3s entry points per environment, and which phases each serves: the roadmap's deploy script, a
// per-environment stack with its Makefile, and two entry points that only look like K3s (issue 11, item 10).

const source = (files: FileMap): RecipeSource => ({ listFiles: async () => Object.keys(files), readText: async (p) => files[p] ?? null });
const detect = (files: FileMap) => {
  const reads: string[] = [];
  return detectK3s(Object.keys(files).sort(), async (p) => (reads.push(p), files[p] ?? null)).then((r) => ({ ...r, reads }));
};

describe('K3s entry points', () => {
  it('(a) the deploy script: its environments, the tools it checks for, the variables it requires, where it writes the kubeconfig', async () => {
    const r = await detect(K3S_SCRIPT_FILES);
    expect(r.phases).toEqual({ 3: true, 4: true });
    expect(r.missing).toEqual([]);
    expect(r.k3s?.entryPoints).toEqual([
      {
        id: 'script:infrastructure/scripts/deploy.sh',
        kind: 'script',
        path: 'infrastructure/scripts/deploy.sh',
        environments: ['dev', 'staging', 'prod'],
        phases: [3, 4],
        notK3s: null,
        terraform: { paths: ['infrastructure/terraform/environments/dev'], resources: ['module.k3s'] },
        tools: ['terraform', 'ansible-playbook', 'helm', 'kubectl'],
        variables: ['OVH_ENDPOINT', 'OVH_APPLICATION_KEY', 'OVH_APPLICATION_SECRET', 'OVH_CONSUMER_KEY', 'KOPROGO_DOMAIN'],
        kubeconfig: '~/.kube/koprogo-{env}',
        stack: null,
        makefile: null,
      },
    ]);
    // The script and the Terraform root it works in: two reads.
    expect(r.reads).toEqual(['infrastructure/scripts/deploy.sh', 'infrastructure/terraform/environments/dev/main.tf']);
  });

  it('(b) the per-environment stack: each environment’s Terraform root, Ansible, Kustomize or Helm; the Makefile’s targets', async () => {
    const r = await detect(K3S_STACK_FILES);
    const e = r.k3s!.entryPoints[0]!;
    expect([e.kind, e.path, e.environments, e.phases, e.notK3s]).toEqual(['stack', 'infrastructure/environments', ['dev', 'prod'], [3, 4], null]);
    expect(e.makefile).toEqual({ path: 'infrastructure/Makefile', targets: ['init', 'plan', 'apply', 'ansible', 'deploy'] });
    expect(e.stack).toEqual([
      {
        name: 'dev',
        phase: 3,
        terraform: 'infrastructure/environments/dev/terraform',
        kubeconfigOutput: true,
        ansible: { inventory: 'infrastructure/environments/dev/ansible/inventory.ini', playbook: 'infrastructure/environments/dev/ansible/site.yml' },
        kustomize: 'infrastructure/environments/dev/kustomize',
        helm: null,
        kubeconfigFile: null,
        variables: ['TF_VAR_domain'],
      },
      {
        name: 'prod',
        phase: 4,
        terraform: 'infrastructure/environments/prod/terraform',
        kubeconfigOutput: true,
        ansible: { inventory: 'infrastructure/environments/prod/ansible/inventory.ini', playbook: 'infrastructure/environments/prod/ansible/site.yml' },
        kustomize: null,
        helm: { chart: 'infrastructure/charts/koprogo', values: 'infrastructure/environments/prod/helm/values.yaml' },
        kubeconfigFile: null,
        variables: ['TF_VAR_domain'],
      },
    ]);
  });

  it('(c) a Terraform root that provisions one VPS running Compose, or none at all, serves no K3s phase — and says why', async () => {
    const vps = await detect(SINGLE_VPS_FILES);
    expect(vps.phases).toEqual({ 3: false, 4: false });
    expect(vps.k3s?.entryPoints.map((e) => [e.kind, e.phases, e.notK3s])).toEqual([['script', [], 'single_vps']]);
    expect(vps.missing).toEqual([{ code: 'recipe.k3s_not_cluster_single_vps', params: { path: 'infrastructure/terraform', entry: 'infrastructure/scripts/deploy.sh' }, severity: 'warning' }]);
    const empty = await detect(EMPTY_TERRAFORM_FILES);
    expect(empty.phases).toEqual({ 3: false, 4: false });
    expect(empty.k3s?.entryPoints[0]?.notK3s).toBe('empty_terraform');
    expect(empty.missing.map((m) => m.code)).toEqual(['recipe.k3s_not_cluster_empty_terraform']);
    // The whole recipe: the Compose file still serves phases 1–2; phases 3–4 stay off.
    const recipe = await detectRecipe(source(SINGLE_VPS_FILES));
    expect(recipe.phases).toEqual({ 1: true, 2: true, 3: false, 4: false });
  });

  it('reads scripts and Terraform the way they are written', () => {
    expect(toolsOfScript('# helm is for later\nterraform apply\nif ! command -v kubectl >/dev/null; then exit 1; fi\n')).toEqual(['terraform', 'kubectl']);
    expect(variablesOfScript(': "${DOMAIN:?missing}"\n[ -z "$ACME_EMAIL" ] && exit 1\nfor v in A_KEY B_KEY; do [ -n "${!v:-}" ]; done\necho "$ENV"\n')).toEqual(['ACME_EMAIL', 'A_KEY', 'B_KEY', 'DOMAIN']);
    expect(kubeconfigOfScript('cp k3s.yaml "$HOME/.kube/config-$ENV.yaml"')).toBe('~/.kube/config-{env}.yaml');
    expect(kubeconfigOfScript('echo done')).toBe('~/.kube/koprogo-{env}');
    expect(analyzeTerraform(['resource "ovh_cloud_project_kube" "k" {\n  name = "x"\n}\n']).kind).toBe('cluster');
    expect(analyzeTerraform(['resource "hcloud_server" "a" {}\nresource "hcloud_server" "b" {}\n']).kind).toBe('cluster');
    expect(analyzeTerraform(['resource "hcloud_server" "a" {\n  count = 1\n}\n']).kind).toBe('single_vps');
    expect(analyzeTerraform(['resource "ovh_domain_zone_record" "a" {}\n']).kind).toBe('no_cluster');
    expect(analyzeTerraform(['# resource "hcloud_server" "a" {}\nterraform {}\n']).kind).toBe('empty');
    expect(analyzeTerraform(['variable "a" {}\nvariable "b" {\n  default = 1\n}\noutput "kubeconfig" { value = 1 }\n'])).toMatchObject({ variables: ['a'], kubeconfigOutput: true });
  });
});
