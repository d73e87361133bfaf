import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupCronFile, backupCronStep, backupScript, backupScriptFile, hasMonitoring, monitoringCronFile, monitoringCronStep } from './cron';
import { Sandbox, fileOf, fixedSettings, runOf } from './test-helpers';

const settings = fixedSettings();

describe('monitoring-cron', () => {
  const step = monitoringCronStep(settings);

  it("runs the recipe's scripts as the deploy user, logs opened by root in the state folder", () => {
    expect(monitoringCronFile(settings)).toEqual({
      path: '/etc/cron.d/koprogo-monitoring',
      content: `# Written by KoproGo Deploy: the recipe's monitoring scripts. Changes are overwritten on the next run.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
*/5 * * * * root cd /opt/koprogo/app && runuser -u koprogo -- ./monitoring/scripts/vps_metrics.sh >> /var/lib/koprogo-deploy/logs/metrics.log 2>&1
0 * * * * root cd /opt/koprogo/app && runuser -u koprogo -- ./monitoring/scripts/postgres_metrics.sh >> /var/lib/koprogo-deploy/logs/postgres-metrics.log 2>&1
`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      secret: false,
    });
  });

  it('makes the scripts executable and checks them with the file', () => {
    expect(step.check?.script).toBe(`set -eu
[ -x /opt/koprogo/app/monitoring/scripts/vps_metrics.sh ]
[ -x /opt/koprogo/app/monitoring/scripts/postgres_metrics.sh ]
[ "$(dpkg-query -W -f '\${Status}\\n' cron 2>/dev/null | grep -cx 'install ok installed')" = 1 ]
[ "$({ sha256sum < /etc/cron.d/koprogo-monitoring; } 2>/dev/null | cut -d ' ' -f 1)" = ef76864f3c368bb7c0031fde09fd1128b2986403f70dc646ff1014da16de4a14 ]
[ "$(stat -c '%a %U:%G' -- /etc/cron.d/koprogo-monitoring 2>/dev/null)" = '644 root:root' ]
`);
    expect(runOf(step.apply[0]).script).toBe(`set -eu
if ! [ "$(dpkg-query -W -f '\${Status}\\n' cron 2>/dev/null | grep -cx 'install ok installed')" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y cron
fi
chmod +x -- /opt/koprogo/app/monitoring/scripts/vps_metrics.sh /opt/koprogo/app/monitoring/scripts/postgres_metrics.sh
mkdir -p /var/lib/koprogo-deploy/logs
`);
    expect(fileOf(step.apply[1])).toEqual(monitoringCronFile(settings));
    expect(step.verify).toEqual(step.check);
  });

  it('writes only the scripts the recipe has', () => {
    const only = fixedSettings({ monitoring: { metrics: null, postgresMetrics: 'm/pg.sh' } });
    expect(monitoringCronFile(only).content.split('\n').filter((l) => /^[0-9*]/.test(l))).toEqual([
      '0 * * * * root cd /opt/koprogo/app && runuser -u koprogo -- ./m/pg.sh >> /var/lib/koprogo-deploy/logs/postgres-metrics.log 2>&1',
    ]);
    expect(hasMonitoring(fixedSettings({ monitoring: { metrics: null, postgresMetrics: null } }))).toBe(false);
  });

  it('escapes % for cron after quoting for sh, and refuses a value that would break the line', () => {
    const odd = fixedSettings({ monitoring: { metrics: "m/it's 100%.sh", postgresMetrics: null } });
    const line = monitoringCronFile(odd).content.split('\n')[3]!;
    expect(line).toBe(`*/5 * * * * root cd /opt/koprogo/app && runuser -u koprogo -- './m/it'\\''s 100\\%.sh' >> /var/lib/koprogo-deploy/logs/metrics.log 2>&1`);
    expect(() => monitoringCronFile(fixedSettings({ monitoring: { metrics: 'a\n* * * * * root reboot', postgresMetrics: null } }))).toThrow(/single line/);
  });
});

describe('backup-cron', () => {
  const step = backupCronStep(settings);

  it('dumps through compose exec into a temp file, verified before it is renamed', () => {
    expect(backupScript(settings)).toBe(`#!/bin/sh
# Written by KoproGo Deploy: daily dump of the PostgreSQL database, kept 7 days.
set -eu
umask 077
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
find "$dir" -maxdepth 1 -type f -name '*.sql.gz' -mtime +7 -delete
printf 'backup written: %s\\n' "$dir/$name"
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
`);
    expect(fileOf(step.apply[1])).toEqual(backupScriptFile(settings));
    expect(fileOf(step.apply[2])).toEqual(backupCronFile(settings));
    expect(step.check?.script).toBe(`set -eu
[ "$(dpkg-query -W -f '\${Status}\\n' cron 2>/dev/null | grep -cx 'install ok installed')" = 1 ]
[ "$({ sha256sum < /usr/local/bin/koprogo-backup; } 2>/dev/null | cut -d ' ' -f 1)" = 1e4e65f803b69678e6263ea4dfa275a5cf751276ec579c57cba7628659e63e55 ]
[ "$(stat -c '%a %U:%G' -- /usr/local/bin/koprogo-backup 2>/dev/null)" = '755 root:root' ]
[ "$({ sha256sum < /etc/cron.d/koprogo-backup; } 2>/dev/null | cut -d ' ' -f 1)" = 2eeb9d220d4a491e64e7304dc7f3bbce26151c0c07ee32ccbbbea190364ab66a ]
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
