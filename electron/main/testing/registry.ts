// A real image registry for the tests (Debian's docker-registry: the CNCF distribution registry) on 127.0.0.1,
// optionally with htpasswd (bcrypt) authentication, storage in a temp folder. Docker allows plain HTTP to
// 127.0.0.0/8 registries, so no certificate is needed. Images are pushed from the busybox test image.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardCleanup, KILL_MATCHING_SH } from './cleanup';
import { docker, type DockerEnv } from './docker-host';
import { freePort } from './free-port';
import { requireFiles, run, runOk, shq, sleep } from './proc';

const REGISTRY = '/usr/bin/docker-registry';

export interface RegistryHandle {
  /** `127.0.0.1:<port>`: the host part of image references. */
  host: string;
  auth: { user: string; password: string } | null;
  dir: string;
  logs(): string;
  /** Tags `source` as `<host>/<name>` and pushes it (logging in first when the registry has auth). */
  push(env: DockerEnv, source: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startRegistry(opts: { auth?: { user: string; password: string } } = {}): Promise<RegistryHandle> {
  requireFiles({ 'docker-registry': REGISTRY, 'apache2-utils (htpasswd)': '/usr/bin/htpasswd' });
  const dir = await mkdtemp(join(tmpdir(), 'kgt-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const guard = guardCleanup(`registry ${dir}`, { script: `${KILL_MATCHING_SH}\nkill_matching KILL ${shq(`${dir}/`)} docker-registry\nrm -rf ${shq(dir)}\n` });
  let child: ChildProcess | undefined;
  try {
    const auth = opts.auth ?? null;
    if (auth) {
      // bcrypt, the only scheme the registry accepts; the password on stdin, never on a command line.
      await runOk('htpasswd', ['-B', '-i', '-c', join(dir, 'htpasswd'), auth.user], { input: `${auth.password}\n` });
    }
    const config = [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      ...(auth ? ['auth:', '  htpasswd:', '    realm: kgt-registry', `    path: ${join(dir, 'htpasswd')}`] : []),
      '',
    ].join('\n');
    await writeFile(join(dir, 'config.yml'), config);
    const logPath = join(dir, 'registry.log');
    const fd = openSync(logPath, 'a');
    try {
      child = spawn(REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    let exited = false;
    child.once('exit', () => (exited = true));
    const logs = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`docker-registry exited during start-up:\n${logs()}`);
      const r = await fetch(`http://${host}/v2/`).catch(() => null);
      // 200 without auth, 401 with: either way it answers.
      if (r && (r.status === 200 || r.status === 401)) break;
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer:\n${logs()}`);
      await sleep(100);
    }
    const configDir = join(dir, 'client');
    let loggedIn = false;
    return {
      host,
      auth,
      dir,
      logs,
      async push(env, source, name) {
        const ref = `${host}/${name}`;
        const clientEnv = { DOCKER_CONFIG: configDir };
        if (auth && !loggedIn) {
          await runOk('docker', ['login', host, '-u', auth.user, '--password-stdin'], { input: auth.password, env: { ...process.env, ...env, ...clientEnv } });
          loggedIn = true;
        }
        const tag = await docker(env, ['tag', source, ref]);
        if (tag.code !== 0) throw new Error(`docker tag ${source} ${ref}: ${tag.stderr}`);
        const pushed = await run('docker', ['push', ref], { env: { ...process.env, ...env, ...clientEnv }, timeoutMs: 120_000 });
        if (pushed.code !== 0) throw new Error(`docker push ${ref}: ${pushed.stderr || pushed.stdout}`);
        return ref;
      },
      stop: () => guard.run(),
    };
  } catch (e) {
    await guard.run();
    throw e;
  }
}
