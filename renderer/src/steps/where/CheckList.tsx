import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../../../electron/shared/i18n/format';
import { getPhase, type PhaseId } from '../../../../electron/shared/phases';
import type { SavedServerCheck } from '../../stores/profile-store';
import { useSettings } from '../../stores/settings-store';

// The result of `server.check` against the chosen phase's needs: access, system, memory, disk.

export function CheckList({ result, phase }: { result: SavedServerCheck; phase: PhaseId }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const spec = getPhase(phase);
  const memoryGb = result.memoryMb / 1024;
  // Memory: the kernel keeps some for itself, a "2 GB" server reports about 1.9 GB.
  const memoryOk = result.memoryMb >= spec.ramGb.min * 1024 * 0.9;
  // Disk: the roadmap gives the disk size; the system already uses a part of it.
  const diskOk = spec.diskGb === null || result.diskFreeGb >= spec.diskGb * 0.8;
  const osOk = /debian gnu\/linux 12|ubuntu 2[24]\.04/i.test(result.os);
  const items = [
    { id: 'privilege', ok: true, text: result.privilege === 'root' ? t('where.check.root') : t('where.check.sudo') },
    { id: 'os', ok: osOk, text: osOk ? t('where.check.os', { os: result.os }) : t('where.check.osOther', { os: result.os }) },
    {
      id: 'memory',
      ok: memoryOk,
      text: t(memoryOk ? 'where.check.memory' : 'where.check.memoryLow', { have: formatNumber(lang, memoryGb, 1), need: formatNumber(lang, spec.ramGb.min), phase: spec.id }),
    },
    {
      id: 'disk',
      ok: diskOk,
      text:
        spec.diskGb === null
          ? t('where.check.diskFree', { have: formatNumber(lang, result.diskFreeGb) })
          : t(diskOk ? 'where.check.disk' : 'where.check.diskLow', { have: formatNumber(lang, result.diskFreeGb), need: formatNumber(lang, spec.diskGb), phase: spec.id }),
    },
  ];
  const warnings = items.filter((i) => !i.ok).length;
  return (
    <div data-testid="where-check">
      <p className={warnings ? 'notice notice-warn' : 'notice notice-ok'} data-testid="where-check-summary">
        {warnings ? t('where.check.warnings', { count: warnings }) : t('where.check.allGood')}
      </p>
      <ul className="checklist">
        {items.map((i) => (
          <li key={i.id} className={i.ok ? 'check-ok' : 'check-warn'} data-testid={`check-${i.id}`} data-ok={i.ok}>
            <span className="check-icon" aria-hidden>
              {i.ok ? '✓' : '!'}
            </span>
            <span className="sr-only">{i.ok ? t('where.check.ok') : t('where.check.warn')}</span>
            <span>{i.text}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
