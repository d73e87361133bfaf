import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, importBusyboxImage, startDocker, type DockerHandle } from './docker-host';
import { importPostgresImage, POSTGRES_IMAGE } from './postgres-image';
import { requireRoot, sleep } from './proc';

// The test PostgreSQL image: built from this machine's binaries, initialised like the official image
// (user, password, database), reachable over the container network with the password, trust on the
// local socket, and `postgres -c …` (a Compose `command:`) passed through.

/** Ready over TCP: only the final server listens there (the init phase's server is socket-only). */
async function waitReady(env: DockerHandle['env'], name: string, user: string, db: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await docker(env, ['exec', name, 'pg_isready', '-q', '-h', '127.0.0.1', '-U', user, '-d', db]);
    if (r.code === 0) return;
    await sleep(200);
  }
  throw new Error(`${name} did not become ready: ${(await docker(env, ['logs', name])).stderr}`);
}

describe('local/postgres:15 test image', () => {
  let d: DockerHandle;

  beforeAll(async () => {
    requireRoot('The PostgreSQL image test');
    d = await startDocker();
    await Promise.all([importPostgresImage(d.env), importBusyboxImage(d.env)]);
  }, 180_000);

  afterAll(async () => {
    await d?.stop();
  }, 60_000);

  it('initialises user, password and database, and serves them on the container network', async () => {
    expect(await importPostgresImage(d.env)).toBe(POSTGRES_IMAGE);
    await docker(d.env, ['network', 'create', 'kgt-pg']);
    const started = await docker(d.env, [
      'run', '-d', '--name', 'kgt-db', '--network', 'kgt-pg', '--network-alias', 'db',
      '-e', 'POSTGRES_USER=koprogo', '-e', 'POSTGRES_PASSWORD=s3cret-pw', '-e', 'POSTGRES_DB=koprogo_db',
      POSTGRES_IMAGE, 'postgres', '-c', 'shared_buffers=64MB',
    ]);
    expect(started.code, started.stderr).toBe(0);
    await waitReady(d.env, 'kgt-db', 'koprogo', 'koprogo_db');
    // Local socket: trust, as in the official image (what `docker compose exec db pg_dump` relies on).
    const local = await docker(d.env, ['exec', 'kgt-db', 'psql', '-X', '-At', '-U', 'koprogo', '-d', 'koprogo_db', '-c', 'SHOW shared_buffers']);
    expect(local.stdout.trim()).toBe('64MB');
    const version = await docker(d.env, ['exec', 'kgt-db', 'psql', '-X', '-At', '-U', 'koprogo', '-d', 'koprogo_db', '-c', 'SHOW server_version_num']);
    expect(version.stdout.trim()).toMatch(/^150\d{3}$/);
    // Over TCP from another container: the password is required, and accepted.
    const client = ['run', '--rm', '--network', 'kgt-pg', POSTGRES_IMAGE, 'psql', '-X', '-At', '-h', 'db', '-U', 'koprogo', '-d', 'koprogo_db', '-c', 'SELECT 41 + 1'];
    const wrong = await docker(d.env, ['run', '--rm', '--network', 'kgt-pg', '-e', 'PGPASSWORD=wrong', ...client.slice(4)]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);
    const right = await docker(d.env, ['run', '--rm', '--network', 'kgt-pg', '-e', 'PGPASSWORD=s3cret-pw', ...client.slice(4)]);
    expect(right.stdout.trim()).toBe('42');
    // The password went through a file, and the server runs as the postgres user.
    const ps = await docker(d.env, ['exec', 'kgt-db', 'ps', '-o', 'user,args']);
    expect(ps.stdout).not.toContain('s3cret-pw');
    expect(ps.stdout).toMatch(/postgres\s+postgres -c shared_buffers=64MB/);
    // pg_dump -Fc and pg_restore round trip inside the image.
    await docker(d.env, ['exec', 'kgt-db', 'psql', '-X', '-q', '-U', 'koprogo', '-d', 'koprogo_db', '-c', 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 500)']);
    const dump = await docker(d.env, ['exec', 'kgt-db', 'sh', '-c', 'pg_dump -Fc -U koprogo koprogo_db > /tmp/d && createdb -U koprogo copy && pg_restore -U koprogo -d copy /tmp/d && psql -X -At -U koprogo -d copy -c "SELECT count(*) FROM t"']);
    expect(dump.stdout.trim(), dump.stderr).toBe('500');
  }, 120_000);

  it('refuses to initialise without a password, like the official image', async () => {
    const r = await docker(d.env, ['run', '--rm', POSTGRES_IMAGE]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('POSTGRES_PASSWORD is not set');
  }, 60_000);
});
