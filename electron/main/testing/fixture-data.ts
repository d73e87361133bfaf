// Fixture data in a deployed test host's real PostgreSQL (the `postgres` service of the fixture
// repository, see startDeployHost({ postgres: true })): a few KoproGo-like tables with timestamps,
// an odd table name, an empty table, and optionally bulk rows so a dump takes a while to download.
// The test reads and changes the database through `docker exec` as root, beside the app.
import { docker, type DockerHandle } from './docker-host';
import { FIXTURE_POSTGRES } from './git-fixture';
import type { ScratchCluster } from '../backup/scratch-cluster';

export async function databaseContainer(d: DockerHandle, composeProject: string): Promise<string> {
  const r = await docker(d.env, ['ps', '-q', '--filter', `label=com.docker.compose.project=${composeProject}`, '--filter', `label=com.docker.compose.service=${FIXTURE_POSTGRES.service}`]);
  const id = r.stdout.trim().split('\n')[0];
  if (!id) throw new Error(`no running ${FIXTURE_POSTGRES.service} container in ${composeProject}`);
  return id;
}

/** Runs SQL in the deployment's database (psql -At, stop on the first error) and returns its output. */
export async function hostPsql(d: DockerHandle, composeProject: string, sql: string): Promise<string> {
  const id = await databaseContainer(d, composeProject);
  const r = await docker(d.env, ['exec', '-i', id, 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-U', FIXTURE_POSTGRES.user, '-d', FIXTURE_POSTGRES.database], { input: sql, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
}

export const FIXTURE_COUNTS = { owners: 2_000, lots: 5_000, payments: 12_000 } as const;

/** KoproGo-like tables; `bulkRows` rows of barely compressible text make the dump a few MB per 100,000. */
export async function seedFixtureData(d: DockerHandle, composeProject: string, opts: { bulkRows?: number } = {}): Promise<void> {
  await hostPsql(
    d,
    composeProject,
    `
CREATE TABLE IF NOT EXISTS owners (id serial PRIMARY KEY, name text NOT NULL, email text, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO owners (name, email, created_at) SELECT 'Owner ' || i, 'owner' || i || '@example.org', TIMESTAMPTZ '2026-01-01 00:00:00+00' + (i || ' minutes')::interval FROM generate_series(1, ${FIXTURE_COUNTS.owners}) i;
CREATE TABLE IF NOT EXISTS lots (id serial PRIMARY KEY, owner_id int REFERENCES owners(id), share numeric(8, 3), updated date);
INSERT INTO lots (owner_id, share, updated) SELECT (i % ${FIXTURE_COUNTS.owners}) + 1, (i % 1000) / 7.0, DATE '2025-06-01' + (i % 200) FROM generate_series(1, ${FIXTURE_COUNTS.lots}) i;
CREATE TABLE IF NOT EXISTS payments (id bigserial PRIMARY KEY, lot_id int REFERENCES lots(id), amount_cents int, paid_at timestamp, booked_at timestamptz);
INSERT INTO payments (lot_id, amount_cents, paid_at, booked_at) SELECT (i % ${FIXTURE_COUNTS.lots}) + 1, i * 7 % 100000, TIMESTAMP '2026-02-01 08:00:00' + (i || ' seconds')::interval, CASE WHEN i % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-02-01 09:00:00+00' + (i || ' seconds')::interval END FROM generate_series(1, ${FIXTURE_COUNTS.payments}) i;
CREATE SCHEMA IF NOT EXISTS "Compta|2026";
CREATE TABLE IF NOT EXISTS "Compta|2026"."Écritures ""clôturées""" (id int, label text);
INSERT INTO "Compta|2026"."Écritures ""clôturées""" SELECT i, 'écriture ' || i FROM generate_series(1, 3) i;
CREATE TABLE IF NOT EXISTS audit_empty (id int, at timestamptz);
${opts.bulkRows ? `CREATE TABLE IF NOT EXISTS documents (id bigserial PRIMARY KEY, body text, stored_at timestamptz DEFAULT now()); INSERT INTO documents (body) SELECT md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series(1, ${opts.bulkRows});` : ''}
`,
  );
}

/** The query that lists `SELECT '<schema.table>', count(*)` for every user table, run by psql's \gexec. */
const COUNT_TABLES = `SELECT format('SELECT %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' \\gexec`;

function parseCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const i = line.lastIndexOf('|');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/** Row count of every ordinary table as PostgreSQL itself says, `schema.table` → rows, for comparisons. */
export async function tableCounts(d: DockerHandle, composeProject: string): Promise<Record<string, number>> {
  return parseCounts(await hostPsql(d, composeProject, COUNT_TABLES));
}

/** Per-table row counts of a database of a PostgreSQL cluster started on this machine (the phase 3 cluster's), as its superuser. */
export async function clusterTableCounts(cluster: Pick<ScratchCluster, 'client'>, database: string): Promise<Record<string, number>> {
  const r = await cluster.client('psql', ['-X', '-At', '-d', database], { stdin: `${COUNT_TABLES}\n` });
  if (r.code !== 0) throw new Error(r.stderr);
  return parseCounts(r.stdout);
}

/** Whether the test host's PostgreSQL takes a write (false: read-only, as the phase 2 → 3 freeze leaves it). */
export async function serverWritable(d: DockerHandle, composeProject: string): Promise<boolean> {
  try {
    await hostPsql(d, composeProject, 'CREATE TABLE IF NOT EXISTS write_probe (id int); DROP TABLE write_probe;');
    return true;
  } catch (e) {
    if (!/read-only transaction/.test(String(e))) throw e;
    return false;
  }
}

/**
 * Replaces the container's pg_dump by a wrapper that spoils its output, as a failing disk or a broken
 * pipe would: `truncate` keeps the first 20,000 bytes, `corrupt` overwrites 16 bytes in the middle.
 * `restore` puts the real one back.
 */
export async function spoilPgDump(d: DockerHandle, composeProject: string, how: 'truncate' | 'corrupt' | 'restore'): Promise<void> {
  const id = await databaseContainer(d, composeProject);
  const bin = '/usr/lib/postgresql/15/bin';
  const wrapper =
    how === 'truncate'
      ? `#!/bin/sh\n${bin}/pg_dump.real "$@" | head -c 20000\n`
      : `#!/bin/sh\nt=$(mktemp)\n${bin}/pg_dump.real "$@" > "$t" || exit $?\ns=$(stat -c %s "$t")\nprintf 'KOPROGO-CORRUPTED' | dd of="$t" bs=1 seek=$((s / 2)) conv=notrunc 2>/dev/null\ncat "$t"\nrm -f "$t"\n`;
  const script =
    how === 'restore'
      ? `if [ -f ${bin}/pg_dump.real ]; then mv -f ${bin}/pg_dump.real ${bin}/pg_dump; fi`
      : `[ -f ${bin}/pg_dump.real ] || mv ${bin}/pg_dump ${bin}/pg_dump.real; cat > ${bin}/pg_dump; chmod 755 ${bin}/pg_dump`;
  const r = await docker(d.env, ['exec', '-i', '-u', '0', id, 'sh', '-c', script], { input: how === 'restore' ? '' : wrapper });
  if (r.code !== 0) throw new Error(`could not change pg_dump: ${r.stderr}`);
}
