import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract';
import { SshConnection } from '../ssh/connection';
import { startSshd, startTcpProxy, type SshdHandle, type TcpProxy } from '../testing';
import { K3S_SCRIPT_FILES } from './testing/fixtures';
import { CANARY_VALUES, startK3sHarness, type K3sHarness } from './testing/harness';

// The real OpenSSH test server as the control host: the app prepares it (prerequisites, the pinned tools
// downloaded from a local server and checked against their SHA-256 files), checks the repository out at the ref,
// and runs the deploy script detached in tmux. The OVH credentials never appear in `ps` there during the run, nor
// in any file it leaves; a connection cut in the middle of the run is re-attached and no output is lost; a run
// whose connection stays down goes on over there and the next start re-attaches to it.

let sshd: SshdHandle;
let proxy: TcpProxy;
let h: K3sHarness | null = null;

beforeAll(async () => {
  sshd = await startSshd({ sudo: 'nopasswd' });
  proxy = await startTcpProxy(sshd.port);
  // The fixture repositories belong to root: git clones another user's repository only when told it is safe.
  await onHost("git config --global --add safe.directory '*'");
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await sshd?.stop();
});

afterEach(async () => {
  proxy.refuse(false);
  await h?.stop();
  h = null;
  // Each test starts from a control host the app never prepared.
  await onHost('tmux -S ~/.koprogo-deploy/tmux kill-server 2>/dev/null; rm -rf ~/.koprogo-deploy ~/.kube');
});

const connect = () =>
  SshConnection.connect(
    { host: '127.0.0.1', port: proxy.port, user: sshd.user, privateKey: sshd.userPrivateKey },
    { hostKeySha256: sshd.hostKeySha256, keepaliveIntervalMs: 500, keepaliveCountMax: 2, readyTimeoutMs: 5000 },
  );

/** A command on the control host, as its user (over a connection of our own, not the app's). */
async function onHost(command: string): Promise<string> {
  const conn = await SshConnection.connect({ host: '127.0.0.1', port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  try {
    return (await conn.exec(command)).stdout;
  } finally {
    conn.close();
  }
}

async function remoteHarness(tools: Parameters<typeof startK3sHarness>[0]['tools'] = {}, service: Parameters<typeof startK3sHarness>[0]['service'] = {}): Promise<K3sHarness> {
  return startK3sHarness({
    files: K3S_SCRIPT_FILES,
    runner: 'remote',
    server: { host: '127.0.0.1', port: sshd.port, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
    variables: { KOPROGO_DOMAIN: 'api.koprogo.example' },
    tools,
    connect,
    toolServer: true,
    service,
  });
}

const yesNo = (p: EventPayload<'k3s.prompt'>) => p.prompt?.kind === 'yes-no';

/** A run whose connection goes down in the middle of the apply and stays down: it ends detached (the step goes on there). */
async function detachedRun() {
  const harness = await remoteHarness({ slow: 2, resources: 3 }, { reconnect: { attempts: 1, delayMs: 200 } });
  h = harness;
  const run = harness.service.runToEnd(harness.profileId);
  const prompt = (await harness.waitFor('k3s.prompt', yesNo)).prompt!;
  await harness.service.answer(harness.profileId, prompt.id, 'yes');
  await harness.waitFor('k3s.output', (p) => p.data.includes('node[0]: Creating...'));
  proxy.refuse(true);
  proxy.cutAll();
  return { harness, first: await run };
}

describe('a control host over SSH', () => {
  it('prepares the host with the pinned tools, runs detached in tmux; the OVH secrets are not in ps during the run nor in its files after', async () => {
    h = await remoteHarness({ echoSecrets: true });
    const run = h.service.runToEnd(h.profileId);
    const prompt = (await h.waitFor('k3s.prompt', yesNo)).prompt!;
    // While the script waits for its answer: every process on the control host, with its arguments.
    const ps = await onHost('ps -eo user,pid,args');
    expect(ps).toContain('deploy.sh dev');
    for (const c of CANARY_VALUES) expect(ps).not.toContain(c);
    await h.service.answer(h.profileId, prompt.id, 'yes');
    const result = await run;
    expect(result?.error?.code ?? null).toBeNull();
    expect(result?.outcome).toBe('succeeded');

    // The pinned tools came from the download server, each with its checksum file.
    expect(h.toolServer!.requests).toEqual(expect.arrayContaining(['/terraform/1.9.8/file', '/terraform/1.9.8/sums', '/helm/3.16.3/file', '/kubectl/1.31.4/file', '/ansible-playbook/2.17.7/file']));
    expect(await onHost('cat ~/.koprogo-deploy/tools/versions/terraform')).toBe('1.9.8\n');
    expect(h.output()).toContain('Installing terraform 1.9.8');
    expect(h.output()).not.toContain('base64:');
    expect(h.output()).toContain('application_secret=••••••');
    // The kubeconfig the script wrote on the control host, now here.
    expect(await h.secrets.get(`${h.profileId}.kubeconfig`)).toBe(h.k8s.kubeconfig());

    // Nothing the run left on the control host holds a secret (the raw terminal logs are gone).
    const leaks = await onHost(`grep -rlF -e ${CANARY_VALUES.map((c) => `'${c}'`).join(' -e ')} ~ 2>/dev/null || true`);
    expect(leaks.trim()).toBe('');
    expect((await onHost('ls ~/.koprogo-deploy/k3s/koprogo-k3s/runs/*/log 2>/dev/null | wc -l')).trim()).toBe('0');
    expect(await onHost('tmux -S ~/.koprogo-deploy/tmux ls 2>&1 || true')).toMatch(/no server running|error connecting|no sessions/);

    // A second run finds the tools in place: nothing downloaded again.
    const before = h.toolServer!.requests.length;
    const again = h.service.runToEnd(h.profileId, { fresh: true });
    const p2 = (await h.waitFor('k3s.prompt', (p) => yesNo(p) && p.prompt?.id !== prompt.id)).prompt!;
    await h.service.answer(h.profileId, p2.id, 'yes');
    expect((await again)?.outcome).toBe('succeeded');
    expect(h.toolServer!.requests.length).toBe(before);
    expect(h.output()).toContain('terraform 1.9.8 is installed');
  }, 300_000);

  it('keeps its lock on the control host alive while a step waits: a stale-looking heartbeat is refreshed, then the lock is given back', async () => {
    h = await remoteHarness({}, { lock: { heartbeatMs: 100 } });
    const run = h.service.runToEnd(h.profileId);
    const prompt = (await h.waitFor('k3s.prompt', yesNo)).prompt!;
    const lock = `~/.koprogo-deploy/k3s/${h.profileId}/state/lock`;
    expect(await onHost(`cat ${lock}/owner.json`)).toContain(`"owner":`);
    // As if the run had stopped ten minutes ago: the next heartbeat brings it back.
    const ageNow = `echo $(( $(date +%s) - $(stat -c %Y ${lock}/heartbeat) ))`;
    // (Not measured right after: a heartbeat every 100 ms may already have refreshed it.)
    expect((await onHost(`touch -d "@$(( $(date +%s) - 600 ))" ${lock}/heartbeat && echo aged`)).trim()).toBe('aged');
    const age = async () => Number((await onHost(ageNow)).trim());
    for (let i = 0; i < 100 && (await age()) > 60; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await age()).toBeLessThan(60);
    await h.service.answer(h.profileId, prompt.id, 'yes');
    expect((await run)?.outcome).toBe('succeeded');
    expect((await onHost(`test -e ${lock} && echo held || echo free`)).trim()).toBe('free');
  }, 300_000);

  it('a connection cut mid-run: the run goes on over there, the app re-attaches, and no output is lost or repeated', async () => {
    h = await remoteHarness({ slow: 1, extraLines: 40, resources: 4 });
    const run = h.service.runToEnd(h.profileId);
    const prompt = (await h.waitFor('k3s.prompt', yesNo)).prompt!;
    await h.service.answer(h.profileId, prompt.id, 'yes');
    await h.waitFor('k3s.output', (p) => p.data.includes('node[0]: Creating...'));
    proxy.cutAll();
    await h.waitFor('k3s.output', (p) => p.data.includes('node[2]: Creating...'));
    proxy.cutAll();
    const result = await run;
    expect(result?.error?.code ?? null).toBeNull();
    expect(result?.outcome).toBe('succeeded');
    const out = h.output();
    for (let i = 0; i < 4; i++) {
      const lines = out.split('\n').filter((l) => l.includes(`node[${i}]: Still creating...`));
      expect(lines.length, `node[${i}]`).toBe(40);
      expect(lines.map((l) => /\[(\d+)0s elapsed\]/.exec(l)?.[1])).toEqual(Array.from({ length: 40 }, (_, j) => String(j + 1)));
    }
    expect(out.split('Apply complete!').length).toBe(2);
    expect(readLog(h)).toMatch(/connection lost during deploy-script, re-attaching from byte \d+/);
    // The terminal view is told (it says so in the user's language): lost, re-attaching, back.
    const connection = h.events.filter((e): e is Extract<typeof e, { event: 'k3s.connection' }> => e.event === 'k3s.connection').map((e) => `${e.payload.stepId}:${e.payload.state}`);
    expect(connection.length).toBeGreaterThanOrEqual(4);
    expect(connection.filter((c) => c === 'deploy-script:lost').length).toBe(connection.filter((c) => c === 'deploy-script:back').length);
    expect(connection[0]).toBe('deploy-script:lost');
    expect((await h.tools.calls()).filter((c) => c.startsWith('terraform apply')).length).toBe(1);
  }, 300_000);

  it('a connection that stays down: the run is left running there (detached); the next start re-attaches to it', async () => {
    const detached = await detachedRun();
    h = detached.harness;
    const first = detached.first;
    expect(first).toMatchObject({ outcome: 'failed', detached: true, failedStep: 'deploy-script' });
    expect(first?.error?.code).toBe('ssh.disconnected');
    expect(await h.service.status(h.profileId)).toMatchObject({ active: false, outcome: 'running', detached: true });
    proxy.refuse(false);
    const second = await h.service.runToEnd(h.profileId);
    expect(second?.error?.code ?? null).toBeNull();
    expect(second?.runId).toBe(first?.runId);
    expect(second?.outcome).toBe('succeeded');
    expect(h.output()).toContain('Apply complete! Resources: 3 added');
    expect((await h.tools.calls()).filter((c) => c.startsWith('terraform apply')).length).toBe(1);
  }, 300_000);

  it('an app restart during a control-host run: the new instance re-attaches where the log stands; each byte of output is in the log once, its offsets go on', async () => {
    const detached = await detachedRun();
    h = detached.harness;
    const first = detached.first;
    expect(first).toMatchObject({ detached: true, failedStep: 'deploy-script' });
    // The app quits and starts again: nothing of the first instance is in memory.
    h.restart();
    proxy.refuse(false);
    const second = await h.service.runToEnd(h.profileId);
    expect(second?.outcome).toBe('succeeded');
    expect(second?.runId).toBe(first?.runId);
    const log = readFileSync(join(h.dataDir, 'k3s', h.profileId, 'runs', `${first!.runId}.log`), 'utf8');
    const count = (needle: string) => log.split(needle).length - 1;
    expect(count('node[0]: Creating...')).toBe(1);
    expect(count('Apply complete! Resources: 3 added')).toBe(1);
    expect(count('deploy.sh dev')).toBe(1);
    // The events of both instances, in order, are the log itself: one offset space, no gap, no repeat.
    const chunks = h.events.filter((e): e is Extract<typeof e, { event: 'k3s.output' }> => e.event === 'k3s.output').map((e) => e.payload);
    let at = 0;
    for (const c of chunks) {
      expect(c.offset).toBe(at);
      at += Buffer.byteLength(c.data);
    }
    expect(chunks.map((c) => c.data).join('')).toBe(log);
  }, 300_000);

  it('a download that does not match its published checksum stops the preparation', async () => {
    h = await remoteHarness();
    await onHost('rm -rf ~/.koprogo-deploy/tools');
    h.toolServer!.tamper('helm');
    const result = await h.service.runToEnd(h.profileId);
    expect(result?.outcome).toBe('failed');
    expect(result?.failedStep).toBe('prepare');
    expect(result?.error?.code).toBe('k3s.checksum_mismatch');
    expect(h.output()).toContain('does not match the checksum its vendor publishes');
    expect(await onHost('test -e ~/.koprogo-deploy/tools/bin/helm && echo present || echo absent')).toBe('absent\n');
  }, 300_000);
});

function readLog(h: K3sHarness): string {
  return readFileSync(h.logFile, 'utf8');
}
