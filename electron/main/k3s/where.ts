import { execFile } from 'node:child_process';
import type { z } from 'zod';
import type { k3sWhereSchema, LocalHost } from '../../shared/contract-k3s';

// Whether this computer can run a K3s entry point itself: bash on macOS and Linux; on Windows through WSL (the
// entry points are bash scripts driving Linux tools). The parsing and the command lines are pure and tested; the
// detection runs the real `bash --version` / `wsl.exe --list --quiet`.

export type K3sWhere = z.infer<typeof k3sWhereSchema>;

/**
 * `wsl.exe --list --quiet` writes UTF-16LE (with a BOM on some builds) and one distribution per line, the default
 * first; docker-desktop's own distributions are not for us.
 */
export function parseWslList(output: Buffer | string): string[] {
  const text = typeof output === 'string' ? output : output.includes(0) ? output.toString('utf16le') : output.toString('utf8');
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\0/g, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^docker-desktop(-data)?$/i.test(l));
}

/** How a script is started on this computer: bash itself, or bash inside a WSL distribution. */
export function localCommand(platform: NodeJS.Platform, distro: string | null, bashArgs: readonly string[]): { file: string; args: string[] } {
  if (platform === 'win32') {
    if (!distro) throw new Error('WSL distribution required on Windows');
    return { file: 'wsl.exe', args: ['--distribution', distro, '--exec', 'bash', ...bashArgs] };
  }
  return { file: 'bash', args: [...bashArgs] };
}

/**
 * The environment for a run on Windows through WSL: WSL passes only the variables WSLENV names (`/u`: from
 * Windows to Linux), so the values stay in the environment and never reach a command line.
 */
export function wslEnv(base: Record<string, string | undefined>, vars: Record<string, string>): Record<string, string> {
  const names = Object.keys(vars);
  const existing = (base.WSLENV ?? '').split(':').filter(Boolean);
  const merged = [...existing.filter((e) => !names.includes(e.split('/')[0]!)), ...names.map((n) => `${n}/u`)];
  return { ...clean(base), ...vars, WSLENV: merged.join(':') };
}

function clean(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function run(file: string, args: string[], timeoutMs = 8000): Promise<{ ok: boolean; stdout: Buffer }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'buffer', windowsHide: true }, (error, stdout) => resolve({ ok: !error, stdout: stdout ?? Buffer.alloc(0) }));
  });
}

/** This computer, as the Where step shows it. */
export async function detectLocalHost(platform: NodeJS.Platform = process.platform, ptyAvailable: () => Promise<boolean>): Promise<LocalHost> {
  const pty = await ptyAvailable();
  if (platform === 'win32') {
    const list = await run('wsl.exe', ['--list', '--quiet']);
    const distros = list.ok ? parseWslList(list.stdout) : [];
    return { platform, via: distros.length > 0 ? 'wsl' : null, bash: null, wsl: { available: list.ok, distros, defaultDistro: distros[0] ?? null }, ptyAvailable: pty };
  }
  const bash = await run('bash', ['-c', 'printf %s "$BASH_VERSION"']);
  const version = bash.ok ? bash.stdout.toString('utf8').trim() : '';
  return { platform, via: version ? 'native' : null, bash: version || null, wsl: null, ptyAvailable: pty };
}
