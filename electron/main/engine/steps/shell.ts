import { createHash } from 'node:crypto';
import { shQuote } from '../../ssh/quote';
import type { ComposeDeploySettings, RemoteCommand, RemoteFile } from '../types';

// Small script fragments shared by the step builders. Every value that reaches a script goes
// through shQuote; the fragments themselves are constant text.

/** Joins lines into a script for `sh -s`; a multi-line script starts with `set -eu`. */
export function script(lines: readonly string[]): string {
  const body = lines.length === 1 && !lines[0]!.includes('\n') ? lines : ['set -eu', ...lines];
  return `${body.join('\n')}\n`;
}

/** A command run as root. */
export function asRoot(lines: readonly string[], opts: Pick<RemoteCommand, 'timeoutMs' | 'detached'> = {}): RemoteCommand {
  return { script: script(lines), as: 'root', ...opts };
}

export function sha256Hex(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** `a/b` without a doubled slash when `a` ends with one. */
export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

export function checkoutDir(settings: ComposeDeploySettings): string {
  return joinPath(settings.layout.appRoot, settings.checkoutName);
}

/** For values that end up inside a line-oriented file (cron, /etc/hosts, authorized_keys). */
export function singleLine(label: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`${label} must be a single line`);
  return value;
}

/**
 * One line that succeeds exactly when the file at `path` holds `content`. The hash is computed here,
 * so the check never carries the content (the same check serves secret files) and needs no
 * here-document. A missing or unreadable file hashes to nothing and fails.
 */
export function fileMatches(path: string, content: string): string {
  return `[ "$({ sha256sum < ${shQuote(path)}; } 2>/dev/null | cut -d ' ' -f 1)" = ${sha256Hex(content)} ]`;
}

/** One line that succeeds when `path` has this octal mode, owner and group. */
export function modeIs(path: string, mode: number, owner: string, group: string): string {
  return `[ "$(stat -c '%a %U:%G' -- ${shQuote(path)} 2>/dev/null)" = ${shQuote(`${mode.toString(8)} ${owner}:${group}`)} ]`;
}

/** Check lines for a file the engine installs: content, mode and owner. */
export function fileInstalled(file: RemoteFile): string[] {
  return [fileMatches(file.path, file.content), modeIs(file.path, file.mode, file.owner, file.group)];
}

/** apt-get that waits for the dpkg lock instead of failing, and never asks a question. */
export const APT_GET = 'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600';

/** One line that succeeds when every package is installed (dpkg's view, not a binary on PATH). */
export function packagesInstalled(packages: readonly string[]): string {
  return `[ "$(dpkg-query -W -f '\${Status}\\n' ${packages.map(shQuote).join(' ')} 2>/dev/null | grep -cx 'install ok installed')" = ${packages.length} ]`;
}

/** Installs the packages when one of them is missing (lists refreshed first: cloud images ship stale or empty ones). */
export function ensurePackages(packages: readonly string[]): string[] {
  const list = packages.map(shQuote).join(' ');
  return [
    `if ! ${packagesInstalled(packages)}; then`,
    `  ${APT_GET} update`,
    `  ${APT_GET} install -y ${list}`,
    'fi',
  ];
}

/**
 * Defines `as_user CMD...`, which runs CMD as the deploy user from a root script. runuser (util-linux,
 * present on every supported Debian/Ubuntu) needs no sudoers entry, no tty and no PAM session, sets
 * HOME/USER/LOGNAME and keeps the rest of the environment; root-only images (e.g. Hetzner's Debian)
 * often have no sudo at all. sudo is the fallback for systems without runuser.
 */
export function asUserPrelude(user: string): string[] {
  return [
    `u=${shQuote(user)}`,
    'if command -v runuser >/dev/null 2>&1; then',
    '  as_user() { runuser -u "$u" -- "$@"; }',
    'else',
    '  as_user() { sudo -n -H -u "$u" -- "$@"; }',
    'fi',
  ];
}

export function assertPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
  return port;
}

export function assertPositiveInt(label: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${label} must be a positive integer`);
  return n;
}
