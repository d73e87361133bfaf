import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableStat } from '../../shared/contract-backup';
import { AppError } from '../../shared/errors';
import { parseTableLines } from '../backup/manifest';
import { TABLE_STATS_SQL } from '../backup/scripts';

// The cluster's PostgreSQL as this computer reaches it (a `kubectl port-forward` the user keeps open, or an
// address the cluster publishes): the proven dump restored into it with this computer's pg_restore, in one
// transaction (a failure leaves the database as it was), then the same per-table figures as the backup proof
// (backup/scripts.ts TABLE_STATS_SQL) to compare with the source's. The password only in a 0600 PGPASSFILE,
// never on a command line or in a log.

export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string;
}

interface Client {
  run(program: 'psql' | 'pg_restore', args: string[], opts?: { stdin?: string; stdinFile?: string; signal?: AbortSignal }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

async function client(binDir: string, db: ClusterDatabase): Promise<Client> {
  const dir = await mkdtemp(join(tmpdir(), 'koprogo-cluster-db-'));
  const passfile = join(dir, 'pgpass');
  const esc = (v: string) => v.replace(/[:\\]/g, '\\$&');
  await writeFile(passfile, `${esc(db.host)}:${db.port}:*:${esc(db.user)}:${esc(db.password)}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, PGPASSFILE: passfile, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C', LANG: 'C' };
  delete env.PGPASSWORD;
  const conn = ['-h', db.host, '-p', String(db.port), '-U', db.user, '-w'];
  return {
    run: (program, args, opts = {}) =>
      new Promise((resolve, reject) => {
        const exe = join(binDir, process.platform === 'win32' ? `${program}.exe` : program);
        const child = spawn(exe, [...conn, ...args], { env, stdio: [opts.stdin !== undefined || opts.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal: opts.signal });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout?.on('data', (b: Buffer) => out.push(b));
        child.stderr?.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e) => (opts.signal?.aborted ? reject(new AppError('deploy.cancelled')) : reject(e)));
        child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
        if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
        else if (opts.stdinFile) {
          child.stdin?.on('error', () => undefined);
          createReadStream(opts.stdinFile).on('error', () => child.stdin?.destroy()).pipe(child.stdin!);
        }
      }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' ').slice(0, 200);

/** The figures of the cluster's database now (table → rows, newest timestamp). */
export async function clusterTableStats(binDir: string, db: ClusterDatabase, signal?: AbortSignal): Promise<TableStat[]> {
  const c = await client(binDir, db);
  try {
    const stats = await c.run('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', db.database], { stdin: TABLE_STATS_SQL, signal });
    if (stats.code !== 0) throw new AppError('upgrade.cluster_db_unreachable', { host: db.host, port: db.port, detail: lastLines(stats.stderr) });
    return parseTableLines(
      stats.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => `table ${l}`)
        .join('\n'),
    );
  } finally {
    await c.close();
  }
}

/** Answers at all (the plan's and the step's first check). */
export async function pingClusterDatabase(binDir: string, db: ClusterDatabase, signal?: AbortSignal): Promise<void> {
  const c = await client(binDir, db);
  try {
    const r = await c.run('psql', ['-X', '-q', '-At', '-d', db.database, '-c', 'SELECT 1'], { signal });
    if (r.code !== 0 || r.stdout.trim() !== '1') throw new AppError('upgrade.cluster_db_unreachable', { host: db.host, port: db.port, detail: lastLines(r.stderr) });
  } finally {
    await c.close();
  }
}

/** The dump restored over whatever the cluster's database holds (`--clean --if-exists`), in one transaction. */
export async function restoreIntoCluster(binDir: string, db: ClusterDatabase, dumpFile: string, signal?: AbortSignal): Promise<void> {
  const c = await client(binDir, db);
  try {
    const r = await c.run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '-d', db.database, dumpFile], { signal });
    if (r.code !== 0) throw new AppError('upgrade.cluster_restore_failed', { host: db.host, database: db.database, detail: lastLines(r.stderr) });
  } finally {
    await c.close();
  }
}
