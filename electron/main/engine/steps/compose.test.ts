import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OVERRIDE_INVALID_EXIT,
  composeCommand,
  composeFileArgs,
  containersRunCurrentImages,
  memoryBytes,
  tunedBackendResources,
  tunedPostgresCommand,
  composeFingerprintScript,
  composeOverrideContent,
  composeOverrideFile,
  composeOverrideStep,
  composeUpStep,
  projectContainersUp,
} from './compose';
import { script } from './shell';
import { CANARY, Sandbox, fileOf, fixedSettings, runOf } from './test-helpers';

const phase1 = fixedSettings();
const phase2 = fixedSettings({ phase: 2 });

describe('compose files and command', () => {
  it('lists the recipe files, plus the override in phase 2', () => {
    expect(composeFileArgs(phase1)).toEqual(['-f', 'docker-compose.yml', '-f', 'docker-compose.prod.yml']);
    expect(composeFileArgs(phase2)).toEqual(['-f', 'docker-compose.yml', '-f', 'docker-compose.prod.yml', '-f', 'docker-compose.koprogo.yml']);
    expect(composeCommand(phase1)).toBe('docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml');
    expect(composeCommand(fixedSettings({ composeFiles: ['deploy/prod files/compose.yml'], envFile: 'deploy/.env' }))).toBe(
      "docker compose -p koprogo --env-file deploy/.env -f 'deploy/prod files/compose.yml'",
    );
  });
});

const HEADER = `# Written by KoproGo Deploy: phase 2 tuning (PostgreSQL shared_buffers=1GB, backend memory 500M), merged with the
# repository's own command and deploy.resources. Changes are overwritten on the next run.
`;

describe('compose-override', () => {
  it('tunes PostgreSQL and the backend as the roadmap says (no command in the repository: the image default)', () => {
    expect(composeOverrideContent(phase2)).toBe(`${HEADER}services:
  "postgres":
    "command":
      - "postgres"
      - "-c"
      - "shared_buffers=1GB"
  "backend":
    "deploy":
      "resources":
        "limits":
          "memory": "500M"
`.replace(/"(\w+)":/g, '$1:'));
  });

  it("keeps the repository's flags and replaces its own shared_buffers, in array and string form", () => {
    const kept = ['postgres', '-c', 'shared_buffers=256MB', '-c', 'max_connections=15', '-c', 'shared_preload_libraries=pg_stat_statements'];
    expect(tunedPostgresCommand(kept)).toEqual(['postgres', '-c', 'shared_buffers=1GB', '-c', 'max_connections=15', '-c', 'shared_preload_libraries=pg_stat_statements']);
    expect(tunedPostgresCommand('postgres -c max_wal_size=1GB -c "log_line_prefix=%m [%p] "')).toEqual(['postgres', '-c', 'max_wal_size=1GB', '-c', 'log_line_prefix=%m [%p] ', '-c', 'shared_buffers=1GB']);
    expect(tunedPostgresCommand(['postgres', '--shared_buffers=128MB'])).toEqual(['postgres', '--shared_buffers=1GB']);
    expect(tunedPostgresCommand(['postgres', '-cshared_buffers=128MB', '-c', 'wal_level=replica'])).toEqual(['postgres', '-cshared_buffers=1GB', '-c', 'wal_level=replica']);
    expect(tunedPostgresCommand(null)).toEqual(['postgres', '-c', 'shared_buffers=1GB']);
  });

  it("raises the backend's memory limit to 500M (a larger one stays), a reservation above it comes down", () => {
    expect(tunedBackendResources({ limits: { memory: '384M', cpus: '0.75' }, reservations: { memory: '256M' } })).toEqual({ limits: { memory: '500M' } });
    expect(tunedBackendResources({ limits: { memory: '2g' } })).toEqual({ limits: { memory: '2g' } });
    expect(tunedBackendResources({ reservations: { memory: '768M' } })).toEqual({ limits: { memory: '500M' }, reservations: { memory: '500M' } });
    expect(tunedBackendResources(null)).toEqual({ limits: { memory: '500M' } });
    expect(memoryBytes('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(memoryBytes('${BACKEND_MEM:-384M}')).toBeNull();
  });

  it('writes only what the recipe has, and quotes odd service names as YAML strings', () => {
    expect(composeOverrideContent(fixedSettings({ phase: 2, tuning: { postgresService: null, backendService: null } }))).toBe(`${HEADER}services: {}\n`);
    const same = composeOverrideContent(fixedSettings({ phase: 2, tuning: { postgresService: 'db', backendService: 'db' } }));
    expect(same).toContain('db:\n    command:\n');
    expect(same).toContain('    deploy:\n      resources:\n        limits:\n          memory: "500M"\n');
    const odd = composeOverrideContent(fixedSettings({ phase: 2, tuning: { postgresService: 'yes', backendService: 'a: b\n"c"' } }));
    expect(odd).toContain('\n  "yes":\n');
    expect(odd).toContain('\n  "a: b\\n\\"c\\"":\n');
  });

  it('is a plain file of the deploy user in the checkout, checked by hash, verified by docker compose config', () => {
    const file = composeOverrideFile(phase2);
    expect(file).toMatchObject({ path: '/opt/koprogo/app/docker-compose.koprogo.yml', mode: 0o644, owner: 'koprogo', group: 'koprogo', secret: false });
    const step = composeOverrideStep(phase2);
    expect(step.id).toBe('compose-override');
    expect(fileOf(step.apply[0])).toEqual(file);
    expect(step.check?.script).toMatch(/^set -eu\n\[ "\$\(\{ sha256sum < \/opt\/koprogo\/app\/docker-compose\.koprogo\.yml; \} 2>\/dev\/null \| cut -d ' ' -f 1\)" = [0-9a-f]{64} \]\n/);
    expect(step.verify?.script).toContain(`config=$(docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml -f docker-compose.koprogo.yml config 2>&1) || {`);
    expect(step.verify?.script).toContain(`printf '%s\\n' "$config" | grep -qF -- shared_buffers=1GB || { echo 'override_invalid shared_buffers=1GB' >&2; exit ${OVERRIDE_INVALID_EXIT}; }`);
  });
});

describe('images: prebuilt first, moving tags, the 127.0.0.1 copies', () => {
  const images = fixedSettings({
    images: { pull: [{ service: 'backend', image: 'ghcr.io/acme/koprogo/backend:main-latest', moving: true }], build: ['frontend'] },
    bindLocal: [{ file: 'docker-compose.yml', copy: 'docker-compose.koprogo-local.yml', content: 'services: {}\n', sourceSha256: 'a'.repeat(64) }],
  });

  it('runs the copy in place of the file it was made from', () => {
    expect(composeFileArgs(images)).toEqual(['-f', 'docker-compose.koprogo-local.yml', '-f', 'docker-compose.prod.yml']);
  });

  it("builds only what has no image, never builds in `up`, with the app's Docker config", () => {
    const up = runOf(composeUpStep(images).apply[0]).script;
    expect(up).toContain(`DOCKER_CONFIG=/var/lib/koprogo-deploy/docker docker compose -p koprogo --env-file .env -f docker-compose.koprogo-local.yml -f docker-compose.prod.yml build frontend\n`);
    expect(up).toContain(`DOCKER_CONFIG=/var/lib/koprogo-deploy/docker docker compose -p koprogo --env-file .env -f docker-compose.koprogo-local.yml -f docker-compose.prod.yml up -d --remove-orphans --no-build\n`);
    expect(up).not.toContain('--build\n');
    // A pulled moving tag makes the check fail until `up` recreates the container.
    expect(composeUpStep(images).check?.script).toContain(containersRunCurrentImages(images).join('\n'));
  });
});

const FINGERPRINT = `u=koprogo
if command -v runuser >/dev/null 2>&1; then
  as_user() { runuser -u "$u" -- "$@"; }
else
  as_user() { sudo -n -H -u "$u" -- "$@"; }
fi
cd /opt/koprogo/app
head=$(as_user git rev-parse HEAD)
sums=$(sha256sum -- docker-compose.yml docker-compose.prod.yml .env)
fingerprint=$(printf '%s\\n' 'docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml' "$head" "$sums" | sha256sum | cut -d ' ' -f 1)`;

describe('compose-up', () => {
  const step = composeUpStep(phase1);

  it('fingerprints compose command, HEAD, compose files and env file on the server', () => {
    expect(composeFingerprintScript(phase1).join('\n')).toBe(FINGERPRINT);
    expect(composeFingerprintScript(phase2).join('\n')).toContain('sha256sum -- docker-compose.yml docker-compose.prod.yml docker-compose.koprogo.yml .env');
    expect(FINGERPRINT).not.toContain(CANARY);
  });

  it('checks the stamp and that every container is up (or a finished one-shot)', () => {
    expect(step.check?.script).toBe(`set -eu
${FINGERPRINT}
[ "$(cat /var/lib/koprogo-deploy/compose.stamp 2>/dev/null)" = "$fingerprint" ]
states=$(docker ps -a --filter label=com.docker.compose.project=koprogo --format '{{.Status}}')
[ -n "$states" ]
if printf '%s\\n' "$states" | grep -Evq '^(Up|Exited [(]0[)])'; then exit 1; fi
`);
    expect(step.verify).toEqual(step.check);
  });

  it('runs up detached (Compose v1-compatible flags only), then writes the stamp atomically', () => {
    const command = runOf(step.apply[0]);
    expect(command).toMatchObject({ as: 'root', detached: true });
    expect(command.script).toBe(`set -eu
${FINGERPRINT}
docker compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml up -d --remove-orphans --build
mkdir -p /var/lib/koprogo-deploy
printf '%s\\n' "$fingerprint" > /var/lib/koprogo-deploy/compose.stamp.tmp
mv -f /var/lib/koprogo-deploy/compose.stamp.tmp /var/lib/koprogo-deploy/compose.stamp
`);
    expect(command.script).not.toMatch(/--wait|--format json|--pull/);
  });

  describe('run against a checkout with docker stubbed', () => {
    const sandbox = new Sandbox();
    const checkout = sandbox.path('opt', 'app');
    const settings = fixedSettings({ layout: { ...phase1.layout, appRoot: sandbox.path('opt'), stateDir: sandbox.path('state dir') } });
    const step = composeUpStep(settings);
    const setStates = (states: string) => writeFileSync(sandbox.path('states'), states);

    beforeAll(() => {
      sandbox.stub('runuser', 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"');
      // docker ps prints the states file; docker compose logs its arguments.
      sandbox.stub('docker', `if [ "$1" = ps ]; then cat "${sandbox.path('states')}"; else printf '%s\\n' "$*" >> "${sandbox.path('docker.log')}"; fi`);
      mkdirSync(checkout, { recursive: true });
      for (const f of ['docker-compose.yml', 'docker-compose.prod.yml']) writeFileSync(`${checkout}/${f}`, `# ${f}\n`);
      writeFileSync(`${checkout}/.env`, settings.envContent);
      execFileSync('git', ['init', '-q', checkout]);
      execFileSync('git', ['-C', checkout, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'one']);
    });
    afterAll(() => sandbox.dispose());

    it('is not done before up; up writes the stamp; then it is done', () => {
      setStates('Up 3 minutes (healthy)\nUp 2 minutes\nExited (0) 1 minute ago\n');
      expect(sandbox.run(step.check!.script).code).toBe(1);
      expect(sandbox.run(runOf(step.apply[0]).script).code).toBe(0);
      expect(readFileSync(sandbox.path('docker.log'), 'utf8')).toBe(
        'compose -p koprogo --env-file .env -f docker-compose.yml -f docker-compose.prod.yml up -d --remove-orphans --build\n',
      );
      expect(readFileSync(sandbox.path('state dir', 'compose.stamp'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(sandbox.run(step.check!.script).code).toBe(0);
    });

    it('is not done when a container is not up, or there is none', () => {
      for (const states of ['Up 3 minutes\nRestarting (1) 2 seconds ago\n', 'Up 3 minutes\nExited (1) 2 seconds ago\n', 'Created\n', '']) {
        setStates(states);
        expect(sandbox.run(step.check!.script).code).toBe(1);
      }
      setStates('Up 1 second\n');
      expect(sandbox.run(script(projectContainersUp(settings))).code).toBe(0);
    });

    it('is not done after the env file, a compose file or HEAD changed', () => {
      setStates('Up 3 minutes\n');
      expect(sandbox.run(step.check!.script).code).toBe(0);
      writeFileSync(`${checkout}/.env`, 'CHANGED=1\n');
      expect(sandbox.run(step.check!.script).code).toBe(1);
      writeFileSync(`${checkout}/.env`, settings.envContent);
      expect(sandbox.run(step.check!.script).code).toBe(0);
      writeFileSync(`${checkout}/docker-compose.prod.yml`, '# changed\n');
      expect(sandbox.run(step.check!.script).code).toBe(1);
      expect(sandbox.run(runOf(step.apply[0]).script).code).toBe(0);
      expect(sandbox.run(step.check!.script).code).toBe(0);
      execFileSync('git', ['-C', checkout, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'two']);
      expect(sandbox.run(step.check!.script).code).toBe(1);
    });
  });
});
