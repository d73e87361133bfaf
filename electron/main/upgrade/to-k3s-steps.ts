import type { Migration, UpgradeConfirmation, UpgradeStepId } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';
import type { LocalBackupStore } from '../backup/local-store';
import { compareStats, totals, type Manifest } from '../backup/manifest';
import { findLocalPostgres } from '../backup/scratch-cluster';
import type { Session } from '../backup/session';
import { composeCommand } from '../engine/steps/compose';
import { checkoutDir } from '../engine/steps/shell';
import type { ComposeDeploySettings } from '../engine/types';
import type { ClusterState } from '../health/k3s';
import { shJoin, shQuote } from '../ssh/quote';
import { clusterTableStats, pingClusterDatabase, restoreIntoCluster, type ClusterDatabase } from './cluster-db';
import { encodeViews, propagation, readRecords, SWITCH_TTL, waitForPropagation } from './dns-switch';
import type { StepIo } from './step-io';

// The steps of phase 2 → 3 that are not the 1 → 2 ones (the runner calls them by id): the cluster checked,
// the TTL advice, the server's database read-only (the application keeps answering reads: the old server
// stays up), the restore into the cluster's PostgreSQL with the figures compared, the cluster's health (the
// end of the downtime), the DNS propagation on several resolvers, and the user's confirmation before the
// deployment is recorded as phase 3. A step that needs the user stops the run with `upgrade.confirm_needed`;
// the run resumes there with the confirmation.

export interface ToK3sDeps {
  /** The cluster profile's kubeconfig (saved by its K3s run), null when there is none. */
  kubeconfig: () => Promise<string | null>;
  /** The cluster database's password (secret store), null when not given. */
  password: () => Promise<string | null>;
  confirmed: ReadonlySet<UpgradeConfirmation>;
  store: LocalBackupStore;
  manifest: (backupId: string) => Promise<Manifest>;
  readCluster: (kubeconfig: string) => Promise<ClusterState>;
  /** Where the records are read (default the system's resolver). */
  dnsServers?: string[];
  propagation: { timeoutMs: number; pollMs: number };
  clusterWait: { attempts: number; delayMs: number };
  /** PostgreSQL client programs (default: this computer's, of the dump's major version or newer). */
  binDir?: string;
}

export interface ToK3sContext {
  s: Session;
  migration: Migration;
  io: StepIo;
  backupId: string | null;
  deps: ToK3sDeps;
  signal?: AbortSignal;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The server's database made read-only (`on`) or writable again (`off`) for new sessions, the open ones ended so
 * the application reconnects under the new rule; prints `read-only on|off` as a fresh session sees it.
 */
export function freezeScript(settings: ComposeDeploySettings, state: 'on' | 'off'): string {
  const pg = settings.postgres;
  if (!pg) throw new Error('the deployment names no PostgreSQL service');
  const psql = `${composeCommand(settings)} exec -T ${shQuote(pg.service)} ${shJoin(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-U', pg.user, '-d', pg.database])}`;
  const alter = state === 'on' ? `ALTER DATABASE ${ident(pg.database)} SET default_transaction_read_only = on` : `ALTER DATABASE ${ident(pg.database)} RESET default_transaction_read_only`;
  return [
    'set -eu',
    `cd ${shQuote(checkoutDir(settings))}`,
    `${psql} ${shJoin(['-c', 'SET default_transaction_read_only = off', '-c', alter, '-c', 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'])} > /dev/null`,
    `state=$(${psql} -c 'SHOW default_transaction_read_only')`,
    'echo "read-only $state"',
  ].join('\n');
}

/** Runs the freeze (or thaw) on the server and checks what a new session sees. */
export async function setReadOnly(s: Session, state: 'on' | 'off', signal?: AbortSignal): Promise<void> {
  const r = await s.root(freezeScript(s.settings, state), { timeoutMs: 120_000, signal });
  if (r.code !== 0 || !r.stdout.includes(`read-only ${state}`)) throw new AppError('upgrade.freeze_failed', { state, detail: (r.stderr || r.stdout).trim().split('\n').pop()?.slice(0, 200) ?? '' });
}

async function clusterDb(ctx: ToK3sContext): Promise<ClusterDatabase> {
  const db = ctx.migration.database;
  const password = db ? await ctx.deps.password() : null;
  if (!db || !password) throw new AppError('upgrade.cluster_db_missing', { profile: ctx.migration.cluster.profileId });
  return { ...db, password };
}

async function binDir(ctx: ToK3sContext, major: number): Promise<string> {
  if (ctx.deps.binDir) return ctx.deps.binDir;
  for (let m = major; m <= major + 4; m++) {
    const dir = await findLocalPostgres(m);
    if (dir) return dir;
  }
  throw new AppError('backup.local_postgres_missing', { major });
}

/** Nodes all Ready and the application's pods running: the cluster answers. */
async function clusterAnswers(ctx: ToK3sContext, requirePods: boolean): Promise<{ nodes: number; pods: number }> {
  const yaml = await ctx.deps.kubeconfig();
  if (!yaml) throw new AppError('upgrade.cluster_not_deployed', { profile: ctx.migration.cluster.profileId });
  let last: AppError | null = null;
  for (let i = 0; i < Math.max(1, ctx.deps.clusterWait.attempts); i++) {
    if (ctx.signal?.aborted) throw new AppError('deploy.cancelled');
    if (i > 0) await new Promise((r) => setTimeout(r, ctx.deps.clusterWait.delayMs));
    try {
      const state = await ctx.deps.readCluster(yaml);
      const notReady = state.nodes.filter((n) => !n.ready).map((n) => n.name);
      const app = state.pods.filter((p) => !['kube-system', 'kube-public', 'kube-node-lease'].includes(p.namespace) && p.phase !== 'Succeeded');
      const down = app.filter((p) => p.phase !== 'Running' || !p.ready);
      if (state.nodes.length === 0 || notReady.length > 0) last = new AppError('upgrade.cluster_unhealthy', { what: 'nodes', names: notReady.join(', ').slice(0, 200) || '—' });
      else if (requirePods && (app.length === 0 || down.length > 0)) last = new AppError('upgrade.cluster_unhealthy', { what: 'pods', names: down.map((p) => `${p.namespace}/${p.name}${p.reason ? ` (${p.reason})` : ''}`).join(', ').slice(0, 200) || '—' });
      else return { nodes: state.nodes.length, pods: app.length };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      last = error;
    }
  }
  throw last ?? new AppError('upgrade.cluster_unhealthy', { what: 'nodes', names: '—' });
}

/** One phase 2 → 3 step; the others (preflight, backup, record) are the runner's own. */
export async function runToK3sStep(id: UpgradeStepId, ctx: ToK3sContext): Promise<'done' | 'skipped'> {
  const { io, migration: m, deps } = ctx;
  switch (id) {
    case 'cluster': {
      if (!m.cluster.deployedAt) throw new AppError('upgrade.cluster_not_deployed', { profile: m.cluster.profileId });
      const seen = await clusterAnswers(ctx, false);
      io.log(`cluster ${m.cluster.profileId}: ${seen.nodes} node(s) ready`);
      await pingClusterDatabase(await binDir(ctx, 15), await clusterDb(ctx), ctx.signal);
      return 'done';
    }
    case 'dns-ttl': {
      if (!m.dns.domain) return 'skipped';
      const records = await readRecords(m.dns.domain, deps.dnsServers);
      const ttl = records.length ? Math.max(...records.map((r) => r.ttl)) : 0;
      await io.save({ ttl });
      if (ttl <= SWITCH_TTL || io.data.confirmed === true) return 'done';
      if (deps.confirmed.has('ttl')) {
        await io.save({ confirmed: true });
        return 'done';
      }
      throw new AppError('upgrade.confirm_needed', { what: 'ttl', domain: m.dns.domain, ttl, advised: SWITCH_TTL });
    }
    case 'freeze': {
      if (!ctx.s.settings.postgres) throw new AppError('backup.no_database', {});
      io.progress('upgrade.progress.freeze', {}, null);
      await setReadOnly(ctx.s, 'on', ctx.signal);
      return 'done';
    }
    case 'cluster-restore': {
      if (!ctx.backupId) throw new AppError('backup.not_found', { backup: '' });
      const manifest = await deps.manifest(ctx.backupId);
      const db = await clusterDb(ctx);
      const bin = await binDir(ctx, Math.floor(manifest.serverVersion / 10_000));
      io.progress('upgrade.progress.clusterRestore', { database: db.database }, null);
      await restoreIntoCluster(bin, db, deps.store.dumpPath(ctx.s.profile.id, manifest.id), ctx.signal);
      io.progress('upgrade.progress.clusterCompare', {}, null);
      const restored = await clusterTableStats(bin, db, ctx.signal);
      const mismatches = compareStats(manifest.tables, restored);
      const t = totals(restored);
      await io.save({ tables: t.tables, rows: t.rows, mismatches: mismatches.length });
      if (mismatches.length > 0) {
        const first = mismatches[0]!;
        throw new AppError('upgrade.cluster_counts_mismatch', { count: mismatches.length, table: first.table, expected: first.expectedRows ?? '—', actual: first.actualRows ?? '—' });
      }
      io.log(`${t.tables} tables, ${t.rows} rows in the cluster's database, as in the backup`);
      return 'done';
    }
    case 'cluster-health': {
      const seen = await clusterAnswers(ctx, true);
      io.log(`cluster answers: ${seen.nodes} node(s) ready, ${seen.pods} application pod(s) running`);
      return 'done';
    }
    case 'dns-switch': {
      if (!m.dns.domain || m.dns.changes.length === 0) return 'skipped';
      const expected = m.dns.changes.map((c) => c.to);
      io.progress('upgrade.progress.dnsSwitch', { domain: m.dns.domain, to: expected.join(', ') }, null);
      await waitForPropagation(m.dns.domain, expected, m.dns.resolvers, {
        ...deps.propagation,
        signal: ctx.signal,
        onCheck: async (views) => {
          await io.save({ views: encodeViews(views) });
          io.progress('upgrade.progress.dnsPropagation', { done: views.filter((v) => v.switched).length, total: views.length }, Math.round((100 * views.filter((v) => v.switched).length) / Math.max(1, views.length)));
        },
      });
      return 'done';
    }
    case 'cutover': {
      if (io.data.confirmed === true) return 'done';
      if (deps.confirmed.has('cutover')) {
        await io.save({ confirmed: true, at: Date.now() });
        return 'done';
      }
      throw new AppError('upgrade.confirm_needed', { what: 'cutover', domain: m.dns.domain ?? '' });
    }
    default:
      throw new AppError('internal.unexpected', { method: `upgrade.${id}` });
  }
}

/** After a rollback: what each resolver says now for the server's own addresses. */
export async function rollbackPropagated(m: Migration): Promise<boolean> {
  if (!m.dns.domain || m.rollback.addresses.length === 0) return true;
  const views = await propagation(m.dns.domain, m.rollback.addresses, m.dns.resolvers);
  return views.every((v) => v.switched);
}
