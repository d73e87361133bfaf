// A bare Git repository made from a fixture map (fixtures.ts), behind a file:// URL every local user can clone
// (the SSH test user too). Tagged v1.0.0, then one more commit on main.
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { guardCleanup } from '../../testing/cleanup';
import { runOk } from '../../testing/proc';
import type { FileMap } from '../../testing/github-fake';

export interface K3sFixtureRepo {
  url: string;
  path: string;
  stop(): Promise<void>;
}

export async function createK3sFixtureRepo(files: FileMap): Promise<K3sFixtureRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'kgt-k3s-git-'));
  const guard = guardCleanup(`k3s git fixture ${dir}`, { sync: () => rmSync(dir, { recursive: true, force: true }) });
  try {
    const work = join(dir, 'work');
    const bare = join(dir, 'koprogo.git');
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    const git = (cwd: string, ...args: string[]): Promise<string> => runOk('git', args, { cwd, env });
    await mkdir(work);
    await git(work, 'init', '-q', '-b', 'main');
    await git(work, 'config', 'user.name', 'KoproGo Test');
    await git(work, 'config', 'user.email', 'test@koprogo.invalid');
    await git(work, 'config', 'commit.gpgsign', 'false');
    for (const [name, content] of Object.entries(files)) {
      const file = join(work, name);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    }
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'KoproGo 1.0.0');
    await git(work, 'tag', '-a', 'v1.0.0', '-m', 'Release 1.0.0');
    await writeFile(join(work, 'VERSION'), '1.1.0-dev\n');
    await git(work, 'add', 'VERSION');
    await git(work, 'commit', '-q', '-m', 'Start 1.1.0 development');
    await git(dir, 'clone', '-q', '--bare', work, bare);
    await git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
    await rm(work, { recursive: true, force: true });
    await chmod(dir, 0o755);
    await runOk('chmod', ['-R', 'a+rX', dir]);
    return { url: pathToFileURL(bare).href, path: bare, stop: () => guard.run() };
  } catch (e) {
    await guard.run();
    throw e;
  }
}
