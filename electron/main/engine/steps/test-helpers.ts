import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action, ComposeDeploySettings, RemoteCommand, RemoteFile } from '../types';
import { DEFAULT_LAYOUT } from '../types';

// Shared by the step builders' tests: a fixed settings object, and a way to run a generated script
// with sh in a temp folder, with stub commands first on PATH.

export const CANARY = 'CANARY-SECRET-7f3a';

/** The fixed settings the string-comparison tests use (phase 1, public repository, no extras). */
export function fixedSettings(overrides: Partial<ComposeDeploySettings> = {}): ComposeDeploySettings {
  return {
    phase: 1,
    layout: { ...DEFAULT_LAYOUT },
    hostname: 'koprogo-prod',
    timezone: 'Europe/Brussels',
    deployUser: 'koprogo',
    deployUserPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoPrOgO koprogo-deploy',
    sshPort: 22,
    repo: { url: 'https://github.com/gilmry/koprogo.git', ref: 'v1.2.0' },
    checkoutName: 'app',
    composeFiles: ['docker-compose.yml', 'docker-compose.prod.yml'],
    composeProject: 'koprogo',
    envFile: '.env',
    envContent: `POSTGRES_PASSWORD=${CANARY}\nDOMAIN=koprogo.example\n`,
    healthUrl: 'http://127.0.0.1:8080/health',
    healthTimeoutSec: 300,
    postgres: { service: 'postgres', user: 'koprogo', database: 'koprogo_db' },
    monitoring: { metrics: 'monitoring/scripts/vps_metrics.sh', postgresMetrics: 'monitoring/scripts/postgres_metrics.sh' },
    tuning: { postgresService: 'postgres', backendService: 'backend' },
    ...overrides,
  };
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'koprogo-steps-'));
  readonly bin = join(this.dir, 'bin');

  constructor() {
    mkdirSync(this.bin);
  }

  /** An executable `name` on the sandbox PATH with this sh body. */
  stub(name: string, body: string): void {
    const path = join(this.bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Runs `script` with `sh -s` (as the engine does), stubs first on PATH. */
  run(script: string, env: Record<string, string> = {}): ShResult {
    const r = spawnSync('sh', ['-s'], {
      input: script,
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, ...env, PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, LC_ALL: 'C' },
      timeout: 15_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `sh -n`: the script parses. Returns the parser's complaint, or '' when it parses. */
export function shSyntaxError(script: string): string {
  const r = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr || `exit ${r.status}`;
}

/** The command of a run action (throws on a file action). */
export function runOf(action: Action | undefined): RemoteCommand {
  if (action?.kind !== 'run') throw new Error('expected a run action');
  return action.command;
}

/** The file of a file action (throws on a run action). */
export function fileOf(action: Action | undefined): RemoteFile {
  if (action?.kind !== 'file') throw new Error('expected a file action');
  return action.file;
}
