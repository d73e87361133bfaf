import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TimelineMark, UpgradeRun } from '../../../electron/shared/contract-upgrade';
import { api } from '../app-api';
import { formatDateTime, formatDuration } from '../format';
import { RANGES, type RangeId } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';
import { useUpgrade } from '../stores/upgrade-store';
import type { ChartMark } from '../dashboard/chart';
import { stepTitleKey } from './VersionUpdate';

// What the dashboard shows of upgrades: the marks on its charts (the application down, back up, the
// move done), and a banner with the last upgrade: stopped half-way (resume it) or done (its downtime).

const COLORS: Record<TimelineMark['kind'], string> = { start: '#1e3a8a', down: '#b45309', up: '#0f766e', end: '#1e3a8a', failed: '#b91c1c', rolledback: '#7c3aed' };

export function useChartMarks(profileId: string | null, range: RangeId, clock: (ms: number) => string): ChartMark[] {
  const { t } = useTranslation();
  const marks = useUpgrade((s) => s.marks);
  const running = useUpgrade((s) => s.running);
  useEffect(() => {
    if (!profileId) return;
    const to = Date.now() + 60_000;
    void useUpgrade.getState().loadMarks(profileId, to - RANGES[range] - 60_000, to);
  }, [profileId, range, running]);
  // A move to K3s is "up" once the cluster answers (the DNS may not have moved yet): "cluster ready", not "phase 3 online".
  return useMemo(
    () => marks.filter((m) => m.kind !== 'start').map((m) => ({ at: m.at, color: COLORS[m.kind], label: m.ref ? t(`upgrade.versionMarks.${m.kind}`, { ref: m.ref, time: clock(m.at) }) : t(`upgrade.marks.${m.kind === 'up' && m.toPhase === 3 ? 'clusterUp' : m.kind}`, { phase: m.toPhase, time: clock(m.at) }) })),
    [marks, t, clock],
  );
}

/** The screen a banner's button opens: the version update at its ref, or the phase move the run was for. */
function openRun(profileId: string, run: UpgradeRun): void {
  const store = useUpgrade.getState();
  if (run.kind === 'version') {
    void store.openVersion(profileId, run.ref);
    return;
  }
  const toPhase = run.toPhase === 3 || run.toPhase === 4 ? run.toPhase : 2;
  void store.open(profileId, { kind: 'phase', toPhase });
}

export function UpgradeBanner({ profileId }: { profileId: string }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const run = useUpgrade((s) => s.run);
  const running = useUpgrade((s) => s.running);
  const recent = useUpgrade((s) => s.recentlyFinished);
  useEffect(() => {
    void useUpgrade.getState().loadStatus(profileId);
  }, [profileId]);
  if (!run) return null;
  const version = run.kind === 'version';
  const ref = run.ref ?? '—';
  const open = () => openRun(profileId, run);
  const finished = run.finishedAt ? formatDateTime(lang, run.finishedAt) : '—';
  // A version update that did not become healthy and was put back: the application runs as before, the
  // founder sees what happened (a week long, like a success), nothing to resume.
  if (!running && version && run.rollback?.state === 'rolled-back') {
    if (!recent) return null;
    return (
      <div className="notice notice-warn upgrade-banner" role="status" data-testid="upgrade-banner" data-outcome="rolledback">
        <span>{t('upgrade.banner.versionRolledBack', { ref, date: finished })}</span>
        <button type="button" className="btn" onClick={open} data-testid="upgrade-banner-open">
          {t('upgrade.banner.details')}
        </button>
      </div>
    );
  }
  if (running || run.outcome === 'failed' || run.outcome === 'cancelled' || run.outcome === 'running') {
    const at = run.steps.find((s) => s.state === 'failed' || s.state === 'cancelled' || s.state === 'running');
    const step = at ? t(stepTitleKey(run, at.id), at.titleParams ?? {}) : '—';
    const text = running
      ? version ? t('upgrade.banner.versionRunning', { ref }) : t('upgrade.banner.running', { phase: run.toPhase })
      : version ? t('upgrade.banner.versionStopped', { ref, step }) : t('upgrade.banner.stopped', { phase: run.toPhase, step });
    // A move to K3s stopped after the server's database went read-only (and not put back by "back to the
    // server", which clears the error): the application takes no writes until the founder resumes or goes back.
    const readOnly = !running && run.kind === 'phase-2-3' && run.error !== null && run.steps.some((s) => s.id === 'freeze' && s.state !== 'pending');
    return (
      <div className="notice notice-warn upgrade-banner" role="status" data-testid="upgrade-banner" data-outcome={running ? 'running' : run.outcome} data-read-only={readOnly ? 'true' : undefined}>
        <span>
          {text}
          {readOnly && <strong data-testid="upgrade-banner-read-only"> {t('upgrade.banner.readOnly')}</strong>}
        </span>
        <button type="button" className="btn" onClick={open} data-testid="upgrade-banner-open">
          {running ? t('upgrade.banner.follow') : t('upgrade.run.resume')}
        </button>
      </div>
    );
  }
  if (run.outcome === 'succeeded' && run.finishedAt && recent) {
    const downtime = run.downtimeMs === null ? '—' : formatDuration(t, lang, run.downtimeMs);
    return (
      <p className="notice notice-ok" data-testid="upgrade-banner" data-outcome="succeeded">
        {version ? t('upgrade.banner.versionDone', { ref, date: finished, downtime }) : t('upgrade.banner.done', { phase: run.toPhase, date: finished, downtime })}
      </p>
    );
  }
  return null;
}

/** The version the deployment runs (the profile's ref), read again after each upgrade run ends. */
export function DeployedVersion({ profileId }: { profileId: string }) {
  const { t } = useTranslation();
  const finishedAt = useUpgrade((s) => s.run?.finishedAt ?? null);
  const [ref, setRef] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api()['profiles.get']({ id: profileId })
      .then((p) => live && setRef(p.repo?.ref ?? null))
      .catch(() => live && setRef(null));
    return () => {
      live = false;
    };
  }, [profileId, finishedAt]);
  if (!ref) return null;
  return (
    <p className="small muted" data-testid="dashboard-version">
      {t('upgrade.version.deployed', { ref })}
    </p>
  );
}
