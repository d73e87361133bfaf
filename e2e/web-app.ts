import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running `npm run web` server (without its build step) on a data folder the test owns. */
export interface WebApp {
  loginUrl: string;
  baseUrl: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'koprogo-e2e-'));
}

export async function startWebApp(dataDir: string, env: Record<string, string> = {}): Promise<WebApp> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'electron/main/web.ts'], {
    env: { ...process.env, KOPROGO_DATA_DIR: dataDir, LANG: 'C', LC_ALL: '', LANGUAGE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const loginUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`web mode exited with ${String(code)}:\n${output}`)));
  });
  const url = new URL(loginUrl);
  return {
    loginUrl,
    baseUrl: `${url.origin}/`,
    port: Number(url.port),
    dataDir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
