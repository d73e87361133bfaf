import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, MonitoringSettings, RemoteFile, Step } from '../types';
import { asRoot, checkoutDir, ensurePackages, fileInstalled, joinPath, packagesInstalled, singleLine } from './shell';

// The repository's monitoring scripts from cron, working: each job goes through `koprogo-monitor`, which gives the
// script what it needs (its packages are installed; a `psql` that runs inside the PostgreSQL container comes first
// on its PATH, since the database is published nowhere; DATABASE_URL and PGPASSWORD from a 0600 file), runs it as
// the deploy user, appends its output to its log, and records its result: exit 1/2 of a script that reports
// warnings are "warning"/"critical", not a broken job. Logs are rotated (the repository's retention, else 7 days);
// the capacity calculator runs daily. The deployment runs every job once and shows the result.

const CRON_HEADER = ['SHELL=/bin/sh', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

export function cronLine(schedule: string, user: string, command: string): string {
  return singleLine('cron entry', `${schedule} ${user} ${command.replace(/%/g, '\\%')}`);
}

export function logDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'logs');
}

function monitorDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'monitoring');
}

/**
 * The folder of the psql the scripts get: readable by the deploy user (the state folder is root's, 0700), beside
 * the app's commands (`/usr/local/lib/koprogo-deploy/bin` for `/usr/local/bin`).
 */
export function shimDir(settings: ComposeDeploySettings): string {
  const bin = settings.layout.binDir.replace(/\/+$/, '');
  const parent = bin.includes('/') ? bin.slice(0, bin.lastIndexOf('/')) || '/' : '/';
  return joinPath(joinPath(parent, 'lib'), 'koprogo-deploy/bin');
}

/**
 * The Docker socket the deployment reached (DOCKER_HOST, e.g. rootless Docker), for the cron jobs: cron gives them
 * no environment. Written by the monitoring and backup steps, read by their scripts; absent when unset.
 */
export function dockerEnvFile(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.stateDir, 'docker.env');
}

/** Lines that record (or clear) DOCKER_HOST for the cron jobs. */
export function recordDockerHost(settings: ComposeDeploySettings): string {
  const f = shQuote(dockerEnvFile(settings));
  return `if [ -n "\${DOCKER_HOST:-}" ]; then printf 'DOCKER_HOST=%s\\n' "$DOCKER_HOST" > ${f}; else rm -f ${f}; fi`;
}

export interface MonitoringJob {
  name: string;
  schedule: string;
  script: string;
}

/** The jobs: metrics every 5 minutes, PostgreSQL hourly, the capacity calculator daily at 09:00. */
export function monitoringJobs(settings: ComposeDeploySettings): MonitoringJob[] {
  const jobs: MonitoringJob[] = [];
  if (settings.monitoring.metrics) jobs.push({ name: 'metrics', schedule: '*/5 * * * *', script: settings.monitoring.metrics });
  if (settings.monitoring.postgresMetrics) jobs.push({ name: 'postgres-metrics', schedule: '0 * * * *', script: settings.monitoring.postgresMetrics });
  if (settings.monitoring.capacity) jobs.push({ name: 'capacity', schedule: '0 9 * * *', script: settings.monitoring.capacity });
  return jobs;
}

export function hasMonitoring(settings: ComposeDeploySettings): boolean {
  return monitoringJobs(settings).length > 0;
}

const NO_NEEDS: MonitoringSettings = { packages: [], psql: false, database: null, warningExit: [], retentionDays: 7 };
const needsOf = (settings: ComposeDeploySettings): MonitoringSettings => settings.monitoringNeeds ?? NO_NEEDS;

export function monitorWrapperFile(settings: ComposeDeploySettings): RemoteFile {
  const needs = needsOf(settings);
  const state = monitorDir(settings);
  const content = [
    '#!/bin/sh',
    "# Written by KoproGo Deploy: runs one of the repository's monitoring scripts as its cron job does and records the",
    '# result (ok, warning, critical, failed, broken). Usage: koprogo-monitor <name> <script, relative to the checkout>',
    'set -u',
    'name=$1',
    'script=$2',
    `state=${shQuote(state)}`,
    `logs=${shQuote(logDir(settings))}`,
    `user=${shQuote(settings.deployUser)}`,
    `warning=${shQuote(` ${needs.warningExit.join(' ')} `)}`,
    'mkdir -p "$logs" "$state"',
    '# DATABASE_URL and PGPASSWORD (0600, root only); the Docker socket the deployment used.',
    `for f in "$state/env" ${shQuote(dockerEnvFile(settings))}; do if [ -f "$f" ]; then set -a; . "$f"; set +a; fi; done`,
    // The psql that runs in the container first, then cron's PATH.
    `PATH=${shQuote(shimDir(settings))}:"\${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"`,
    'HOME=$(getent passwd "$user" | cut -d: -f6)',
    'USER=$user',
    'LOGNAME=$user',
    'export PATH HOME USER LOGNAME',
    `cd ${shQuote(checkoutDir(settings))} || exit 1`,
    'out=$(timeout 600 runuser -p -u "$user" -- "./$script" 2>&1 </dev/null)',
    'rc=$?',
    'case "$rc" in',
    '  0) status=ok ;;',
    '  1|2) case "$warning" in *" $script "*) if [ "$rc" = 1 ]; then status=warning; else status=critical; fi ;; *) status=failed ;; esac ;;',
    '  126|127) status=broken ;;',
    '  124) status=timeout ;;',
    '  *) status=failed ;;',
    'esac',
    'at=$(date -u +%Y-%m-%dT%H:%M:%SZ)',
    `{ printf '=== %s %s\\n' "$at" "$script"; printf '%s\\n' "$out"; printf '=== exit %s: %s\\n' "$rc" "$status"; } >> "$logs/$name.log"`,
    `detail=$(printf '%s\\n' "$out" | tr -d '\\033' | sed 's/\\[[0-9;]*m//g' | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c 1-200)`,
    `printf '%s %s %s %s\\n' "$at" "$rc" "$status" "$detail" > "$state/$name.status.tmp" && mv -f "$state/$name.status.tmp" "$state/$name.status"`,
    'case "$status" in ok|warning|critical) exit 0 ;; *) exit "$rc" ;; esac',
    '',
  ].join('\n');
  return { path: joinPath(settings.layout.binDir, 'koprogo-monitor'), content, mode: 0o755, owner: 'root', group: 'root', secret: false };
}

/** `psql` for the scripts: the one inside the deployment's PostgreSQL container (same version, reachable). */
export function psqlShimFile(settings: ComposeDeploySettings): RemoteFile {
  const service = settings.postgres?.service ?? settings.tuning.postgresService ?? 'postgres';
  const filter = (k: string, v: string) => shQuote(`label=com.docker.compose.${k}=${v}`);
  const content = [
    '#!/bin/sh',
    "# Written by KoproGo Deploy: psql for the monitoring scripts, run inside the deployment's PostgreSQL container.",
    `cid=$(docker ps -q --filter ${filter('project', settings.composeProject)} --filter ${filter('service', service)} | head -n 1)`,
    `if [ -z "$cid" ]; then echo ${shQuote(`psql: the PostgreSQL container (${service}) is not running`)} >&2; exit 2; fi`,
    // Values by name only (`-e NAME`): the password never appears on a command line.
    'exec docker exec -i -e PGPASSWORD -e PGUSER -e PGDATABASE "$cid" psql "$@"',
    '',
  ].join('\n');
  return { path: joinPath(shimDir(settings), 'psql'), content, mode: 0o755, owner: 'root', group: 'root', secret: false };
}

/** DATABASE_URL and PGPASSWORD for the scripts (secret, 0600 root). */
export function monitorEnvFile(settings: ComposeDeploySettings): RemoteFile | null {
  const db = needsOf(settings).database;
  if (!db) return null;
  const content = `DATABASE_URL=${shQuote(db.url)}\nPGPASSWORD=${shQuote(db.password)}\n`;
  return { path: joinPath(monitorDir(settings), 'env'), content, mode: 0o600, owner: 'root', group: 'root', secret: true };
}

/** Folders the repository's scripts write their own reports to (`monitoring/logs` beside `monitoring/scripts`). */
function reportDirs(settings: ComposeDeploySettings): string[] {
  const dirs = monitoringJobs(settings).map((j) => {
    const d = j.script.includes('/') ? j.script.slice(0, j.script.lastIndexOf('/')) : '';
    const parent = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '';
    return joinPath(checkoutDir(settings), parent === '' ? 'logs' : `${parent}/logs`);
  });
  return [...new Set(dirs)];
}

export function monitoringCronFile(settings: ComposeDeploySettings): RemoteFile {
  const bin = monitorWrapperFile(settings).path;
  const days = needsOf(settings).retentionDays;
  const lines = monitoringJobs(settings).map((j) => cronLine(j.schedule, 'root', `${shQuote(bin)} ${shQuote(j.name)} ${shQuote(j.script)} >> ${shQuote(joinPath(logDir(settings), 'monitor.log'))} 2>&1`));
  const cleanup = reportDirs(settings).map((d) => cronLine('15 2 * * *', 'root', `[ ! -d ${shQuote(d)} ] || find ${shQuote(d)} -type f -mtime +${days} -delete`));
  const content = ["# Written by KoproGo Deploy: the recipe's monitoring scripts. Changes are overwritten on the next run.", ...CRON_HEADER, ...lines, ...cleanup, ''].join('\n');
  return { path: joinPath(settings.layout.cronDir, 'koprogo-monitoring'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

/** Rotation of the app's logs on the server (the monitoring jobs' and the backup's). */
export function logrotateFile(settings: ComposeDeploySettings): RemoteFile {
  const days = needsOf(settings).retentionDays;
  const content = [
    '# Written by KoproGo Deploy: rotation of the deployment logs. Changes are overwritten on the next run.',
    `${singleLine('log folder', logDir(settings))}/*.log {`,
    '    daily',
    `    rotate ${days}`,
    `    maxage ${days}`,
    '    missingok',
    '    notifempty',
    '    compress',
    '    delaycompress',
    '    copytruncate',
    '    su root root',
    '}',
    '',
  ].join('\n');
  return { path: joinPath(settings.layout.logrotateDir, 'koprogo-deploy'), content, mode: 0o644, owner: 'root', group: 'root', secret: false };
}

export function monitoringFiles(settings: ComposeDeploySettings): RemoteFile[] {
  const needs = needsOf(settings);
  const env = monitorEnvFile(settings);
  return [monitorWrapperFile(settings), ...(needs.psql ? [psqlShimFile(settings)] : []), ...(env ? [env] : []), monitoringCronFile(settings), logrotateFile(settings)];
}

export function monitoringPackages(settings: ComposeDeploySettings): string[] {
  return [...new Set(['cron', 'logrotate', ...needsOf(settings).packages])];
}

export function monitoringCronStep(settings: ComposeDeploySettings): Step {
  const files = monitoringFiles(settings);
  const jobs = monitoringJobs(settings);
  const scripts = jobs.map((j) => shQuote(joinPath(checkoutDir(settings), j.script)));
  const bin = shQuote(monitorWrapperFile(settings).path);
  const state = shQuote(monitorDir(settings));
  const check = asRoot([...scripts.map((s) => `[ -x ${s} ]`), packagesInstalled(monitoringPackages(settings)), ...files.flatMap(fileInstalled)]);
  return {
    id: 'monitoring-cron',
    titleParams: { scripts: jobs.length },
    check,
    apply: [
      {
        kind: 'run',
        command: asRoot([
          ...ensurePackages(monitoringPackages(settings)),
          `chmod +x -- ${scripts.join(' ')}`,
          `install -d -m 0700 -o root -g root ${state}`,
          `install -d -m 0755 ${shQuote(shimDir(settings))}`,
          `mkdir -p ${shQuote(logDir(settings))}`,
          // A deployment that reached Docker through another socket: the jobs use the same one.
          recordDockerHost(settings),
        ]),
      },
      ...files.map((file) => ({ kind: 'file' as const, file })),
      // Each job once, now: its result is in the log of this step and in the deployment's summary.
      {
        kind: 'run',
        command: asRoot(
          [
            ...jobs.flatMap((j) => [
              `${bin} ${shQuote(j.name)} ${shQuote(j.script)} >/dev/null 2>&1 || true`,
              `printf 'monitor %s %s\\n' ${shQuote(j.name)} "$(cat ${shQuote(joinPath(monitorDir(settings), `${j.name}.status`))} 2>/dev/null || echo 'unknown 0 missing')"`,
            ]),
          ],
          { timeoutMs: 15 * 60_000 },
        ),
      },
    ],
    verify: check,
  };
}

/** The status line koprogo-monitor writes: `<time> <exit> <status> <last output line>`. */
export interface MonitorResult {
  name: string;
  at: string;
  exitCode: number;
  status: 'ok' | 'warning' | 'critical' | 'failed' | 'broken' | 'timeout';
  detail: string;
}

const STATUSES = new Set(['ok', 'warning', 'critical', 'failed', 'broken', 'timeout']);

export function parseMonitorStatus(name: string, line: string): MonitorResult | null {
  const m = /^(\S+) (\d+) (\S+) ?(.*)$/u.exec(line.trim());
  if (!m || !STATUSES.has(m[3] ?? '')) return null;
  return { name, at: m[1] ?? '', exitCode: Number(m[2]), status: m[3] as MonitorResult['status'], detail: (m[4] ?? '').slice(0, 200) };
}

/** One command that prints every job's status line as `<name> <status line>` (for the summary after a run). */
export function monitorStatusCommand(settings: ComposeDeploySettings): string {
  return monitoringJobs(settings)
    .map((j) => `printf '%s %s\\n' ${shQuote(j.name)} "$(cat ${shQuote(joinPath(monitorDir(settings), `${j.name}.status`))} 2>/dev/null)"`)
    .join('; ');
}
