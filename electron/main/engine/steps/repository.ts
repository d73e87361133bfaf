import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, Step } from '../types';
import { asRoot, asUserPrelude, checkoutDir, ensurePackages, fileInstalled, joinPath } from './shell';
import type { RemoteFile } from '../types';

// The checkout under <appRoot>/<checkoutName>, owned by the deploy user and detached at the commit the
// ref names. git always runs as the deploy user (as_user): the checkout is its own, so git's
// "dubious ownership" guard never trips, and root never runs hooks or filters from the repository.
// Untracked files (.env, the compose override) survive: the step checks out, it never cleans.

/** The ssh command git uses for a private repository: its deploy key only, pinned host keys, no prompt. */
export function gitSshCommand(deployKeyPath: string, knownHostsPath: string): string {
  return `ssh -i ${shQuote(deployKeyPath)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${shQuote(knownHostsPath)} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
}

/** Where the deploy key of a private repository and its known_hosts live on the server. */
export function repositoryKeyFiles(settings: ComposeDeploySettings): { key: RemoteFile; knownHosts: RemoteFile } | null {
  const deployKey = settings.repo.deployKey;
  if (!deployKey) return null;
  const dir = joinPath(settings.layout.appRoot, 'keys');
  const owned = { owner: settings.deployUser, group: settings.deployUser };
  const key = deployKey.privateKey.endsWith('\n') ? deployKey.privateKey : `${deployKey.privateKey}\n`;
  const hosts = deployKey.knownHosts.endsWith('\n') ? deployKey.knownHosts : `${deployKey.knownHosts}\n`;
  return {
    key: { path: joinPath(dir, `${settings.checkoutName}.key`), content: key, mode: 0o600, ...owned, secret: true },
    knownHosts: { path: joinPath(dir, `${settings.checkoutName}.known_hosts`), content: hosts, mode: 0o644, ...owned, secret: false },
  };
}

/** A private repository's read-only deploy key and pinned host keys, before the clone needs them. */
export function repositoryKeyStep(settings: ComposeDeploySettings): Step | null {
  const files = repositoryKeyFiles(settings);
  if (!files) return null;
  const check = asRoot([...fileInstalled(files.key), ...fileInstalled(files.knownHosts)]);
  return {
    id: 'repository-key',
    check,
    apply: [
      { kind: 'file', file: files.key },
      { kind: 'file', file: files.knownHosts },
    ],
    verify: check,
  };
}

function gitSshEnv(settings: ComposeDeploySettings): string {
  const files = repositoryKeyFiles(settings);
  return files ? `env GIT_SSH_COMMAND=${shQuote(gitSshCommand(files.key.path, files.knownHosts.path))} ` : '';
}

/** Shell definitions shared by check, apply and verify: the user, paths, `git_u` and `resolve_ref` (the version update reads refs with them too). */
export function repositoryPrelude(settings: ComposeDeploySettings): string[] {
  const env = gitSshEnv(settings);
  return [
    ...asUserPrelude(settings.deployUser),
    `dir=${shQuote(checkoutDir(settings))}`,
    `url=${shQuote(settings.repo.url)}`,
    `ref=${shQuote(settings.repo.ref)}`,
    `git_u() { as_user ${env}git -C "$dir" "$@"; }`,
    // A tag first, then a branch of origin, then anything git can name (a commit id).
    'resolve_ref() {',
    '  git_u rev-parse -q --verify "refs/tags/$ref^{commit}" ||',
    '    git_u rev-parse -q --verify "refs/remotes/origin/$ref^{commit}" ||',
    '    git_u rev-parse -q --verify "$ref^{commit}"',
    '}',
  ];
}

export function repositoryStep(settings: ComposeDeploySettings): Step {
  const root = shQuote(settings.layout.appRoot);
  const packages = settings.repo.deployKey ? ['git', 'openssh-client'] : ['git'];
  const clone = `as_user ${gitSshEnv(settings)}git`;
  return {
    id: 'repository',
    titleParams: { ref: settings.repo.ref },
    check: asRoot([
      ...repositoryPrelude(settings),
      '[ -d "$dir/.git" ]',
      'cd "$dir"',
      '[ "$(git_u remote get-url origin)" = "$url" ]',
      'git_u fetch -q --tags --force --prune origin',
      'commit=$(resolve_ref)',
      '[ "$(git_u rev-parse HEAD)" = "$commit" ]',
    ]),
    apply: [
      {
        kind: 'run',
        command: asRoot(
          [
            ...repositoryPrelude(settings),
            ...ensurePackages(packages),
            `install -d -m 0755 -o root -g root ${root}`,
            `cd ${root}`,
            'if [ ! -d "$dir/.git" ]; then',
            // The deploy user cannot create folders in the root-owned appRoot: root makes an empty one
            // for the clone, which is renamed into place only once complete (an interrupted clone
            // leaves no half checkout behind).
            '  rmdir "$dir" 2>/dev/null || true',
            `  if [ -e "$dir" ]; then printf '%s exists and is not a git checkout\\n' "$dir" >&2; exit 1; fi`,
            '  rm -rf "$dir.koprogo-clone"',
            '  install -d -m 0755 -o "$u" -g "$(id -gn "$u")" "$dir.koprogo-clone"',
            `  ${clone} clone --no-checkout -- "$url" "$dir.koprogo-clone"`,
            '  mv "$dir.koprogo-clone" "$dir"',
            'fi',
            'cd "$dir"',
            'git_u remote set-url origin "$url"',
            'git_u fetch --tags --force --prune origin',
            `commit=$(resolve_ref) || { printf 'unknown_ref %s\\n' "$ref" >&2; exit 1; }`,
            'git_u checkout -q --force --detach "$commit"',
          ],
          { detached: true, timeoutMs: 30 * 60_000 },
        ),
      },
    ],
    verify: asRoot([...repositoryPrelude(settings), 'cd "$dir"', '[ "$(git_u rev-parse HEAD)" = "$(resolve_ref)" ]']),
  };
}
