import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract';
import { K3S_SCRIPT_FILES, K3S_STACK_FILES } from './testing/fixtures';
import { CANARY_VALUES, startK3sHarness, type K3sHarness } from './testing/harness';

// K3s runs on this computer, under a real pseudo-terminal (node-pty), with the fake tools on PATH and the fake
// Kubernetes API as the cluster: the roadmap's deploy script answered yes and no, an unknown prompt answered from
// the terminal input, cancel, the pre-flight's missing tool and variable, a failing step, and the per-environment
// stack where the app drives Terraform itself (plan -out, approval, apply <planfile>).

let h: K3sHarness | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

type Prompt = NonNullable<EventPayload<'k3s.prompt'>['prompt']>;
const promptOf = (p: EventPayload<'k3s.prompt'>): Prompt | null => p.prompt;

/** Every file under a folder, with its content (what a run left behind). */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, text: readFileSync(p, 'latin1') });
    }
  };
  walk(dir);
  return out;
}

function expectNoCanary(h: K3sHarness): void {
  const leaks = [...filesUnder(h.dataDir), ...filesUnder(h.home)].filter((f) => CANARY_VALUES.some((c) => f.text.includes(c))).map((f) => f.path);
  expect(leaks).toEqual([]);
  const inEvents = JSON.stringify(h.events);
  for (const c of CANARY_VALUES) expect(inEvents).not.toContain(c);
}

describe('the roadmap deploy script on this computer', () => {
  it('runs under a pty; the (yes/no) question becomes a dialog with the plan summary; yes deploys; the kubeconfig is fetched 0600; secrets never show', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' }, tools: { echoSecrets: true, extraLines: 5 } });
    const run = h.service.runToEnd(h.profileId);
    const asked = await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no');
    const prompt = promptOf(asked)!;
    expect(prompt.question).toBe('Apply Terraform plan? (yes/no):');
    expect(prompt.summary).toEqual({ add: 3, change: 0, destroy: 0, noChanges: false });
    expect(prompt.topology).toMatchObject({ environment: 'dev', controlPlanes: 1, workers: 1, monthlyEuros: 30 });
    expect(prompt.context).toContain('Plan: 3 to add, 0 to change, 0 to destroy.');
    expect(await h.service.answer(h.profileId, prompt.id, 'yes')).toEqual({ sent: true });
    const result = await run;
    expect(result?.error?.code ?? null).toBeNull();
    expect(result?.outcome).toBe('succeeded');

    const out = h.output();
    // ANSI colours reach the terminal view; the secret the tool printed (split over two writes) is masked.
    expect(out).toContain('\u001b[32m');
    expect(out).toContain('Apply complete! Resources: 3 added');
    expect(out).toContain('application_secret=••••••');
    expect(out).toContain('nodes: 2/2 ready, pods: 3');
    const calls = await h.tools.calls();
    expect(calls.some((c) => c.startsWith('terraform apply tfplan | env: OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY'))).toBe(true);

    // The kubeconfig in the data folder, 0600; the profile records the deployment.
    const kube = join(h.dataDir, 'k3s', h.profileId, 'kubeconfig');
    expect(statSync(kube).mode & 0o777).toBe(0o600);
    expect(readFileSync(kube, 'utf8')).toBe(h.k8s.kubeconfig());
    const profile = await h.profiles.get(h.profileId);
    expect(profile.settings['k3s.deployedRef']).toBe('v1.0.0');
    expect(profile.settings['k3s.kubeconfig']).toBe(kube);
    expect(await h.secrets.get(`${h.profileId}.kubeconfig`)).toBe(h.k8s.kubeconfig());

    // Replay: the run log holds exactly what the screens got.
    const replay = await h.service.output(h.profileId, undefined, 0, 4_000_000);
    expect(replay.data).toBe(out);
    const status = await h.service.status(h.profileId);
    expect(status).toMatchObject({ active: false, outcome: 'succeeded', detached: false });
    expect(status.steps.map((s) => [s.stepId, s.state])).toEqual([
      ['preflight', 'done'],
      ['checkout', 'done'],
      ['deploy-script', 'done'],
      ['kubeconfig', 'done'],
      ['cluster', 'done'],
    ]);
    expectNoCanary(h);
  }, 180_000);

  it('answering no stops before anything is applied, as cancelled (declined)', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' } });
    const run = h.service.runToEnd(h.profileId);
    const prompt = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no'))!;
    await h.service.answer(h.profileId, prompt.id, 'no');
    const result = await run;
    expect(result?.outcome).toBe('cancelled');
    expect(result?.error?.code).toBe('k3s.declined');
    expect(result?.failedStep).toBe('deploy-script');
    expect(h.output()).toContain('Aborted: nothing was changed.');
    expect((await h.tools.calls()).some((c) => c.startsWith('terraform apply'))).toBe(false);
  }, 120_000);

  it('an unknown prompt (output stalls without a newline) shows the terminal input; the typed line reaches the tool', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' }, tools: { askVariable: 'domain' } });
    const run = h.service.runToEnd(h.profileId);
    const unknown = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'unknown'))!;
    expect(unknown.question).toBe('Enter a value:');
    expect(unknown.context).toContain('var.domain');
    expect(await h.service.input(h.profileId, 'api.koprogo.example\r')).toEqual({ sent: true });
    // Answered: the question goes, and the known one follows.
    const yes = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no'))!;
    await h.service.answer(h.profileId, yes.id, 'yes');
    expect((await run)?.outcome).toBe('succeeded');
    expect(h.output()).toContain('Enter a value: api.koprogo.example');
  }, 120_000);

  it('cancel sends Ctrl-C to the running step, then stops it; the run ends cancelled', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' }, tools: { slow: 30 } });
    const run = h.service.runToEnd(h.profileId);
    const prompt = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no'))!;
    await h.service.answer(h.profileId, prompt.id, 'yes');
    await h.waitFor('k3s.output', (p) => p.data.includes('node[0]: Creating...'));
    expect(await h.service.cancel(h.profileId)).toEqual({ cancelled: true });
    const result = await run;
    expect(result?.outcome).toBe('cancelled');
    expect(result?.error?.code).toBe('k3s.cancelled');
    // SIGINT first (Terraform's graceful stop), then — as it keeps going — the step is stopped.
    expect(h.output()).toContain('Interrupt received.');
    expect(h.output()).not.toContain('Apply complete!');
    expect(h.output()).not.toContain('node[2]: Creating...');
    const status = await h.service.status(h.profileId);
    expect(status.steps.find((s) => s.stepId === 'deploy-script')?.state).toBe('cancelled');
  }, 120_000);

  it('a tool that is missing stops the pre-flight with the tool named; nothing is cloned', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' }, without: ['helm'] });
    const pre = await h.service.preflight(h.profileId);
    expect(pre.ok).toBe(false);
    expect(pre.tools.find((t) => t.id === 'helm')).toMatchObject({ state: 'missing', found: null, minimum: '3.12.0', action: 'user' });
    expect(pre.tools.find((t) => t.id === 'terraform')).toMatchObject({ state: 'ok', found: '1.9.8' });
    expect(pre.problems).toEqual([{ code: 'k3s.problems.tool_missing', params: { tool: 'helm', found: '—', minimum: '3.12.0' } }]);
    const result = await h.service.runToEnd(h.profileId);
    expect(result?.error?.code).toBe('k3s.preflight_failed');
    expect(result?.failedStep).toBe('preflight');
    expect(statSync(join(h.dataDir, 'k3s', h.profileId)).isDirectory()).toBe(true);
    expect(() => statSync(join(h!.dataDir, 'k3s', h!.profileId, 'repo'))).toThrow();
  }, 60_000);

  it('a variable that is missing stops the pre-flight; the OVH ones come from the provider', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES });
    const pre = await h.service.preflight(h.profileId);
    expect(pre.variables).toEqual([
      { name: 'OVH_ENDPOINT', source: 'provider', present: true, secret: false },
      { name: 'OVH_APPLICATION_KEY', source: 'provider', present: true, secret: true },
      { name: 'OVH_APPLICATION_SECRET', source: 'provider', present: true, secret: true },
      { name: 'OVH_CONSUMER_KEY', source: 'provider', present: true, secret: true },
      { name: 'KOPROGO_DOMAIN', source: 'missing', present: false, secret: false },
    ]);
    expect(pre.problems).toEqual([{ code: 'k3s.problems.variable_missing', params: { name: 'KOPROGO_DOMAIN' } }]);
    await h.service.setVariables(h.profileId, { KOPROGO_DOMAIN: 'api.koprogo.example' });
    expect((await h.service.preflight(h.profileId)).ok).toBe(true);
  }, 60_000);

  it('a step that fails says which one and its recognised cause (an OVH quota) with its remedy; resume starts from that step', async () => {
    h = await startK3sHarness({ files: K3S_SCRIPT_FILES, variables: { KOPROGO_DOMAIN: 'api.koprogo.example' }, tools: { fail: 'apply' } });
    const run = h.service.runToEnd(h.profileId);
    const prompt = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no'))!;
    await h.service.answer(h.profileId, prompt.id, 'yes');
    const result = await run;
    expect(result?.outcome).toBe('failed');
    expect(result?.error?.code).toBe('k3s.ovh_quota_exceeded');
    expect(result?.error?.params).toEqual({ step: 'deploy-script', host: 'localhost', resource: 'cores' });
    expect(result?.error?.remedy).toBe('k3s.ovh_quota_exceeded');
    expect(h.output()).toContain('Quota exceeded for cores');
    // Fixed; the next run resumes the same journal: the checkout is not repeated.
    await h.tools.configure({ kubeconfig: join(h.dataDir, 'fake-cluster.yaml') });
    const before = h.events.filter((e) => e.event === 'k3s.step').length;
    const again = h.service.runToEnd(h.profileId);
    const p2 = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'yes-no' && p.prompt.id !== prompt.id))!;
    await h.service.answer(h.profileId, p2.id, 'yes');
    const second = await again;
    expect(second?.outcome).toBe('succeeded');
    expect(second?.runId).toBe(result?.runId);
    const steps = h.events.slice(before).filter((e): e is Extract<typeof e, { event: 'k3s.step' }> => e.event === 'k3s.step').map((e) => `${e.payload.stepId}:${e.payload.state}`);
    expect(steps).toContain('checkout:done');
    expect(steps.filter((s) => s === 'checkout:running')).toEqual([]);
  }, 180_000);
});

describe('the per-environment stack on this computer', () => {
  it('the app drives Terraform: plan -input=false -out, the plan approved in a dialog, apply <planfile>; Ansible, kubeconfig from the Terraform output, Kustomize', async () => {
    h = await startK3sHarness({ files: K3S_STACK_FILES, variables: { TF_VAR_domain: 'api.koprogo.example' } });
    const plan = await h.service.plan(h.profileId);
    expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'checkout', 'terraform-init', 'terraform-plan', 'terraform-apply', 'ansible', 'kubeconfig', 'kustomize', 'cluster']);
    const planFile = join(h.dataDir, 'k3s', h.profileId, 'plan', 'dev.tfplan');
    expect(plan.steps.find((s) => s.id === 'terraform-plan')?.command).toBe(`terraform -chdir=infrastructure/environments/dev/terraform plan -input=false -out=${planFile}`);
    expect(plan.steps.find((s) => s.id === 'terraform-apply')?.command).toBe(`terraform -chdir=infrastructure/environments/dev/terraform apply -input=false ${planFile}`);
    const run = h.service.runToEnd(h.profileId);
    const approve = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'terraform-approve'))!;
    expect(approve.stepId).toBe('terraform-plan');
    expect(approve.summary).toEqual({ add: 3, change: 0, destroy: 0, noChanges: false });
    // Nothing applied while the plan waits for the user.
    expect((await h.tools.calls()).some((c) => c.includes(' apply '))).toBe(false);
    await h.service.answer(h.profileId, approve.id, 'yes');
    const result = await run;
    expect(result?.error?.code ?? null).toBeNull();
    const calls = (await h.tools.calls()).map((c) => c.split(' | ')[0]);
    const invoked = calls.filter((c) => !/ (version|--version)\b/.test(c ?? ''));
    expect(invoked.slice(0, 5)).toEqual([
      'terraform -chdir=infrastructure/environments/dev/terraform init -input=false',
      `terraform -chdir=infrastructure/environments/dev/terraform plan -input=false -out=${planFile}`,
      `terraform -chdir=infrastructure/environments/dev/terraform apply -input=false ${planFile}`,
      'ansible-playbook -i inventory.ini site.yml',
      'terraform -chdir=infrastructure/environments/dev/terraform output -raw kubeconfig',
    ]);
    // `kustomize build … | kubectl apply -f -`: the two ends of one pipe start together, in either order.
    expect(invoked.slice(5).sort()).toEqual(['kubectl apply -f -', 'kustomize build infrastructure/environments/dev/kustomize']);
    expect(h.output()).toContain('deployment/koprogo-backend created');
    expect(statSync(join(h.dataDir, 'k3s', h.profileId, 'kubeconfig')).mode & 0o777).toBe(0o600);
  }, 180_000);

  it('declining the plan applies nothing', async () => {
    h = await startK3sHarness({ files: K3S_STACK_FILES, variables: { TF_VAR_domain: 'api.koprogo.example' } });
    const run = h.service.runToEnd(h.profileId);
    const approve = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'terraform-approve'))!;
    await h.service.answer(h.profileId, approve.id, 'no');
    const result = await run;
    expect(result).toMatchObject({ outcome: 'cancelled', failedStep: 'terraform-plan' });
    expect(result?.error?.code).toBe('k3s.declined');
    expect((await h.tools.calls()).some((c) => c.includes(' apply '))).toBe(false);
  }, 120_000);

  it('a node Ansible cannot reach is named, with what to check, instead of an exit code', async () => {
    h = await startK3sHarness({ files: K3S_STACK_FILES, variables: { TF_VAR_domain: 'api.koprogo.example' }, tools: { fail: 'ansible' } });
    const run = h.service.runToEnd(h.profileId);
    const approve = promptOf(await h.waitFor('k3s.prompt', (p) => p.prompt?.kind === 'terraform-approve'))!;
    await h.service.answer(h.profileId, approve.id, 'yes');
    const result = await run;
    expect(result).toMatchObject({ outcome: 'failed', failedStep: 'ansible' });
    expect(result?.error?.code).toBe('k3s.node_unreachable');
    expect(result?.error?.params).toMatchObject({ step: 'ansible', detail: 'Failed to connect to the host via ssh: Connection timed out' });
    expect(String(result?.error?.params.node)).toMatch(/^\S+$/);
    expect(h.output()).toContain(`fatal: [${String(result?.error?.params.node)}]: UNREACHABLE!`);
  }, 120_000);
});
