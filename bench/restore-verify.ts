import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackupStore } from '../electron/main/backup/local-store';
import { MANIFEST_VERSION, parseTableLines, type Manifest } from '../electron/main/backup/manifest';
import { verifyLocally } from '../electron/main/backup/proven';
import { findLocalPostgres, startScratchCluster, type ScratchCluster } from '../electron/main/backup/scratch-cluster';
import { TABLE_STATS_SQL } from '../electron/main/backup/scripts';
import { median, type Bench } from './lib/bench';

// The proof of a backup (verifyLocally: a scratch cluster started, the dump restored, every table
// counted with its newest timestamp, compared with the source's figures, the cluster removed) against
// a bare `pg_restore` of the same dump into a fresh database of an already running cluster, alternating,
// in the same run. The figure is the ratio of the two times: what proving costs on top of restoring.

const ROUNDS = 5;
const USER = 'koprogo';
const DB = 'koprogo_db';

const FIXTURE = `
CREATE TABLE owners (id serial PRIMARY KEY, name text NOT NULL, email text, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO owners (name, email, created_at) SELECT 'Owner ' || i, 'owner' || i || '@example.org', now() - (i || ' minutes')::interval FROM generate_series(1, 50000) i;
CREATE TABLE lots (id serial PRIMARY KEY, owner_id int REFERENCES owners(id), share numeric(8, 3), updated date);
INSERT INTO lots (owner_id, share, updated) SELECT (i % 50000) + 1, (i % 1000) / 7.0, current_date - (i % 400) FROM generate_series(1, 200000) i;
CREATE INDEX lots_owner ON lots (owner_id);
CREATE TABLE payments (id bigserial PRIMARY KEY, lot_id int REFERENCES lots(id), amount_cents int, paid_at timestamp, booked_at timestamptz, note text);
INSERT INTO payments (lot_id, amount_cents, paid_at, booked_at, note) SELECT (i % 200000) + 1, i * 7 % 100000, now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval, md5(i::text) FROM generate_series(1, 600000) i;
CREATE INDEX payments_lot ON payments (lot_id);
CREATE INDEX payments_booked ON payments (booked_at);
`;

async function check(c: ScratchCluster, program: 'psql' | 'pg_restore' | 'pg_dump' | 'createdb', args: string[], opts: { stdin?: string; stdinFile?: string } = {}): Promise<string> {
  const r = await c.client(program, args, opts);
  if (r.code !== 0) throw new Error(`${program} failed: ${r.stderr}`);
  return r.stdout;
}

const bench: Bench = {
  description: 'verifying a backup (scratch cluster, restore, per-table counts and newest timestamps, compare) as a ratio to a bare pg_restore of the same dump',
  async run(log) {
    const binDir = await findLocalPostgres(15);
    if (!binDir) throw new Error('PostgreSQL 15 is needed (Debian: postgresql-15)');
    const data = await mkdtemp(join(tmpdir(), 'kgt-bench-rv-'));
    // The source cluster and its dump (readable by the cluster's user, which is postgres under root).
    await chmod(data, 0o777);
    const source = await startScratchCluster({ binDir, user: USER, database: DB });
    const dumpFile = join(data, 'source.dump');
    let manifest: Manifest;
    try {
      await check(source, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB], { stdin: FIXTURE });
      await check(source, 'pg_dump', ['-Fc', '-f', dumpFile, DB]);
      const stats = await check(source, 'psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', DB], { stdin: TABLE_STATS_SQL });
      const tables = parseTableLines(stats.split('\n').filter(Boolean).map((l) => `table ${l}`).join('\n'));
      const size = (await stat(dumpFile)).size;
      manifest = { version: MANIFEST_VERSION, id: '20260101-000000-manual-aaaaaa', profileId: 'bench', reason: 'manual', createdAt: new Date().toISOString(), format: 'custom', postgres: { service: 'postgres', user: USER, database: DB }, serverVersion: 150000, image: 'bench', databaseBytes: 0, sizeBytes: size, sha256: '0'.repeat(64), tables };
      log(`dump: ${(size / 1e6).toFixed(1)} MB, ${tables.length} tables, ${tables.reduce((a, t) => a + t.rows, 0)} rows`);
    } finally {
      await source.stop();
    }
    // verifyLocally reads the dump from the app's data folder.
    const store = new LocalBackupStore(data);
    await store.ensureDir('bench');
    const { copyFile } = await import('node:fs/promises');
    await copyFile(dumpFile, store.dumpPath('bench', manifest.id));
    const bare = await startScratchCluster({ binDir, user: USER });
    const bareMs: number[] = [];
    const proveMs: number[] = [];
    const proveRestoreMs: number[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const pair = [
          async () => {
            await check(bare, 'createdb', [`r${i}`]);
            const t = performance.now();
            await check(bare, 'pg_restore', ['--exit-on-error', '-d', `r${i}`], { stdinFile: dumpFile });
            bareMs.push(performance.now() - t);
          },
          async () => {
            const t = performance.now();
            const v = await verifyLocally({ profile: { id: 'bench' } }, { store, now: () => new Date() }, manifest, () => undefined);
            proveMs.push(performance.now() - t);
            proveRestoreMs.push(v.restoreMs);
            if (v.outcome !== 'proven') throw new Error(`not proven: ${JSON.stringify(v.mismatches)}`);
          },
        ];
        for (const run of i % 2 === 0 ? pair : [...pair].reverse()) await run();
      }
    } finally {
      await bare.stop();
      await rm(data, { recursive: true, force: true });
    }
    log(`bare pg_restore (running cluster): ${bareMs.map((m) => m.toFixed(0)).join(', ')} ms → median ${median(bareMs).toFixed(0)} ms`);
    log(`verification, whole (scratch cluster up, restore, count, compare, down): ${proveMs.map((m) => m.toFixed(0)).join(', ')} ms → median ${median(proveMs).toFixed(0)} ms`);
    log(`  of which the restore: median ${median(proveRestoreMs).toFixed(0)} ms`);
    return { value: median(proveMs) / median(bareMs), decimals: 2 };
  },
};

export default bench;
