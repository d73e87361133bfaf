import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import i18next from 'i18next';
import type { EventName, EventPayload, Language, MethodName, MethodOutput } from '../shared/contract';
import type { PlanEntry } from '../shared/deploy';
import type { Envelope, ErrorEnvelope } from '../shared/errors';
import type { HealthCurrent } from '../shared/contract-health';
import { formatEuros, formatNumber, intlLocale, pickLanguage, resources } from '../shared/i18n';
import { pluralParams } from '../shared/i18n/format';
import type { PHASES } from '../shared/phases';
import { COMPARISON_ROWS, getPhase } from '../shared/phases';
import { notGithubHost } from '../shared/git-hosts';
import { reasonText } from '../shared/recommend-text';
import { RAW_PARAMS, systemMessageKey } from '../shared/system-messages';
import { NetworkDoctor } from './network/doctor';
import { envelopeOf } from '../shared/deploy-envelope';
import { defaultDataDir, envLanguages, PRODUCT_NAME } from './data-dir';
import { AppError } from '../shared/errors';
import { GitHubClient } from './github/client';
import { parseRepoUrl } from './github/repo-url';
import { dispatch } from './ipc/dispatcher';
import { detectRecipe, githubSource, localFolderSource, type Recipe } from './recipe/detect';
import { createHandlers } from './services/handlers';
import { Logger } from './log';
import { githubTokenFromEnv } from './github/token-hosts';
import { endpointsFromEnv } from './services/endpoints';
import { registerUpgradeCommands } from './cli-upgrade';
import { providerEndpointsFromEnv } from './services/provider-service';

// `npm run cli -- <command>`: the same services through the same dispatcher, for scripts and CI.
// Commands: phases, recommend, plan, deploy, status, detect, profiles (deploy and status of K3s profiles: k3s/cli-k3s.ts).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
export async function runCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
  /** Where answers to a deployment's questions are read (K3s runs); stdin by default. */
  input: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const language = pickLanguage(envLanguages());
  await i18next.init({ resources, lng: language, fallbackLng: 'en', interpolation: { escapeValue: false }, showSupportNotice: false });
  const t = i18next.t.bind(i18next);
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  // Shared with dispatch, so error envelopes are masked with the secrets the services registered.
  const log = new Logger(join(defaultDataDir(), 'logs', 'cli.log'));
  const handlers = createHandlers({
    log,
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
  let exitCode: number = EXIT.ok;

  /**
   * Calls the contract; prints a translated error (message and remedy, in the user's language only) and
   * sets the exit code on failure. `flags` names the command-line option of each input field, so a
   * problem says `--lots`, not the field's internal name.
   */
  const call = async (method: MethodName, input: unknown, flags: Record<string, string> = {}): Promise<unknown> => {
    const envelope: Envelope<unknown> = await dispatch(handlers, method, input, log);
    if (envelope.ok) return envelope.value;
    printError(envelope.error, flags);
    exitCode = EXIT.refused;
    return undefined;
  };
  const printError = (e: ErrorEnvelope, flags: Record<string, string> = {}) => {
    const params = Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, typeof v === 'string' && (RAW_PARAMS as readonly string[]).includes(k) ? systemText(v) : v]));
    err(`${t('cli.error')}: ${t(`errors.${e.code}.message`, localParams(e, params))}\n`);
    for (const f of e.fields ?? []) err(`  ${flags[f.path] ?? f.path}: ${fieldText(f)}\n`);
    err(`${t('cli.remedy')}: ${cliRemedy(e, params)}\n`);
  };
  /** A raw system message in the user's language when it is a known one. */
  const systemText = (raw: string) => {
    const key = systemMessageKey(raw);
    return key ? `${t(key)} (${raw.slice(0, 200)})` : raw;
  };
  const fieldText = (f: NonNullable<ErrorEnvelope['fields']>[number]) => {
    if (f.params.origin === 'string' && f.issue === 'too_small') return t('validation.required');
    if (f.params.origin === 'string' && f.issue === 'too_big') return t('validation.tooLong', f.params);
    return t(`validation.${f.issue}`, { ...f.params, defaultValue: t('validation.invalid') });
  };
  const localParams = (e: ErrorEnvelope, params: Record<string, string | number>) =>
    e.code === 'secret.missing' ? { ...params, secret: t(`secrets.kinds.${String(params.secret)}`) } : typeof params.step === 'string' ? { ...params, step: t(`deploy.steps.${params.step}`, { defaultValue: params.step }) } : params;
  /** The remedy as a terminal user applies it: which option to give, not which screen to open. */
  const cliRemedy = (e: ErrorEnvelope, params: Record<string, string | number>): string => {
    const missing = String(e.params.missing ?? e.params.secret ?? '');
    if (e.code === 'ipc.invalid_input') return t('cli.remedies.flags');
    if ((e.code === 'deploy.not_ready' || e.code === 'secret.missing') && /ssh/i.test(missing)) return t('cli.remedies.key');
    if ((e.code === 'deploy.not_ready' || e.code === 'secret.missing') && /env/i.test(missing)) return t('cli.remedies.env');
    return t(`remedies.${e.remedy}`, { ...params, defaultValue: t(`remedies.${e.code}`, params) });
  };

  const program = new Command()
    .name('koprogo-deploy')
    .description(t('cli.description'))
    // Commander's own words (Usage:, Options:, help, errors) in the user's language too.
    .configureHelp({ styleTitle: (title: string) => t(`cli.help.titles.${HELP_TITLES[title] ?? 'other'}`, { defaultValue: title }) })
    .helpOption('-h, --help', t('cli.help.option'))
    .helpCommand('help [command]', t('cli.help.command'))
    .version(pkg.version, '-V, --version', t('cli.help.version'))
    // The program's own options only before a command: `upgrade <profile> --version REF` is the upgrade's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err, outputError: () => undefined })
    .addHelpText('after', `\n${t('cli.help.exitCodes')}\n${t('cli.help.envNote')}\n`);

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
      const result = (await call('phases.recommend', { copros: opts.copros, lotsPerCopro: opts.lots }, { copros: '--copros', lotsPerCopro: '--lots' })) as MethodOutput<'phases.recommend'> | undefined;
      if (!result) return;
      if (opts.json) return out(`${JSON.stringify(result, null, 2)}\n`);
      // What the Phase step shows: the recommendation, why, and the month's cost, revenue and margin.
      const r = result.recommendation;
      const e = result.economics;
      const phase = getPhase(e.phase);
      const cost = e.costMonthly.max !== null && e.costMonthly.max !== e.costMonthly.min ? t('phase.values.costRange', { min: formatEuros(language, e.costMonthly.min), max: formatEuros(language, e.costMonthly.max) }) : t('phase.values.cost', { amount: formatEuros(language, e.costMonthly.min) });
      out(`${t('recommender.recommended', { phase: t(`phase.names.${r.phase}`) })}\n`);
      out(`${reasonText(t, language, r.reason)}\n`);
      if (r.nearNextSignal) out(`${t('recommender.nearSignal', { next: r.nearNextSignal.nextPhase, at: formatNumber(language, r.nearNextSignal.at) })}\n`);
      out(`\n${t('economics.forPhase', { phase: t(`phase.names.${e.phase}`) })}\n`);
      out(
        columns([
          [`  ${t('economics.cost')}`, t('economics.perMonth', { amount: cost })],
          [`  ${t('economics.revenue', { copros: formatNumber(language, e.copros), price: formatEuros(language, phase.pricePerCopro) })}`, t('economics.perMonth', { amount: formatEuros(language, e.revenueMonthly) })],
          [`  ${t('economics.margin')}`, e.marginPercent === null ? '—' : `${formatNumber(language, e.marginPercent, 1)} %`],
        ]).join('\n') + '\n',
      );
    });

  /**
   * The CLI has no OS keychain: the SSH key and the .env come from files named on the command line,
   * read once into this process's memory (never printed, never written elsewhere).
   */
  const loadSecrets = async (profileId: string, opts: { key?: string; env?: string; envFile?: string }): Promise<boolean> => {
    if (opts.key && !(await call('server.importKey', { profileId, path: resolve(opts.key) }, { path: '--key' }))) return false;
    const envPath = opts.env ?? opts.envFile;
    if (envPath) {
      let content: string;
      try {
        content = readFileSync(resolve(envPath), 'utf8');
      } catch {
        err(`${t('cli.error')}: ${t('cli.envUnreadable', { path: envPath })}\n${t('cli.remedy')}: ${t('cli.remedies.env')}\n`);
        exitCode = EXIT.refused;
        return false;
      }
      if (!(await call('deploy.setEnv', { profileId, content }, { content: '--env' }))) return false;
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
      .option('--env <path>', t('cli.envOption'))
      // Node 20 reads `--env-file` itself anywhere on its command line before a `--` (a missing file: "node: … not
      // found", exit 9): `npm run cli` puts a `--` before the script, so it reaches us; `--env` is the documented name.
      .addOption(new Option('--env-file <path>').hideHelp())
      .option('--json', t('cli.json'));

  profileCommand('plan', t('cli.plan')).action(async (profileId: string, opts: { key?: string; env?: string; envFile?: string; json?: boolean }) => {
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
    .option('--yes', t('k3s.cli.yesOption'))
    .action(async (profileId: string, opts: { key?: string; env?: string; envFile?: string; fresh?: boolean; yes?: boolean; json?: boolean }) => {
      // Phases 3–4: the K3s run (k3s/cli-k3s.ts); --key is the control host's, --env holds the variables.
      const profile = (await call('profiles.get', { id: profileId })) as { phase: number } | undefined;
      if (!profile) return;
      if (profile.phase >= 3) {
        if (opts.key && !(await call('server.importKey', { profileId, path: resolve(opts.key) }))) return;
        const { k3sDeploy, parseVariables } = await import('./k3s/cli-k3s');
        let variables: Record<string, string> | undefined;
        const envPath = opts.env ?? opts.envFile;
        if (envPath) {
          try {
            variables = parseVariables(readFileSync(resolve(envPath), 'utf8'));
          } catch {
            err(`${t('cli.error')}: ${t('errors.deploy.key_file_unreadable.message', { path: envPath })}\n`);
            exitCode = EXIT.refused;
            return;
          }
        }
        const code = await k3sDeploy({ call, listen: (l) => void listeners.add(l), out, err, t, input }, profileId, { fresh: opts.fresh, yes: opts.yes, json: opts.json, variables });
        exitCode = Math.max(exitCode, code);
        return;
      }
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
        const e = envelopeOf(result.error);
        if (e) printError(e);
        exitCode = EXIT.failed;
      } else if (!opts.json) out(`${t('cli.deployed')}\n`);
    });

  profileCommand('status', t('health.cli.description')).action(async (profileId: string, opts: { key?: string; env?: string; envFile?: string; json?: boolean }) => {
    if (!(await loadSecrets(profileId, opts))) return;
    const current = (await call('health.current', { profileId, refresh: true })) as HealthCurrent | undefined;
    await dispatch(handlers, 'health.unwatch', { profileId });
    if (!current) return;
    if (!current.live) exitCode = EXIT.failed;
    if (opts.json) return out(`${JSON.stringify(current, null, 2)}\n`);
    if (current.phase >= 3) {
      const { printClusterStatus } = await import('./k3s/cli-k3s');
      return out(printClusterStatus(current, t, (ms) => new Intl.DateTimeFormat(intlLocale(language), { dateStyle: 'medium', timeStyle: 'medium' }).format(ms)));
    }
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
        const elsewhere = notGithubHost(source);
        if (!parsed.ok || elsewhere) {
          err(`${t('cli.error')}: ${elsewhere ? t('errors.recipe.host_not_github.message', { host: elsewhere }) : t('cli.detectBadSource', { source, reason: t(`cli.urlProblems.${parsed.ok ? 'invalid_host' : parsed.reason}`) })}\n`);
          exitCode = EXIT.refused;
          return;
        }
        // The token of the repository's host only (GITHUB_TOKEN for github.com, GH_ENTERPRISE_TOKEN for GH_HOST).
        const token = githubTokenFromEnv(parsed.repo.host, process.env);
        if (token) log.registerSecret(token, { label: 'GitHub token (environment)' });
        const endpoints = endpointsFromEnv(process.env);
        const network = new NetworkDoctor(endpoints.dnsServers ? { dnsServers: endpoints.dnsServers } : {});
        const repo = { owner: parsed.repo.owner, name: parsed.repo.name };
        try {
          const override = endpoints.github?.apiBaseUrl;
          const client = new GitHubClient({ baseUrl: override ?? parsed.repo.apiBaseUrl, ...(token ? { token } : {}), allowLoopbackHttp: override !== undefined, networkCheck: network.checkFor('github') });
          const ref = opts.ref ?? (await client.defaultRef(repo)).ref;
          recipe = await detectRecipe(githubSource(client, repo, ref));
          requests = client.requestCount;
        } catch (error) {
          printError((error instanceof AppError ? error : new AppError('github.unavailable', {})).toEnvelope());
          exitCode = EXIT.refused;
          return;
        }
      }
      // A recipe with blocking problems is a failure for a script, JSON or not.
      const blocking = recipe.missing.filter((m) => m.severity === 'blocking').length;
      if (blocking > 0) exitCode = EXIT.blocking;
      if (opts.json) return out(`${JSON.stringify(recipe, null, 2)}\n`);
      out(describeRecipe(recipe, t, requests));
      if (blocking > 0) err(`${t('cli.detectBlocking', { count: blocking })}\n`);
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
    .description(t('cli.profilesList'))
    .option('--json', t('cli.json'))
    .action(async (opts: { json?: boolean }) => {
      const list = (await call('profiles.list', {})) as MethodOutput<'profiles.list'> | undefined;
      if (!list) return;
      if (opts.json) return out(`${JSON.stringify(list, null, 2)}\n`);
      if (list.profiles.length === 0) out(`${t('cli.noProfiles', { dir: defaultDataDir() })}\n`);
      else out(columns(list.profiles.map((p) => [p.id, p.name, t(`phase.names.${p.phase}`), p.host ?? t('cli.noServer')])).join('\n') + '\n');
      for (const problem of list.problems) err(`${t('store.problem', problem)}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return EXIT.ok;
    err(`${t('cli.error')}: ${commanderText(error, t)}\n${t('cli.usageHint')}\n`);
    return EXIT.usage;
  }
  return exitCode;
}

/** Exit codes, documented in `--help` (cli.help.exitCodes). */
export const EXIT = { ok: 0, usage: 1, refused: 2, failed: 3, blocking: 4 } as const;

const HELP_TITLES: Record<string, string> = { 'Usage:': 'usage', 'Options:': 'options', 'Commands:': 'commands', 'Arguments:': 'arguments', 'Global Options:': 'globalOptions' };

/** Commander's error, in the user's language: its code says what happened, its message names the option or command. */
export function commanderText(error: CommanderError, t: (key: string, params?: Record<string, unknown>) => string): string {
  const quoted = [...error.message.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
  const name = (quoted[0] ?? '').replace(/ <.*$/, '');
  switch (error.code) {
    case 'commander.unknownCommand':
      return t('cli.commander.unknownCommand', { name });
    case 'commander.unknownOption':
      return t('cli.commander.unknownOption', { name });
    case 'commander.missingArgument':
      return t('cli.commander.missingArgument', { name });
    case 'commander.missingMandatoryOptionValue':
      return t('cli.commander.missingOption', { name });
    case 'commander.optionMissingArgument':
      return t('cli.commander.optionMissingArgument', { name });
    case 'commander.invalidArgument':
      return t('cli.commander.invalidArgument', { name, value: quoted[1] ?? '', reason: error.message.replace(/^.*is invalid\.\s*/s, '') });
    case 'commander.excessArguments':
      return t('cli.commander.excessArguments');
    default:
      return error.message.replace(/^error:\s*/, '');
  }
}

/** The recipe as the Code step shows it, in the user's language. */
function describeRecipe(r: Recipe, t: (key: string, params?: Record<string, unknown>) => string, requests: number | null): string {
  const none = t('code.recipe.none');
  const lines = [
    `${t('code.recipe.compose')}: ${r.production ? `${r.production.files.join(' + ')}${r.choice ? ` — ${t(r.choice.code, pluralParams(r.choice.params))}` : ''}` : none}`,
    `${t('code.recipe.envExample')}: ${r.envExample ? `${r.envExample.path} ${t('code.recipe.keys', { count: r.envExample.keys.length })}` : none}`,
    `${t('code.recipe.health')}: ${r.health ? `${r.health.path} (${r.health.service}:${r.health.containerPort})` : none}`,
    `${t('code.recipe.database')}: ${r.postgres ? t('code.recipe.postgres', r.postgres) : none}`,
    `${t('code.recipe.k3s')}: ${r.k3s ? t('code.recipe.k3sFound', { script: r.k3s.deployScript ?? '—', environments: r.k3s.environments.join(', ') || '—' }) : none}`,
    ([1, 2, 3, 4] as const).map((p) => `${t('code.recipe.phase', { n: p })} ${r.phases[p] ? '✓' : '✗'}`).join('  '),
    ...r.missing.map((m) => `${t(`code.recipe.severity.${m.severity}`)} ${t(m.code, pluralParams(m.params))}`),
  ];
  if (requests !== null) lines.push(t('cli.githubRequests', { count: requests }));
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
