import { shJoin, shQuote } from '../ssh/quote';
import { composeCommand } from '../engine/steps/compose';
import { checkoutDir, joinPath } from '../engine/steps/shell';
import type { ComposeDeploySettings } from '../engine/types';

// The remote side of proven backups, as pure builders (tested by comparing strings): the dump with the
// source's per-table figures taken in the same snapshot, the scratch restore that proves it, the list
// of what the server keeps, the staging copy for the download, pruning, and the restore into the
// deployment. No password ever appears: inside the database container the local socket is trusted
// (the official image's pg_hba), and the scratch server accepts only its own container's loopback.

export type Postgres = NonNullable<ComposeDeploySettings['postgres']>;

/** A backup id: `20261203-141000-upgrade-a1b2c3`; safe as a file name and a container name. */
export const BACKUP_ID = /^[0-9]{8}-[0-9]{6}-(manual|upgrade|safety)-[a-f0-9]{6}$/;
/** The daily dumps of the backup cron (engine/steps/cron.ts): `<database>-YYYYmmdd-HHMMSS.sql.gz`. */
export const DAILY_FILE = /^[A-Za-z0-9_.-]{1,100}-[0-9]{8}-[0-9]{6}\.sql\.gz$/;

/** Exit codes the service maps to their own explanation. */
export const EXIT = { diskFull: 70, restoreFailed: 71, notRunning: 72, scratchStart: 73, dumpFailed: 74 } as const;

export function provenDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.backupDir, 'proven');
}

export function provenDumpPath(settings: ComposeDeploySettings, id: string): string {
  return joinPath(provenDir(settings), `${assertId(id)}.dump`);
}

export function provenManifestPath(settings: ComposeDeploySettings, id: string): string {
  return joinPath(provenDir(settings), `${assertId(id)}.json`);
}

export function dailyPath(settings: ComposeDeploySettings, file: string): string {
  if (!DAILY_FILE.test(file)) throw new Error(`not a daily backup file: ${file}`);
  return joinPath(settings.layout.backupDir, file);
}

function assertId(id: string): string {
  if (!BACKUP_ID.test(id)) throw new Error(`invalid backup id: ${id}`);
  return id;
}

export function postgresOf(settings: ComposeDeploySettings): Postgres {
  if (!settings.postgres) throw new Error('the deployment names no PostgreSQL service');
  return settings.postgres;
}

/**
 * Per-table figures: one line `hex(schema.table)|rows|newest` per ordinary table, newest being the
 * greatest value of the table's timestamp and date columns (UTC, ISO). One scan per table. The name is
 * hex-encoded so no name can break the line format. Run in psql (`\gexec`), read-only.
 */
export const TABLE_STATS_SQL = [
  "SET TimeZone = 'UTC';",
  "SET DateStyle = 'ISO';",
  "SELECT format('SELECT %L, count(*), %s FROM %I.%I',",
  "  encode(convert_to(n.nspname || '.' || c.relname, 'UTF8'), 'hex'),",
  "  coalesce((SELECT 'greatest(' || string_agg(format('max(%I)::timestamptz', a.attname), ', ' ORDER BY a.attnum) || ')::text'",
  '    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped',
  "      AND a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)), 'NULL'),",
  '  n.nspname, c.relname)',
  'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace',
  "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'",
  'ORDER BY n.nspname, c.relname',
  '\\gexec',
].join('\n');

const PSQL_FLAGS = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'];

/** `cat <<'KOPROGO_SQL' <rest>` then the SQL: the rest of the first line (a pipe, a redirection) consumes it. */
function sqlInto(rest: string, text: string): string {
  if (text.split('\n').includes('KOPROGO_SQL')) throw new Error('SQL text holds the here-document delimiter');
  return [`cat <<'KOPROGO_SQL' ${rest}`, text, 'KOPROGO_SQL'].join('\n');
}

/** `docker compose … exec -T <service>`, quoted, from the checkout. */
function composeExec(settings: ComposeDeploySettings): string {
  return `${composeCommand(settings)} exec -T ${shQuote(postgresOf(settings).service)}`;
}

/** Lines that leave the database container's image id in `$image` (fails when the service is not running). */
function imageOfDatabase(settings: ComposeDeploySettings): string[] {
  return [
    `cid=$(${composeCommand(settings)} ps -q ${shQuote(postgresOf(settings).service)} 2>/dev/null | head -n 1)`,
    `[ -n "$cid" ] || { echo 'backup-error not_running'; exit ${EXIT.notRunning}; }`,
    `image=$(docker inspect --format '{{.Image}}' "$cid")`,
  ];
}

/**
 * The proven dump, run as root from the checkout (detached: a cut connection does not stop it).
 * One psql session opens a repeatable-read transaction, exports its snapshot and counts every table
 * in it; pg_dump -Fc then dumps that same snapshot, so the figures describe exactly what is in the
 * dump. The file appears under its final name only when everything passed. Prints `key value` lines.
 */
export function provenDumpScript(settings: ComposeDeploySettings, id: string): string {
  const pg = postgresOf(settings);
  const dir = shQuote(provenDir(settings));
  const work = `"$dir/.work-${assertId(id)}"`;
  const psql = `${composeExec(settings)} ${shJoin(['psql', ...PSQL_FLAGS, '-U', pg.user, '-d', pg.database])}`;
  const dump = `${composeExec(settings)} ${shJoin(['pg_dump', '-Fc', '-U', pg.user, pg.database])}`;
  return [
    'set -eu',
    'umask 077',
    `dir=${dir}`,
    'mkdir -p "$dir"',
    'chmod 700 "$dir"',
    `work=${work}`,
    'rm -rf "$work"',
    'mkdir -m 700 "$work"',
    'pid=',
    `cleanup() { exec 3>&- 2>/dev/null || true; if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }`,
    'trap cleanup EXIT',
    `fail() { printf 'backup-error %s\\n' "$1"; if [ -s "$work/err" ]; then tail -n 5 "$work/err"; fi; exit "\${2:-${EXIT.dumpFailed}}"; }`,
    `cd ${shQuote(checkoutDir(settings))}`,
    ...imageOfDatabase(settings),
    'mkfifo "$work/sql"',
    `${psql} < "$work/sql" > "$work/out" 2> "$work/err" &`,
    'pid=$!',
    // Read-write: opening the pipe never blocks, even if psql failed to start.
    'exec 3<> "$work/sql"',
    `printf '%s\\n' 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;' "SELECT 'snapshot:' || pg_export_snapshot();" "SELECT 'dbsize:' || pg_database_size(current_database());" "SELECT 'version:' || current_setting('server_version_num');" >&3`,
    // Waits for a line of the session while psql lives, for at most $3 seconds.
    'wait_for() { end=$(($(date +%s) + $3)); until grep -q "^$1" "$work/out"; do kill -0 "$pid" 2>/dev/null || fail "$2"; [ "$(date +%s)" -lt "$end" ] || fail "$2"; sleep 0.1; done; }',
    'wait_for version: psql 300',
    `snap=$(sed -n 's/^snapshot://p' "$work/out")`,
    `dbsize=$(sed -n 's/^dbsize://p' "$work/out")`,
    // In KB: shell arithmetic, never awk's floating point.
    `free=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')`,
    // A compressed dump is smaller than the database; less free space than the database is refused.
    `if [ "$free" -lt $((dbsize / 1024)) ]; then printf 'need %s\\nfree %s\\n' "$dbsize" "$((free * 1024))"; fail disk_full ${EXIT.diskFull}; fi`,
    sqlInto('>&3', TABLE_STATS_SQL),
    // printf, not echo: dash's echo reads `\\e` as an escape character.
    `printf '%s\\n' '\\echo stats-end' >&3`,
    'wait_for stats-end stats 21600',
    `rc=0; ${dump.replace('pg_dump -Fc', 'pg_dump -Fc --snapshot="$snap"')} > "$work/dump" 2>> "$work/err" || rc=$?`,
    '[ "$rc" = 0 ] || fail pg_dump',
    `printf 'COMMIT;\\n' >&3`,
    'exec 3>&-',
    'wait "$pid" || fail psql',
    'pid=',
    `size=$(stat -c %s "$work/dump")`,
    '[ "$size" -gt 0 ] || fail empty',
    `sha=$(sha256sum "$work/dump" | cut -d ' ' -f 1)`,
    `mv -f "$work/dump" "$dir/${id}.dump"`,
    `printf 'version %s\\nimage %s\\ndbsize %s\\nsize %s\\nsha256 %s\\n' "$(sed -n 's/^version://p' "$work/out")" "$image" "$dbsize" "$size" "$sha"`,
    `grep -E '^[0-9a-f]+[|]' "$work/out" | sed 's/^/table /' || true`,
    "echo 'backup-done'",
    '',
  ].join('\n');
}

/**
 * Restores a dump into a throwaway PostgreSQL container of the deployment's own database image (same
 * major version, same extensions), with no network, then prints the same per-table figures. The
 * container and its volume are removed whatever happens. `format`: `custom` (pg_dump -Fc) or `sql.gz`
 * (the daily dumps).
 */
export function scratchVerifyScript(settings: ComposeDeploySettings, opts: { tag: string; path: string; format: 'custom' | 'sql.gz'; needBytes?: number; sha256?: string }): string {
  const pg = postgresOf(settings);
  if (opts.needBytes !== undefined && (!Number.isSafeInteger(opts.needBytes) || opts.needBytes < 0)) throw new Error('invalid needBytes');
  if (opts.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(opts.sha256)) throw new Error('invalid sha256');
  if (!/^[a-z0-9-]{1,60}$/.test(opts.tag)) throw new Error(`invalid verification tag: ${opts.tag}`);
  const file = shQuote(opts.path);
  const inScratch = (args: string[]) => `docker exec "$name" ${shJoin(args)}`;
  const psql = inScratch(['psql', ...PSQL_FLAGS, '-U', pg.user, '-d', pg.database]).replace('docker exec "$name"', 'docker exec -i "$name"');
  const restore =
    opts.format === 'custom'
      ? `${inScratch(['pg_restore', '--exit-on-error', '-U', pg.user, '-d', pg.database, '/backup/dump'])} > "$log" 2>&1`
      : `gzip -dc -- ${file} | ${psql} > "$log" 2>&1`;
  return [
    'set -eu',
    `name=${shQuote(`koprogo-verify-${opts.tag}`)}`,
    'log=$(mktemp)',
    `cleanup() { docker rm -f -v "$name" >/dev/null 2>&1 || true; rm -f "$log"; }`,
    'trap cleanup EXIT',
    'docker rm -f -v "$name" >/dev/null 2>&1 || true',
    `[ -f ${file} ] || { echo 'backup-error missing'; exit ${EXIT.restoreFailed}; }`,
    // The file is still the one the manifest describes (a dump checked days later, or a changed disk).
    ...(opts.sha256 ? [`[ "$(sha256sum ${file} | cut -d ' ' -f 1)" = ${opts.sha256} ] || { echo 'backup-error checksum'; exit ${EXIT.restoreFailed}; }`] : []),
    ...(opts.format === 'sql.gz' ? [`gzip -t -- ${file} 2> "$log" || { echo 'restore-error'; tail -n 3 "$log"; exit ${EXIT.restoreFailed}; }`] : []),
    `cd ${shQuote(checkoutDir(settings))}`,
    ...imageOfDatabase(settings),
    // The scratch server needs room for the restored database on Docker's disk: the source's size when
    // known, else about three dumps.
    `root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || echo /)`,
    `free=$(df -Pk "$root" 2>/dev/null | awk 'NR == 2 { print $4 }')`,
    opts.needBytes !== undefined ? `need=${opts.needBytes}` : `need=$(($(stat -c %s ${file}) * 3))`,
    `if [ -n "$free" ] && [ "$free" -lt $((need / 1024)) ]; then printf 'need %s\\nfree %s\\nbackup-error disk_full\\n' "$need" "$((free * 1024))"; exit ${EXIT.diskFull}; fi`,
    `docker run -d --name "$name" --network none --label koprogo-deploy.verify=${shQuote(opts.tag)} -v ${shQuote(`${opts.path}:/backup/dump:ro`)} ${shJoin(['-e', `POSTGRES_USER=${pg.user}`, '-e', `POSTGRES_DB=${pg.database}`, '-e', 'POSTGRES_HOST_AUTH_METHOD=trust'])} "$image" > /dev/null`,
    // Ready over TCP on the container's loopback: only the final server listens there, not the init one.
    'i=0',
    `until ${inScratch(['pg_isready', '-q', '-h', '127.0.0.1', '-U', pg.user, '-d', pg.database])} 2>/dev/null; do`,
    `  i=$((i + 1)); if [ "$i" -ge 900 ]; then docker logs --tail 5 "$name" 2>&1 || true; echo 'backup-error scratch_start'; exit ${EXIT.scratchStart}; fi`,
    '  sleep 0.2',
    'done',
    "echo 'scratch-ready'",
    `if ! ${restore}; then echo 'restore-error'; tail -n 3 "$log"; exit ${EXIT.restoreFailed}; fi`,
    "echo 'restored'",
    sqlInto(`| ${psql} | sed 's/^/table /'`, TABLE_STATS_SQL),
    "echo 'verify-done'",
    '',
  ].join('\n');
}

/** Root copies the dump for the login user to read over SFTP (0600, theirs), unless it is there already. */
export function stageScript(source: string, target: string, owner: { user: string; group: string }): string {
  return [
    'set -eu',
    `src=${shQuote(source)}`,
    `dst=${shQuote(target)}`,
    '[ -f "$src" ] || exit 3',
    'if [ -f "$dst" ] && [ "$(stat -c %s "$dst")" = "$(stat -c %s "$src")" ]; then exit 0; fi',
    `install -m 0600 -o ${shQuote(owner.user)} -g ${shQuote(owner.group)} "$src" "$dst.part"`,
    'mv -f "$dst.part" "$dst"',
    '',
  ].join('\n');
}

/** Root installs a dump the login user uploaded (restore from this computer's copy), checking its sha256. */
export function adoptUploadScript(upload: string, target: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('invalid sha256');
  return [
    'set -eu',
    'umask 077',
    `mkdir -p "$(dirname ${shQuote(target)})"`,
    `[ "$(sha256sum ${shQuote(upload)} | cut -d ' ' -f 1)" = ${sha256} ] || { rm -f ${shQuote(upload)}; echo 'backup-error checksum'; exit 3; }`,
    `install -m 0600 -o root -g root ${shQuote(upload)} ${shQuote(`${target}.part`)}`,
    `mv -f ${shQuote(`${target}.part`)} ${shQuote(target)}`,
    `rm -f ${shQuote(upload)}`,
    '',
  ].join('\n');
}

/**
 * What the server keeps: `daily|proven <TAB> file <TAB> bytes <TAB> mtime`, then each proven manifest
 * as `manifest <TAB> file <TAB> base64`. One round trip.
 */
export function listScript(settings: ComposeDeploySettings): string {
  const dir = shQuote(settings.layout.backupDir);
  const proven = shQuote(provenDir(settings));
  return [
    `[ -d ${dir} ] || exit 0`,
    `find ${dir} -maxdepth 1 -type f -name '*.sql.gz' -printf 'daily\\t%f\\t%s\\t%T@\\n'`,
    `[ -d ${proven} ] || exit 0`,
    `find ${proven} -maxdepth 1 -type f -name '*.dump' -printf 'proven\\t%f\\t%s\\t%T@\\n'`,
    `for f in ${proven}/*.json; do [ -f "$f" ] && printf 'manifest\\t%s\\t%s\\n' "$(basename "$f")" "$(base64 -w 0 "$f")"; done`,
    'exit 0',
    '',
  ].join('\n');
}

export function pruneScript(settings: ComposeDeploySettings, ids: readonly string[]): string {
  const files = ids.flatMap((id) => [provenDumpPath(settings, id), provenManifestPath(settings, id)]);
  return files.length === 0 ? 'true\n' : `rm -f -- ${files.map(shQuote).join(' ')}\n`;
}

/** The compose services other than the database (they are stopped while the database is replaced). */
export function appServicesScript(settings: ComposeDeploySettings): string {
  return [`cd ${shQuote(checkoutDir(settings))}`, `${composeCommand(settings)} config --services`, ''].join('\n');
}

/**
 * Replaces the deployment's database with a dump: the app services stopped, the database dropped
 * (its connections ended) and made again, the dump restored, the per-table figures printed; the
 * services are started again by the caller once the figures are checked. Run as root from the checkout.
 */
export function restoreIntoLiveScript(settings: ComposeDeploySettings, opts: { path: string; format: 'custom' | 'sql.gz'; stop: readonly string[] }): string {
  const pg = postgresOf(settings);
  const exec = composeExec(settings);
  const psqlAdmin = `${exec} ${shJoin(['psql', ...PSQL_FLAGS, '-U', pg.user, '-d', 'postgres', '-v', `db=${pg.database}`, '-v', `owner=${pg.user}`])}`;
  const restore =
    opts.format === 'custom'
      ? `${exec} ${shJoin(['pg_restore', '--exit-on-error', '-U', pg.user, '-d', pg.database])} < ${shQuote(opts.path)}`
      : `gzip -dc -- ${shQuote(opts.path)} | ${exec} ${shJoin(['psql', ...PSQL_FLAGS, '-U', pg.user, '-d', pg.database])}`;
  return [
    'set -eu',
    `cd ${shQuote(checkoutDir(settings))}`,
    `[ -f ${shQuote(opts.path)} ] || { echo 'backup-error missing'; exit ${EXIT.restoreFailed}; }`,
    ...(opts.stop.length > 0 ? [`${composeCommand(settings)} stop ${shJoin([...opts.stop])}`] : []),
    "echo 'services-stopped'",
    sqlInto(`| ${psqlAdmin}`, ['DROP DATABASE IF EXISTS :"db" WITH (FORCE);', 'CREATE DATABASE :"db" OWNER :"owner";'].join('\n')),
    'log=$(mktemp)',
    `if ! ${restore} > "$log" 2>&1; then echo 'restore-error'; tail -n 3 "$log"; rm -f "$log"; exit ${EXIT.restoreFailed}; fi`,
    'rm -f "$log"',
    "echo 'restored'",
    sqlInto(`| ${exec} ${shJoin(['psql', ...PSQL_FLAGS, '-U', pg.user, '-d', pg.database])} | sed 's/^/table /'`, TABLE_STATS_SQL),
    "echo 'restore-done'",
    '',
  ].join('\n');
}

/** Starts the stopped services again (`up -d`: the same containers, nothing rebuilt). */
export function startServicesScript(settings: ComposeDeploySettings): string {
  return [`cd ${shQuote(checkoutDir(settings))}`, `${composeCommand(settings)} up -d`, ''].join('\n');
}
