import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposeDeploySettings } from '../types';
import { hasMonitoring, logrotateFile, monitorEnvFile, monitoringCronFile, monitoringCronStep, monitoringPackages, monitorWrapperFile, parseMonitorStatus, psqlShimFile } from './monitoring';
import { CANARY, Sandbox, fileOf, fixedSettings, runOf } from './test-helpers';

const NEEDS = { packages: ['bc', 'procps'], psql: true, database: { url: 'postgresql://koprogo@localhost:5432/koprogo_db', password: CANARY }, warningExit: ['monitoring/scripts/vps_metrics.sh'], retentionDays: 7 };
const settings = fixedSettings({ monitoring: { metrics: 'monitoring/scripts/vps_metrics.sh', postgresMetrics: 'monitoring/scripts/postgres_metrics.sh', capacity: 'monitoring/scripts/capacity_calculator.sh' }, monitoringNeeds: NEEDS });

describe('monitoring-cron: the files', () => {
  it('one job per script through koprogo-monitor (metrics 5 min, PostgreSQL hourly, capacity daily), reports cleaned with the repository retention', () => {
    expect(monitoringCronFile(settings).content).toBe(`# Written by KoproGo Deploy: the recipe's monitoring scripts. Changes are overwritten on the next run.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
*/5 * * * * root /usr/local/bin/koprogo-monitor metrics monitoring/scripts/vps_metrics.sh >> /var/lib/koprogo-deploy/logs/monitor.log 2>&1
0 * * * * root /usr/local/bin/koprogo-monitor postgres-metrics monitoring/scripts/postgres_metrics.sh >> /var/lib/koprogo-deploy/logs/monitor.log 2>&1
0 9 * * * root /usr/local/bin/koprogo-monitor capacity monitoring/scripts/capacity_calculator.sh >> /var/lib/koprogo-deploy/logs/monitor.log 2>&1
15 2 * * * root [ ! -d /opt/koprogo/app/monitoring/logs ] || find /opt/koprogo/app/monitoring/logs -type f -mtime +7 -delete
`);
  });

  it('the logs rotate daily, kept as many days as the repository says', () => {
    expect(logrotateFile({ ...settings, monitoringNeeds: { ...NEEDS, retentionDays: 14 } })).toEqual({
      path: '/etc/logrotate.d/koprogo-deploy',
      content: `# Written by KoproGo Deploy: rotation of the deployment logs. Changes are overwritten on the next run.
/var/lib/koprogo-deploy/logs/*.log {
    daily
    rotate 14
    maxage 14
    missingok
    notifempty
    compress
    delaycompress
    copytruncate
    su root root
}
`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      secret: false,
    });
  });

  it('DATABASE_URL and PGPASSWORD in a secret 0600 file; psql runs in the PostgreSQL container, the password by name only', () => {
    expect(monitorEnvFile(settings)).toEqual({ path: '/var/lib/koprogo-deploy/monitoring/env', content: `DATABASE_URL=postgresql://koprogo@localhost:5432/koprogo_db\nPGPASSWORD=${CANARY}\n`, mode: 0o600, owner: 'root', group: 'root', secret: true });
    expect(psqlShimFile(settings).content).toContain(`cid=$(docker ps -q --filter label=com.docker.compose.project=koprogo --filter label=com.docker.compose.service=postgres | head -n 1)\n`);
    expect(psqlShimFile(settings).content).toContain('exec docker exec -i -e PGPASSWORD -e PGUSER -e PGDATABASE "$cid" psql "$@"\n');
    expect(monitoringPackages(settings)).toEqual(['cron', 'logrotate', 'bc', 'procps']);
  });

  it('the step installs the packages, writes the files, then runs each job once and prints its result', () => {
    const step = monitoringCronStep(settings);
    expect(runOf(step.apply[0]).script).toContain("install -y cron logrotate bc procps\n");
    expect(step.apply.slice(1, -1).map((a) => fileOf(a).path)).toEqual([
      '/usr/local/bin/koprogo-monitor',
      '/usr/local/lib/koprogo-deploy/bin/psql',
      '/var/lib/koprogo-deploy/monitoring/env',
      '/etc/cron.d/koprogo-monitoring',
      '/etc/logrotate.d/koprogo-deploy',
    ]);
    const once = runOf(step.apply[step.apply.length - 1]).script;
    expect(once).toContain("/usr/local/bin/koprogo-monitor metrics monitoring/scripts/vps_metrics.sh >/dev/null 2>&1 || true\nprintf 'monitor %s %s\\n' metrics \"$(cat /var/lib/koprogo-deploy/monitoring/metrics.status 2>/dev/null || echo 'unknown 0 missing')\"\n");
    expect(step.check?.script).not.toContain(CANARY);
    expect(hasMonitoring(fixedSettings({ monitoring: { metrics: null, postgresMetrics: null } }))).toBe(false);
  });

  it('parses the status line it writes', () => {
    expect(parseMonitorStatus('metrics', '2026-11-27T09:00:00Z 1 warning [WARNING] RAM 82%')).toEqual({ name: 'metrics', at: '2026-11-27T09:00:00Z', exitCode: 1, status: 'warning', detail: '[WARNING] RAM 82%' });
    expect(parseMonitorStatus('metrics', 'garbage')).toBeNull();
  });
});

describe('koprogo-monitor, run with runuser and docker stubbed', () => {
  const sandbox = new Sandbox();
  const checkout = sandbox.path('opt', 'app');
  const s: ComposeDeploySettings = { ...settings, layout: { ...settings.layout, appRoot: sandbox.path('opt'), stateDir: sandbox.path('state'), binDir: sandbox.path('bin2') } };
  const wrapper = monitorWrapperFile(s);
  const script = (name: string, body: string) => {
    writeFileSync(`${checkout}/monitoring/scripts/${name}`, `#!/bin/sh\n${body}\n`);
    chmodSync(`${checkout}/monitoring/scripts/${name}`, 0o755);
  };
  const run = (name: string, path: string) => sandbox.run(`sh '${sandbox.path('bin2', 'koprogo-monitor')}' ${name} ${path}`);
  const status = (name: string) => readFileSync(sandbox.path('state', 'monitoring', `${name}.status`), 'utf8');

  beforeAll(() => {
    mkdirSync(`${checkout}/monitoring/scripts`, { recursive: true });
    mkdirSync(sandbox.path('bin2'));
    mkdirSync(sandbox.path('state', 'monitoring'), { recursive: true });
    mkdirSync(sandbox.path('lib', 'koprogo-deploy', 'bin'), { recursive: true });
    writeFileSync(sandbox.path('bin2', 'koprogo-monitor'), wrapper.content);
    writeFileSync(psqlShimFile(s).path, psqlShimFile(s).content);
    chmodSync(psqlShimFile(s).path, 0o755);
    writeFileSync(sandbox.path('state', 'monitoring', 'env'), monitorEnvFile(s)!.content);
    sandbox.stub('runuser', 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"');
    sandbox.stub('getent', `echo "koprogo:x:1000:1000::${sandbox.path('home')}:/bin/sh"`);
    // The shim's docker: `ps` finds the container, `exec` prints what psql would get (argv and PGPASSWORD).
    sandbox.stub('docker', `if [ "$1" = ps ]; then echo c0ffee; else echo "argv: $*"; echo "PGPASSWORD=$PGPASSWORD"; fi`);
  });
  afterAll(() => sandbox.dispose());

  it('ok: exit 0, output appended to its log, status recorded', () => {
    script('vps_metrics.sh', 'echo "[INFO] all good"');
    const r = run('metrics', 'monitoring/scripts/vps_metrics.sh');
    expect(r.code).toBe(0);
    expect(status('metrics')).toMatch(/^\S+Z 0 ok \[INFO\] all good\n$/);
    expect(readFileSync(sandbox.path('state', 'logs', 'metrics.log'), 'utf8')).toMatch(/^=== \S+Z monitoring\/scripts\/vps_metrics\.sh\n\[INFO\] all good\n=== exit 0: ok\n$/);
  });

  it('exit 1 of a script that reports warnings is a warning, not a broken job; exit 2 critical', () => {
    script('vps_metrics.sh', 'printf "\\033[1;33m[WARNING]\\033[0m RAM 82%%\\n"; exit 1');
    expect(run('metrics', 'monitoring/scripts/vps_metrics.sh').code).toBe(0);
    expect(status('metrics')).toMatch(/ 1 warning \[WARNING\] RAM 82%\n$/);
    script('vps_metrics.sh', 'echo "[CRITICAL] disk"; exit 2');
    expect(run('metrics', 'monitoring/scripts/vps_metrics.sh').code).toBe(0);
    expect(status('metrics')).toMatch(/ 2 critical \[CRITICAL\] disk\n$/);
  });

  it('exit 1 of another script is a failure; a missing command is "broken" with the reason', () => {
    script('capacity_calculator.sh', 'echo "no data" >&2; exit 1');
    expect(run('capacity', 'monitoring/scripts/capacity_calculator.sh').code).toBe(1);
    expect(status('capacity')).toMatch(/ 1 failed no data\n$/);
    script('capacity_calculator.sh', 'jq_that_does_not_exist .x');
    expect(run('capacity', 'monitoring/scripts/capacity_calculator.sh').code).toBe(127);
    expect(status('capacity')).toMatch(/ 127 broken .*jq_that_does_not_exist.*not found\n$/);
  });

  it('a script that needs psql gets the one in the container, DATABASE_URL, and the password in its environment only', () => {
    script('postgres_metrics.sh', 'psql "$DATABASE_URL" -t -c "select 1"');
    expect(run('postgres-metrics', 'monitoring/scripts/postgres_metrics.sh').code).toBe(0);
    const log = readFileSync(sandbox.path('state', 'logs', 'postgres-metrics.log'), 'utf8');
    expect(log).toContain('argv: exec -i -e PGPASSWORD -e PGUSER -e PGDATABASE c0ffee psql postgresql://koprogo@localhost:5432/koprogo_db -t -c select 1\n');
    expect(log).toContain(`PGPASSWORD=${CANARY}\n`);
    expect(log.split('\n').find((l) => l.startsWith('argv:'))).not.toContain(CANARY);
  });
});
