import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../../shared/i18n/en.json';
import fr from '../../shared/i18n/fr.json';
import nl from '../../shared/i18n/nl.json';

// Detection reports what it found or misses as codes (`recipe.no_compose`, `recipe.choice.prod_overlay`…) that the
// Code step translates: every code the detector can emit must exist in the three languages.

function lookup(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), tree);
}

describe('recipe messages', () => {
  const source = ['detect.ts', 'combinations.ts', 'detect-k3s.ts'].map((f) => readFileSync(join(__dirname, f), 'utf8')).join('\n');
  // `recipe.choice.tooling_${kind}`: one per kind of tooling source.
  const toolingChoices = ['makefile', 'script', 'workflow', 'systemd', 'docs'].map((k) => `recipe.choice.tooling_${k}`);
  const codes = [...new Set([...[...source.matchAll(/'(recipe\.[a-z0-9_.]+)'/g)].map((m) => m[1]!), ...toolingChoices])];

  it('finds the codes in the detector', () => {
    expect(codes.length).toBeGreaterThan(20);
    expect(codes).toContain('recipe.choice.prod_overlay');
    expect(codes).toContain('recipe.k3s_no_deploy_script');
  });

  it.each([['en', en], ['fr', fr], ['nl', nl]] as const)('every code has a %s text with the same placeholders', (_lang, tree) => {
    const missing = codes.filter((c) => typeof lookup(tree, c) !== 'string');
    expect(missing).toEqual([]);
    for (const c of codes) {
      const placeholders = (s: unknown) => [...String(s).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
      expect(placeholders(lookup(tree, c)), c).toEqual(placeholders(lookup(en, c)));
    }
  });
});
