import type { K3sTool } from '../../shared/k3s-entry';
import type { PreflightTool, PreflightVariable } from '../../shared/contract-k3s';
import { shQuote } from '../ssh/quote';
import { isSecretName } from './settings';

// The tools a K3s entry point needs: the versions a control host gets (pinned, checksums from the vendor's own
// checksum file), the oldest version accepted on this computer, how each says its version, and the pre-flight
// script that finds them and the variables (values are never printed) — the same script locally and over SSH.

export interface ToolSpec {
  id: K3sTool;
  /** The version a control host gets. */
  pinned: string;
  /** The oldest version accepted. */
  minimum: string;
  /** How the tool prints its version (parsed by parseToolVersion). */
  versionArgs: string[];
  /**
   * Where a control host downloads it: `{version}`, `{os}` (linux) and `{arch}` (amd64/arm64) are filled in
   * by the script. `pip` installs the Python package into its own virtualenv instead.
   */
  install:
    | { kind: 'zip' | 'tar.gz' | 'binary'; url: string; sums: string; member: string; file: string }
    | { kind: 'pip'; package: string };
}

export const TOOL_SPECS: Readonly<Record<K3sTool, ToolSpec>> = {
  terraform: {
    id: 'terraform',
    pinned: '1.9.8',
    minimum: '1.5.0',
    versionArgs: ['version', '-json'],
    install: {
      kind: 'zip',
      url: 'https://releases.hashicorp.com/terraform/{version}/terraform_{version}_{os}_{arch}.zip',
      sums: 'https://releases.hashicorp.com/terraform/{version}/terraform_{version}_SHA256SUMS',
      file: 'terraform_{version}_{os}_{arch}.zip',
      member: 'terraform',
    },
  },
  tofu: {
    id: 'tofu',
    pinned: '1.8.5',
    minimum: '1.6.0',
    versionArgs: ['version', '-json'],
    install: {
      kind: 'zip',
      url: 'https://github.com/opentofu/opentofu/releases/download/v{version}/tofu_{version}_{os}_{arch}.zip',
      sums: 'https://github.com/opentofu/opentofu/releases/download/v{version}/tofu_{version}_SHA256SUMS',
      file: 'tofu_{version}_{os}_{arch}.zip',
      member: 'tofu',
    },
  },
  'ansible-playbook': { id: 'ansible-playbook', pinned: '2.17.7', minimum: '2.15.0', versionArgs: ['--version'], install: { kind: 'pip', package: 'ansible-core' } },
  helm: {
    id: 'helm',
    pinned: '3.16.3',
    minimum: '3.12.0',
    versionArgs: ['version', '--short'],
    install: {
      kind: 'tar.gz',
      url: 'https://get.helm.sh/helm-v{version}-{os}-{arch}.tar.gz',
      sums: 'https://get.helm.sh/helm-v{version}-{os}-{arch}.tar.gz.sha256sum',
      file: 'helm-v{version}-{os}-{arch}.tar.gz',
      member: '{os}-{arch}/helm',
    },
  },
  kubectl: {
    id: 'kubectl',
    pinned: '1.31.4',
    minimum: '1.28.0',
    versionArgs: ['version', '--client', '-o', 'json'],
    install: {
      kind: 'binary',
      url: 'https://dl.k8s.io/release/v{version}/bin/{os}/{arch}/kubectl',
      sums: 'https://dl.k8s.io/release/v{version}/bin/{os}/{arch}/kubectl.sha256',
      file: 'kubectl',
      member: 'kubectl',
    },
  },
  kustomize: {
    id: 'kustomize',
    pinned: '5.5.0',
    minimum: '5.0.0',
    versionArgs: ['version'],
    install: {
      kind: 'tar.gz',
      url: 'https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv{version}/kustomize_v{version}_{os}_{arch}.tar.gz',
      sums: 'https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv{version}/checksums.txt',
      file: 'kustomize_v{version}_{os}_{arch}.tar.gz',
      member: 'kustomize',
    },
  },
};

/** What the run always needs besides the entry point's tools: bash for the scripts, git for the checkout. */
export const BASE_COMMANDS = ['bash', 'git'] as const;

/** `1.9.8` from what each tool prints for its version; null when the output is not understood. */
export function parseToolVersion(tool: K3sTool, output: string): string | null {
  const text = output.trim();
  const semver = (s: string | undefined): string | null => /(\d+\.\d+(?:\.\d+)?)/.exec(s ?? '')?.[1] ?? null;
  switch (tool) {
    // JSON read by its field, not parsed whole: a shell warning (a locale, a deprecation) may come before it.
    case 'terraform':
    case 'tofu':
      return semver(/"terraform_version"\s*:\s*"v?([^"]+)"/.exec(text)?.[1] ?? /(?:Terraform|OpenTofu)\s+v(\S+)/.exec(text)?.[1]);
    case 'kubectl':
      return semver(/"clientVersion"\s*:\s*\{[^}]*"gitVersion"\s*:\s*"v?([^"]+)"/.exec(text)?.[1] ?? /Client Version:\s*v?(\S+)/.exec(text)?.[1]);
    case 'helm':
      return semver(/^v?(\d+\.\d+\.\d+)/m.exec(text)?.[1]);
    case 'kustomize':
      // "v5.5.0", or older: "{Version:kustomize/v4.5.7 GitCommit:…}"
      return semver(/(?:kustomize\/)?v(\d+\.\d+\.\d+)/.exec(text)?.[1]);
    case 'ansible-playbook':
      return semver(/\[core\s+(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? /ansible-playbook\s+(\d+\.\d+\.\d+)/.exec(text)?.[1]);
  }
}

/** -1, 0, 1 on dotted numeric versions (missing parts are 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

const BEGIN = '@@koprogo-begin';
const END = '@@koprogo-end';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The pre-flight script: for each command, where it is and what it says its version is; for each variable,
 * whether the environment already has it (set/unset only: no value leaves it). `extraPath` is put first on PATH
 * (a control host's pinned tools). Pure: tested by string comparison.
 */
export function preflightScript(tools: readonly K3sTool[], variables: readonly string[], extraPath: string | null = null): string {
  const lines = ['#!/usr/bin/env bash', 'set -u'];
  if (extraPath) lines.push(`export PATH=${shQuote(extraPath)}:"$PATH"`);
  lines.push(`printf 'platform %s %s\\n' "$(uname -s)" "$(uname -m)"`);
  for (const c of BASE_COMMANDS) lines.push(`p=$(command -v ${c} 2>/dev/null || true); printf 'command ${c} %s\\n' "\${p:--}"`);
  for (const t of tools) {
    const spec = TOOL_SPECS[t];
    lines.push(
      `p=$(command -v ${t} 2>/dev/null || true)`,
      `if [ -n "$p" ]; then printf 'tool ${t} %s\\n' "$p"; printf '%s\\n' '${BEGIN} ${t}'; ${[t, ...spec.versionArgs].map(shQuote).join(' ')} 2>&1 | head -c 4000; printf '\\n%s\\n' '${END} ${t}'; else printf 'tool ${t} -\\n'; fi`,
    );
  }
  for (const v of variables) {
    if (!NAME.test(v)) throw new Error(`not a variable name: ${v}`);
    lines.push(`if [ -n "\${${v}:-}" ]; then printf 'var ${v} set\\n'; else printf 'var ${v} unset\\n'; fi`);
  }
  return `${lines.join('\n')}\n`;
}

export interface PreflightFindings {
  platform: { os: string; arch: string } | null;
  commands: Record<string, string | null>;
  tools: Record<string, { path: string | null; version: string | null; raw: string }>;
  variables: Record<string, boolean>;
}

/** Reads what preflightScript printed. Unknown lines are ignored; a tool that printed nothing parsable has version null. */
export function parsePreflight(output: string, tools: readonly K3sTool[]): PreflightFindings {
  const out: PreflightFindings = { platform: null, commands: {}, tools: {}, variables: {} };
  const lines = output.replace(/\r/g, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^platform (\S+) (\S+)$/.exec(line))) out.platform = { os: m[1]!, arch: m[2]! };
    else if ((m = /^command (\S+) (.+)$/.exec(line))) out.commands[m[1]!] = m[2] === '-' ? null : m[2]!;
    else if ((m = /^var ([A-Za-z_][A-Za-z0-9_]*) (set|unset)$/.exec(line))) out.variables[m[1]!] = m[2] === 'set';
    else if ((m = /^tool (\S+) (.+)$/.exec(line)) && (tools as readonly string[]).includes(m[1]!)) {
      const tool = m[1] as K3sTool;
      const path = m[2] === '-' ? null : m[2]!;
      let raw = '';
      if (path && lines[i + 1] === `${BEGIN} ${tool}`) {
        const end = lines.indexOf(`${END} ${tool}`, i + 2);
        raw = lines.slice(i + 2, end === -1 ? undefined : end).join('\n');
        i = end === -1 ? lines.length : end;
      }
      out.tools[tool] = { path, version: path ? parseToolVersion(tool, raw) : null, raw: raw.slice(0, 400) };
    }
  }
  return out;
}

/**
 * Each tool with the version found and the one required. `installable`: a control host, where the app installs
 * the pinned version of what is missing or too old; on this computer the user does.
 */
export function toolReport(tools: readonly K3sTool[], found: PreflightFindings, installable: boolean, pinnedBin: string | null = null): PreflightTool[] {
  return tools.map((id) => {
    const spec = TOOL_SPECS[id];
    const f = found.tools[id];
    const version = f?.version ?? null;
    const state: PreflightTool['state'] = !f?.path ? 'missing' : version === null ? 'unknown_version' : compareVersions(version, spec.minimum) < 0 ? 'too_old' : 'ok';
    // A control host runs the pinned versions only: anything else found there is replaced by them.
    const pinnedHere = !!pinnedBin && f?.path === `${pinnedBin}/${id}` && version === spec.pinned;
    const action: PreflightTool['action'] = installable ? (pinnedHere ? 'use' : 'install') : state === 'ok' ? 'use' : 'user';
    return { id, found: version, path: f?.path ?? null, minimum: spec.minimum, pinned: spec.pinned, state, action };
  });
}

/** Each variable and where its value comes from; `provided` are the ones the app hands out. */
export function variableReport(variables: readonly string[], found: PreflightFindings, provided: ReadonlyMap<string, PreflightVariable['source']>): PreflightVariable[] {
  return variables.map((name) => {
    const source = provided.get(name) ?? (found.variables[name] ? 'environment' : 'missing');
    return { name, source, present: source !== 'missing', secret: isSecretName(name) };
  });
}
