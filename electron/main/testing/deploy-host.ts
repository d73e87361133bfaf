import { mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProfileInput } from '../../shared/profile';
import { importBusyboxImage, installComposeShimSystemWide, startDocker, type DockerHandle, type SystemShimHandle } from './docker-host';
import { createFixtureRepo, FIXTURE_POSTGRES, type FixtureRepo, type FixtureRepoOptions } from './git-fixture';
import { importPostgresImage } from './postgres-image';
import { run } from './proc';
import { startSshd, type SshdHandle } from './sshd';
import { installSystemShims, type SystemShims } from './system-shims';

// A whole test server for the deploy path: real sshd (non-root user with sudo), real Docker engine
// with the busybox image and the Compose shim, the fixture repository, the system-tool stand-ins,
// and a deployment layout in a temp folder. One start, one stop.

export interface DeployHost {
  sshd: SshdHandle;
  docker: DockerHandle;
  repo: FixtureRepo;
  shims: SystemShims;
  /** Root of the temp layout (state, app, cron, …). */
  root: string;
  deployUser: string;
  composeProject: string;
  /** A profile input ready for ProfileStore.save (server pinned to sshd's host key). */
  profile(overrides?: Partial<ProfileInput>): ProfileInput;
  stop(): Promise<void>;
}

export interface DeployHostOptions {
  sshPort?: (sshd: SshdHandle) => number;
  /** The fixture gets a real PostgreSQL service (local/postgres:15) and the profile names it (backups, phase 2 tuning). */
  postgres?: boolean;
  /** Fixture repository options (e.g. the port its web service publishes). */
  repo?: Omit<FixtureRepoOptions, 'postgresImage'>;
}

export async function startDeployHost(opts: DeployHostOptions = {}): Promise<DeployHost> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const docker = await startDocker();
    cleanups.push(() => docker.stop());
    await importBusyboxImage(docker.env);
    const postgresImage = opts.postgres ? await importPostgresImage(docker.env) : undefined;
    const shim: SystemShimHandle = await installComposeShimSystemWide();
    cleanups.push(() => shim.stop());
    const repo = await createFixtureRepo({ ...opts.repo, ...(postgresImage ? { postgresImage } : {}) });
    cleanups.push(() => repo.stop());
    // The deploy user (created by the deployment) clones a repository owned by root.
    await run('git', ['config', '--system', '--add', 'safe.directory', repo.path]);
    cleanups.push(async () => {
      await run('git', ['config', '--system', '--fixed-value', '--unset-all', 'safe.directory', repo.path]);
    });
    const shims = installSystemShims();
    cleanups.push(() => shims.stop());
    const sshd = await startSshd({ sudo: 'nopasswd', secureExtraPath: shims.binDir, setEnv: { DOCKER_HOST: docker.env.DOCKER_HOST } });
    cleanups.push(() => sshd.stop());
    const root = mkdtempSync(join(tmpdir(), 'kgt-layout-'));
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'hosts'), '127.0.0.1 localhost\n');
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const suffix = randomBytes(3).toString('hex');
    const deployUser = `kgd${suffix}`;
    const composeProject = `kgt${suffix}`;
    cleanups.push(async () => {
      await run('sh', ['-c', `docker ps -aq --filter label=com.docker.compose.project=${composeProject} | xargs -r docker rm -f`], { env: { ...process.env, ...docker.env } });
      await run('pkill', ['-u', deployUser]);
      await run('userdel', ['-r', deployUser]);
    });
    const sshPort = opts.sshPort ? opts.sshPort(sshd) : sshd.port;
    return {
      sshd,
      docker,
      repo,
      shims,
      root,
      deployUser,
      composeProject,
      profile: (overrides = {}) => ({
        id: 'testhost',
        name: 'Test host',
        phase: 1,
        provider: { kind: 'existing' },
        server: { host: sshd.host, port: sshPort, user: sshd.user, hostKeySha256: sshd.hostKeySha256 },
        repo: { url: repo.url, ref: 'v1.0.0' },
        settings: {
          hostname: 'kgtest',
          deployUser,
          composeProject,
          healthUrl: repo.healthUrl,
          healthTimeoutSec: '60',
          'monitoring.metrics': 'monitoring/scripts/vps_metrics.sh',
          'monitoring.postgresMetrics': 'monitoring/scripts/postgres_metrics.sh',
          'layout.stateDir': join(root, 'state'),
          'layout.appRoot': join(root, 'opt'),
          'layout.cronDir': join(root, 'cron.d'),
          'layout.aptConfDir': join(root, 'apt.conf.d'),
          'layout.fail2banDir': join(root, 'fail2ban'),
          'layout.backupDir': join(root, 'backups'),
          'layout.binDir': join(root, 'bin'),
          'layout.hostsFile': join(root, 'hosts'),
          ...(opts.postgres
            ? {
                'postgres.service': FIXTURE_POSTGRES.service,
                'postgres.user': FIXTURE_POSTGRES.user,
                'postgres.database': FIXTURE_POSTGRES.database,
                'tuning.postgres': FIXTURE_POSTGRES.service,
                'tuning.backend': 'backend',
              }
            : {}),
        },
        secrets: {},
        ...overrides,
      }),
      stop: async () => {
        for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
      },
    };
  } catch (error) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw error;
  }
}
