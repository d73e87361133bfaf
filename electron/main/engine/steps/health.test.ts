import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_TIMEOUT_EXIT, healthStep } from './health';
import { Sandbox, fixedSettings, runOf } from './test-helpers';

const FUNCTIONS = `url=http://127.0.0.1:8080/health
probe() {
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -sS -o /dev/null --max-time 5 -w '%{http_code}' "$url" 2>/dev/null) || return 1
    case "$code" in 2??) return 0 ;; *) return 1 ;; esac
  fi
  wget -q -t 1 -T 5 --max-redirect=0 -O /dev/null "$url" 2>/dev/null
}
unhealthy() {
  ids=$(docker ps -aq --filter label=com.docker.compose.project=koprogo 2>/dev/null) || ids=''
  if [ -z "$ids" ]; then echo '(no containers)'; return 0; fi
  docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' $ids 2>/dev/null |
    awk '!(($2 == "running" && ($4 == "healthy" || $4 == "none")) || ($2 == "exited" && $3 == "0")) { print $1 }'
}`;

describe('health', () => {
  const step = healthStep(fixedSettings());

  it('checks once: every container healthy or running without healthcheck, and the URL answers 2xx', () => {
    expect(step.check?.script).toBe(`set -eu
${FUNCTIONS}
[ -z "$(unhealthy)" ]
probe
`);
    expect(step.verify).toBeNull();
    expect(step.titleParams).toEqual({ url: 'http://127.0.0.1:8080/health' });
  });

  it('polls every 2 s up to healthTimeoutSec, then exits 4 naming what is unhealthy', () => {
    const command = runOf(step.apply[0]);
    expect(command.as).toBe('root');
    expect(command.timeoutMs).toBe(360_000);
    expect(command.script).toBe(`set -eu
${FUNCTIONS}
deadline=$(($(date +%s) + 300))
while :; do
  bad=$(unhealthy | tr '\\n' ' ')
  bad=\${bad% }
  if [ -z "$bad" ]; then
    if probe; then exit 0; fi
    bad=$url
  fi
  if [ "$bad" != "\${last-}" ]; then printf 'waiting for %s\\n' "$bad"; last=$bad; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    printf 'unhealthy %s\\n' "$bad" >&2
    exit 4
  fi
  sleep 2
done
`);
    expect(HEALTH_TIMEOUT_EXIT).toBe(4);
  });

  it('refuses a timeout that is not a positive integer', () => {
    expect(() => healthStep(fixedSettings({ healthTimeoutSec: 0 }))).toThrow(/healthTimeoutSec/);
  });

  describe('run with docker and curl stubbed', () => {
    const sandbox = new Sandbox();
    const quick = healthStep(fixedSettings({ healthTimeoutSec: 1 }));
    const containers = (lines: string) => writeFileSync(sandbox.path('inspect'), lines);
    const http = (code: string) => writeFileSync(sandbox.path('code'), code);

    beforeAll(() => {
      sandbox.stub(
        'docker',
        `case "$1" in
  ps) if [ -s "${sandbox.path('inspect')}" ]; then echo c1; echo c2; fi ;;
  inspect) cat "${sandbox.path('inspect')}" ;;
  *) exit 9 ;;
esac`,
      );
      sandbox.stub('curl', `[ "$(eval echo \\"\\$$#\\")" = http://127.0.0.1:8080/health ] || exit 7; cat "${sandbox.path('code')}"`);
    });
    afterAll(() => sandbox.dispose());

    const healthy = 'postgres running 0 healthy\nbackend running 0 healthy\ntraefik running 0 none\nminio-bootstrap exited 0 none\n';

    it('passes when everything is healthy and the URL answers 200', () => {
      containers(healthy);
      http('200');
      expect(sandbox.run(step.check!.script).code).toBe(0);
      expect(sandbox.run(runOf(quick.apply[0]).script)).toMatchObject({ code: 0, stdout: '' });
    });

    it.each([
      ['a container is starting', healthy.replace('backend running 0 healthy', 'backend running 0 starting'), '200'],
      ['a container is restarting', healthy.replace('backend running 0 healthy', 'backend restarting 1 none'), '200'],
      ['a one-shot container failed', healthy.replace('minio-bootstrap exited 0', 'minio-bootstrap exited 1'), '200'],
      ['there is no container', '', '200'],
      ['the URL answers 500', healthy, '500'],
      ['the URL redirects', healthy, '301'],
    ])('fails when %s', (_why, lines, code) => {
      containers(lines);
      http(code);
      expect(sandbox.run(step.check!.script).code).toBe(1);
    });

    it('times out with exit 4 and the unhealthy services on stderr', () => {
      containers(healthy.replace('backend running 0 healthy', 'backend running 0 unhealthy').replace('postgres running 0 healthy', 'postgres running 0 starting'));
      http('200');
      const r = sandbox.run(runOf(quick.apply[0]).script);
      expect(r.code).toBe(4);
      expect(r.stderr).toBe('unhealthy postgres backend\n');
      expect(r.stdout).toBe('waiting for postgres backend\n');
    });

    it('names the URL when only the URL fails', () => {
      containers(healthy);
      http('503');
      const r = sandbox.run(runOf(quick.apply[0]).script);
      expect(r.code).toBe(4);
      expect(r.stderr).toBe('unhealthy http://127.0.0.1:8080/health\n');
    });
  });
});
