import { createHash } from 'node:crypto';
import type { EnvAddedKey, UpgradeOptions, UpgradePlan, UpgradeStepView, VersionChange } from '../../shared/contract-upgrade';
import type { PlanEntry } from '../../shared/deploy';
import { renderPlan } from '../engine/plan';
import type { ComposeDeploySettings } from '../engine/types';
import { encodeEnvValue, parseEnvFile } from '../recipe/env-file';
import { classifyEnv } from '../recipe/env-kinds';
import { isDowntime, remoteStepsOf, stepsOf, type BuiltPlan } from './plan';

// The plan of a version update, pure: from the refs and the env examples of both (read on the server by the
// service), the keys the new example adds (form fields: a value is needed before it can start) and the ones
// it no longer has (shown, kept in `.env`), the new `.env`, and the ordered steps with every remote command.
// No provider call: the monthly cost does not change; the downtime is Compose recreating what changed.

export interface VersionFacts {
  fromRef: string;
  fromCommit: string | null;
  toRef: string;
  toCommit: string;
  envExample: string | null;
  oldExample: string | null;
  newExample: string | null;
  /** The deployment's `.env` today (secret: only its keys reach the plan). */
  envContent: string;
}

export interface VersionPlanInput {
  profileId: string;
  phase: number;
  before: ComposeDeploySettings;
  /** The deployment at the new ref, with the new `.env` (versionEnv). */
  after: ComposeDeploySettings;
  facts: VersionFacts;
  options: UpgradeOptions;
  redact: (text: string) => string;
}

const keysOf = (text: string | null) => (text === null ? [] : parseEnvFile(text).entries.map((e) => e.key));

/** What changes in the env example between the refs, with the user's values for the new keys. */
export function envChange(facts: VersionFacts, options: UpgradeOptions): Pick<VersionChange, 'added' | 'removed'> {
  const oldKeys = new Set(keysOf(facts.oldExample));
  const current = new Set(keysOf(facts.envContent));
  const entries = facts.newExample === null ? [] : parseEnvFile(facts.newExample).entries;
  const newKeys = new Set(entries.map((e) => e.key));
  const added: EnvAddedKey[] = entries
    .filter((e) => !oldKeys.has(e.key) && !current.has(e.key))
    .map((e) => {
      const info = classifyEnv(e.key, e.value);
      const example = info.placeholder ? '' : e.value;
      const given = options.env?.[e.key];
      return { key: e.key, comment: e.comment, group: e.group, example, secret: info.kind === 'secret' || info.kind === 'htpasswd', missing: (given ?? example) === '' };
    });
  return { added, removed: [...oldKeys].filter((k) => !newKeys.has(k)) };
}

/** The new `.env`: today's, unchanged, with the new keys appended (the user's value, else the example's). */
export function versionEnv(facts: VersionFacts, options: UpgradeOptions): { content: string; invalid: string[] } {
  const { added } = envChange(facts, options);
  const lines: string[] = [];
  const invalid: string[] = [];
  for (const a of added) {
    const value = options.env?.[a.key] ?? a.example;
    if (value === '') continue;
    const encoded = encodeEnvValue(value);
    if (!encoded.ok) invalid.push(a.key);
    else lines.push(`${a.key}=${encoded.text}`);
  }
  if (lines.length === 0) return { content: facts.envContent, invalid };
  const base = facts.envContent.endsWith('\n') || facts.envContent === '' ? facts.envContent : `${facts.envContent}\n`;
  return { content: `${base}\n# Added by KoproGo Deploy for ${facts.toRef}\n${lines.join('\n')}\n`, invalid };
}

export function expectedVersionDowntime(after: ComposeDeploySettings): { minSec: number; maxSec: number } {
  // Compose recreates what changed (seconds), then the health wait (bounded by the deployment's timeout);
  // a roll back costs as much again.
  return { minSec: 5, maxSec: 2 * (after.healthTimeoutSec + 60) };
}

export function buildVersionPlan(input: VersionPlanInput): BuiltPlan {
  const { facts, before, after } = input;
  const order = stepsOf('version', 'in-place', false);
  const change = envChange(facts, input.options);
  const restoreDatabase = !!input.options.restoreDatabase && !!before.postgres;
  const steps: UpgradeStepView[] = order.map((id) => ({
    id,
    titleParams: (id === 'checkout' ? { ref: facts.toRef } : id === 'backup' ? { database: before.postgres?.database ?? '' } : id === 'rollback' ? { ref: facts.fromRef } : {}) as Record<string, string>,
    downtime: isDowntime(id, 'in-place'),
    api: [],
    remote: renderPlan(remoteStepsOf(id, before, after), input.redact) as PlanEntry[],
  }));
  const warnings: UpgradePlan['warnings'] = [];
  const missing = change.added.filter((a) => a.missing).map((a) => a.key);
  if (missing.length > 0) warnings.push({ code: 'upgrade.warnings.envMissing', params: { keys: missing.join(', ') } });
  if (change.removed.length > 0) warnings.push({ code: 'upgrade.warnings.envRemoved', params: { keys: change.removed.join(', ') } });
  if (!before.postgres) warnings.push({ code: 'upgrade.warnings.noDatabase', params: {} });
  if (facts.fromCommit === facts.toCommit) warnings.push({ code: 'upgrade.warnings.sameVersion', params: { ref: facts.toRef } });
  const verify = input.options.verify ?? 'server';
  const version: VersionChange = { from: { ref: facts.fromRef, commit: facts.fromCommit }, to: { ref: facts.toRef, commit: facts.toCommit }, envExample: facts.envExample, ...change, restoreDatabase };
  const view: Omit<UpgradePlan, 'planHash'> = {
    profileId: input.profileId,
    kind: 'version',
    route: 'in-place',
    fromPhase: input.phase,
    toPhase: input.phase,
    current: null,
    target: null,
    choices: [],
    upgradeDisk: false,
    disk: { keptGb: null, offeredGb: null },
    snapshot: { available: false, chosen: false, maxCostMonthly: null },
    cost: { before: null, after: null, deltaMonthly: 0, currency: 'EUR' },
    downtime: expectedVersionDowntime(after),
    order: null,
    verify,
    steps,
    warnings,
    version,
  };
  // The values of the new keys are not in the hash (the plan never holds them); their names and whether each is given are.
  const planHash = createHash('sha256')
    .update(JSON.stringify({ kind: 'version', order, version: { ...version, added: change.added.map((a) => [a.key, a.missing]) }, verify, remote: steps.map((s) => s.remote.map((r) => r.actions.map((a) => (a.kind === 'run' ? a.script : a.content)))) }))
    .digest('hex')
    .slice(0, 32);
  return { view: { ...view, planHash }, order, exec: { route: 'in-place', serverId: null, targetName: facts.toRef, options: { offerId: '', upgradeDisk: false, snapshot: false, verify }, orderPrice: null } };
}
