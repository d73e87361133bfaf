import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import i18next from 'i18next';
import type { EventName, EventPayload, Language, MethodName } from '../shared/contract';
import type { PlanEntry } from '../shared/deploy';
import type { Envelope } from '../shared/errors';
import type { HealthCurrent } from '../shared/contract-health';
import { formatEuros, formatNumber, intlLocale, pickLanguage, resources } from '../shared/i18n';
import type { PHASES } from '../shared/phases';
import { COMPARISON_ROWS } from '../shared/phases';
import { defaultDataDir, envLanguages, PRODUCT_NAME } from './data-dir';
import { AppError } from '../shared/errors';
import { GitHubClient } from './github/client';
import { parseRepoUrl } from './github/repo-url';
import { dispatch } from './ipc/dispatcher';
import { detectRecipe, githubSource, localFolderSource, type Recipe } from './recipe/detect';
import { createHandlers } from './services/handlers';
import { endpointsFromEnv } from './services/endpoints';
import { registerUpgradeCommands } from './cli-upgrade';
import { providerEndpointsFromEnv } from './services/provider-service';

// `npm run cli -- <command>`: the same services through the same dispatcher, for scripts and CI.
// Commands: phases, recommend, plan, deploy, status, detect, profiles.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
export async function runCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const language = pickLanguage(envLanguages());
  await i18next.init({ resources, lng: language, fallbackLng: 'en', interpolation: { escapeValue: false }, showSupportNotice: false });
  const t = i18next.t.bind(i18next);
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const handlers = createHandlers({
    dataDir: defaultDataDir(),
    appName: PRODUCT_NAME,
    appVersion: pkg.version,
    frontDoor: 'cli',
    ...endpointsFromEnv(process.env),
    providers: providerEndpointsFromEnv(process.env),
    systemLanguages: () => envLanguages(),
    openExternal: null,
    emit: (event, payload) => {
      for (const l of listeners) l(event, payload);
    },
  });
  let exitCode = 0;

  /** Calls the contract; prints a translated error (message and remedy) and sets the exit code on failure. */
  const call = async (method: MethodName, input: unknown): Promise<unknown> => {
    const envelope: Envelope<unknown> = await dispatch(handlers, method, input);
    if (envelope.ok) return envelope.value;
    const e = envelope.error;
    err(`${t('cli.error')}: ${t(`errors.${e.code}.message`, e.params)}\n`);
    for (const f of e.fields ?? []) err(`  - ${f.path}: ${t(`validation.${f.issue}`, { ...f.params, defaultValue: t('validation.invalid') })}\n`);
    err(`${t('cli.remedy')}: ${t(`remedies.${e.remedy}`, e.params)}\n`);
    exitCode = 2;
    return undefined;
  };

  const program = new Command()
    .name('koprogo-deploy')
    .description(t('cli.description'))
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('phases')
    .description(t('cli.phases'))
    .option('--json', t('cli.json'))
    .action(async (opts: { json?: boolean }) => {
      const phases = (await call('phases.list', {})) as typeof PHASES | undefined;
      if (!phases) return;
      if (opts.json) return out(`${JSON.stringify(phases, null, 2)}\n`);
      for (const p of phases) {
        out(`${t(`phase.names.${p.id}`)}\n`);
        for (const row of COMPARISON_ROWS) out(`  ${t(`phase.rows.${row}`)}: ${cliCell(row, p, language)}\n`);
      }
    });

  program
    .command('recommend')
    .description(t('cli.recommend'))
    .requiredOption('--copros <n>', t('recommender.copros'), toNumber)
    .requiredOption('--lots <n>', t('recommender.lots'), toNumber)
    .option('--json', t('cli.json'))
    .action(async (opts: { copros: number; lots: number; json?: boolean }) => {
      const result = (await call('phases.recommend', { copros: opts.copros, lotsPerCopro: opts.lots })) as
        | { recommendation: { phase: number }; economics: { revenueMonthly: number; marginPercent: number | null } }
        | undefined;
      if (!result) return;
      if (opts.json) return out(`${JSON.stringify(result, null, 2)}\n`);
      out(`${t('recommender.recommended', { phase: t(`phase.names.${result.recommendation.phase}`) })}\n`);
      out(`${t('economics.revenue', { copros: opts.copros, price: '' })}: ${formatEuros(language, result.economics.revenueMonthly)}\n`);
    });

  /**
   * The CLI has no OS keychain: the SSH key and the .env come from files named on the command line,
   * read once into this process's memory (never printed, never written elsewhere).
   */
  const loadSecrets = async (profileId: string, opts: { key?: string; envFile?: string }): Promise<boolean> => {
    if (opts.key && !(await call('server.importKey', { profileId, path: resolve(opts.key) }))) return false;
    if (opts.envFile) {
      let content: string;
      try {
        content = readFileSync(resolve(opts.envFile), 'utf8');
      } catch {
        err(`${t('cli.error')}: ${t('errors.deploy.key_file_unreadable.message', { path: opts.envFile })}\n`);
        exitCode = 2;
        return false;
      }
      if (!(await call('deploy.setEnv', { profileId, content }))) return false;
    }
    return true;
  };

  /** A command about one profile, taking its SSH key and .env from files. */
  const profileCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .argument('<profile>', t('cli.profileArg'))
      .option('--key <path>', t('cli.keyOption'))
      .option('--env-file <path>', t('cli.envOption'))
      .option('--json', t('cli.json'));

  profileCommand('plan', t('cli.plan')).action(async (profileId: string, opts: { key?: string; envFile?: string; json?: boolean }) => {
      if (!(await loadSecrets(profileId, opts))) return;
      const plan = (await call('deploy.plan', { profileId })) as { entries: PlanEntry[] } | undefined;
      if (!plan) return;
      if (opts.json) return out(`${JSON.stringify(plan.entries, null, 2)}\n`);
      plan.entries.forEach((entry, i) => {
        out(`\n${i + 1}. ${t(`deploy.steps.${entry.stepId}`, { defaultValue: entry.stepId, ...entry.titleParams })}\n`);
        if (entry.check) out(`   ${t('cli.planCheck')}:\n${indent(entry.check, 6)}\n`);
        for (const a of entry.actions) {
          if (a.kind === 'run') out(`   ${t('cli.planRun', { as: a.as })}${a.detached ? ` (${t('cli.planDetached')})` : ''}:\n${indent(a.script, 6)}\n`);
          else out(`   ${t('cli.planFile', { path: a.path, mode: a.mode, owner: a.owner })}:\n${indent(a.content, 6)}\n`);
        }
      });
    });

  profileCommand('deploy', t('cli.deploy'))
    .option('--fresh', t('cli.freshOption'))
    .action(async (profileId: string, opts: { key?: string; envFile?: string; fresh?: boolean; json?: boolean }) => {
      if (!(await loadSecrets(profileId, opts))) return;
      const finished = new Promise<EventPayload<'deploy.finished'>>((resolveFinished) => {
        listeners.add((event, payload) => {
          if (opts.json) out(`${JSON.stringify({ event, payload })}\n`);
          else if (event === 'deploy.step') {
            const p = payload as EventPayload<'deploy.step'>;
            if (p.state !== 'checking') out(`[${t(`deploy.state.${p.state}`, { defaultValue: p.state })}] ${t(`deploy.steps.${p.stepId}`, { defaultValue: p.stepId })}\n`);
          } else if (event === 'deploy.log') {
            const p = payload as EventPayload<'deploy.log'>;
            out(`    ${p.line}\n`);
          }
          if (event === 'deploy.finished') resolveFinished(payload as EventPayload<'deploy.finished'>);
        });
      });
      if (!(await call('deploy.start', { profileId, fresh: opts.fresh ?? false }))) return;
      const result = await finished;
      if (result.outcome !== 'succeeded') {
        if (result.error) err(`${t('cli.error')}: ${t(`errors.${result.error.code}.message`, result.error.params)}\n${t('cli.remedy')}: ${t(`remedies.${result.error.remedy}`, result.error.params)}\n`);
        exitCode = 3;
      } else if (!opts.json) out(`${t('cli.deployed')}\n`);
    });

  profileCommand('status', t('health.cli.description')).action(async (profileId: string, opts: { key?: string; envFile?: string; json?: boolean }) => {
    if (!(await loadSecrets(profileId, opts))) return;
    const current = (await call('health.current', { profileId, refresh: true })) as HealthCurrent | undefined;
    await dispatch(handlers, 'health.unwatch', { profileId });
    if (!current) return;
    if (!current.live) exitCode = 3;
    if (opts.json) return out(`${JSON.stringify(current, null, 2)}\n`);
    out(printStatus(current, language, t));
  });

  program
    .command('detect')
    .description(t('cli.detect'))
    .argument('<path-or-url>', t('cli.detectArg'))
    .option('--ref <ref>', t('cli.refOption'))
    .option('--json', t('cli.json'))
    .action(async (source: string, opts: { ref?: string; json?: boolean }) => {
      let recipe: Recipe;
      let requests: number | null = null;
      if (existsSync(source)) {
        recipe = await detectRecipe(localFolderSource(resolve(source)));
      } else {
        const parsed = parseRepoUrl(source);
        if (!parsed.ok) {
          err(`${t('cli.error')}: ${t('cli.detectBadSource', { source, reason: parsed.reason })}\n`);
          exitCode = 2;
          return;
        }
        const client = new GitHubClient({ baseUrl: endpointsFromEnv(process.env).github?.apiBaseUrl ?? parsed.repo.apiBaseUrl, token: process.env.GITHUB_TOKEN });
        const repo = { owner: parsed.repo.owner, name: parsed.repo.name };
        try {
          const ref = opts.ref ?? (await client.defaultRef(repo)).ref;
          recipe = await detectRecipe(githubSource(client, repo, ref));
        } catch (error) {
          const e = error instanceof AppError ? error : new AppError('github.unavailable', {});
          err(`${t('cli.error')}: ${t(`errors.${e.code}.message`, e.params)}\n${t('cli.remedy')}: ${t(`remedies.${e.remedy}`, e.params)}\n`);
          exitCode = 2;
          return;
        }
        requests = client.requestCount;
      }
      if (opts.json) return out(`${JSON.stringify(recipe, null, 2)}\n`);
      out(describeRecipe(recipe, t, requests));
    });

  registerUpgradeCommands({
    program,
    t,
    language,
    out,
    err,
    call,
    loadSecrets,
    listen: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    fail: (code) => {
      exitCode = code;
    },
  });

  const profiles = program.command('profiles').description(t('cli.profiles'));
  profiles
    .command('list')
    .option('--json', t('cli.json'))
    .action(async (opts: { json?: boolean }) => {
      const list = (await call('profiles.list', {})) as { profiles: { id: string; name: string; phase: number }[]; problems: unknown[] } | undefined;
      if (!list) return;
      if (opts.json) return out(`${JSON.stringify(list, null, 2)}\n`);
      for (const p of list.profiles) out(`${p.id}\t${p.name}\t${t(`phase.names.${p.phase}`)}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : 1;
  }
  return exitCode;
}

/** The recipe as the Code step shows it, in the user's language. */
function describeRecipe(r: Recipe, t: (key: string, params?: Record<string, unknown>) => string, requests: number | null): string {
  const none = t('code.recipe.none');
  const lines = [
    `${t('code.recipe.compose')}: ${r.production ? `${r.production.files.join(' + ')}${r.choice ? ` — ${t(r.choice.code, r.choice.params)}` : ''}` : none}`,
    `${t('code.recipe.envExample')}: ${r.envExample ? `${r.envExample.path} ${t('code.recipe.keys', { count: r.envExample.keys.length })}` : none}`,
    `${t('code.recipe.health')}: ${r.health ? `${r.health.path} (${r.health.service}:${r.health.containerPort})` : none}`,
    `${t('code.recipe.database')}: ${r.postgres ? t('code.recipe.postgres', r.postgres) : none}`,
    `${t('code.recipe.k3s')}: ${r.k3s ? t('code.recipe.k3sFound', { script: r.k3s.deployScript ?? '—', environments: r.k3s.environments.join(', ') || '—' }) : none}`,
    ([1, 2, 3, 4] as const).map((p) => `${t('code.recipe.phase', { n: p })} ${r.phases[p] ? '✓' : '✗'}`).join('  '),
    ...r.missing.map((m) => `${t(`code.recipe.severity.${m.severity}`)} ${t(m.code, m.params)}`),
  ];
  if (requests !== null) lines.push(`GitHub API: ${requests}`);
  return `${lines.join('\n')}\n`;
}

/** The human form of `status`: state of the data, each metric against its levels, containers, database, signals. */
function printStatus(c: HealthCurrent, language: Language, t: typeof i18next.t): string {
  const n = (v: number, d = 1) => formatNumber(language, v, d);
  const time = (ms: number) => new Intl.DateTimeFormat(intlLocale(language), { dateStyle: 'medium', timeStyle: 'medium' }).format(ms);
  const lines: string[] = [];
  lines.push(c.live && c.lastSampleAt !== null ? t('health.cli.live', { time: time(c.lastSampleAt) }) : c.staleSince !== null ? t('health.cli.stale', { time: time(c.staleSince) }) : t('health.dashboard.waiting'));
  if (c.error) lines.push(`${t('cli.error')}: ${t(`errors.${c.error.code}.message`, c.error.params)}`);
  const p = c.point;
  const disk = p ? Math.max(p.diskUsedPercent ?? 0, p.dockerDiskUsedPercent ?? 0) : null;
  const rows: [string, string, string | null, { warn: number; critical: number }, (v: number) => string][] = [
    ['cpu', p?.cpuPercent == null ? '—' : `${n(p.cpuPercent)} %`, c.levels.cpu, c.thresholds.cpu, (v) => `${n(v)} %`],
    ['ram', p ? `${n(p.ramUsedPercent)} %` : '—', c.levels.ram, c.thresholds.ram, (v) => `${n(v)} %`],
    ['load1', p ? n(p.load.one, 2) : '—', c.levels.load, c.thresholds.load, (v) => n(v, 2)],
    ['disk', disk === null ? '—' : `${n(disk)} %`, c.levels.disk, c.thresholds.disk, (v) => `${n(v)} %`],
    ['p99Ms', c.https?.latency.p99 == null ? '—' : `${n(c.https.latency.p99, 0)} ms`, c.levels.p99, c.thresholds.p99, (v) => `${n(v, 0)} ms`],
  ];
  const table = [
    [t('health.cli.columns.metric'), t('health.cli.columns.value'), t('health.cli.columns.level'), t('health.cli.columns.warn'), t('health.cli.columns.critical')],
    ...rows.map(([m, value, level, th, f]) => [t(`health.dashboard.metrics.${m}`), value, t(`health.dashboard.levels.${level ?? 'none'}`), f(th.warn), f(th.critical)]),
  ];
  lines.push('', ...columns(table));
  if (p) {
    lines.push('', `${t('health.dashboard.containers.title')}:`);
    if (p.containers.length === 0) lines.push(`  ${t('health.dashboard.containers.none')}`);
    lines.push(
      ...columns(p.containers.map((x) => [x.name, t(`health.dashboard.containers.state.${x.status}`), `${t('health.dashboard.containers.restarts')}: ${x.restartCount}`])).map((l) => `  ${l}`),
    );
    if (p.postgres) lines.push('', `${t('health.dashboard.database.title')}: ${t('health.dashboard.database.size')} ${n(p.postgres.sizeBytes / 1e6)} MB · ${t('health.dashboard.database.connections')} ${p.postgres.connections}`);
  }
  if (c.https?.certificate) {
    const cert = c.https.certificate;
    lines.push('', `${t('health.dashboard.https.certificate')}: ${cert.issuer} · ${t('health.dashboard.https.expires', { date: time(Date.parse(cert.validTo)), days: cert.daysLeft })}`);
  }
  lines.push('');
  if (c.signals.active.length === 0) lines.push(t('health.cli.noSignals'));
  for (const s of c.signals.active) lines.push(`! ${t(s.message.code, s.message.params)}`);
  const rec = c.signals.recommendation;
  if (rec) lines.push(`→ ${t('health.dashboard.recommendation.cost', { phase: rec.nextPhase, cost: formatEuros(language, rec.monthlyCost.min) })}`);
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns, two spaces apart. */
function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n');
}

function toNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError(i18next.t('validation.invalid_type'));
  return n;
}

function cliCell(row: (typeof COMPARISON_ROWS)[number], p: (typeof PHASES)[number], language: Language): string {
  const r = (x: { min: number; max: number | null }) => (x.max === null ? `${x.min}+` : x.max === x.min ? `${x.min}` : `${x.min}–${x.max}`);
  switch (row) {
    case 'cost': return p.costMonthly.max !== p.costMonthly.min ? `~${formatEuros(language, p.costMonthly.min)} – ${formatEuros(language, p.costMonthly.max ?? 0)}` : `~${formatEuros(language, p.costMonthly.min)}`;
    case 'copros': return r(p.copros);
    case 'vcpu': return r(p.vcpu);
    case 'ram': return `${r(p.ramGb)} GB`;
    case 'disk': return p.diskGb === null ? (p.objectStorageBackups ? i18next.t('phase.values.objectStorage') : '—') : `${p.diskGb} GB SSD`;
    case 'highAvailability': return i18next.t(`phase.values.support.${p.highAvailability}`);
    case 'autoscaling': return i18next.t(p.autoscaling ? 'phase.values.yes' : 'phase.values.no');
    case 'sla': return p.slaPercent === null ? i18next.t('phase.values.bestEffort') : `${p.slaPercent} %`;
    case 'complexity': return i18next.t(`phase.values.complexity.${p.complexity}`);
    case 'team': return i18next.t(`phase.values.team.${p.team.kind}`, { count: p.team.max, range: p.team.min === p.team.max ? `${p.team.min}` : `${p.team.min}–${p.team.max}` });
    case 'hosting': return p.hosting.join(i18next.t('phase.values.or'));
    case 'stack': return p.stack.join(' · ');
  }
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
