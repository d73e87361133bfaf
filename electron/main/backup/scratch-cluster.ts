import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';

// A throwaway PostgreSQL cluster on this computer, for verifying a backup without touching the server:
// initdb in a temp folder, the server on 127.0.0.1 at a free port (password auth, the password in a
// 0600 pwfile and PGPASSFILE: never on a command line), fsync off (the data is thrown away), removed
// when done. As root (tests, CI) it runs as the `postgres` user, since PostgreSQL refuses root.

export interface ScratchCluster {
  host: '127.0.0.1';
  port: number;
  user: string;
  binDir: string;
  /** Runs a PostgreSQL client program against the cluster (PGPASSFILE set), stdin optional. */
  client(program: 'psql' | 'pg_restore' | 'pg_dump' | 'createdb', args: string[], opts?: { stdin?: string; stdinFile?: string }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Where this computer's PostgreSQL programs of a major version are (Debian/Ubuntu, Homebrew, Windows, PATH). */
export async function findLocalPostgres(major: number): Promise<string | null> {
  const candidates = [
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
    `/Applications/Postgres.app/Contents/Versions/${major}/bin`,
    `C:\\Program Files\\PostgreSQL\\${major}\\bin`,
  ];
  const exe = process.platform === 'win32' ? '.exe' : '';
  for (const dir of candidates) if (existsSync(join(dir, `pg_restore${exe}`)) && existsSync(join(dir, `initdb${exe}`))) return dir;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Identity {
  uid: number;
  gid: number;
}

/** The user the cluster runs as: this one, or `postgres` when this is root. */
async function identity(): Promise<Identity | null> {
  if (process.getuid?.() !== 0) return null;
  const r = await exec('id', ['-u', 'postgres'], {});
  const g = await exec('id', ['-g', 'postgres'], {});
  if (r.code !== 0 || g.code !== 0) throw new AppError('backup.local_postgres_missing', { major: '?' });
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; id?: Identity | null; stdin?: string; stdinFile?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.stdin !== undefined || opts.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(opts.id ? { uid: opts.id.uid, gid: opts.id.gid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    else if (opts.stdinFile) {
      child.stdin?.on('error', () => undefined);
      createReadStream(opts.stdinFile).on('error', () => child.stdin?.destroy()).pipe(child.stdin!);
    }
  });
}

export async function startScratchCluster(opts: { binDir: string; user: string; database?: string }): Promise<ScratchCluster> {
  const id = await identity();
  const dir = await mkdtemp(join(tmpdir(), 'koprogo-verify-'));
  const data = join(dir, 'data');
  const password = randomBytes(24).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  const passfile = join(dir, 'pgpass');
  const port = await freePort();
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await writeFile(passfile, `127.0.0.1:${port}:*:${opts.user.replace(/[:\\]/g, '\\$&')}:${password}\n`, { mode: 0o600 });
  if (id) {
    for (const f of [dir, pwfile, passfile]) await chown(f, id.uid, id.gid);
  }
  await chmod(dir, 0o700);
  const bin = (p: string) => join(opts.binDir, process.platform === 'win32' ? `${p}.exe` : p);
  const env = { ...process.env, PGPASSFILE: passfile, LC_ALL: 'C', LANG: 'C' };
  let started = false;
  const stop = async () => {
    if (started) await exec(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { env, id });
    started = false;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const init = await exec(bin('initdb'), ['-D', data, '-U', opts.user, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], { env, id });
    if (init.code !== 0) throw new AppError('backup.scratch_failed', { detail: lastLine(init.stderr) });
    const settings = [`listen_addresses='127.0.0.1'`, `port=${port}`, `unix_socket_directories='${dir.replace(/'/g, "''")}'`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
    await writeFile(join(data, 'postgresql.auto.conf'), `${settings.join('\n')}\n`, { mode: 0o600 });
    if (id) await chown(join(data, 'postgresql.auto.conf'), id.uid, id.gid);
    const start = await exec(bin('pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '120', 'start'], { env, id });
    if (start.code !== 0) throw new AppError('backup.scratch_failed', { detail: lastLine(start.stderr || start.stdout) });
    started = true;
    const conn = ['-h', '127.0.0.1', '-p', String(port), '-U', opts.user];
    const cluster: ScratchCluster = {
      host: '127.0.0.1',
      port,
      user: opts.user,
      binDir: opts.binDir,
      client: (program, args, o = {}) => exec(bin(program), [...conn, ...args], { env, id, ...o }),
      stop,
    };
    if (opts.database && opts.database !== 'postgres') {
      const c = await cluster.client('createdb', [opts.database]);
      if (c.code !== 0) throw new AppError('backup.scratch_failed', { detail: lastLine(c.stderr) });
    }
    return cluster;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 200) ?? '';
}
