// The plan's review (issue 11): from the profile's settings (what the recipe decided) and the settings the steps
// are built with. Pure; the deploy service adds it to the plan.
import { buildCost, type PlanReview } from '../../shared/deploy-review';
import { getPhase } from '../../shared/phases';
import type { Profile } from '../../shared/profile';
import { BUILD_LANGUAGES, SERVICE_KINDS } from '../../shared/recipe';
import type { ComposeDeploySettings } from '../engine/types';

function parse<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const LANGS = new Set<string>(BUILD_LANGUAGES);
const KINDS = new Set<string>(SERVICE_KINDS);

export function planReview(profile: Profile, settings: ComposeDeploySettings): PlanReview {
  const s = profile.settings;
  const exposure = parse<PlanReview['exposure']>(s['exposure.ports'], []).filter((e) => KINDS.has(e.kind));
  const build = parse<PlanReview['build']>(s['compose.buildLanguages'], []).filter((b) => LANGS.has(b.language));
  const phase = getPhase(profile.phase);
  const memory = Number(s['server.memoryMb']);
  const vcpu = Number(s['server.vcpu']);
  const measured = Number.isFinite(memory) && memory > 0;
  const cost = buildCost(
    build.map((b) => b.language),
    { memoryMb: measured ? memory : phase.ramGb.min * 1024, vcpu: Number.isFinite(vcpu) && vcpu > 0 ? vcpu : phase.vcpu.min, measured },
  );
  const covered = [
    ...(settings.postgres ? [`PostgreSQL ${settings.postgres.database}`] : []),
    ...(settings.backupData?.volumes ?? []).map((v) => v.volume),
    ...(settings.backupData?.paths ?? []),
  ];
  const notCovered = parse<Array<{ source: string; reason: string }>>(s['backup.notCovered'], []).map((n) => ({ source: n.source, reason: n.reason }));
  const bind = s['exposure.bindLocal'];
  return {
    exposure,
    bindLocal: bind === 'yes' || bind === 'no' ? bind : null,
    build,
    buildCost: cost,
    imagesCi: s['compose.imagesCi'] || null,
    pull: { count: settings.images?.pull.length ?? 0, moving: (settings.images?.pull ?? []).filter((p) => p.moving).map((p) => p.service), registry: settings.registry?.host ?? null },
    backup: { covered, notCovered },
    health: { via: settings.healthProxy ? 'proxy' : settings.healthUrl ? 'host' : 'container', url: settings.healthUrl, host: settings.healthProxy?.host ?? null },
  };
}
