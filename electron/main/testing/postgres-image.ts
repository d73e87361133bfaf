// A PostgreSQL image for the test Docker engine, built with `docker import` from this machine's Debian
// postgresql-15 binaries (no image registry is reachable): the server and client programs, the shared
// libraries they load (found with ldd), /usr/share/postgresql/15, the time zones, a passwd/group with a
// postgres user (uid 999 like the official image), busybox for sh and the usual applets, and an
// entrypoint that behaves like the official image's for what Compose files use: POSTGRES_USER,
// POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, PGDATA, initdb on first start (password
// from a file, never on a command line), /docker-entrypoint-initdb.d/*.sql|*.sh, then `postgres`
// listening on the container network; `command: postgres -c …` and other commands pass through.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker, type DockerEnv } from './docker-host';
import { requireFiles, run, runOk } from './proc';

export const POSTGRES_MAJOR = 15;
export const POSTGRES_IMAGE = `local/postgres:${POSTGRES_MAJOR}`;
const PG_BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
const PG_LIB = `/usr/lib/postgresql/${POSTGRES_MAJOR}/lib`;
const PG_SHARE = `/usr/share/postgresql/${POSTGRES_MAJOR}`;
const PROGRAMS = ['postgres', 'initdb', 'pg_ctl', 'pg_dump', 'pg_restore', 'psql', 'pg_isready', 'pg_dumpall', 'createdb'];
const BUSYBOX = '/bin/busybox';
const SETPRIV = '/usr/bin/setpriv';
/** The postgres user of the official image. */
export const POSTGRES_UID = 999;

/** The entrypoint: what the official image's docker-entrypoint.sh does for the settings Compose files use. */
export const ENTRYPOINT = `#!/bin/sh
# Test image entrypoint (written by electron/main/testing/postgres-image.ts), after the official image's.
set -eu
: "\${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
if [ "\${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R ${POSTGRES_UID}:${POSTGRES_UID} "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2777 /var/run/postgresql
  exec /usr/bin/setpriv --reuid=${POSTGRES_UID} --regid=${POSTGRES_UID} --clear-groups "$0" "$@"
fi
user="\${POSTGRES_USER:-postgres}"
db="\${POSTGRES_DB:-$user}"
auth="\${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "\${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'Error: the database is uninitialized and POSTGRES_PASSWORD is not set.' >&2
    exit 1
  fi
  pw=$(mktemp)
  printf '%s\\n' "\${POSTGRES_PASSWORD:-}" > "$pw"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pw" -E UTF8 --locale=C --auth-local=trust --auth-host="$auth" >/dev/null
  rm -f "$pw"
  printf "host all all all %s\\n" "$auth" >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\\nunix_socket_directories = '/var/run/postgresql'\\n" >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$db" != postgres ]; then
    printf 'CREATE DATABASE :"db";\\n' | psql -X -q -v ON_ERROR_STOP=1 -U "$user" -d postgres -v db="$db"
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) psql -X -q -v ON_ERROR_STOP=1 -U "$user" -d "$db" -f "$f" ;;
      *.sh) . "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo 'PostgreSQL init process complete; ready for start up.'
fi
exec "$@"
`;

/** Shared libraries (absolute paths) the given ELF files load, from ldd. */
async function sharedLibraries(files: string[]): Promise<string[]> {
  const libs = new Set<string>();
  for (const f of files) {
    const res = await run('ldd', [f]);
    for (const line of res.stdout.split('\n')) {
      const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
      if (m?.[1]) libs.add(m[1]);
    }
  }
  return [...libs];
}

/**
 * Builds `local/postgres:15` in the engine unless it is there already; returns the tag. Needs Debian's
 * postgresql-15 and busybox-static on this machine.
 */
export async function importPostgresImage(env: DockerEnv, tag = POSTGRES_IMAGE): Promise<string> {
  requireFiles({ 'postgresql-15': `${PG_BIN}/postgres`, 'busybox-static': BUSYBOX, 'util-linux': SETPRIV });
  if ((await docker(env, ['image', 'inspect', tag])).code === 0) return tag;
  const dir = await mkdtemp(join(tmpdir(), 'kgt-pgimage-'));
  try {
    const root = (p: string) => join(dir, p);
    for (const d of ['bin', 'tmp', 'etc', 'var/lib/postgresql', 'var/run/postgresql', 'docker-entrypoint-initdb.d', PG_BIN, PG_LIB, dirname(PG_SHARE), 'usr/share']) await mkdir(root(d), { recursive: true });
    await chmod(root('tmp'), 0o1777);
    const programs = PROGRAMS.map((p) => `${PG_BIN}/${p}`);
    for (const p of programs) await cp(p, root(p));
    // util-linux's setpriv drops root for postgres like the official image's gosu (busybox's cannot).
    await mkdir(root('usr/bin'), { recursive: true });
    await cp(SETPRIV, root(SETPRIV));
    // Server modules (plpgsql, dictionaries, encodings), without the LLVM JIT (jit stays off).
    const modules = readdirSync(PG_LIB).filter((f) => f.endsWith('.so') && !f.startsWith('llvmjit'));
    for (const m of modules) await cp(join(PG_LIB, m), root(join(PG_LIB, m)));
    await cp(PG_SHARE, root(PG_SHARE), { recursive: true });
    if (existsSync('/usr/share/zoneinfo')) await cp('/usr/share/zoneinfo', root('usr/share/zoneinfo'), { recursive: true, dereference: true });
    const libs = await sharedLibraries([SETPRIV, ...programs, ...modules.map((m) => join(PG_LIB, m))]);
    for (const lib of libs) {
      await mkdir(root(dirname(lib)), { recursive: true });
      await cp(lib, root(lib), { dereference: true });
    }
    // The dynamic loader where the binaries look for it.
    for (const ld of ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1']) {
      if (existsSync(ld)) {
        await mkdir(root(dirname(ld)), { recursive: true });
        await cp(ld, root(ld), { dereference: true });
      }
    }
    await cp(BUSYBOX, root('bin/busybox'));
    const applets = (await runOk(BUSYBOX, ['--list'])).split('\n').filter((a) => a && a !== 'busybox' && a !== 'setpriv');
    await Promise.all(applets.map((a) => symlink('busybox', root(`bin/${a}`))));
    await writeFile(root('etc/passwd'), `root:x:0:0:root:/root:/bin/sh\npostgres:x:${POSTGRES_UID}:${POSTGRES_UID}:PostgreSQL:/var/lib/postgresql:/bin/sh\n`);
    await writeFile(root('etc/group'), `root:x:0:\npostgres:x:${POSTGRES_UID}:\n`);
    await writeFile(root('usr/local-entrypoint.sh'), ENTRYPOINT, { mode: 0o755 });
    await chmod(root('usr/local-entrypoint.sh'), 0o755);
    const changes = [
      `ENV PATH=${PG_BIN}:/bin`,
      'ENV PGDATA=/var/lib/postgresql/data',
      'ENV LANG=C.UTF-8',
      'ENTRYPOINT ["/usr/local-entrypoint.sh"]',
      'CMD ["postgres"]',
      'EXPOSE 5432',
    ];
    const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    imp.stdin.on('error', () => undefined);
    tar.stdout.pipe(imp.stdin);
    let err = '';
    tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
    imp.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const [tarCode, impCode] = await Promise.all([exitCode(tar), exitCode(imp)]);
    if (tarCode !== 0 || impCode !== 0) throw new Error(`docker import ${tag} failed (tar ${tarCode}, import ${impCode}): ${err.trim()}`);
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}
