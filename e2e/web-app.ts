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

/** A contract call from the page, over the page's own authenticated WebSocket session. */
export async function apiCall(page: import('@playwright/test').Page, method: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; params?: Record<string, unknown> } }> {
  // A socket opened before the page has traded its one-time token for the session cookie is refused
  // (401): wait until the server says this browser is signed in.
  await page.waitForFunction(async () => {
    const r = await fetch('/session', { credentials: 'same-origin' });
    return ((await r.json()) as { authenticated?: boolean }).authenticated === true;
  }, undefined, { polling: 100, timeout: 15_000 });
  return page.evaluate(
    ([m, i]) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/ws`);
        ws.onerror = () => reject(new Error('socket'));
        ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: m, input: i }));
        ws.onmessage = (msg) => {
          const data = JSON.parse(String(msg.data)) as { id?: number; envelope?: unknown };
          if (data.id === 1) {
            ws.close();
            resolve(data.envelope as never);
          }
        };
      }),
    [method, input] as const,
  );
}
