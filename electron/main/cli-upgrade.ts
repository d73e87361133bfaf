import { phase4DetailParams } from '../shared/phase4-text';
import type { Command } from 'commander';
import type { TFunction } from 'i18next';
import type { EventName, EventPayload, Language, MethodName } from '../shared/contract';
import type { BackupFinished, BackupList } from '../shared/contract-backup';
import { envKeySchema, versionRefSchema, type UpgradePlan, type UpgradeRun, type UpgradeTarget } from '../shared/contract-upgrade';
import { formatNumber } from '../shared/i18n/format';

// `backup <profile> [--verify server|local]` and `upgrade <profile> --to-phase 2 [--yes]`: the same
// services as the app. The upgrade target is built from the options in one place (upgradeTarget), so
// `--version REF` (the program's options are positional, cli.ts, so its own -V, --version does not take it) and `--to-phase 2|3|4`.

export interface CliContext {
  program: Command;
  t: TFunction;
  language: Language;
  out: (s: string) => void;
  err: (s: string) => void;
  call: (method: MethodName, input: unknown) => Promise<unknown>;
  loadSecrets: (profileId: string, opts: { key?: string; envFile?: string }) => Promise<boolean>;
  listen: (l: (event: EventName, payload: unknown) => void) => () => void;
  fail: (code: number) => void;
}

interface UpgradeOpts {
  key?: string;
  envFile?: string;
  toPhase?: string;
  yes?: boolean;
  upgradeDisk?: boolean;
  snapshot?: boolean;
  verify?: 'server' | 'local';
  offer?: string;
  confirmPrice?: string;
  fresh?: boolean;
  json?: boolean;
  cluster?: string;
  ingress?: string;
  clusterDb?: string;
  confirm?: string[];
  rollback?: boolean;
  done?: string;
  undone?: string;
  version?: string;
  set?: string[];
  restoreDatabase?: boolean;
}

/** `postgresql://user@host:port/database` (the password comes from KOPROGO_CLUSTER_DB_PASSWORD, never the command line). */
export function parseClusterDb(url: string): { host: string; port: number; user: string; database: string } | null {
  const m = /^postgres(?:ql)?:\/\/([A-Za-z0-9_]+)@([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/([A-Za-z0-9_]+)$/.exec(url.trim());
  if (!m) return null;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { user: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port, database: m[4]! } : null;
}

/** `--set KEY=VALUE` (repeatable): the values of the keys the new version's env example adds. */
export function envValues(pairs: readonly string[] = []): { env: Record<string, string> } | { error: string; key: string } {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    const key = i > 0 ? p.slice(0, i) : p;
    if (i <= 0 || !envKeySchema.safeParse(key).success) return { error: 'cli.upgradeBadSet', key: key.slice(0, 100) };
    env[key] = p.slice(i + 1);
  }
  return { env };
}

/** The upgrade the options ask for, or the reason they do not name one this version can do. */
export function upgradeTarget(opts: Pick<UpgradeOpts, 'toPhase' | 'version'>): { target: UpgradeTarget } | { error: string } {
  if (opts.version !== undefined && opts.toPhase !== undefined) return { error: 'cli.upgradeOneTarget' };
  if (opts.version !== undefined) return versionRefSchema.safeParse(opts.version).success ? { target: { kind: 'version', ref: opts.version } } : { error: 'cli.upgradeBadRef' };
  if (opts.toPhase === undefined) return { error: 'cli.upgradeNeedsTarget' };
  if (opts.toPhase === '2') return { target: { kind: 'phase', toPhase: 2 } };
  if (opts.toPhase === '3') return { target: { kind: 'phase', toPhase: 3 } };
  if (opts.toPhase === '4') return { target: { kind: 'phase', toPhase: 4 } };
  return { error: 'cli.upgradeNotYet' };
}

function bytes(language: Language, n: number): string {
  return n >= 1e9 ? `${formatNumber(language, n / 1e9, 1)} GB` : `${formatNumber(language, n / 1e6, 1)} MB`;
}

export function registerUpgradeCommands(ctx: CliContext): void {
  const { program, t, out, err, call, language } = ctx;

  program
    .command('backup')
    .description(t('cli.backup'))
    .argument('<profile>', t('cli.profileArg'))
    .option('--key <path>', t('cli.keyOption'))
    .option('--verify [where]', t('cli.verifyOption'))
    .option('--json', t('cli.json'))
    .action(async (profileId: string, opts: { key?: string; verify?: string | boolean; json?: boolean }) => {
      if (!(await ctx.loadSecrets(profileId, opts))) return;
      const verify = opts.verify === undefined || opts.verify === false ? 'none' : opts.verify === true ? 'server' : opts.verify;
      if (verify !== 'none' && verify !== 'server' && verify !== 'local') {
        err(`${t('cli.error')}: ${t('cli.verifyWhere', { value: String(verify) })}\n`);
        return ctx.fail(2);
      }
      const finished = new Promise<BackupFinished>((resolve) => {
        const off = ctx.listen((event, payload) => {
          if (opts.json) out(`${JSON.stringify({ event, payload })}\n`);
          else if (event === 'backup.progress') {
            const p = payload as EventPayload<'backup.progress'>;
            if (p.stage !== 'download' || p.bytes === p.totalBytes || p.bytes === 0) out(`[${t(`backup.stages.${p.stage}`)}]${p.bytes !== null && p.totalBytes ? ` ${bytes(language, p.bytes)} / ${bytes(language, p.totalBytes)}` : ''}\n`);
          }
          if (event === 'backup.finished') {
            off();
            resolve(payload as BackupFinished);
          }
        });
      });
      if (!(await call('backup.create', { profileId, verify }))) return;
      const f = await finished;
      if (f.outcome !== 'succeeded') {
        if (f.error) err(`${t('cli.error')}: ${t(`errors.${f.error.code}.message`, f.error.params)}\n${t('cli.remedy')}: ${t(`remedies.${f.error.remedy}`, f.error.params)}\n`);
        return ctx.fail(3);
      }
      if (opts.json) return;
      const list = (await call('backup.list', { profileId })) as BackupList | undefined;
      const b = list?.backups.find((x) => x.id === f.backupId);
      out(`${t('cli.backupDone', { id: f.backupId ?? '', size: b ? bytes(language, b.sizeBytes) : '?', dir: list?.localDir ?? '' })}\n`);
      const v = b?.verification;
      if (v) out(`${t(`backup.proof.${v.outcome}`, { tables: formatNumber(language, v.tables), rows: formatNumber(language, v.rows), where: t(`backup.where.${v.where}`) })}\n`);
    });

  program
    .command('upgrade')
    .description(t('cli.upgrade'))
    .argument('<profile>', t('cli.profileArg'))
    .option('--to-phase <n>', t('cli.toPhaseOption'))
    .option('--version <ref>', t('cli.versionOption'))
    .option('--set <KEY=VALUE>', t('cli.setOption'), (v: string, all: string[] = []) => [...all, v])
    .option('--restore-database', t('cli.restoreDatabaseOption'))
    .option('--yes', t('cli.yesOption'))
    .option('--upgrade-disk', t('cli.upgradeDiskOption'))
    .option('--no-snapshot', t('cli.noSnapshotOption'))
    .option('--verify <where>', t('cli.upgradeVerifyOption'))
    .option('--offer <id>', t('cli.offerOption'))
    .option('--confirm-price <amount>', t('cli.confirmPriceOption'))
    .option('--fresh', t('cli.freshOption'))
    .option('--key <path>', t('cli.keyOption'))
    .option('--env-file <path>', t('cli.envOption'))
    .option('--json', t('cli.json'))
    .option('--cluster <profile>', t('cli.clusterOption'))
    .option('--ingress <address>', t('cli.ingressOption'))
    .option('--cluster-db <url>', t('cli.clusterDbOption'))
    .option('--confirm <what...>', t('cli.confirmOption'))
    .option('--rollback', t('cli.rollbackOption'))
    .option('--done <item>', t('cli.doneOption'))
    .option('--undone <item>', t('cli.undoneOption'))
    .action(async (profileId: string, opts: UpgradeOpts) => {
      if (opts.rollback) {
        if (!(await ctx.loadSecrets(profileId, opts))) return;
        const r = (await call('upgrade.rollback', { profileId })) as { records: { name: string; type: string; from: string[]; to: string }[]; propagated: boolean } | undefined;
        if (!r) return;
        if (opts.json) return out(`${JSON.stringify(r, null, 2)}\n`);
        out(`${t('cli.rollbackDone')}\n`);
        for (const c of r.records) out(`  ${c.name} ${c.type} ${c.from.join(', ')} → ${c.to}\n`);
        return out(`${t(r.propagated ? 'cli.rollbackPropagated' : 'cli.rollbackNotYet')}\n`);
      }
      if (opts.done || opts.undone) {
        const r = (await call('upgrade.phase4Confirm', { profileId, item: opts.done ?? opts.undone, done: !!opts.done })) as { items: NonNullable<UpgradePlan['checklist']> } | undefined;
        if (!r) return;
        if (opts.json) return out(`${JSON.stringify(r, null, 2)}\n`);
        return out(describeChecklist(r.items, t));
      }
      const wanted = upgradeTarget(opts);
      if ('error' in wanted) {
        err(`${t('cli.error')}: ${t(wanted.error, { phase: opts.toPhase ?? '', ref: opts.version ?? '' })}\n`);
        return ctx.fail(2);
      }
      const values = envValues(opts.set);
      if ('error' in values) {
        err(`${t('cli.error')}: ${t(values.error, { key: values.key })}\n`);
        return ctx.fail(2);
      }
      if (!(await ctx.loadSecrets(profileId, opts))) return;
      if (opts.clusterDb) {
        const db = parseClusterDb(opts.clusterDb);
        const password = process.env.KOPROGO_CLUSTER_DB_PASSWORD;
        if (!db || !opts.cluster || !password) {
          err(`${t('cli.error')}: ${t('cli.clusterDbInvalid')}\n`);
          return ctx.fail(2);
        }
        if (!(await call('upgrade.setClusterDatabase', { profileId, clusterProfileId: opts.cluster, ...db, password }))) return;
      }
      // The CLI has no keychain: a Hetzner token comes from HCLOUD_TOKEN (the variable Hetzner's own CLI reads).
      if (process.env.HCLOUD_TOKEN && !(await call('provider.saveCredentials', { kind: 'hetzner', token: process.env.HCLOUD_TOKEN }))) return;
      const options = { ...(opts.upgradeDisk ? { upgradeDisk: true } : {}), ...(opts.snapshot === false ? { snapshot: false } : {}), ...(opts.verify ? { verify: opts.verify } : {}), ...(opts.offer ? { offerId: opts.offer } : {}), ...(opts.cluster ? { clusterProfileId: opts.cluster } : {}), ...(opts.ingress ? { ingress: opts.ingress } : {}), ...(opts.set?.length ? { env: values.env } : {}), ...(opts.restoreDatabase ? { restoreDatabase: true } : {}) };
      const plan = (await call('upgrade.plan', { profileId, target: wanted.target, options })) as UpgradePlan | undefined;
      if (!plan) return;
      if (opts.json && !opts.yes) return out(`${JSON.stringify(plan, null, 2)}\n`);
      if (!opts.json) out(describePlan(plan, t, language));
      if (!opts.yes) return out(`\n${t('cli.upgradeNeedsYes')}\n`);
      const finished = new Promise<UpgradeRun>((resolve) => {
        const off = ctx.listen((event, payload) => {
          if (opts.json) out(`${JSON.stringify({ event, payload })}\n`);
          else if (event === 'upgrade.step') {
            const p = payload as EventPayload<'upgrade.step'>;
            if (p.state !== 'checking') out(`[${t(`deploy.state.${p.state}`, { defaultValue: p.state })}] ${t(`${stepTitles(plan)}.${p.stepId}`, plan.steps.find((x) => x.id === p.stepId)?.titleParams)}\n`);
          } else if (event === 'upgrade.log') out(`    ${(payload as EventPayload<'upgrade.log'>).line}\n`);
          if (event === 'upgrade.finished') {
            off();
            resolve((payload as EventPayload<'upgrade.finished'>).run);
          }
        });
      });
      const confirmPrice = opts.confirmPrice === undefined ? undefined : Number(opts.confirmPrice);
      if (!(await call('upgrade.start', { profileId, target: wanted.target, options, planHash: plan.planHash, ...(confirmPrice !== undefined ? { confirmPrice } : {}), ...(opts.fresh ? { fresh: true } : {}), ...(opts.confirm?.length ? { confirm: opts.confirm } : {}) }))) return;
      const run = await finished;
      if (run.outcome !== 'succeeded') {
        if (run.waitingFor) {
          out(`${t(`cli.upgradeWaiting.${run.waitingFor}`, run.error?.params ?? {})}\n`);
          return ctx.fail(4);
        }
        if (run.rollback) out(describeRollback(run, t));
        if (run.error) err(`${t('cli.error')}: ${t(`errors.${run.error.code}.message`, run.error.params)}\n${t('cli.remedy')}: ${t(`remedies.${run.error.remedy}`, run.error.params)}\n`);
        return ctx.fail(3);
      }
      if (!opts.json && run.ref) return out(`${t('cli.upgradeVersionDone', { ref: run.ref, downtime: run.downtimeMs === null ? '—' : `${formatNumber(language, run.downtimeMs / 1000, 0)} s` })}\n`);
      if (!opts.json) out(`${t('cli.upgradeDone', { phase: run.toPhase, downtime: run.downtimeMs === null ? '—' : `${formatNumber(language, run.downtimeMs / 1000, 0)} s` })}\n`);
    });
}

/** Where the step titles of a plan are (a version update's own wording for the shared steps). */
export function stepTitles(plan: Pick<UpgradePlan, 'kind'>): string {
  return plan.kind === 'version' ? 'upgrade.versionStepTitles' : 'upgrade.stepTitles';
}

/** A version update that did not become healthy: rolled back (or not), and the failing services' last log lines. */
export function describeRollback(run: UpgradeRun, t: TFunction): string {
  const r = run.rollback;
  if (!r) return '';
  const lines = [t(`upgrade.version.rollback.${r.state === 'rolled-back' ? 'done' : 'failed'}`, { ref: run.ref ?? '', services: r.services || '—' })];
  if (r.databaseRestored) lines.push(t('upgrade.version.rollback.database'));
  for (const l of r.logs) lines.push(`== ${l.service}`, ...l.lines.map((x) => `   ${x}`));
  return `${lines.join('\n')}\n`;
}

/** The version update's part of the plan: the refs, the env example's new keys (with whether each has a value) and removed ones. */
function describeVersion(plan: UpgradePlan, t: TFunction): string[] {
  const v = plan.version;
  if (!v) return [];
  return [
    t('upgrade.version.fromTo', { from: v.from.ref, to: v.to.ref, commit: v.to.commit.slice(0, 12) }),
    ...(v.added.length ? [t('upgrade.version.added', { file: v.envExample ?? '.env' }), ...v.added.map((a) => `  + ${a.key}${a.missing ? ` (${t('upgrade.version.needsValue')})` : ''}`)] : []),
    ...(v.removed.length ? [t('upgrade.version.removed', { file: v.envExample ?? '.env' }), ...v.removed.map((k) => `  - ${k}`)] : []),
    ...(v.restoreDatabase ? [t('upgrade.version.restoreDatabase')] : []),
  ];
}

/** The plan as the upgrade screen shows it: offers, cost, downtime, warnings, each step with its calls and commands. */
export function describePlan(plan: UpgradePlan, t: TFunction, language: Language): string {
  const euros = (n: number | undefined, currency = 'EUR') => (n === undefined ? '—' : `${formatNumber(language, n, 2)} ${currency}`);
  const lines = [
    ...(plan.version ? describeVersion(plan, t) : [t(`upgrade.routes.${plan.route}`)]),
    ...(plan.current ? [`${t('upgrade.offer.now')}: ${plan.current.name} (${plan.current.vcpu} vCPU, ${plan.current.ramGb} GB, ${plan.current.diskGb} GB) — ${euros(plan.current.priceMonthly.net, plan.current.priceMonthly.currency)}`] : []),
    ...(plan.target ? [`${t('upgrade.offer.after')}: ${plan.target.name} (${plan.target.vcpu} vCPU, ${plan.target.ramGb} GB, ${plan.disk.keptGb ?? plan.target.diskGb} GB) — ${euros(plan.target.priceMonthly.net, plan.target.priceMonthly.currency)}`] : []),
    `${t('upgrade.cost.title')}: ${plan.cost.deltaMonthly === null ? '—' : euros(plan.cost.deltaMonthly, plan.cost.currency)}`,
    `${t('upgrade.downtime.title')}: ${t('upgrade.downtime.range', { min: Math.max(1, Math.round(plan.downtime.minSec / 60)), max: Math.round(plan.downtime.maxSec / 60) })}`,
    ...(plan.order ? [t('upgrade.order.price', { price: euros(plan.order.priceNet, plan.order.currency), gross: euros(plan.order.priceGross ?? undefined, plan.order.currency), plan: plan.order.planCode })] : []),
    ...plan.warnings.map((w) => `! ${t(w.code, w.params)}`),
    ...migrationLines(plan, t),
    '',
  ];
  if (plan.checklist) return `${lines.join('\n')}${describeChecklist(plan.checklist, t)}`;
  plan.steps.forEach((s, i) => {
    lines.push(`${i + 1}. ${t(`${stepTitles(plan)}.${s.id}`, s.titleParams)}${s.downtime ? ` (${t('upgrade.steps.down')})` : ''}`);
    for (const a of s.api) lines.push(`     ${a.method} ${a.path}${a.body ? ` ${a.body}` : ''}`);
    for (const r of s.remote) for (const a of r.actions) lines.push(...(a.kind === 'run' ? a.script : `# ${a.path}\n${a.content}`).trimEnd().split('\n').map((l) => `     ${l}`));
  });
  return `${lines.join('\n')}\n`;
}

/** Phase 2 → 3: the cluster, the records now (with their TTL), the change, the resolvers, the way back. */
function migrationLines(plan: UpgradePlan, t: TFunction): string[] {
  const m = plan.migration;
  if (!m) return [];
  return [
    `${t('upgrade.migration.cluster')}: ${m.cluster.profileId} (${m.cluster.environment ?? '—'}, ${m.cluster.deployedAt ?? t('upgrade.migration.notDeployed')})`,
    `${t('upgrade.migration.database')}: ${m.database ? `${m.database.user}@${m.database.host}:${m.database.port}/${m.database.database}` : '—'}`,
    `${t('upgrade.migration.records')} (${m.dns.domain ?? '—'}):`,
    ...m.dns.current.map((r) => `    ${r.type} ${r.value} TTL ${r.ttl}`),
    `${t('upgrade.migration.changes')}:`,
    ...m.dns.changes.map((c) => `    ${c.name} ${c.type} ${c.from.join(', ') || '—'} → ${c.to}`),
    `${t('upgrade.migration.resolvers')}: ${m.dns.resolvers.join(', ')}`,
    `${t('upgrade.migration.rollback')}: ${m.rollback.host} (${m.rollback.addresses.join(', ')})`,
  ];
}

/** Phase 3 → 4: each item, its state, who checked it, its commands. */
export function describeChecklist(items: NonNullable<UpgradePlan['checklist']>, t: TFunction): string {
  const lines: string[] = [];
  items.forEach((i, n) => {
    lines.push(`${n + 1}. [${t(`upgrade.phase4.state.${i.state}`)}] ${t(`upgrade.stepTitles.${i.id}`)} — ${t(i.detail.code, phase4DetailParams(i.detail, (k) => t(k)))}${i.confirmedAt ? ` (${t('upgrade.phase4.confirmedAt', { at: i.confirmedAt })})` : ''}`);
    for (const c of i.commands) lines.push(`     ${c}`);
  });
  return `${lines.join('\n')}\n`;
}
