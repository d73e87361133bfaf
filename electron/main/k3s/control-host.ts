import type { K3sTool } from '../../shared/k3s-entry';
import { shQuote } from '../ssh/quote';
import { TOOL_SPECS, type ToolSpec } from './tools';

// Preparing a control host (a phase 1–2 server, or a small server the app created) for a K3s run, as the login
// user: the prerequisites (bash, git, tmux, curl, tar, unzip, Python for Ansible) through apt when root or sudo
// allows, then the pinned version of each tool the entry point needs, in the user's own folder
// (`~/.koprogo-deploy/tools`), each download checked against the vendor's published SHA-256 file. A tool already
// at its pinned version is left alone, so a re-run only checks. Pure: the script is tested by string comparison.

export type ToolSource = Extract<ToolSpec['install'], { kind: 'zip' | 'tar.gz' | 'binary' }>;

export interface PrepareOptions {
  /** Absolute folder of the tools on the control host. */
  toolsRoot: string;
  /** Other download locations (tests: a local server); same placeholders as TOOL_SPECS. */
  sources?: Partial<Record<K3sTool, ToolSource>>;
}

const SAFE_IN_DOUBLE_QUOTES = /^[^"$`\\\n]*$/;

/** A TOOL_SPECS URL with `{version}` filled in and `{os}`/`{arch}` as the script's variables, double-quoted. */
function templated(text: string, version: string): string {
  if (!SAFE_IN_DOUBLE_QUOTES.test(text)) throw new Error(`not usable in a script: ${text}`);
  return `"${text.split('{version}').join(version).split('{os}').join('${os}').split('{arch}').join('${arch}')}"`;
}

/** The commands the preparation itself needs, for these tools from these sources. */
export function prerequisites(tools: readonly K3sTool[], sources: PrepareOptions['sources'] = {}): string[] {
  const kind = (t: K3sTool) => (sources[t] ?? TOOL_SPECS[t].install).kind;
  const out = ['bash', 'git', 'tmux', 'curl', 'tar', 'sha256sum'];
  if (tools.some((t) => kind(t) === 'zip')) out.push('unzip');
  if (tools.some((t) => kind(t) === 'pip')) out.push('python3');
  return out;
}

const PACKAGE_OF: Record<string, string> = { sha256sum: 'coreutils', python3: 'python3 python3-venv' };

export function prepareScript(tools: readonly K3sTool[], opts: PrepareOptions): string {
  const T = shQuote(opts.toolsRoot);
  const needs = prerequisites(tools, opts.sources);
  const lines = [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'umask 022',
    `T=${T}`,
    'mkdir -p "$T/bin" "$T/versions"',
    'os=linux',
    'case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) echo "koprogo: unsupported processor $(uname -m)" >&2; exit 43 ;; esac',
    'need=""',
    `for c in ${needs.join(' ')}; do command -v "$c" >/dev/null 2>&1 || need="$need $c"; done`,
    ...(needs.includes('python3') ? ['if command -v python3 >/dev/null 2>&1 && ! python3 -m venv --help >/dev/null 2>&1; then need="$need python3"; fi'] : []),
    'if [ -n "$need" ]; then',
    `  pkgs=""; for c in $need; do case "$c" in ${Object.entries(PACKAGE_OF).map(([c, p]) => `${c}) pkgs="$pkgs ${p}" ;;`).join(' ')} *) pkgs="$pkgs $c" ;; esac; done`,
    '  if [ "$(id -u)" = 0 ]; then s=""; elif sudo -n true 2>/dev/null; then s="sudo -n"; else echo "koprogo: missing on this server:$need (and no password-less sudo to install them)" >&2; exit 41; fi',
    '  echo "Installing the prerequisites:$pkgs"',
    '  $s env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
    '  $s env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs',
    'fi',
    'fetch() { curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"; }',
    'install_tool() {',
    '  local name=$1 version=$2 url=$3 sums=$4 file=$5 member=$6 kind=$7',
    '  if [ "$(cat "$T/versions/$name" 2>/dev/null || true)" = "$version" ] && [ -x "$T/bin/$name" ]; then echo "$name $version is installed"; return 0; fi',
    '  echo "Installing $name $version"',
    '  local tmp; tmp=$(mktemp -d)',
    '  fetch "$url" "$tmp/$file"',
    '  fetch "$sums" "$tmp/sums"',
    // "<sha>  <file>" lines (HashiCorp, Helm, kustomize), or the hash alone (kubernetes' .sha256 files).
    '  local want got',
    '  want=$(awk -v f="$file" \'NF == 1 && !single { single = $1 } $2 == f || $2 == "*" f { print $1; found = 1; exit } END { if (!found && single != "") print single }\' "$tmp/sums")',
    '  got=$(sha256sum "$tmp/$file" | cut -d" " -f1)',
    '  if [ -z "$want" ] || [ "$want" != "$got" ]; then echo "koprogo: $file does not match the checksum its vendor publishes" >&2; rm -rf "$tmp"; exit 42; fi',
    '  mkdir -p "$tmp/x"',
    '  case "$kind" in',
    '    zip) unzip -o -q "$tmp/$file" "$member" -d "$tmp/x" ;;',
    '    tar.gz) tar -xzf "$tmp/$file" -C "$tmp/x" "$member" ;;',
    '    binary) cp "$tmp/$file" "$tmp/x/$member" ;;',
    '  esac',
    '  install -m 755 "$tmp/x/$member" "$T/bin/$name.new"',
    '  mv -f "$T/bin/$name.new" "$T/bin/$name"',
    '  printf \'%s\\n\' "$version" > "$T/versions/$name"',
    '  rm -rf "$tmp"',
    '}',
  ];
  for (const tool of tools) {
    const spec = TOOL_SPECS[tool];
    const source = opts.sources?.[tool] ?? spec.install;
    const v = spec.pinned;
    if (source.kind === 'pip') {
      const venv = `"$T/${tool}-${v}"`;
      lines.push(
        `if [ "$(cat "$T/versions/${tool}" 2>/dev/null || true)" = ${v} ] && [ -x "$T/bin/${tool}" ]; then echo "${tool} ${v} is installed"; else`,
        `  echo "Installing ${source.package} ${v}"`,
        `  python3 -m venv ${venv}`,
        `  ${venv}/bin/pip install --quiet --disable-pip-version-check ${shQuote(`${source.package}==${v}`)}`,
        `  ln -sf ${venv}/bin/${tool} "$T/bin/${tool}"`,
        `  printf '%s\\n' ${v} > "$T/versions/${tool}"`,
        'fi',
      );
    } else {
      lines.push(`install_tool ${tool} ${v} ${templated(source.url, v)} ${templated(source.sums, v)} ${templated(source.file, v)} ${templated(source.member, v)} ${source.kind}`);
    }
  }
  lines.push(...tools.map((t) => `"$T/bin/${t}" ${TOOL_SPECS[t].versionArgs.map(shQuote).join(' ')} >/dev/null 2>&1 || { echo "koprogo: ${t} does not run on this server" >&2; exit 46; }`));
  lines.push('echo "The tools are ready."');
  return `${lines.join('\n')}\n`;
}

/** What the plan shows for the preparation step. */
export function prepareCommand(tools: readonly K3sTool[]): string {
  return tools.map((t) => `${t} ${TOOL_SPECS[t].pinned}`).join(', ');
}
