import { shJoin, shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { composeCommand } from './compose';
import { asRoot, checkoutDir, ensurePackages, fileInstalled, joinPath, modeIs, packagesInstalled, singleLine } from './shell';

// Cron jobs: the recipe's monitoring scripts and the daily PostgreSQL dump. Files in cron.d have a
// user field, must end with a newline, and cron turns an unescaped % into a newline: commands are
// quoted for sh first, then every % is escaped for cron.

const CRON_HEADER = ['SHELL=/bin/sh', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

function cronLine(schedule: string, user: string, command: string): string {
  return singleLine('cron entry', `${schedule} ${user} ${command.replace(/%/g, '\\%')}`);
}

function logDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'logs');
}

/** Monitoring scripts as [schedule, script, log file name]. */
function monitoringJobs(settings: ComposeDeploySettings): [string, string, string][] {
  const jobs: [string, string, string][] = [];
  if (settings.monitoring.metrics) jobs.push(['*/5 * * * *', settings.monitoring.metrics, 'metrics.log']);
  if (settings.monitoring.postgresMetrics) jobs.push(['0 * * * *', settings.monitoring.postgresMetrics, 'postgres-metrics.log']);
  return jobs;
}

export function hasMonitoring(settings: ComposeDeploySettings): boolean {
  return monitoringJobs(settings).length > 0;
}

export function monitoringCronFile(settings: ComposeDeploySettings): RemoteFile {
  const dir = shQuote(checkoutDir(settings));
  // The jobs are root's so that root's shell opens the log in the state folder (0700, root only);
  // the script itself runs as the deploy user through runuser.
  const lines = monitoringJobs(settings).map(([schedule, script, log]) =>
    cronLine(schedule, 'root', `cd ${dir} && runuser -u ${shQuote(settings.deployUser)} -- ${shQuote(`./${script}`)} >> ${shQuote(joinPath(logDir(settings), log))} 2>&1`),
  );
  const content = ["# Written by KoproGo Deploy: the recipe's monitoring scripts. Changes are overwritten on the next run.", ...CRON_HEADER, ...lines, ''].join('\n');
  return { path: joinPath(settings.layout.cronDir, 'koprogo-monitoring'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

export function monitoringCronStep(settings: ComposeDeploySettings): Step {
  const file = monitoringCronFile(settings);
  const scripts = monitoringJobs(settings).map(([, script]) => shQuote(joinPath(checkoutDir(settings), script)));
  const check = asRoot([...scripts.map((s) => `[ -x ${s} ]`), packagesInstalled(['cron']), ...fileInstalled(file)]);
  return {
    id: 'monitoring-cron',
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot([...ensurePackages(['cron']), `chmod +x -- ${scripts.join(' ')}`, `mkdir -p ${shQuote(logDir(settings))}`]),
      },
      { kind: 'file', file },
    ],
    verify: check,
  };
}

type Postgres = NonNullable<ComposeDeploySettings['postgres']>;

function postgresOf(settings: ComposeDeploySettings): Postgres {
  if (!settings.postgres) throw new Error('backup-cron needs settings.postgres');
  return settings.postgres;
}

/**
 * The dump script. POSIX sh has no pipefail, so pg_dump's exit status goes through a file, the gzip
 * stream is tested, and a dump that decompresses to nothing is refused. The dump is renamed into
 * place only when all of that passed; old dumps are deleted only after a good new one.
 */
export function backupScript(settings: ComposeDeploySettings): string {
  const pg = postgresOf(settings);
  return [
    '#!/bin/sh',
    '# Written by KoproGo Deploy: daily dump of the PostgreSQL database, kept 7 days.',
    'set -eu',
    'umask 077',
    `dir=${shQuote(settings.layout.backupDir)}`,
    `name=${shQuote(pg.database)}-$(date +%Y%m%d-%H%M%S).sql.gz`,
    'tmp="$dir/$name.tmp"',
    `trap 'rm -f "$tmp" "$tmp.status"' EXIT`,
    `cd ${shQuote(checkoutDir(settings))}`,
    `{ rc=0; ${composeCommand(settings)} exec -T ${shJoin([pg.service, 'pg_dump', '-U', pg.user, pg.database])} || rc=$?; echo "$rc" > "$tmp.status"; } | gzip -9 > "$tmp"`,
    `[ "$(cat "$tmp.status")" = 0 ] || { echo 'pg_dump failed' >&2; exit 1; }`,
    'gzip -t "$tmp"',
    `[ "$(gzip -dc "$tmp" 2>/dev/null | head -c 1 | wc -c)" -gt 0 ] || { echo 'pg_dump wrote nothing' >&2; exit 1; }`,
    'mv -f "$tmp" "$dir/$name"',
    `find "$dir" -maxdepth 1 -type f -name '*.sql.gz' -mtime +7 -delete`,
    `printf 'backup written: %s\\n' "$dir/$name"`,
    '',
  ].join('\n');
}

export function backupScriptFile(settings: ComposeDeploySettings): RemoteFile {
  return { path: joinPath(settings.layout.binDir, 'koprogo-backup'), content: backupScript(settings), mode: 0o755, owner: 'root', group: 'root', secret: false };
}

export function backupCronFile(settings: ComposeDeploySettings): RemoteFile {
  const bin = backupScriptFile(settings).path;
  const line = cronLine('30 3 * * *', 'root', `${shQuote(bin)} >> ${shQuote(joinPath(logDir(settings), 'backup.log'))} 2>&1`);
  const content = ['# Written by KoproGo Deploy: daily PostgreSQL backup. Changes are overwritten on the next run.', ...CRON_HEADER, line, ''].join('\n');
  return { path: joinPath(settings.layout.cronDir, 'koprogo-backup'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

export function backupCronStep(settings: ComposeDeploySettings): Step {
  const pg = postgresOf(settings);
  const script = backupScriptFile(settings);
  const cron = backupCronFile(settings);
  const backupDir = settings.layout.backupDir;
  const check = asRoot([packagesInstalled(['cron']), ...fileInstalled(script), ...fileInstalled(cron), modeIs(backupDir, 0o700, 'root', 'root')]);
  return {
    id: 'backup-cron',
    titleParams: { database: pg.database },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot([...ensurePackages(['cron']), `install -d -m 0700 -o root -g root ${shQuote(backupDir)}`, `mkdir -p ${shQuote(logDir(settings))}`]),
      },
      { kind: 'file', file: script },
      { kind: 'file', file: cron },
    ],
    verify: check,
  };
}
