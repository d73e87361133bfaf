import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../shared/phases';
import { ROADMAP_FILES } from './recipe/fixtures/repos';
import { ProfileStore } from './store/profile-store';
import { EXIT, runCli } from './cli';
import { readableEd25519 } from './ssh/keys';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

beforeAll(() => {
  process.env.KOPROGO_DATA_DIR = mkdtempSync(join(tmpdir(), 'koprogo-cli-'));
  process.env.LC_ALL = 'en_GB.UTF-8';
});

describe('cli', () => {
  it('--help lists the commands and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('phases');
    expect(out).toContain('recommend');
  });

  it('phases --json prints the phase table', async () => {
    const { code, out } = await run('phases', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(PHASES)));
  });

  it('phases prints every row for every phase', async () => {
    const { out } = await run('phases');
    expect(out).toContain('Phase 4 · K3s Prod HA');
    expect(out.match(/Cost per month/g)).toHaveLength(4);
  });

  it('recommend validates through the contract and explains errors', async () => {
    const ok = await run('recommend', '--copros', '60', '--lots', '8', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).recommendation.phase).toBe(1);
    const bad = await run('recommend', '--copros=-5', '--lots', '8');
    expect(bad.code).toBe(2);
    // The problem names the command-line option, and the remedy speaks of options, not of a screen.
    expect(bad.err).toContain('--copros: Enter at least 0.');
    expect(bad.err).toContain('Correct the options above');
    expect(bad.err).not.toContain('highlighted');
    const lots = await run('recommend', '--copros', '5', '--lots', '0');
    expect(lots.err).toContain('--lots:');
    expect(lots.err).not.toContain('lotsPerCopro');
    const nan = await run('recommend', '--copros', 'many', '--lots', '8');
    expect(nan.code).not.toBe(0);
    expect(nan.err).toContain('Enter a number.');
  });

  it('speaks the language of the environment', async () => {
    process.env.LC_ALL = 'nl_BE.UTF-8';
    const { out } = await run('phases');
    process.env.LC_ALL = 'en_GB.UTF-8';
    expect(out).toContain('Fase 2 · Groei');
    expect(out).toContain('Kost per maand');
  });

  it('plan prints every step with secrets masked, from a key file and an .env file', async () => {
    const dir = process.env.KOPROGO_DATA_DIR!;
    await new ProfileStore(dir).save({
      id: 'clip',
      name: 'CLI plan',
      phase: 2,
      provider: { kind: 'existing' },
      server: { host: '203.0.113.7', port: 22, user: 'root', hostKeySha256: 'SHA256:abc' },
      repo: { url: 'https://github.com/acme/koprogo.git', ref: 'v1.2.0' },
      settings: { 'tuning.postgres': 'postgres', 'tuning.backend': 'backend' },
      secrets: {},
    });
    const key = join(dir, 'id_ed25519');
    writeFileSync(key, readableEd25519().private, { mode: 0o600 });
    const env = join(dir, 'prod.env');
    writeFileSync(env, 'DOMAIN=acme.example\nJWT_SECRET=CANARY-cli-55aa\n');
    const json = await run('plan', 'clip', '--key', key, '--env', env, '--json');
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.out) as { stepId: string }[];
    expect(entries.map((e) => e.stepId)).toContain('compose-override');
    expect(json.out).not.toContain('CANARY-cli-55aa');
    // `--env-file` (which Node 20 reads itself when it comes on node's command line) still works where it reaches the CLI.
    const text = await run('plan', 'clip', '--key', key, '--env-file', env);
    expect(text.out).toContain('JWT_SECRET=••••••');
    expect(text.out).toContain('shared_buffers=1GB');
    expect(text.out).not.toContain('CANARY-cli-55aa');
  });

  it('plan of a profile without its .env says what is missing', async () => {
    const { code, err } = await run('plan', 'nope');
    expect(code).toBe(2);
    expect(err).toContain('does not exist');
  });

  it('detect reads a local folder and prints the recipe', async () => {
    const dir = join(process.env.KOPROGO_DATA_DIR!, 'repo');
    for (const [path, content] of Object.entries(ROADMAP_FILES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const json = await run('detect', dir, '--json');
    expect(json.code).toBe(0);
    const recipe = JSON.parse(json.out);
    expect(recipe.phases).toEqual({ 1: true, 2: true, 3: true, 4: true });
    // Without --json: what the Code step shows, translated.
    const human = await run('detect', dir);
    expect(human.code).toBe(0);
    expect(human.out).toContain('Docker Compose: docker-compose.yml + docker-compose.prod.yml — The production overlay');
    expect(human.out).toContain('PostgreSQL: service postgres, user koprogo, database koprogo_db');
    expect(human.out).toContain('Phase 1 ✓  Phase 2 ✓  Phase 3 ✓  Phase 4 ✓');
    const bad = await run('detect', 'not a folder nor a url');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('neither a folder here nor a repository address');
  });

  it('an unknown command is an error', async () => {
    const { code, err } = await run('deploy-everything');
    expect(code).toBe(1);
    expect(err).toContain('there is no command “deploy-everything”');
  });

  it('recommend prints the reason, cost, revenue and margin like the Phase step', async () => {
    const { code, out } = await run('recommend', '--copros', '60', '--lots', '8');
    expect(code).toBe(0);
    expect(out).toContain('We recommend Phase 1 · MVP');
    expect(out).toMatch(/60 copros and 480 lots stay under phase 1/);
    expect(out).toMatch(/Infrastructure\s+~€5 \/ month/);
    expect(out).toMatch(/Revenue \(60 × €15\)\s+€900 \/ month/);
    expect(out).toMatch(/Margin\s+99\.4 %/);
  });

  it('command line mistakes: translated, one language, exit code 1; --help documents the exit codes', async () => {
    process.env.LC_ALL = 'fr_BE.UTF-8';
    try {
      const missing = await run('recommend', '--copros', '5');
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('l’option --lots est obligatoire');
      expect(missing.err).not.toMatch(/required option|error:/);
      const unknown = await run('phases', '--bogus');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('il n’y a pas d’option « --bogus »');
      const noArg = await run('plan');
      expect(noArg.code).toBe(1);
      expect(noArg.err).toContain('l’argument <profile> manque');
      const help = await run('--help');
      expect(help.code).toBe(0);
      expect(help.out).toContain('Utilisation :');
      expect(help.out).toContain('Commandes :');
      expect(help.out).not.toMatch(/Usage:|Options:|display help/);
      expect(help.out).toContain('Codes de sortie : 0');
    } finally {
      process.env.LC_ALL = 'en_GB.UTF-8';
    }
  });

  it('profiles list says when there is none', async () => {
    const previous = process.env.KOPROGO_DATA_DIR;
    process.env.KOPROGO_DATA_DIR = mkdtempSync(join(tmpdir(), 'koprogo-cli-empty-'));
    try {
      const { code, out } = await run('profiles', 'list');
      expect(code).toBe(0);
      expect(out).toContain('No deployment profile yet');
    } finally {
      process.env.KOPROGO_DATA_DIR = previous;
    }
  });

  it('upgrade --version reaches the upgrade (the program\'s own -V, --version does not take it); a bad ref or two targets exit 2', async () => {
    const bad = await run('upgrade', 'koprogo', '--version', '-rf');
    expect(bad.code).toBe(2);
    expect(bad.out).not.toContain('0.1.0');
    const dots = await run('upgrade', 'koprogo', '--version', 'v1..2');
    expect(dots.code).toBe(2);
    expect(dots.err).toContain('v1..2');
    const both = await run('upgrade', 'koprogo', '--version', 'v1.2.0', '--to-phase', '2');
    expect(both.code).toBe(2);
    expect(both.err).toContain('--version or --to-phase');
  });

  it('detect exits 4 when the recipe has blocking problems', async () => {
    const dir = join(process.env.KOPROGO_DATA_DIR!, 'norecipe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'README.md'), '# nothing to deploy here\n');
    const r = await run('detect', dir);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/blocking problem/);
    expect((await run('detect', dir, '--json')).code).toBe(4);
    const gitlab = await run('detect', 'https://gitlab.com/acme/koprogo');
    expect(gitlab.code).toBe(2);
    expect(gitlab.err).toContain('gitlab.com is not GitHub');
  });

  it('through `npm run cli -- …` (the script line of package.json), --env-file and --env reach the CLI, not Node', async () => {
    const dir = process.env.KOPROGO_DATA_DIR!;
    const missing = join(dir, 'absent.env');
    const npm = (...args: string[]) =>
      spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'cli', '--', ...args], {
        cwd: join(__dirname, '../..'),
        env: { ...process.env, KOPROGO_DATA_DIR: dir, LC_ALL: 'en_GB.UTF-8' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    // Node 20's own `--env-file` handling would exit 9 with "node: … not found"; the CLI names the file and refuses (2).
    for (const args of [['--env-file', missing], [`--env-file=${missing}`], ['--env', missing]]) {
      const r = npm('plan', 'nope', ...args);
      expect(r.stderr, args.join(' ')).not.toMatch(/^node:/m);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(EXIT.refused);
      expect(r.stderr).toContain(`The .env file ${missing} could not be read.`);
    }
    // Options the CLI itself parses keep working after the `--`.
    const help = npm('--help');
    expect(help.status).toBe(EXIT.ok);
    expect(help.stdout).toContain('deploy');
  }, 120_000);
});
