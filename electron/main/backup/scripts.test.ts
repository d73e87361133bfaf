import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultComposeSettings } from '../engine/steps/compose-plan';
import { adoptUploadScript, appServicesScript, listScript, provenDumpPath, provenDumpScript, pruneScript, restoreIntoLiveScript, scratchVerifyScript, stageScript, TABLE_STATS_SQL } from './scripts';

// The remote side of proven backups, as text: what each script does, in which order, with every value
// quoted, no password anywhere; and every script is valid POSIX sh (`sh -n`), here-documents included.

const settings = defaultComposeSettings({
  composeProject: 'koprogo',
  composeFiles: ['docker-compose.yml', 'docker-compose.prod.yml'],
  postgres: { service: "db'svc", user: 'koprogo', database: 'koprogo db' },
  layout: { backupDir: '/var/backups/koprogo', appRoot: '/opt/koprogo', stateDir: '/var/lib/koprogo-deploy' },
});
const ID = '20261203-141000-manual-abcdef';

function syntaxOk(script: string): void {
  const r = spawnSync('sh', ['-n'], { input: script });
  expect(r.status, r.stderr.toString()).toBe(0);
}

describe('backup scripts', () => {
  it('the dump: figures in the exported snapshot, pg_dump of that snapshot, checksum, then the final name', () => {
    const s = provenDumpScript(settings, ID);
    syntaxOk(s);
    const compose = "docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml exec -T 'db'\\''svc'";
    expect(s).toContain(`${compose} psql -X -q -At -v ON_ERROR_STOP=1 -U koprogo -d 'koprogo db' < "$work/sql"`);
    expect(s).toContain(`${compose} pg_dump -Fc --snapshot="$snap" -U koprogo 'koprogo db' > "$work/dump"`);
    // Order: snapshot exported, figures read in it, dump, commit, checksum, rename.
    const order = ['pg_export_snapshot()', 'wait_for version: psql 300', 'KOPROGO_SQL', 'wait_for stats-end stats', '--snapshot="$snap"', "printf 'COMMIT;\\n' >&3", 'sha256sum "$work/dump"', `mv -f "$work/dump" "$dir/${ID}.dump"`, "echo 'backup-done'"];
    const at = order.map((o) => s.indexOf(o));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // printf, not echo: dash's echo would turn \e into an escape character.
    expect(s).toContain(`printf '%s\\n' '\\echo stats-end' >&3`);
    expect(s).toContain('umask 077');
    expect(s).not.toMatch(/PGPASSWORD|POSTGRES_PASSWORD/);
  });

  it('refuses ids and names that could escape their folder', () => {
    expect(() => provenDumpScript(settings, '../../etc/passwd')).toThrow();
    expect(() => provenDumpPath(settings, '20261203-141000-manual-ABCDEF')).toThrow();
    expect(() => pruneScript(settings, ['x; rm -rf /'])).toThrow();
    expect(() => scratchVerifyScript(settings, { tag: 'a b', path: '/x', format: 'custom' })).toThrow();
    expect(() => scratchVerifyScript(settings, { tag: 'ok', path: '/x', format: 'custom', sha256: 'nope' })).toThrow();
  });

  it('the scratch restore: the database image itself, no network, trust on its own loopback only, removed with its volume', () => {
    const s = scratchVerifyScript(settings, { tag: 'v1', path: provenDumpPath(settings, ID), format: 'custom', sha256: 'a'.repeat(64), needBytes: 123 });
    syntaxOk(s);
    expect(s).toContain(`cleanup() { docker rm -f -v "$name" >/dev/null 2>&1 || true; rm -f "$log"; }`);
    expect(s).toContain(`image=$(docker inspect --format '{{.Image}}' "$cid")`);
    expect(s).toContain(`docker run -d --name "$name" --network none --label koprogo-deploy.verify=v1 -v /var/backups/koprogo/proven/${ID}.dump:/backup/dump:ro -e POSTGRES_USER=koprogo -e 'POSTGRES_DB=koprogo db' -e POSTGRES_HOST_AUTH_METHOD=trust "$image" > /dev/null`);
    expect(s).toContain(`docker exec "$name" pg_restore --exit-on-error -U koprogo -d 'koprogo db' /backup/dump > "$log" 2>&1`);
    expect(s).toContain(`[ "$(sha256sum /var/backups/koprogo/proven/${ID}.dump | cut -d ' ' -f 1)" = ${'a'.repeat(64)} ]`);
    expect(s).toContain('need=123');
    expect(s.indexOf('sha256sum')).toBeLessThan(s.indexOf('docker run'));
    // A daily dump (plain SQL, gzip) is tested whole first, then fed to psql.
    const daily = scratchVerifyScript(settings, { tag: 'd1', path: '/var/backups/koprogo/koprogo_db-20261203-033000.sql.gz', format: 'sql.gz' });
    syntaxOk(daily);
    expect(daily).toContain(`gzip -t -- /var/backups/koprogo/koprogo_db-20261203-033000.sql.gz 2> "$log"`);
    expect(daily).toContain(`gzip -dc -- /var/backups/koprogo/koprogo_db-20261203-033000.sql.gz | docker exec -i "$name" psql -X -q -At -v ON_ERROR_STOP=1 -U koprogo -d 'koprogo db' > "$log" 2>&1`);
  });

  it('staging, adopting, listing, pruning: exact commands', () => {
    expect(stageScript('/var/backups/koprogo/proven/a.dump', "/home/o'k/.cache/koprogo-deploy/a.dump", { user: 'deploy', group: 'deploy' })).toBe(
      [
        'set -eu',
        'src=/var/backups/koprogo/proven/a.dump',
        "dst='/home/o'\\''k/.cache/koprogo-deploy/a.dump'",
        '[ -f "$src" ] || exit 3',
        'if [ -f "$dst" ] && [ "$(stat -c %s "$dst")" = "$(stat -c %s "$src")" ]; then exit 0; fi',
        'install -m 0600 -o deploy -g deploy "$src" "$dst.part"',
        'mv -f "$dst.part" "$dst"',
        '',
      ].join('\n'),
    );
    expect(pruneScript(settings, [ID])).toBe(`rm -f -- /var/backups/koprogo/proven/${ID}.dump /var/backups/koprogo/proven/${ID}.json\n`);
    expect(pruneScript(settings, [])).toBe('true\n');
    for (const s of [listScript(settings), adoptUploadScript('/tmp/u', provenDumpPath(settings, ID), 'b'.repeat(64)), appServicesScript(settings)]) syntaxOk(s);
    expect(() => adoptUploadScript('/tmp/u', '/x', 'short')).toThrow();
  });

  it('the restore into the deployment: services stopped, database dropped and made again, restored, counted', () => {
    const s = restoreIntoLiveScript(settings, { path: provenDumpPath(settings, ID), format: 'custom', stop: ['backend', 'worker'] });
    syntaxOk(s);
    const order = ['stop backend worker', "echo 'services-stopped'", 'DROP DATABASE IF EXISTS :"db" WITH (FORCE);', 'CREATE DATABASE :"db" OWNER :"owner";', 'pg_restore --exit-on-error', "echo 'restored'", 'TimeZone', "echo 'restore-done'"];
    const at = order.map((o) => s.indexOf(o));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(s).toContain("-v 'db=koprogo db' -v owner=koprogo");
    syntaxOk(restoreIntoLiveScript(settings, { path: '/var/backups/koprogo/koprogo_db-20261203-033000.sql.gz', format: 'sql.gz', stop: [] }));
  });

  it('the figures: one scan per ordinary table, names hex-encoded, timestamps in UTC', () => {
    expect(TABLE_STATS_SQL).toContain("SET TimeZone = 'UTC';");
    expect(TABLE_STATS_SQL).toContain("encode(convert_to(n.nspname || '.' || c.relname, 'UTF8'), 'hex')");
    expect(TABLE_STATS_SQL).toContain("WHERE c.relkind = 'r'");
    expect(TABLE_STATS_SQL.trimEnd().endsWith('\\gexec')).toBe(true);
  });
});
