import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { asRoot, checkoutDir, fileInstalled, joinPath } from './shell';

// The copies of the compose files that bind internal ports to 127.0.0.1 (see recipe/bind-local.ts), written into
// the checkout beside their originals. The original must still be the file the copy was made from: a branch that
// moved since the recipe was read stops the run here, before anything starts.

/** Exit code when a compose file changed since the recipe was read (stderr: `recipe_outdated <file>`). */
export const RECIPE_OUTDATED_EXIT = 9;

export function bindLocalFiles(settings: ComposeDeploySettings): RemoteFile[] {
  return (settings.bindLocal ?? []).map((b) => ({ path: joinPath(checkoutDir(settings), b.copy), content: b.content, mode: 0o644, owner: settings.deployUser, group: settings.deployUser, secret: false }));
}

function sourcesUnchanged(settings: ComposeDeploySettings): string[] {
  return (settings.bindLocal ?? []).map(
    (b) =>
      `[ "$({ sha256sum < ${shQuote(joinPath(checkoutDir(settings), b.file))}; } 2>/dev/null | cut -d ' ' -f 1)" = ${b.sourceSha256} ] || { echo ${shQuote(`recipe_outdated ${b.file}`)} >&2; exit ${RECIPE_OUTDATED_EXIT}; }`,
  );
}

export function bindLocalStep(settings: ComposeDeploySettings): Step {
  const files = bindLocalFiles(settings);
  const check = asRoot([...sourcesUnchanged(settings), ...files.flatMap(fileInstalled)]);
  return {
    id: 'bind-local',
    titleParams: { files: (settings.bindLocal ?? []).map((b) => b.file).join(', ') },
    check,
    apply: [{ kind: 'run', command: asRoot(sourcesUnchanged(settings)) }, ...files.map((file) => ({ kind: 'file' as const, file }))],
    verify: check,
  };
}
