import { shJoin, shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { composeCommand } from './compose';
import { asRoot, checkoutDir, ensurePackages, fileInstalled, joinPath, modeIs, packagesInstalled } from './shell';

// The daily backup (PostgreSQL dump, and the named volumes and bind mounts of user data the recipe lists). Files in
// cron.d have a user field, must end with a newline, and cron turns an unescaped % into a newline: commands are
// quoted for sh first, then every % is escaped for cron. The monitoring jobs are in monitoring.ts.
import { cronLine, dockerEnvFile, logDir, recordDockerHost } from './monitoring';

export { hasMonitoring, monitoringCronFile, monitoringCronStep } from './monitoring';

const CRON_HEADER = ['SHELL=/bin/sh', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

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
    `# Written by KoproGo Deploy: daily dump of the PostgreSQL database${settings.backupData && (settings.backupData.volumes.length > 0 || settings.backupData.paths.length > 0) ? ' and archives of the user data' : ''}, kept 7 days.`,
    'set -eu',
    'umask 077',
    // Cron gives no environment: the Docker socket the deployment used, when it was not the default one.
    `if [ -f ${shQuote(dockerEnvFile(settings))} ]; then set -a; . ${shQuote(dockerEnvFile(settings))}; set +a; fi`,
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
    `printf 'backup written: %s\\n' "$dir/$name"`,
    ...dataArchiveLines(settings),
    `find "$dir" -maxdepth 1 -type f \\( -name '*.sql.gz' -o -name '*.tar.gz' \\) -mtime +7 -delete`,
    '',
  ].join('\n');
}

/**
 * Besides PostgreSQL, each named volume of user data (object storage such as MinIO, uploads) and each writable
 * bind mount the recipe lists, as a verified tar.gz. A volume is found by the labels Compose puts on it (project +
 * volume key), or by its fixed `name:`; its folder is read on the host, so no image is needed.
 */
export function dataArchiveLines(settings: ComposeDeploySettings): string[] {
  const data = settings.backupData ?? { volumes: [], paths: [] };
  if (data.volumes.length === 0 && data.paths.length === 0) return [];
  const archive = (label: string, dirExpr: string): string[] => [
    `atmp="$dir/${label}-$(date +%Y%m%d-%H%M%S).tar.gz.tmp"`,
    `tar -C ${dirExpr} -czf "$atmp" .`,
    'gzip -t "$atmp"',
    'mv -f "$atmp" "${atmp%.tmp}"',
    `printf 'backup written: %s\\n' "\${atmp%.tmp}"`,
  ];
  const lines: string[] = [`trap 'rm -f "$tmp" "$tmp.status" "\${atmp:-}"' EXIT`];
  for (const v of data.volumes) {
    const safe = v.volume.replace(/[^A-Za-z0-9_.-]/gu, '_');
    const find = v.name
      ? `vol=${shQuote(v.name)}`
      : `vol=$(docker volume ls -q --filter ${shQuote(`label=com.docker.compose.project=${settings.composeProject}`)} --filter ${shQuote(`label=com.docker.compose.volume=${v.volume}`)} | head -n 1)`;
    lines.push(
      find,
      `[ -n "$vol" ] || { echo ${shQuote(`volume ${v.volume} not found`)} >&2; exit 1; }`,
      `mp=$(docker volume inspect -f '{{.Mountpoint}}' "$vol")`,
      ...archive(`${settings.composeProject}-${safe}`, '"$mp"'),
    );
  }
  for (const p of data.paths) {
    const safe = p.replace(/^\.?\/*/u, '').replace(/[^A-Za-z0-9_.-]/gu, '_');
    const path = p.startsWith('/') ? p : joinPath(checkoutDir(settings), p.replace(/^\.\//u, ''));
    lines.push(`[ -d ${shQuote(path)} ] || { echo ${shQuote(`folder ${p} not found`)} >&2; exit 1; }`, ...archive(`${settings.composeProject}-${safe}`, shQuote(path)));
  }
  return lines;
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
        command: asRoot([...ensurePackages(['cron']), `install -d -m 0700 -o root -g root ${shQuote(backupDir)}`, `mkdir -p ${shQuote(logDir(settings))}`, recordDockerHost(settings)]),
      },
      { kind: 'file', file: script },
      { kind: 'file', file: cron },
    ],
    verify: check,
  };
}
