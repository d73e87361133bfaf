import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TimelineMark } from '../../../electron/shared/contract-upgrade';
import { formatDateTime, formatDuration } from '../format';
import { RANGES, type RangeId } from '../stores/health-store';
import { useSettings } from '../stores/settings-store';
import { useUpgrade } from '../stores/upgrade-store';
import type { ChartMark } from '../dashboard/chart';

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
  return useMemo(
    () => marks.filter((m) => m.kind !== 'start').map((m) => ({ at: m.at, color: COLORS[m.kind], label: m.ref ? t(`upgrade.versionMarks.${m.kind}`, { ref: m.ref, time: clock(m.at) }) : t(`upgrade.marks.${m.kind}`, { phase: m.toPhase, time: clock(m.at) }) })),
    [marks, t, clock],
  );
}

export function UpgradeBanner({ profileId }: { profileId: string }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const run = useUpgrade((s) => s.run);
  const running = useUpgrade((s) => s.running);
  const recent = useUpgrade((s) => s.recentSuccess);
  useEffect(() => {
    void useUpgrade.getState().loadStatus(profileId);
  }, [profileId]);
  if (!run) return null;
  const open = () => void useUpgrade.getState().open(profileId, { kind: 'phase', toPhase: 2 });
  if (running || run.outcome === 'failed' || run.outcome === 'cancelled' || run.outcome === 'running') {
    const at = run.steps.find((s) => s.state === 'failed' || s.state === 'cancelled' || s.state === 'running');
    return (
      <div className="notice notice-warn upgrade-banner" role="status" data-testid="upgrade-banner" data-outcome={running ? 'running' : run.outcome}>
        <span>{running ? t('upgrade.banner.running', { phase: run.toPhase }) : t('upgrade.banner.stopped', { phase: run.toPhase, step: at ? t(`upgrade.stepTitles.${at.id}`) : '—' })}</span>
        <button type="button" className="btn" onClick={open} data-testid="upgrade-banner-open">
          {running ? t('upgrade.banner.follow') : t('upgrade.run.resume')}
        </button>
      </div>
    );
  }
  if (run.outcome === 'succeeded' && run.finishedAt && recent) {
    return (
      <p className="notice notice-ok" data-testid="upgrade-banner" data-outcome="succeeded">
        {t('upgrade.banner.done', { phase: run.toPhase, date: formatDateTime(lang, run.finishedAt), downtime: run.downtimeMs === null ? '—' : formatDuration(t, lang, run.downtimeMs) })}
      </p>
    );
  }
  return null;
}
