import { describe, expect, it } from 'vitest';
import { expandParams, shellWords, splitCommands } from './shell-words';
import { decideFromTooling, parseMakefile, readTooling, toolingCandidates } from './tooling';

const reader = (files: Record<string, string>) => {
  const reads: string[] = [];
  return { reads, read: async (p: string) => (reads.push(p), files[p] ?? null) };
};

describe('shell words', () => {
  it('splits commands outside quotes and substitutions, keeps quoted words whole', () => {
    expect(splitCommands(`cd deploy && docker compose -f "a b.yml" up -d || echo 'x && y'; echo $(date; true)`)).toEqual(['cd deploy', 'docker compose -f "a b.yml" up -d', "echo 'x && y'", 'echo $(date; true)']);
    expect(shellWords(`docker compose -f "$F" --env-file '$E' $ARGS`, { F: 'deploy/prod.yml', E: 'x', ARGS: '-p koprogo' })).toEqual(['docker', 'compose', '-f', 'deploy/prod.yml', '--env-file', '$E', '-p', 'koprogo']);
    expect(expandParams('${ENV:-production}/${1:-x}/$MISSING', { 1: 'y' })).toBe('production/y/');
  });
});

describe('Makefile', () => {
  it('targets with variables (:=, ?=, recursive), dependencies and one shell per recipe line', async () => {
    const mk = 'BASE := base.yml\nENV ?= prod\nCOMPOSE = docker compose -f $(BASE) -f envs/$(ENV)/override.yml\n\npull:\n\t$(COMPOSE) pull\n\ndeploy: pull ## go\n\t@cd envs/$(ENV) && echo here\n\t$(COMPOSE) up -d\n';
    expect(parseMakefile('Makefile', mk).map((t) => [t.name, t.deps])).toEqual([
      ['pull', []],
      ['deploy', ['pull']],
    ]);
    const files = { Makefile: mk, 'base.yml': 'services: {}\n', 'envs/prod/override.yml': 'services: {}\n' };
    const { read } = reader(files);
    const r = await readTooling(Object.keys(files), read);
    const deploy = r.invocations.filter((i) => i.chain[0]?.target === 'deploy').map((i) => [i.subcommand, i.files, i.production]);
    // `cd` on one recipe line does not carry to the next.
    expect(deploy).toEqual([
      ['pull', ['base.yml', 'envs/prod/override.yml'], true],
      ['up', ['base.yml', 'envs/prod/override.yml'], true],
    ]);
  });
});

describe('what the tooling runs', () => {
  it('a script called with an argument, variables, cd to an absolute checkout, COMPOSE_FILE exported', async () => {
    const files = {
      Makefile: 'prod:\n\t./scripts/run.sh production\n',
      'scripts/run.sh': '#!/bin/sh\nAPP=/srv/koprogo\ncd "$APP/deploy/$1"\nexport COMPOSE_FILE=docker-compose.yml:docker-compose.live.yml\ndocker compose --env-file ../../.env.$1 up -d\n',
      'deploy/production/docker-compose.yml': 'services: {}\n',
      'deploy/production/docker-compose.live.yml': 'services: {}\n',
    };
    const r = await readTooling(Object.keys(files), reader(files).read);
    expect(r.invocations).toEqual([
      {
        chain: [
          { kind: 'makefile', file: 'Makefile', target: 'prod', line: 1 },
          { kind: 'script', file: 'scripts/run.sh', target: 'production', line: 5 },
        ],
        files: ['deploy/production/docker-compose.yml', 'deploy/production/docker-compose.live.yml'],
        missing: [],
        envFile: '.env.production',
        project: null,
        projectDir: 'deploy/production',
        subcommand: 'up',
        args: ['-d'],
        production: true,
      },
    ]);
  });

  it('`cd dir && docker compose up` discovers the folder’s compose file and its override, as Compose does', async () => {
    const files = { 'deploy.sh': 'cd deploy/live && docker compose pull && docker compose up -d\n', 'deploy/live/compose.yaml': '', 'deploy/live/compose.override.yml': '' };
    const r = await readTooling(Object.keys(files), reader(files).read);
    expect(r.invocations.map((i) => [i.subcommand, i.files, i.production])).toEqual([
      ['pull', ['deploy/live/compose.yaml', 'deploy/live/compose.override.yml'], true],
      ['up', ['deploy/live/compose.yaml', 'deploy/live/compose.override.yml'], true],
    ]);
  });

  it('systemd units (WorkingDirectory, ExecStart) and CI jobs over ssh', async () => {
    const files = {
      'ops/koprogo.service': '[Service]\nWorkingDirectory=/opt/koprogo\nExecStart=/usr/bin/docker compose -f docker-compose.yml -f docker-compose.prod.yml up\n',
      '.github/workflows/cd.yml': 'jobs:\n  ship:\n    steps:\n      - uses: appleboy/ssh-action@v1\n        with:\n          script: |\n            cd /opt/koprogo\n            docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d --wait\n',
      'docker-compose.yml': '',
      'docker-compose.prod.yml': '',
    };
    const r = await readTooling(Object.keys(files), reader(files).read);
    expect(r.invocations.map((i) => [i.chain[0]?.kind, i.files, i.production])).toEqual([
      ['workflow', ['docker-compose.yml', 'docker-compose.prod.yml'], true],
      ['systemd', ['docker-compose.yml', 'docker-compose.prod.yml'], true],
    ]);
    // The workflow (read first) decides; the unit runs the same files: no conflict.
    expect(decideFromTooling(r.invocations)).toMatchObject({ invocation: { chain: [{ kind: 'workflow', file: '.github/workflows/cd.yml', target: 'ship' }] }, conflicts: [] });
  });

  it('never decides from a stale invocation, a non-production one or a command that does not start anything', async () => {
    const files = {
      Makefile: 'dev:\n\tdocker compose up\nlogs:\n\tdocker compose -f prod.yml logs\nold-prod:\n\tdocker compose -f docker-compose.production.yml up -d\n',
      'docker-compose.yml': '',
      'prod.yml': '',
    };
    const r = await readTooling(Object.keys(files), reader(files).read);
    expect(r.invocations.map((i) => [i.chain[0]?.target, i.subcommand, i.production, i.missing])).toEqual([
      ['dev', 'up', false, []],
      ['logs', 'logs', true, []],
      ['old-prod', 'up', true, ['docker-compose.production.yml']],
    ]);
    expect(decideFromTooling(r.invocations)).toBeNull();
  });

  it('reads only files whose names suggest deployment, at most the budget, and never the same twice', async () => {
    const names = ['Makefile', 'scripts/lint.sh', 'scripts/deploy.sh', 'scripts/test.sh', 'monitoring/scripts/vps_metrics.sh', '.github/workflows/tests.yml', '.github/workflows/deploy.yml', 'docs/DEPLOY.md', 'node_modules/x/deploy.sh'];
    expect(toolingCandidates(names).map((c) => c.path)).toEqual(['Makefile', '.github/workflows/deploy.yml', 'scripts/deploy.sh', 'docs/DEPLOY.md']);
    const files: Record<string, string> = Object.fromEntries(names.map((n) => [n, n === 'Makefile' ? 'a:\n\t./scripts/deploy.sh\n' : '#']));
    const { reads, read } = reader(files);
    await readTooling(names, read, 2);
    expect(reads).toEqual(['Makefile', 'scripts/deploy.sh']);
  });
});
