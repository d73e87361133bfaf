// The configuration form: built from the recipe's env example (and, on a re-run, merged with the saved
// `.env`), then the user's values checked per kind and written back as a `.env` Compose reads exactly.
// Pure: the DNS lookup of domains comes in as a function.
import { HTPASSWD_USER_MAX, valueTooLong } from '../../shared/env-limits';
import type { ConfigField, ConfigForm, ConfigProblem, ConfigValues } from '../../shared/recipe';
import { configValuesSchema } from '../../shared/recipe';
import { mergeEnv, parseEnvFile, writeEnvFile, type EnvEntry, type EnvWriteEntry } from './env-file';
import { checkEnvValue, classifyEnv, generateSecret, htpasswdUser, htpasswdValue, isPlaceholder } from './env-kinds';

/** The group written for keys of the saved `.env` that the example no longer has. */
export const KEPT_GROUP = 'Kept from the previous configuration';

function field(e: EnvEntry, opts: { saved: string | null; added: boolean; generate: () => string; repository?: { owner: string; name: string } | null }): ConfigField {
  const info = classifyEnv(e.key, e.value);
  const derived = e.refs.length > 0;
  const base = {
    key: e.key,
    kind: info.kind,
    group: e.group,
    help: e.comment,
    example: info.kind === 'secret' ? null : e.value,
    exampleIsPlaceholder: info.placeholder,
    choices: info.choices ? [...info.choices] : null,
    htpasswdUser: info.kind === 'htpasswd' ? htpasswdUser(opts.saved ?? e.value) : null,
    derived,
    added: opts.added,
  };
  if (derived) return { ...base, value: e.raw, source: 'example' };
  if (opts.saved !== null && !isPlaceholder(opts.saved)) return { ...base, value: opts.saved, source: 'saved' };
  if (info.fromRepository && opts.repository) {
    const value = info.fromRepository === 'full' ? `${opts.repository.owner}/${opts.repository.name}` : opts.repository.owner;
    return { ...base, value: value.toLowerCase(), source: 'repository' };
  }
  if (info.kind === 'secret') return { ...base, value: opts.generate(), source: 'generated' };
  if (info.kind === 'htpasswd' || info.placeholder || e.value === '') return { ...base, value: '', source: 'empty' };
  return { ...base, value: e.value, source: 'example' };
}

/**
 * The form for `exampleText` (the repository's env example); `savedText` is the `.env` saved by an earlier run
 * (its values are kept, keys the example adds are asked, keys it dropped are listed).
 */
export function buildConfigForm(
  exampleText: string | null,
  savedText: string | null,
  opts: { examplePath?: string | null; generate?: () => string; savedFrom?: 'saved' | 'server'; repository?: { owner: string; name: string } | null } = {},
): ConfigForm {
  const generate = opts.generate ?? (() => generateSecret());
  // Image paths are lower case on every registry (GHCR refuses `Gilmry/KoproGo`).
  const repository = opts.repository ?? null;
  const example = parseEnvFile(exampleText ?? '');
  const exampleProblems = example.problems.filter((p) => p.severity === 'error').map((p) => ({ line: p.line, kind: p.kind }));
  if (savedText === null) {
    return {
      envExample: opts.examplePath ?? null,
      fields: example.entries.map((e) => field(e, { saved: null, added: false, generate, repository })),
      removed: [],
      rerun: false,
      mergedWith: 'none',
      exampleProblems,
    };
  }
  const saved = parseEnvFile(savedText);
  const savedValues = new Map(saved.entries.map((e) => [e.key, e.value]));
  const merge = mergeEnv(saved, example);
  const addedKeys = new Set(merge.added.map((e) => e.key));
  return {
    envExample: opts.examplePath ?? null,
    fields: example.entries.map((e) => field(e, { saved: savedValues.get(e.key) ?? null, added: addedKeys.has(e.key), generate, repository })),
    removed: merge.removed.map((e) => e.key),
    rerun: true,
    mergedWith: opts.savedFrom ?? 'saved',
    exampleProblems,
  };
}

export type DomainLookup = (domain: string) => Promise<'found' | 'not_found' | 'unknown'>;

export type ConfigResult =
  | { ok: true; text: string; keys: string[] }
  | { ok: false; problems: Array<{ key: string; problem: ConfigProblem }> };

/**
 * Checks the user's values against the form (placeholders never pass, each kind its own check, domains must
 * exist in DNS) and writes the `.env`. Values of keys the form does not have are ignored; derived keys are written
 * as the example has them.
 */
export async function renderConfig(form: ConfigForm, input: ConfigValues, opts: { savedText?: string | null; lookupDomain?: DomainLookup } = {}): Promise<ConfigResult> {
  const { values, htpasswd, dropRemoved } = configValuesSchema.parse(input);
  const problems: Array<{ key: string; problem: ConfigProblem }> = [];
  const entries: EnvWriteEntry[] = [];
  const domains: Array<{ key: string; domain: string }> = [];
  for (const f of form.fields) {
    const common = { key: f.key, comment: f.help, group: f.group };
    if (f.derived) {
      entries.push({ ...common, value: '', raw: f.value });
      continue;
    }
    let value = values[f.key] ?? f.value;
    if (f.kind === 'htpasswd') {
      const pair = htpasswd[f.key];
      if (pair && pair.user.trim().length > HTPASSWD_USER_MAX) {
        problems.push({ key: f.key, problem: 'too_long' });
        continue;
      }
      if (pair && pair.password !== '') {
        const made = htpasswdValue(pair.user.trim(), pair.password);
        if (!made.ok) {
          problems.push({ key: f.key, problem: made.reason === 'empty_password' ? 'empty' : 'htpasswd_user' });
          continue;
        }
        value = made.value;
      } else if (pair && pair.user.trim() !== '' && f.source === 'saved' && htpasswdUser(f.value) !== pair.user.trim()) {
        // A new user name needs a password to hash.
        problems.push({ key: f.key, problem: 'empty' });
        continue;
      } else value = f.source === 'saved' ? f.value : '';
    }
    // A human limit per kind (a 10,000-character address is not one), before the shape is checked.
    const problem = valueTooLong(f.kind, value) ? 'too_long' : checkEnvValue({ kind: f.kind, choices: f.choices ?? undefined }, value);
    if (problem) {
      problems.push({ key: f.key, problem });
      continue;
    }
    if (f.kind === 'domain') domains.push({ key: f.key, domain: value.trim().replace(/\.$/, '') });
    entries.push({ ...common, value });
  }
  if (opts.lookupDomain && domains.length > 0) {
    const found = await Promise.all(domains.map(async (d) => ({ ...d, state: await opts.lookupDomain!(d.domain) })));
    for (const d of found) if (d.state === 'not_found') problems.push({ key: d.key, problem: 'domain_not_found' });
  }
  if (form.removed.length > 0 && opts.savedText) {
    const saved = parseEnvFile(opts.savedText);
    const drop = new Set(dropRemoved);
    for (const e of saved.entries) if (form.removed.includes(e.key) && !drop.has(e.key)) entries.push({ key: e.key, value: e.value, group: KEPT_GROUP });
  }
  if (problems.length > 0) return { ok: false, problems };
  const written = writeEnvFile(entries, { header: 'Written by the KoproGo deployment wizard. Edit it there to keep the values in step.' });
  if (!written.ok) return { ok: false, problems: written.problems.map((p) => ({ key: p.key, problem: 'not_writable' as const })) };
  return { ok: true, text: written.text, keys: entries.map((e) => e.key) };
}
