import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, Step } from '../types';
import { asRoot, assertPositiveInt } from './shell';

/** Exit code of the health wait on timeout (stderr: `unhealthy <services or URL>`). */
export const HEALTH_TIMEOUT_EXIT = 4;

/**
 * Shell functions: `probe` (the health URL answers 2xx, redirects not followed; no URL — the health endpoint
 * is not published on the host, e.g. behind Traefik only — leaves it to the services' own healthchecks) and `unhealthy`
 * (prints the compose services that are not running-and-healthy, one per line; a container without a
 * healthcheck counts when it runs, a one-shot container when it exited 0).
 */
export function healthFunctions(settings: ComposeDeploySettings): string[] {
  const filter = shQuote(`label=com.docker.compose.project=${settings.composeProject}`);
  const format = shQuote(
    '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
  );
  const proxy = settings.healthProxy ?? null;
  // Through the reverse proxy (the backend is published nowhere else): the request goes to 127.0.0.1 on the proxy's
  // port with the route's Host header (and SNI, for https: curl --resolve); the certificate may not be issued yet.
  const probe = proxy
    ? [
        `resolve=${shQuote(`${proxy.host}:${proxy.port}:127.0.0.1`)}`,
        `direct=${shQuote(settings.healthUrl.replace(`//${proxy.host}:${proxy.port}`, `//127.0.0.1:${proxy.port}`))}`,
        `host=${shQuote(proxy.host)}`,
        'probe() {',
        '  if command -v curl >/dev/null 2>&1; then',
        `    code=$(curl -sS -k -o /dev/null --max-time 5 --resolve "$resolve" -w '%{http_code}' "$url" 2>/dev/null) || return 1`,
        '    case "$code" in 2??) return 0 ;; *) return 1 ;; esac',
        '  fi',
        '  wget -q -t 1 -T 5 --max-redirect=0 --no-check-certificate --header "Host: $host" -O /dev/null "$direct" 2>/dev/null',
        '}',
      ]
    : [
        'probe() {',
        '  if [ -z "$url" ]; then return 0; fi',
        '  if command -v curl >/dev/null 2>&1; then',
        `    code=$(curl -sS -o /dev/null --max-time 5 -w '%{http_code}' "$url" 2>/dev/null) || return 1`,
        '    case "$code" in 2??) return 0 ;; *) return 1 ;; esac',
        '  fi',
        '  wget -q -t 1 -T 5 --max-redirect=0 -O /dev/null "$url" 2>/dev/null',
        '}',
      ];
  return [
    `url=${shQuote(settings.healthUrl)}`,
    ...probe,
    'unhealthy() {',
    `  ids=$(docker ps -aq --filter ${filter} 2>/dev/null) || ids=''`,
    `  if [ -z "$ids" ]; then echo '(no containers)'; return 0; fi`,
    `  docker inspect --format ${format} $ids 2>/dev/null |`,
    `    awk '!(($2 == "running" && ($4 == "healthy" || $4 == "none")) || ($2 == "exited" && $3 == "0")) { print $1 }'`,
    '}',
  ];
}

export function healthStep(settings: ComposeDeploySettings): Step {
  const timeout = assertPositiveInt('healthTimeoutSec', settings.healthTimeoutSec);
  return {
    id: 'health',
    titleParams: { url: settings.healthUrl },
    check: asRoot([...healthFunctions(settings), '[ -z "$(unhealthy)" ]', 'probe']),
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            ...healthFunctions(settings),
            `deadline=$(($(date +%s) + ${timeout}))`,
            'while :; do',
            `  bad=$(unhealthy | tr '\\n' ' ')`,
            '  bad=${bad% }',
            '  if [ -z "$bad" ]; then',
            '    if probe; then exit 0; fi',
            '    bad=$url',
            '  fi',
            // Progress only when it changes, not every 2 s.
            `  if [ "$bad" != "\${last-}" ]; then printf 'waiting for %s\\n' "$bad"; last=$bad; fi`,
            '  if [ "$(date +%s)" -ge "$deadline" ]; then',
            `    printf 'unhealthy %s\\n' "$bad" >&2`,
            `    exit ${HEALTH_TIMEOUT_EXIT}`,
            '  fi',
            '  sleep 2',
            'done',
          ],
          { timeoutMs: (timeout + 60) * 1000 },
        ),
      },
    ],
    verify: null,
  };
}
