import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors';
import { COMPARISON_ROWS, PHASE_IDS } from '../phases';
import { WIZARD_STEPS } from '../wizard-steps';
import { LANGUAGES } from '../contract-languages';
import { formatEuros, formatNumber, pickLanguage, resources } from './index';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const flat = Object.fromEntries(LANGUAGES.map((l) => [l, flatten(resources[l].translation as unknown as Tree)])) as Record<(typeof LANGUAGES)[number], Map<string, string>>;
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/** i18next resolves plural keys (`x_one`, `x_other`) from the base key `x`. */
function has(lang: (typeof LANGUAGES)[number], key: string): boolean {
  return flat[lang].has(key) || (flat[lang].has(`${key}_one`) && flat[lang].has(`${key}_other`));
}

describe('translations', () => {
  it.each(['fr', 'nl'] as const)('%s has exactly the keys of en', (lang) => {
    const missing = [...flat.en.keys()].filter((k) => !flat[lang].has(k));
    const extra = [...flat[lang].keys()].filter((k) => !flat.en.has(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(['fr', 'nl'] as const)('%s uses the same placeholders as en and no empty text', (lang) => {
    for (const [key, text] of flat.en) {
      const other = flat[lang].get(key) ?? '';
      expect(other.trim(), key).not.toBe('');
      expect(placeholders(other), key).toEqual(placeholders(text));
    }
  });

  it('plurals go through i18next (_one / _other), never "(s)" in the text', () => {
    for (const lang of LANGUAGES) {
      for (const [key, text] of flat[lang]) expect(/\p{L}\((?:s|es|e|en|n|x|len)\)/u.test(text), `${lang} ${key}: ${text}`).toBe(false);
    }
  });

  it('every error code has a message and a remedy in every language', () => {
    for (const lang of LANGUAGES) {
      for (const code of ERROR_CODES) {
        expect(has(lang, `errors.${code}.message`), `${lang} errors.${code}.message`).toBe(true);
        expect(has(lang, `remedies.${code}`), `${lang} remedies.${code}`).toBe(true);
      }
    }
  });

  it('every wizard step, comparison row and phase has its labels', () => {
    const keys = [
      ...WIZARD_STEPS.flatMap((s) => [`steps.${s}.title`, `steps.${s}.hint`]),
      ...COMPARISON_ROWS.map((r) => `phase.rows.${r}`),
      ...PHASE_IDS.map((p) => `phase.names.${p}`),
      ...['invalid_type', 'not_integer', 'too_small', 'too_big', 'unrecognized_keys', 'invalid_value', 'invalid_format'].map((c) => `validation.${c}`),
    ];
    for (const lang of LANGUAGES) for (const key of keys) expect(has(lang, key), `${lang} ${key}`).toBe(true);
  });

  it('every literal key used in the code exists', () => {
    const root = resolve(__dirname, '../../..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts')) files.push(path);
      }
    };
    walk(join(root, 'renderer/src'));
    walk(join(root, 'electron/main'));
    const used = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(30);
    const missing = [...used].filter((k) => !has('en', k));
    expect(missing).toEqual([]);
  });
});

describe('language and formats', () => {
  it('follows the OS preference, falling back to English', () => {
    expect(pickLanguage(['nl-BE', 'fr-BE'])).toBe('nl');
    expect(pickLanguage(['de-DE', 'fr_FR'])).toBe('fr');
    expect(pickLanguage(['de-DE'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('formats euros and numbers per locale', () => {
    const nbsp = /[\u00a0\u202f]/g;
    expect(formatEuros('fr', 1234).replace(nbsp, ' ')).toBe('1 234 €');
    expect(formatEuros('nl', 1234).replace(nbsp, ' ')).toBe('€ 1.234');
    expect(formatEuros('en', 1234)).toBe('€1,234');
    expect(formatNumber('fr', 99.4, 1)).toBe('99,4');
    expect(formatNumber('en', 2000)).toBe('2,000');
  });
});
