import { describe, expect, it } from 'vitest';
import { compareVersions, parsePreflight, parseToolVersion, preflightScript, toolReport, variableReport } from './tools';

describe('tool versions, as each tool prints them', () => {
  it.each([
    ['terraform', '{\n  "terraform_version": "1.9.8",\n  "platform": "linux_amd64",\n  "provider_selections": {},\n  "terraform_outdated": false\n}', '1.9.8'],
    ['terraform', 'Terraform v1.5.7\non darwin_arm64', '1.5.7'],
    ['tofu', '{"terraform_version":"1.8.5","platform":"linux_amd64"}', '1.8.5'],
    ['tofu', 'OpenTofu v1.6.2\non linux_amd64', '1.6.2'],
    ['helm', 'v3.16.3+gcfd0749', '3.16.3'],
    ['kubectl', '{\n  "clientVersion": {\n    "major": "1",\n    "minor": "31",\n    "gitVersion": "v1.31.4"\n  },\n  "kustomizeVersion": "v5.4.2"\n}', '1.31.4'],
    ['kubectl', 'Client Version: v1.28.4\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3', '1.28.4'],
    ['kustomize', 'v5.5.0', '5.5.0'],
    ['kustomize', '{Version:kustomize/v4.5.7 GitCommit:56d82a8378dfc8dc3b3b1085e5a6e67b82966bd7 BuildDate:2022-08-02T16:35:54Z GoOs:linux GoArch:amd64}', '4.5.7'],
    ['ansible-playbook', 'ansible-playbook [core 2.17.7]\n  config file = None\n  python version = 3.11.2', '2.17.7'],
    ['helm', 'command not found', null],
    // A shell warning before the JSON (a locale the machine lacks) does not hide the version.
    ['terraform', 'bash: warning: setlocale: LC_ALL: cannot change locale (en_GB.UTF-8)\n{\n  "terraform_version": "1.9.8"\n}', '1.9.8'],
    ['kubectl', 'bash: warning: setlocale: LC_ALL: cannot change locale\n{"clientVersion":{"major":"1","gitVersion":"v1.31.4"},"kustomizeVersion":"v5.4.2"}', '1.31.4'],
  ] as const)('%s: %j → %s', (tool, output, version) => {
    expect(parseToolVersion(tool, output)).toBe(version);
  });

  it('compares dotted versions', () => {
    expect(compareVersions('1.9.8', '1.10.0')).toBe(-1);
    expect(compareVersions('3.16', '3.16.0')).toBe(0);
    expect(compareVersions('2.17.7', '2.15.0')).toBe(1);
  });
});

describe('the pre-flight script', () => {
  it('is exactly this (values never printed, only set/unset)', () => {
    expect(preflightScript(['terraform', 'helm'], ['OVH_ENDPOINT', 'KOPROGO_DOMAIN'], '/home/u/.koprogo-deploy/tools/bin')).toBe(
      [
        '#!/usr/bin/env bash',
        'set -u',
        'export PATH=/home/u/.koprogo-deploy/tools/bin:"$PATH"',
        `printf 'platform %s %s\\n' "$(uname -s)" "$(uname -m)"`,
        `p=$(command -v bash 2>/dev/null || true); printf 'command bash %s\\n' "\${p:--}"`,
        `p=$(command -v git 2>/dev/null || true); printf 'command git %s\\n' "\${p:--}"`,
        'p=$(command -v terraform 2>/dev/null || true)',
        `if [ -n "$p" ]; then printf 'tool terraform %s\\n' "$p"; printf '%s\\n' '@@koprogo-begin terraform'; terraform version -json 2>&1 | head -c 4000; printf '\\n%s\\n' '@@koprogo-end terraform'; else printf 'tool terraform -\\n'; fi`,
        'p=$(command -v helm 2>/dev/null || true)',
        `if [ -n "$p" ]; then printf 'tool helm %s\\n' "$p"; printf '%s\\n' '@@koprogo-begin helm'; helm version --short 2>&1 | head -c 4000; printf '\\n%s\\n' '@@koprogo-end helm'; else printf 'tool helm -\\n'; fi`,
        `if [ -n "\${OVH_ENDPOINT:-}" ]; then printf 'var OVH_ENDPOINT set\\n'; else printf 'var OVH_ENDPOINT unset\\n'; fi`,
        `if [ -n "\${KOPROGO_DOMAIN:-}" ]; then printf 'var KOPROGO_DOMAIN set\\n'; else printf 'var KOPROGO_DOMAIN unset\\n'; fi`,
        '',
      ].join('\n'),
    );
    expect(() => preflightScript([], ['BAD;NAME'])).toThrow();
  });

  it('reads what it printed, and reports each tool against its minimum', () => {
    const out = [
      'platform Linux x86_64',
      'command bash /usr/bin/bash',
      'command git -',
      'tool terraform /usr/bin/terraform',
      '@@koprogo-begin terraform',
      '{"terraform_version":"1.4.6"}',
      '@@koprogo-end terraform',
      'tool helm -',
      'tool kubectl /opt/kubectl',
      '@@koprogo-begin kubectl',
      'garbage',
      '@@koprogo-end kubectl',
      'var KOPROGO_DOMAIN set',
      'var OTHER unset',
    ].join('\r\n');
    const found = parsePreflight(out, ['terraform', 'helm', 'kubectl']);
    expect(found.platform).toEqual({ os: 'Linux', arch: 'x86_64' });
    expect(found.commands).toEqual({ bash: '/usr/bin/bash', git: null });
    expect(found.variables).toEqual({ KOPROGO_DOMAIN: true, OTHER: false });
    expect(toolReport(['terraform', 'helm', 'kubectl'], found, false).map((t) => [t.id, t.found, t.state, t.action])).toEqual([
      ['terraform', '1.4.6', 'too_old', 'user'],
      ['helm', null, 'missing', 'user'],
      ['kubectl', null, 'unknown_version', 'user'],
    ]);
    // On a control host the pinned versions are installed, whatever is found.
    expect(toolReport(['terraform'], found, true, '/h/tools/bin').map((t) => t.action)).toEqual(['install']);
    expect(variableReport(['OVH_CONSUMER_KEY', 'KOPROGO_DOMAIN', 'OTHER'], found, new Map([['OVH_CONSUMER_KEY', 'provider']]))).toEqual([
      { name: 'OVH_CONSUMER_KEY', source: 'provider', present: true, secret: true },
      { name: 'KOPROGO_DOMAIN', source: 'environment', present: true, secret: false },
      { name: 'OTHER', source: 'missing', present: false, secret: false },
    ]);
  });
});
