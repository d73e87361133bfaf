import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USER_HZ, takeSample, type TakeSampleOptions } from '../electron/main/health/sample';
import { sampleScriptFor } from '../electron/main/health/sample-script';
import { SshConnection } from '../electron/main/ssh/connection';
import { BUSYBOX_IMAGE, docker, importBusyboxImage, startDocker, startSshd, type DockerHandle } from '../electron/main/testing';
import type { Bench } from './lib/bench';

// Server-side CPU cost of health sampling (issue #7, `health-sample-cost`): the sampling script's CPU time from
// its own /proc accounting (the shell and every process it waited for: awk, df, docker CLI…), as a percent of
// one core at the default 5-second interval, on the real test host (OpenSSH + Docker engine + a Compose-labelled
// project of 3 running containers and a "database" answering psql).
//
// The sampler reads the host figures on every sample and the containers and database every 30 s (1 sample in 6):
// the figure is (5 × host-only + 1 × full) / 6 per 5 s. /proc/<pid>/stat counts in 10 ms ticks, rounded down once
// per reading, so a single sample's reading is coarse (a host-only sample reads 0): each kind is measured as N
// samples run one after the other inside ONE shell, whose accounting then rounds once for all N. The per-exec
// readings (what the app sees in `scriptCpuMs`) are printed too, and so is what the script's accounting cannot
// see: the Docker daemon's work for those calls (its process tree's CPU time over the same runs).
// Baseline: the same accounting around a bare `true`.

const HOST_BATCH = 60;
const FULL_BATCH = 20;
const PER_EXEC = 12;
const INTERVAL_MS = 5_000;
const FULL_EVERY = 6; // containers every 30 s at 5 s

const FAKE_PSQL = `#!/bin/sh
echo '12345678|3'
`;

/** Prints the shell's own and its children's CPU ticks as JSON (fields 14–17 of /proc/<pid>/stat). */
const COST = `read -r kg_stat </proc/$$/stat; set -- $kg_stat; shift 13; printf '{"ticks":[%s,%s,%s,%s]}\\n' "$1" "$2" "$3" "$4"\n`;

/** `count` runs of `body` in subshells of one shell (output discarded), then that shell's accounting. */
function batch(body: string, count: number): string {
  return `kg_n=0\nwhile [ "$kg_n" -lt ${count} ]; do\n(\n${body}\n) >/dev/null 2>&1\nkg_n=$((kg_n + 1))\ndone\n${COST}`;
}

function ticksMs(stdout: string): number {
  const line = stdout.trim().split('\n').pop() ?? '';
  const ticks = (JSON.parse(line) as { ticks: number[] }).ticks;
  return (ticks.reduce((a, b) => a + b, 0) * 1000) / USER_HZ;
}

/** CPU time (ms) of a process and all its descendants, from /proc. */
async function treeCpuMs(pid: number): Promise<number> {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const stat = await readFile(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
      for (const task of await readdir(`/proc/${p}/task`)) {
        const children = await readFile(`/proc/${p}/task/${task}/children`, 'utf8').catch(() => '');
        for (const c of children.trim().split(/\s+/).filter(Boolean)) stack.push(Number(c));
      }
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / USER_HZ;
}

const fmt = (ms: number) => ms.toFixed(2);
const pct = (msPerSample: number) => (msPerSample / INTERVAL_MS) * 100;

const bench: Bench = {
  description: 'server CPU of health sampling, percent of one core at 5 s (host every sample, containers + database every 30 s)',
  async run(log) {
    let dockerd: DockerHandle | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'kgb-health-'));
    let stopSshd: (() => Promise<void>) | undefined;
    try {
      dockerd = await startDocker();
      await importBusyboxImage(dockerd.env);
      const sshd = await startSshd({ sudo: 'nopasswd', setEnv: { DOCKER_HOST: dockerd.env.DOCKER_HOST } });
      stopSshd = () => sshd.stop();
      const project = 'kgbench';
      const labels = (service: string) => ['--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.service=${service}`];
      const none = ['--network', 'none'];
      const psql = join(dir, 'psql');
      await writeFile(psql, FAKE_PSQL, { mode: 0o755 });
      const ok = async (args: string[]) => {
        const r = await docker(dockerd!.env, args);
        if (r.code !== 0) throw new Error(`docker ${args[0]}: ${r.stderr}`);
      };
      await ok(['run', '-d', '--name', `${project}-backend-1`, ...none, ...labels('backend'), BUSYBOX_IMAGE, 'sleep', '3600']);
      await ok(['run', '-d', '--name', `${project}-frontend-1`, ...none, ...labels('frontend'), BUSYBOX_IMAGE, 'sleep', '3600']);
      await ok(['create', '--name', `${project}-postgres-1`, ...none, ...labels('postgres'), BUSYBOX_IMAGE, 'sleep', '3600']);
      await ok(['cp', psql, `${project}-postgres-1:/bin/psql`]);
      await ok(['start', `${project}-postgres-1`]);
      const dockerdPid = Number((await readFile(join(dockerd.dir, 'docker.pid'), 'utf8')).trim());

      const conn = await SshConnection.connect(
        { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey },
        { hostKeySha256: sshd.hostKeySha256 },
      );
      try {
        const full: TakeSampleOptions = { project, postgres: { container: 'postgres', user: 'koprogo', database: 'koprogo' } };
        const hostOnly: TakeSampleOptions = { ...full, containers: false };
        const exec = async (script: string) => {
          const r = await conn.run(script, { privilege: 'sudo', timeoutMs: 120_000 });
          if (r.code !== 0) throw new Error(`exec failed (${r.code}): ${r.stderr.slice(0, 300)}`);
          return r;
        };
        const check = await takeSample(conn, full);
        if (check.containers.length !== 3 || check.postgres?.status !== 'ok') throw new Error('the test project is not what the bench expects');

        // The script exactly as the app sends it.
        const body = (o: TakeSampleOptions) => sampleScriptFor(o);

        const baseMs = ticksMs((await exec(batch('true', HOST_BATCH))).stdout) / HOST_BATCH;
        const hostMs = ticksMs((await exec(batch(body(hostOnly), HOST_BATCH))).stdout) / HOST_BATCH;
        const d0 = await treeCpuMs(dockerdPid);
        const fullStarted = Date.now();
        const fullMs = ticksMs((await exec(batch(body(full), FULL_BATCH))).stdout) / FULL_BATCH;
        const fullWall = (Date.now() - fullStarted) / FULL_BATCH;
        const daemonFullMs = ((await treeCpuMs(dockerdPid)) - d0) / FULL_BATCH;
        const noDbMs = ticksMs((await exec(batch(body({ project }), FULL_BATCH))).stdout) / FULL_BATCH;
        // What the previous script paid on top, per full sample: one `docker stats --no-stream` of the running containers.
        const d1 = await treeCpuMs(dockerdPid);
        const statsScript = `ids=$(docker ps -q --no-trunc --filter label=com.docker.compose.project=${project})\ndocker stats --no-stream --no-trunc --format '{{.CPUPerc}}' $ids`;
        const statsMs = ticksMs((await exec(batch(statsScript, 5))).stdout) / 5;
        const daemonStatsMs = ((await treeCpuMs(dockerdPid)) - d1) / 5;

        const perExec = async (o: TakeSampleOptions) => {
          const cpu: number[] = [];
          const wall: number[] = [];
          for (let i = 0; i < PER_EXEC; i++) {
            const s = await takeSample(conn, o);
            cpu.push(s.scriptCpuMs);
            wall.push(s.durationMs);
          }
          return { cpu, wallMedian: Math.round([...wall].sort((a, b) => a - b)[wall.length >> 1]!) };
        };
        const hostExec = await perExec(hostOnly);
        const fullExec = await perExec(full);

        const steadyMs = ((FULL_EVERY - 1) * hostMs + fullMs) / FULL_EVERY;
        log(`test host: sshd + dockerd on this machine, project of 3 running containers and a database; ${HOST_BATCH}/${FULL_BATCH} samples per batch`);
        log(`baseline, bare true (same accounting): ${fmt(baseMs)} ms per run`);
        log(`host-only sample (every 5 s): ${fmt(hostMs)} ms CPU = ${pct(hostMs).toFixed(3)} % of a core at 5 s`);
        log(`full sample (containers + database, every 30 s): ${fmt(fullMs)} ms CPU, ${fullWall.toFixed(0)} ms wall; Docker daemon tree (not in the script's accounting): ${fmt(daemonFullMs)} ms`);
        log(`  of which the database query (docker exec psql): ${fmt(fullMs - noDbMs)} ms; containers without it (docker ps + inspect + cgroup files): ${fmt(noDbMs)} ms`);
        log(`previous design's docker stats --no-stream (removed), per full sample: +${fmt(statsMs)} ms CPU in the script, +${fmt(daemonStatsMs)} ms in the daemon, ~2 s wall`);
        log(`per-exec readings (10 ms ticks, rounded down per sample): host-only [${hostExec.cpu.join(' ')}] ms, wall median ${hostExec.wallMedian} ms; full [${fullExec.cpu.join(' ')}] ms, wall median ${fullExec.wallMedian} ms`);
        log(`every sample full (the previous schedule, without docker stats): ${fmt(fullMs)} ms = ${pct(fullMs).toFixed(3)} %; with docker stats: ${pct(fullMs + statsMs).toFixed(3)} %`);
        log(`steady state at 5 s, (5 × host + 1 × full) / 6: ${fmt(steadyMs)} ms per sample; with the daemon's share: ${pct(steadyMs + daemonFullMs / FULL_EVERY).toFixed(3)} %`);
        log(`machine: ${(await readFile('/proc/loadavg', 'utf8')).trim()} (load average; other work on the machine adds noise)`);
        return { value: pct(steadyMs), decimals: 3 };
      } finally {
        conn.close();
      }
    } finally {
      await stopSshd?.();
      await dockerd?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
