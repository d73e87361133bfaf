import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, Step } from '../types';
import { asRoot } from './shell';

// A server the repository's own scripts already deployed runs the same containers (`container_name:
// koprogo-postgres`) under another Compose project. Starting ours beside it would fail on the names, or worse, start
// a second copy with empty volumes. Before anything changes, this step looks for them; found, the run stops and the
// plan offers to adopt that project (its name, hence its volumes, become the deployment's).

/** Exit code when another project runs the application's containers (stderr: `adopt <project> <names…>`). */
export const ADOPT_REQUIRED_EXIT = 5;

/** Lines that print `<project> <name>` for each container with one of the names under another project. */
export function foreignContainers(settings: ComposeDeploySettings): string[] {
  const names = settings.adoptContainerNames ?? [];
  return [
    'command -v docker >/dev/null 2>&1 || exit 0',
    `names=${shQuote(` ${names.join(' ')} `)}`,
    `ours=${shQuote(settings.composeProject)}`,
    `found=$(docker ps -a --format '{{.Names}} {{.Label "com.docker.compose.project"}}' 2>/dev/null | while read -r n p; do`,
    '  case "$names" in *" $n "*) [ "$p" = "$ours" ] || printf \'%s %s\\n\' "${p:-none}" "$n" ;; esac',
    'done)',
  ];
}

export function adoptCheckStep(settings: ComposeDeploySettings): Step {
  return {
    id: 'adopt-check',
    titleParams: { project: settings.composeProject },
    check: asRoot([...foreignContainers(settings), '[ -z "$found" ]']),
    apply: [
      {
        kind: 'run',
        command: asRoot([
          ...foreignContainers(settings),
          'if [ -n "$found" ]; then',
          `  project=$(printf '%s\\n' "$found" | head -n 1 | cut -d ' ' -f 1)`,
          `  printf 'adopt %s %s\\n' "$project" "$(printf '%s\\n' "$found" | cut -d ' ' -f 2 | tr '\\n' ' ')" >&2`,
          `  exit ${ADOPT_REQUIRED_EXIT}`,
          'fi',
        ]),
      },
    ],
    verify: null,
  };
}
