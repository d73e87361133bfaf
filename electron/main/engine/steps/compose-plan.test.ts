import { describe, expect, it } from 'vitest';
import en from '../../../shared/i18n/en.json';
import type { ComposeDeploySettings, RemoteCommand, Step } from '../types';
import { DEFAULT_LAYOUT } from '../types';
import { buildComposeSteps, defaultComposeSettings } from './compose-plan';
import { fileMatches } from './shell';
import { CANARY, Sandbox, fixedSettings, shSyntaxError } from './test-helpers';

const PHASE1_IDS = [
  'wait-ready',
  'timezone',
  'hostname',
  'docker',
  'deploy-user',
  'firewall',
  'fail2ban',
  'unattended-upgrades',
  'repository',
  'env-file',
  'compose-up',
  'health',
  'monitoring-cron',
  'backup-cron',
];

function commands(steps: Step[]): RemoteCommand[] {
  return steps.flatMap((s) => [s.check, ...s.apply.map((a) => (a.kind === 'run' ? a.command : null)), s.verify].filter((c): c is RemoteCommand => c !== null));
}

function files(steps: Step[]) {
  return steps.flatMap((s) => s.apply.flatMap((a) => (a.kind === 'file' ? [a.file] : [])));
}

describe('buildComposeSteps', () => {
  it('orders the phase 1 steps, without the compose override', () => {
    expect(buildComposeSteps(fixedSettings()).map((s) => s.id)).toEqual(PHASE1_IDS);
  });

  it('adds the compose override before compose-up in phase 2', () => {
    const ids = buildComposeSteps(fixedSettings({ phase: 2 })).map((s) => s.id);
    expect(ids).toEqual([...PHASE1_IDS.slice(0, 10), 'compose-override', ...PHASE1_IDS.slice(10)]);
  });

  it('leaves out the cron steps the recipe has nothing for', () => {
    const bare = fixedSettings({ postgres: null, monitoring: { metrics: null, postgresMetrics: null } });
    expect(buildComposeSteps(bare).map((s) => s.id)).toEqual(PHASE1_IDS.slice(0, -2));
    const monitoringOnly = fixedSettings({ postgres: null });
    expect(buildComposeSteps(monitoringOnly).map((s) => s.id)).toEqual(PHASE1_IDS.slice(0, -1));
  });

  it('has an i18n title for every step id', () => {
    const titles = (en as { deploy: { steps: Record<string, string> } }).deploy.steps;
    for (const id of [...PHASE1_IDS, 'compose-override', 'adopt-check', 'bind-local', 'registry-login', 'compose-pull', 'repository-key']) expect(titles[id], id).toBeTruthy();
  });

  it('runs everything as root, the long work detached', () => {
    const steps = buildComposeSteps(fixedSettings({ phase: 2 }));
    expect(commands(steps).every((c) => c.as === 'root')).toBe(true);
    const detached = steps.filter((s) => s.apply.some((a) => a.kind === 'run' && a.command.detached)).map((s) => s.id);
    expect(detached).toEqual(['docker', 'repository', 'compose-up']);
  });

  it('refuses settings without a repository', () => {
    expect(() => buildComposeSteps(fixedSettings({ repo: { url: '', ref: 'main' } }))).toThrow(/repo/);
  });
});

describe('defaultComposeSettings', () => {
  it('fills the documented defaults', () => {
    const s = defaultComposeSettings({ phase: 2, hostname: 'h', layout: { stateDir: '/srv/state' } });
    expect(s).toEqual({
      phase: 2,
      layout: { ...DEFAULT_LAYOUT, stateDir: '/srv/state' },
      hostname: 'h',
      timezone: 'Europe/Brussels',
      deployUser: 'koprogo',
      deployUserPublicKey: '',
      sshPort: 22,
      repo: { url: '', ref: 'main' },
      checkoutName: 'app',
      composeFiles: ['docker-compose.yml', 'docker-compose.prod.yml'],
      composeProject: 'koprogo',
      envFile: '.env',
      envContent: '',
      healthUrl: 'http://127.0.0.1:8080/health',
      healthTimeoutSec: 300,
      postgres: null,
      monitoring: { metrics: null, postgresMetrics: null },
      tuning: { postgresService: null, backendService: null },
    });
    expect(defaultComposeSettings().layout).toEqual(DEFAULT_LAYOUT);
  });

  it('keeps a default when a field is passed as undefined', () => {
    expect(defaultComposeSettings({ timezone: undefined, sshPort: undefined })).toMatchObject({ timezone: 'Europe/Brussels', sshPort: 22 });
  });
});

// Every string field set to something a careless builder would break on. Fields that end up inside
// a line of a line-oriented file (cron, /etc/hosts, authorized_keys) get the value without the
// newline: the builders refuse a newline there, and the settings schema does too.
const NASTY_LINE = `it's "q" $HOME $(id) \`id\` ;* é✓ \\ %`;
const NASTY = `${NASTY_LINE}\nnext line`;

function nastySettings(): ComposeDeploySettings {
  return {
    phase: 2,
    layout: {
      stateDir: `/${NASTY_LINE}/state`,
      appRoot: `/${NASTY_LINE}/opt`,
      cronDir: `/${NASTY}/cron.d`,
      aptConfDir: `/${NASTY}/apt`,
      fail2banDir: `/${NASTY}/fail2ban`,
      backupDir: `/${NASTY}/backups`,
      binDir: `/${NASTY_LINE}/bin`,
      hostsFile: `/${NASTY}/hosts`,
      logrotateDir: `/${NASTY_LINE}/logrotate.d`,
    },
    hostname: NASTY_LINE,
    timezone: NASTY,
    deployUser: NASTY_LINE,
    deployUserPublicKey: `ssh-ed25519 ${NASTY_LINE}`,
    sshPort: 2222,
    repo: { url: NASTY, ref: NASTY, deployKey: { privateKey: NASTY, knownHosts: NASTY } },
    checkoutName: NASTY_LINE,
    composeFiles: [NASTY, NASTY_LINE],
    composeProject: NASTY,
    envFile: NASTY,
    envContent: `SECRET=${CANARY}\n${NASTY}`,
    healthUrl: NASTY,
    healthTimeoutSec: 30,
    postgres: { service: NASTY, user: NASTY, database: NASTY },
    monitoring: { metrics: NASTY_LINE, postgresMetrics: NASTY_LINE, capacity: NASTY_LINE },
    tuning: { postgresService: NASTY, backendService: NASTY, postgresCommand: [NASTY, '-c', NASTY], backendResources: { limits: { memory: NASTY } } },
    monitoringNeeds: { packages: ['bc'], psql: true, database: { url: NASTY_LINE, password: CANARY }, warningExit: [NASTY_LINE], retentionDays: 7 },
    images: { pull: [{ service: NASTY, image: NASTY, moving: false }], build: [NASTY] },
    registry: { host: NASTY_LINE, user: NASTY_LINE, password: CANARY },
    healthProxy: { host: NASTY_LINE, port: 443, scheme: 'https' },
    bindLocal: [{ file: NASTY, copy: NASTY_LINE, content: NASTY, sourceSha256: 'a'.repeat(64) }],
    backupData: { volumes: [{ volume: NASTY, name: null }], paths: [NASTY_LINE] },
    adoptContainerNames: [NASTY_LINE],
  };
}

describe('quoting, with nasty values everywhere', () => {
  const steps = buildComposeSteps(nastySettings());

  it('builds every step', () => {
    // A private repository (deploy key set) adds the key step before the clone; phase 2 the override.
    expect(steps.map((s) => s.id)).toEqual([
      'wait-ready',
      'adopt-check',
      ...PHASE1_IDS.slice(1, 8),
      'repository-key',
      ...PHASE1_IDS.slice(8, 10),
      'bind-local',
      'compose-override',
      'registry-login',
      'compose-pull',
      ...PHASE1_IDS.slice(10),
    ]);
  });

  it('gives sh a script it can parse, for every command', () => {
    const cmds = commands(steps);
    expect(cmds.length).toBeGreaterThan(30);
    for (const c of cmds) expect(shSyntaxError(c.script), c.script).toBe('');
  });

  it('writes a backup script and cron commands that parse too', () => {
    const all = files(steps);
    const backup = all.find((f) => f.path.endsWith('/koprogo-backup') && f.mode === 0o755)!;
    expect(shSyntaxError(backup.content)).toBe('');
    const cronLines = all.filter((f) => f.path.includes('/cron.d/')).flatMap((f) => f.content.split('\n').filter((l) => /^[0-9*]/.test(l)));
    // Three monitoring jobs, the cleanup of the scripts' own reports, the backup.
    expect(cronLines).toHaveLength(5);
    for (const line of cronLines) {
      const m = /^(\S+ ){5}root (.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      // What cron hands to sh: \% becomes %, an unescaped % would have become a newline.
      expect(m![2]).not.toMatch(/(^|[^\\])%/);
      expect(shSyntaxError(m![2]!.replace(/\\%/g, '%')), line).toBe('');
    }
  });

  it('delivers the values intact: the timezone check passes against a zone equal to the nasty value', () => {
    const sandbox = new Sandbox();
    try {
      sandbox.stub('timedatectl', `printf '%s\\n' "$NASTY_TZ"`);
      const check = steps.find((s) => s.id === 'timezone')!.check!;
      expect(sandbox.run(check.script, { NASTY_TZ: NASTY }).code).toBe(0);
      expect(sandbox.run(check.script, { NASTY_TZ: 'Europe/Brussels' }).code).toBe(1);
    } finally {
      sandbox.dispose();
    }
  });

  it('matches a file with nasty content and a nasty name through the shared file check', () => {
    const sandbox = new Sandbox();
    try {
      const path = sandbox.path(NASTY);
      const env = steps.find((s) => s.id === 'env-file')!.apply[0]!;
      if (env.kind !== 'file') throw new Error('expected a file');
      sandbox.run(`printf '%s' "$C" > "$P"`, { C: env.file.content, P: path });
      expect(sandbox.run(fileMatches(path, env.file.content)).code).toBe(0);
      expect(sandbox.run(fileMatches(path, `${env.file.content} `)).code).toBe(1);
    } finally {
      sandbox.dispose();
    }
  });

  it('never puts the env content in a script, a title or a non-secret file', () => {
    for (const s of [...steps, ...buildComposeSteps(fixedSettings({ phase: 2 }))]) {
      for (const c of commands([s])) expect(c.script, s.id).not.toContain(CANARY);
      expect(JSON.stringify(s.titleParams ?? {}), s.id).not.toContain(CANARY);
      for (const f of files([s])) {
        if (f.content.includes(CANARY)) expect(f.secret, f.path).toBe(true);
      }
    }
    // The repository's deploy key, the .env, the registry password, the monitoring scripts' database password.
    expect(files(steps).filter((f) => f.secret).map((f) => f.path.split('/').pop())).toEqual([expect.stringMatching(/\.key$/), expect.any(String), expect.stringMatching(/\.password$/), 'env']);
  });
});
