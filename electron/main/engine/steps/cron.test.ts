import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupCronFile, backupCronStep, backupScript, backupScriptFile, dataArchiveLines } from './cron';
import { fileMatches } from './shell';
import { Sandbox, fileOf, fixedSettings, runOf } from './test-helpers';

const settings = fixedSettings();

describe('backup-cron', () => {
  const step = backupCronStep(settings);

  it('dumps through compose exec into a temp file, verified before it is renamed', () => {
    expect(backupScript(settings)).toBe(`#!/bin/sh
# Written by KoproGo Deploy: daily dump of the PostgreSQL database, kept 7 days.
set -eu
umask 077
if [ -f /var/lib/koprogo-deploy/docker.env ]; then set -a; . /var/lib/koprogo-deploy/docker.env; set +a; fi
dir=/var/backups/koprogo
name=koprogo_db-$(date +%Y%m%d-%H%M%S).sql.gz
tmp="$dir/$name.tmp"
trap 'rm -f "$tmp" "$tmp.status"' EXIT
cd /opt/koprogo/app
{ rc=0; docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml exec -T postgres pg_dump -U koprogo koprogo_db || rc=$?; echo "$rc" > "$tmp.status"; } | gzip -9 > "$tmp"
[ "$(cat "$tmp.status")" = 0 ] || { echo 'pg_dump failed' >&2; exit 1; }
gzip -t "$tmp"
[ "$(gzip -dc "$tmp" 2>/dev/null | head -c 1 | wc -c)" -gt 0 ] || { echo 'pg_dump wrote nothing' >&2; exit 1; }
mv -f "$tmp" "$dir/$name"
printf 'backup written: %s\\n' "$dir/$name"
find "$dir" -maxdepth 1 -type f \\( -name '*.sql.gz' -o -name '*.tar.gz' \\) -mtime +7 -delete
`);
    expect(backupScriptFile(settings)).toMatchObject({ path: '/usr/local/bin/koprogo-backup', mode: 0o755, owner: 'root', group: 'root', secret: false });
  });

  it('runs it daily at 03:30 as root', () => {
    expect(backupCronFile(settings)).toEqual({
      path: '/etc/cron.d/koprogo-backup',
      content: `# Written by KoproGo Deploy: daily PostgreSQL backup. Changes are overwritten on the next run.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
30 3 * * * root /usr/local/bin/koprogo-backup >> /var/lib/koprogo-deploy/logs/backup.log 2>&1
`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      secret: false,
    });
  });

  it('creates the 0700 backup folder and checks both files and the folder', () => {
    expect(step.titleParams).toEqual({ database: 'koprogo_db' });
    expect(runOf(step.apply[0]).script).toBe(`set -eu
if ! [ "$(dpkg-query -W -f '\${Status}\\n' cron 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y cron
fi
install -d -m 0700 -o root -g root /var/backups/koprogo
mkdir -p /var/lib/koprogo-deploy/logs
if [ -n "\${DOCKER_HOST:-}" ]; then printf 'DOCKER_HOST=%s\\n' "$DOCKER_HOST" > /var/lib/koprogo-deploy/docker.env; else rm -f /var/lib/koprogo-deploy/docker.env; fi
`);
    expect(fileOf(step.apply[1])).toEqual(backupScriptFile(settings));
    expect(fileOf(step.apply[2])).toEqual(backupCronFile(settings));
    expect(step.check?.script).toBe(`set -eu
[ "$(dpkg-query -W -f '\${Status}\\n' cron 2>/dev/null | grep -cx 'install ok installed')" = 1 ]
${fileMatches('/usr/local/bin/koprogo-backup', backupScript(settings))}
[ "$(stat -c '%a %U:%G' -- /usr/local/bin/koprogo-backup 2>/dev/null)" = '755 root:root' ]
${fileMatches('/etc/cron.d/koprogo-backup', backupCronFile(settings).content)}
[ "$(stat -c '%a %U:%G' -- /etc/cron.d/koprogo-backup 2>/dev/null)" = '644 root:root' ]
[ "$(stat -c '%a %U:%G' -- /var/backups/koprogo 2>/dev/null)" = '700 root:root' ]
`);
    expect(step.verify).toEqual(step.check);
  });

  it('needs postgres settings', () => {
    expect(() => backupCronStep(fixedSettings({ postgres: null }))).toThrow(/postgres/);
  });

  describe('the backup script, run with docker stubbed', () => {
    const sandbox = new Sandbox();
    const backups = sandbox.path('backups');
    const s = fixedSettings({
      layout: { ...settings.layout, backupDir: backups, appRoot: sandbox.path('opt') },
      postgres: { service: 'db', user: "o'neil", database: 'koprogo db' },
    });
    const run = () => sandbox.run(backupScript(s));
    const dumps = () => readdirSync(backups).sort();
    const dumpStub = (body: string) => sandbox.stub('docker', `printf '%s\\n' "$*" > "${sandbox.path('docker.log')}"\n${body}`);

    beforeAll(() => mkdirSync(sandbox.path('opt', 'app'), { recursive: true }));
    beforeEach(() => {
      sandbox.run(`rm -rf '${backups}'; mkdir '${backups}'`);
    });
    afterAll(() => sandbox.dispose());

    it('writes a gzip dump named after the database and deletes dumps older than 7 days', () => {
      dumpStub(`echo '-- PostgreSQL database dump'; echo 'CREATE TABLE copro (id int);'`);
      writeFileSync(`${backups}/koprogo db-20200101-000000.sql.gz`, 'old');
      writeFileSync(`${backups}/koprogo db-recent.sql.gz`, 'recent');
      const old = (Date.now() - 10 * 86_400_000) / 1000;
      utimesSync(`${backups}/koprogo db-20200101-000000.sql.gz`, old, old);
      const r = run();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const files = dumps();
      expect(files).toHaveLength(2);
      expect(files).toContain('koprogo db-recent.sql.gz');
      const dump = files.find((f) => /^koprogo db-\d{8}-\d{6}\.sql\.gz$/.test(f))!;
      expect(r.stdout).toBe(`backup written: ${backups}/${dump}\n`);
      expect(execFileSync('gzip', ['-dc', `${backups}/${dump}`], { encoding: 'utf8' })).toBe('-- PostgreSQL database dump\nCREATE TABLE copro (id int);\n');
      expect(sandbox.run(`cat '${sandbox.path('docker.log')}'`).stdout).toBe(
        "compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml exec -T db pg_dump -U o'neil koprogo db\n",
      );
    });

    it('keeps nothing, and the old dumps, when pg_dump fails midway', () => {
      dumpStub(`echo '-- partial'; exit 1`);
      writeFileSync(`${backups}/koprogo db-20200101-000000.sql.gz`, 'old');
      const old = (Date.now() - 10 * 86_400_000) / 1000;
      utimesSync(`${backups}/koprogo db-20200101-000000.sql.gz`, old, old);
      const r = run();
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('pg_dump failed\n');
      expect(dumps()).toEqual(['koprogo db-20200101-000000.sql.gz']);
    });

    it('refuses an empty dump', () => {
      dumpStub('exit 0');
      const r = run();
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('pg_dump wrote nothing\n');
      expect(dumps()).toEqual([]);
    });
  });
});

describe('backup of user data besides PostgreSQL', () => {
  const sandbox = new Sandbox();
  const backups = sandbox.path('backups');
  const volume = sandbox.path('volumes', 'minio');
  const uploads = sandbox.path('opt', 'app', 'data', 'uploads');
  const s = fixedSettings({
    layout: { ...fixedSettings().layout, backupDir: backups, appRoot: sandbox.path('opt') },
    backupData: { volumes: [{ volume: 'minio_data', name: null }], paths: ['./data/uploads'] },
  });
  beforeAll(() => {
    mkdirSync(backups, { recursive: true });
    mkdirSync(volume, { recursive: true });
    mkdirSync(uploads, { recursive: true });
    writeFileSync(`${volume}/object.bin`, 'minio object');
    writeFileSync(`${uploads}/invoice.pdf`, 'pdf');
    // docker: compose exec → a dump; volume ls → the volume found by its Compose labels; inspect → its folder.
    sandbox.stub(
      'docker',
      `case "$1" in
  compose) echo 'CREATE TABLE t (id int);' ;;
  volume) if [ "$2" = ls ]; then printf '%s\\n' "$*" > "${sandbox.path('ls.log')}"; echo koprogo_minio_data; else echo '${volume}'; fi ;;
esac`,
    );
  });
  afterAll(() => sandbox.dispose());

  it('archives the named volume (found by project and volume labels) and the bind mount, each verified', () => {
    const r = sandbox.run(backupScript(s));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = readdirSync(backups).sort();
    expect(files.map((f) => f.replace(/\d{8}-\d{6}/, 'T'))).toEqual(['koprogo-data_uploads-T.tar.gz', 'koprogo-minio_data-T.tar.gz', 'koprogo_db-T.sql.gz']);
    expect(sandbox.run(`cat '${sandbox.path('ls.log')}'`).stdout).toBe('volume ls -q --filter label=com.docker.compose.project=koprogo --filter label=com.docker.compose.volume=minio_data\n');
    const minio = files.find((f) => f.includes('minio'))!;
    expect(execFileSync('tar', ['-xzOf', `${backups}/${minio}`, './object.bin'], { encoding: 'utf8' })).toBe('minio object');
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('fails (keeping what was written) when a volume of the list is missing: never a silent gap', () => {
    const missing = fixedSettings({ ...s, backupData: { volumes: [{ volume: 'gone', name: 'fixed_name' }], paths: [] } });
    expect(dataArchiveLines(missing).join('\n')).toContain('vol=fixed_name\n');
    sandbox.stub('docker', `case "$1" in compose) echo 'CREATE TABLE t (id int);' ;; volume) if [ "$2" = inspect ]; then exit 1; fi ;; esac`);
    const r = sandbox.run(backupScript(missing));
    expect(r.code).not.toBe(0);
  });
});
