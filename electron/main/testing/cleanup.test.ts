import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRoot, run, sleep } from './proc';

const sshdModule = fileURLToPath(new URL('./sshd.ts', import.meta.url));
// One process (node --import tsx), not the tsx CLI, which would leave its node child behind on SIGKILL.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Starts the sshd fixture in a separate process that then ends without calling stop(). */
async function orphanSshd(dir: string, end: 'exit' | 'sigkill'): Promise<{ user: string; configPath: string }> {
  const script = join(dir, `orphan-${end}.mts`);
  await writeFile(
    script,
    `import { startSshd } from ${JSON.stringify(sshdModule)};
const h = await startSshd();
console.log(JSON.stringify({ user: h.user, configPath: h.configPath }));
${end === 'exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);'}
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`orphan script exited ${code} before printing`)));
  });
  if (end === 'sigkill') child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  return JSON.parse(line) as { user: string; configPath: string };
}

async function gone(user: string, configPath: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const exists = (await run('getent', ['passwd', user])).code === 0;
    if (!exists && !existsSync(configPath) && !existsSync(`/etc/sudoers.d/${user}`)) return true;
    await sleep(200);
  }
  return false;
}

describe('cleanup when a test process dies without stop()', () => {
  let dir: string;
  beforeAll(async () => {
    requireRoot('The cleanup self-test');
    dir = await mkdtemp(join(tmpdir(), 'kgt-orphan-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the exit handler removes the user, sudoers entry and sshd when the process exits', async () => {
    const { user, configPath } = await orphanSshd(dir, 'exit');
    expect(await gone(user, configPath, 2000)).toBe(true);
  });

  it('the watchdog removes them when the process is SIGKILLed', async () => {
    const { user, configPath } = await orphanSshd(dir, 'sigkill');
    expect(await gone(user, configPath, 8000)).toBe(true);
  });
});
