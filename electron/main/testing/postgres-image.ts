// A PostgreSQL container image for the tests, made from this machine's Debian PostgreSQL 15 (no image registry
// is reachable): its binaries, contrib modules, share files and the shared libraries they link, busybox for a
// shell, and an entrypoint that behaves like the official image's for what the tests use (POSTGRES_USER,
// POSTGRES_PASSWORD, POSTGRES_DB on first start, `postgres -c …` commands, local trust and scram-sha-256 over
// TCP, run as the postgres user, as the data folder's owner). Real `pg_dump`, `psql` and `pg_isready` inside, as in production.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker, type DockerEnv } from './docker-host';
import { requireFiles } from './proc';

const PG = '/usr/lib/postgresql/15';
const SHARE = '/usr/share/postgresql/15';
export const POSTGRES_IMAGE = 'local/postgres:15';
const APPLETS = ['sh', 'cat', 'mkdir', 'chown', 'chmod', 'rm', 'id', 'mktemp', 'printf', 'echo', 'sleep', 'env', 'ls', 'test', 'grep', 'sed', 'head', 'tail', 'tr', 'cut', 'xargs', 'true', 'false', 'tar', 'gzip', 'wget', 'date'];

const ENTRYPOINT = `#!/bin/sh
# The official image's entrypoint, in short: initialise on first start, then run the command.
set -e
if [ "\${1#-}" != "$1" ]; then set -- postgres "$@"; fi
# The image runs as postgres (uid 999): a new named volume takes the data folder's owner from the image.
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=\${POSTGRES_USER:-postgres}
  pw=$(mktemp)
  printf '%s\\n' "\${POSTGRES_PASSWORD:-}" > "$pw"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 --no-locale -E UTF8 >/dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ -n "\${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != "$user" ]; then
    echo "CREATE DATABASE \\"$POSTGRES_DB\\" OWNER \\"$user\\";" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi
exec "$@"
`;

function libsOf(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    let text: string;
    try {
      text = execFileSync('ldd', [f], { encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const m of text.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/gu)) if (m[1]) out.add(m[1]);
  }
  return [...out];
}

/** Imports the image as `tag` into the engine (once). */
export async function importPostgresImage(env: DockerEnv, tag = POSTGRES_IMAGE): Promise<string> {
  requireFiles({ 'postgresql-15': `${PG}/bin/postgres`, 'busybox-static': '/bin/busybox' });
  if ((await docker(env, ['image', 'inspect', tag])).code === 0) return tag;
  const root = mkdtempSync(join(tmpdir(), 'kgt-pgimage-'));
  try {
    const put = (src: string, dst = src) => {
      mkdirSync(join(root, dirname(dst)), { recursive: true });
      cpSync(src, join(root, dst), { recursive: true, dereference: true });
    };
    mkdirSync(join(root, 'bin'), { recursive: true });
    put('/bin/busybox', '/bin/busybox');
    for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    for (const d of ['bin', 'lib']) put(`${PG}/${d}`);
    rmSync(join(root, PG, 'lib', 'bitcode'), { recursive: true, force: true });
    put(SHARE);
    put('/usr/share/zoneinfo/UTC');
    put('/usr/share/zoneinfo/Etc/UTC');
    const binaries = readdirSync(`${PG}/bin`).map((b) => `${PG}/bin/${b}`);
    const modules = readdirSync(`${PG}/lib`).filter((f) => f.endsWith('.so')).map((f) => `${PG}/lib/${f}`);
    for (const lib of libsOf([...binaries, ...modules])) put(realpathSync(lib), lib);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\npostgres:x:999:\n');
    mkdirSync(join(root, 'usr', 'local', 'bin'), { recursive: true });
    writeFileSync(join(root, 'usr', 'local', 'bin', 'docker-entrypoint.sh'), ENTRYPOINT);
    chmodSync(join(root, 'usr', 'local', 'bin', 'docker-entrypoint.sh'), 0o755);
    for (const d of ['tmp', 'var/lib/postgresql/data', 'var/run/postgresql']) mkdirSync(join(root, d), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    chmodSync(join(root, 'var/lib/postgresql/data'), 0o700);
    execFileSync('chown', ['-R', '999:999', join(root, 'var/lib/postgresql'), join(root, 'var/run/postgresql')]);
    if (!existsSync(join(root, PG, 'bin', 'psql'))) throw new Error('postgres image: psql missing');
    const changes = [
      `ENV PATH=${PG}/bin:/bin`,
      'ENV PGDATA=/var/lib/postgresql/data',
      'ENV TZ=UTC',
      'USER postgres',
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      'CMD ["postgres"]',
      'EXPOSE 5432',
    ].flatMap((c) => ['--change', c]);
    execFileSync('sh', ['-c', `tar -C "$ROOT" -c . | docker import ${changes.map((c) => `'${c}'`).join(' ')} - "$TAG" >/dev/null`], {
      env: { ...process.env, ...env, ROOT: root, TAG: tag },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
