import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import i18next from 'i18next';
import type { EventName, EventPayload, Language, MethodName } from '../shared/contract';
import type { PlanEntry } from '../shared/deploy';
import type { Envelope } from '../shared/errors';
import { formatEuros, pickLanguage, resources } from '../shared/i18n';
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

// `npm run cli -- <command>`: the same services through the same dispatcher, for scripts and CI.
// Later issues add plan, deploy, status and detect.

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
