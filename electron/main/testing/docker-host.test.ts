import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startDocker,
  importBusyboxImage,
  installComposeShim,
  installComposeShimSystemWide,
  composeContainers,
  waitForComposeHealthy,
  docker,
  BUSYBOX_IMAGE,
  SYSTEM_PLUGIN_DIR,
  type DockerHandle,
} from './docker-host';
import { createFixtureRepo, type FixtureRepo } from './git-fixture';
import { startSshd } from './sshd';
import { requireRoot, run, runOk } from './proc';

function dockerdAlive(dir: string): boolean {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .some((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'dockerd' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    });
}

describe('startDocker + Compose shim + git fixture', () => {
  let d: DockerHandle;
  let repo: FixtureRepo;
  let work: string;

  beforeAll(async () => {
    requireRoot('The Docker fixture self-test');
    [d, repo, work] = await Promise.all([startDocker(), createFixtureRepo(), mkdtemp(join(tmpdir(), 'kgt-clone-'))]);
    await importBusyboxImage(d.env);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([d?.stop(), repo?.stop(), work && rm(work, { recursive: true, force: true })]);
  }, 60_000);

  it('runs a container from the imported busybox image (import is idempotent)', async () => {
    expect(d.env.DOCKER_HOST).toBe(`unix://${d.socketPath}`);
    expect(d.dockerHostEnvLine).toBe(`DOCKER_HOST=unix://${d.socketPath}`);
    expect(await importBusyboxImage(d.env)).toBe(BUSYBOX_IMAGE);
    const res = await docker(d.env, ['run', '--rm', BUSYBOX_IMAGE, 'echo', 'hi']);
    // The engine leaves net.ipv4.ip_forward alone; the CLI warns when it is 0 (harmless: no outbound network here).
    expect(res.stderr.replace(/^WARNING: IPv4 forwarding is disabled\. Networking will not work\.\n/m, '')).toBe('');
    expect(res.stdout).toBe('hi\n');
  });

  it('brings the fixture up with `docker compose` (shim over v1), reads .env, serves /health, and downs it', async () => {
    const shim = installComposeShim();
    expect(existsSync(shim)).toBe(true);
    const env = { ...process.env, ...d.env };
    const checkout = join(work, 'app');
    await runOk('git', ['clone', '-q', '--branch', 'v1.0.0', repo.url, checkout]);
    expect((await readFile(join(checkout, 'VERSION'), 'utf8')).trim()).toBe('1.0.0');
    const example = await readFile(join(checkout, '.env.vps.example'), 'utf8');
    await writeFile(join(checkout, '.env'), example.replace(/^DOMAIN=.*$/m, 'DOMAIN=fixture.koprogo.invalid'));

    const project = `kgt${Date.now().toString(36)}`;
    const compose = (...args: string[]) => run('docker', ['compose', '-p', project, '-f', 'docker-compose.yml', '-f', 'docker-compose.prod.yml', ...args], { cwd: checkout, env });
    expect((await run('docker', ['compose', 'version'], { env })).stdout).toContain('1.29.2');
    const up = await compose('up', '-d');
    expect(up.code, up.stderr).toBe(0);
    await waitForComposeHealthy(d.env, project, 30_000);
    const ids = await composeContainers(d.env, project);
    expect(ids).toHaveLength(1);
    const health = await runOk('docker', ['inspect', '--format', '{{.State.Health.Status}}', ...ids], { env });
    expect(health.trim()).toBe('healthy');
    const vars = await runOk('docker', ['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', ...ids], { env });
    expect(vars).toContain('DOMAIN=fixture.koprogo.invalid');
    const body = await (await fetch(repo.healthUrl)).text();
    expect(body).toBe('ok\n');

    const down = await compose('down');
    expect(down.code, down.stderr).toBe(0);
    expect(await composeContainers(d.env, project)).toEqual([]);
  }, 40_000);

  it('lets the SSH test user use the engine directly (group docker) and through sudo, with `docker compose`, and clone the fixture', async () => {
    const shim = await installComposeShimSystemWide();
    const sshd = await startSshd({ groups: ['docker'], gitSafeDirectories: [repo.path], setEnv: { DOCKER_HOST: d.env.DOCKER_HOST } });
    try {
      const res = await run('ssh', [
        ...sshd.sshArgs,
        `docker info --format '{{.ServerVersion}}' >/dev/null && echo USER_DOCKER_OK; ` +
          `sudo -n docker ps -q >/dev/null && echo SUDO_DOCKER_OK; ` +
          `docker compose version --short; sudo -n docker compose version --short; ` +
          `git clone -q ${repo.url} app && cat app/VERSION; ` +
          `sudo -n git clone -q --branch v1.0.0 ${repo.url} /tmp/${sshd.user}-app && cat /tmp/${sshd.user}-app/VERSION && sudo -n rm -rf /tmp/${sshd.user}-app`,
      ]);
      expect(res.stdout.split('\n'), res.stderr).toEqual(['USER_DOCKER_OK', 'SUDO_DOCKER_OK', '1.29.2', '1.29.2', '1.1.0-dev', '1.0.0', '']);
    } finally {
      await sshd.stop();
      await shim.stop();
      await shim.stop();
    }
    // Removed by its last holder: other test files (or test runs) starting deploy hosts at the same time
    // hold it too, and then it must stay for them.
    const holders = join(SYSTEM_PLUGIN_DIR, '.kgt-compose-shim-holders');
    const alive = existsSync(holders)
      ? readdirSync(holders).filter((h) => {
          try {
            process.kill(Number(h.split('-')[0]), 0);
            return true;
          } catch {
            return false;
          }
        })
      : [];
    expect(existsSync(shim.path)).toBe(alive.length > 0);
  }, 30_000);

  it('stop removes the engine, its networks and its folder (idempotently)', async () => {
    const net = await docker(d.env, ['network', 'create', 'kgt-leftover']);
    expect(net.code, net.stderr).toBe(0);
    const bridge = `br-${net.stdout.trim().slice(0, 12)}`;
    await docker(d.env, ['run', '-d', '--network', 'kgt-leftover', BUSYBOX_IMAGE, 'sleep', '600']);
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(true);
    await d.stop();
    await d.stop();
    expect(dockerdAlive(d.dir)).toBe(false);
    expect(existsSync(d.dir)).toBe(false);
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(d.dir);
  }, 40_000);
});
