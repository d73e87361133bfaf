import { createInterface } from 'node:readline';
import type { i18n } from 'i18next';
import type { EventName, EventPayload, MethodName } from '../../shared/contract';
import type { HealthCurrent } from '../../shared/contract-health';
import { OVH_VARIABLES } from '../../shared/k3s-entry';

// `cli deploy` and `cli status` for a K3s deployment (phases 3–4): the run's terminal output as it comes (colours
// and all), each question asked on this terminal (or answered yes with --yes), an unknown prompt answered with a
// line typed here; the variables from an env file (NAME=value lines, read into memory only; the OVH credentials
// from the app or the roadmap's exported OVH_* variables). Status: the cluster's nodes and pods.

export interface K3sCliIo {
  call: (method: MethodName, input: unknown) => Promise<unknown>;
  listen: (listener: (event: EventName, payload: unknown) => void) => void;
  out: (s: string) => void;
  err: (s: string) => void;
  t: i18n['t'];
  input?: NodeJS.ReadableStream;
}

/** `NAME=value` lines (comments and `export` allowed); the OVH variables are not taken from a file. */
export function parseVariables(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const value = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
    if (!(OVH_VARIABLES as readonly string[]).includes(m[1]!)) out[m[1]!] = value;
  }
  return out;
}

/** Runs (or resumes) the deployment; resolves with the exit code (0 deployed, 3 not). */
export async function k3sDeploy(io: K3sCliIo, profileId: string, opts: { fresh?: boolean; yes?: boolean; json?: boolean; variables?: Record<string, string> }): Promise<number> {
  const { t } = io;
  if (opts.variables && Object.keys(opts.variables).length > 0 && !(await io.call('k3s.setVariables', { profileId, values: opts.variables }))) return 2;
  const lines = createInterface({ input: io.input ?? process.stdin, terminal: false });
  const queue: string[] = [];
  let waiting: ((line: string | null) => void) | null = null;
  let closed = false;
  lines.on('line', (l) => (waiting ? (waiting(l), (waiting = null)) : queue.push(l)));
  lines.on('close', () => {
    closed = true;
    waiting?.(null);
  });
  const nextLine = (): Promise<string | null> => (queue.length > 0 ? Promise.resolve(queue.shift()!) : closed ? Promise.resolve(null) : new Promise((r) => (waiting = r)));

  const finished = new Promise<EventPayload<'k3s.finished'>>((resolve) => {
    io.listen((event, payload) => {
      if (opts.json) io.out(`${JSON.stringify({ event, payload })}\n`);
      if (event === 'k3s.output' && !opts.json) io.out((payload as EventPayload<'k3s.output'>).data);
      if (event === 'k3s.step' && !opts.json) {
        const p = payload as EventPayload<'k3s.step'>;
        if (p.state !== 'running' && p.state !== 'checking') io.err(`[${t(`deploy.state.${p.state}`, { defaultValue: p.state })}] ${t(`deploy.steps.${p.stepId}`, { defaultValue: p.stepId })}\n`);
      }
      if (event === 'k3s.prompt') void answer((payload as EventPayload<'k3s.prompt'>).prompt);
      if (event === 'k3s.finished') resolve(payload as EventPayload<'k3s.finished'>);
    });
  });

  const answer = async (prompt: EventPayload<'k3s.prompt'>['prompt']): Promise<void> => {
    if (!prompt) return;
    if (prompt.kind === 'unknown') {
      io.err(`\n${t('k3s.cli.unknownPrompt')}\n`);
      const line = await nextLine();
      if (line !== null) await io.call('k3s.input', { profileId, text: `${line}\r` });
      return;
    }
    if (prompt.summary) io.err(`\n${t('k3s.prompt.summary', { add: prompt.summary.add, change: prompt.summary.change, destroy: prompt.summary.destroy })}\n`);
    if (prompt.topology) io.err(`${t('k3s.cli.cost', { amount: prompt.topology.monthlyEuros })}\n`);
    let yes = opts.yes === true;
    if (!yes) {
      io.err(`${t('k3s.cli.confirm')} `);
      const line = await nextLine();
      yes = /^(y|yes|o|oui|j|ja)$/i.test((line ?? '').trim());
    }
    await io.call('k3s.answer', { profileId, promptId: prompt.id, answer: yes ? 'yes' : 'no' });
  };

  if (!(await io.call('k3s.start', { profileId, fresh: opts.fresh ?? false }))) {
    lines.close();
    return 2;
  }
  const result = await finished;
  lines.close();
  if (result.outcome === 'succeeded') {
    if (!opts.json) io.err(`${t('k3s.cli.deployed')}\n`);
    return 0;
  }
  if (result.error) io.err(`${t('cli.error')}: ${t(`errors.${result.error.code}.message`, result.error.params)}\n${t('cli.remedy')}: ${t(`remedies.${result.error.remedy}`, result.error.params)}\n`);
  if (result.detached) io.err(`${t('k3s.cli.detached')}\n`);
  return 3;
}

/** The human form of `status` for a K3s deployment: the cluster's state, its nodes, its pods, the API's health. */
export function printClusterStatus(c: HealthCurrent, t: i18n['t'], time: (ms: number) => string): string {
  const lines: string[] = [];
  lines.push(c.live && c.lastSampleAt !== null ? t('k3s.cli.clusterLive', { time: time(c.lastSampleAt) }) : c.staleSince !== null ? t('k3s.cli.clusterStale', { time: time(c.staleSince) }) : t('health.dashboard.waiting'));
  if (c.error) lines.push(`${t('cli.error')}: ${t(`errors.${c.error.code}.message`, c.error.params)}`);
  const cluster = c.cluster;
  if (!cluster) lines.push(t('health.dashboard.cluster.notAvailable'));
  else {
    if (cluster.error) lines.push(`${t('cli.error')}: ${t(`errors.${cluster.error.code}.message`, cluster.error.params)}`);
    lines.push('', `${t('health.dashboard.cluster.nodes')}: ${t('k3s.cli.ready', { ready: cluster.nodes.filter((n) => n.ready).length, total: cluster.nodes.length })}`);
    for (const n of cluster.nodes) lines.push(`  ${n.ready ? '✓' : '✕'} ${n.name}  ${n.roles.join(',') || '—'}  ${n.kubeletVersion}`);
    lines.push('', `${t('health.dashboard.cluster.pods')}: ${t('k3s.cli.ready', { ready: cluster.pods.filter((p) => p.ready).length, total: cluster.pods.length })}`);
    for (const p of cluster.pods) lines.push(`  ${p.ready ? '✓' : '✕'} ${p.namespace}/${p.name}  ${p.phase}  ${t('health.dashboard.containers.restarts')}: ${p.restarts}`);
  }
  if (c.https) lines.push('', `${c.https.url}: ${c.https.ok ? `${c.https.status} · ${c.https.latencyMs ?? '—'} ms` : (c.https.errorCode ?? String(c.https.status))}`);
  return `${lines.join('\n')}\n`;
}
