import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import type { BackupView } from '../../../electron/shared/contract-backup';
import { formatNumber } from '../../../electron/shared/i18n/format';
import { ErrorNotice } from '../components/ErrorNotice';
import { Busy } from '../components/Spinner';
import { useLocalizeError } from '../error-text';
import { formatDateTime } from '../format';
import { useBackups } from '../stores/backup-store';
import { useSettings } from '../stores/settings-store';
import { formatBytes, formatMoney } from './money';
import './upgrade.css';

// The Backups panel of a deployment's dashboard: proven backups (dumped, checksummed, downloaded and
// restored into a scratch database to compare every table), the server's daily dumps, provider
// snapshots with their monthly cost, and the actions: back up now, verify, download, restore (after a
// confirmation and a safety dump), snapshot, install the daily job.

export function BackupsPanel({ profileId }: { profileId: string }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const localize = useLocalizeError();
  const { list, loading, error, active, done, confirmRestore, verifyWhere } = useBackups();
  const b = useBackups.getState();

  useEffect(() => {
    void useBackups.getState().open(profileId);
    return () => useBackups.getState().close();
  }, [profileId]);

  const busy = active !== null;
  return (
    <div className="card backups" data-testid="backups" data-busy={busy}>
      <div className="dash-head">
        <h2>{t('backup.title')}</h2>
        <div className="dash-actions">
          <label className="dash-range">
            <span>{t('backup.verifyWhere')}</span>
            <select value={verifyWhere} onChange={(e) => b.setVerifyWhere(e.target.value as 'server' | 'local')} data-testid="backup-verify-where">
              <option value="server">{t('backup.where.server')}</option>
              <option value="local">{t('backup.where.local')}</option>
            </select>
          </label>
          <button type="button" className="btn btn-primary" disabled={busy || !list?.database} onClick={() => void b.create()} data-testid="backup-create">
            {t('backup.create')}
          </button>
        </div>
      </div>
      <p className="small muted">{t('backup.intro')}</p>
      {error && <ErrorNotice error={localize(error)} />}
      {active && <ActiveOperation t={t} lang={lang} />}
      {done && !active && done.ok && (
        <p className="notice notice-ok" role="status" data-testid="backup-done" data-operation={done.operation}>
          {t(`backup.done.${done.operation}`)}
        </p>
      )}
      {loading && !list && <Busy text={t('common.loading')} />}
      {list && !list.database && <p className="muted">{t('backup.noDatabase')}</p>}
      {list?.serverError && <ErrorNotice error={localize(list.serverError as Parameters<typeof localize>[0])} />}
      {list?.database && (
        <p className="small" data-testid="backup-daily">
          {list.dailyInstalled === false ? (
            <>
              {t('backup.daily.missing')}{' '}
              <button type="button" className="link" disabled={busy} onClick={() => void b.installDaily()} data-testid="backup-install-daily">
                {t('backup.daily.install')}
              </button>
            </>
          ) : (
            t('backup.daily.kept', { days: list.dailyRetentionDays ?? 7, keepServer: list.keep.server, keepLocal: list.keep.local })
          )}
        </p>
      )}
      {list && list.backups.length > 0 && (
        <table className="compare backups-table">
          <thead>
            <tr>
              <th>{t('backup.columns.date')}</th>
              <th>{t('backup.columns.kind')}</th>
              <th>{t('backup.columns.size')}</th>
              <th>{t('backup.columns.where')}</th>
              <th>{t('backup.columns.proof')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.backups.map((x) => (
              <BackupRow key={x.id} x={x} t={t} lang={lang} busy={busy} />
            ))}
          </tbody>
        </table>
      )}
      {list && list.database && list.backups.length === 0 && <p className="muted">{t('backup.none')}</p>}
      {confirmRestore && <RestoreConfirm t={t} lang={lang} />}
      {list && (list.snapshots !== null || list.snapshotPrice) && (
        <div className="snapshots" data-testid="snapshots">
          <h3>{t('backup.snapshots.title')}</h3>
          <p className="small muted">
            {list.snapshotPrice ? t('backup.snapshots.price', { price: formatMoney(lang, list.snapshotPrice.perGbMonth, 4) }) : t('backup.snapshots.intro')}
          </p>
          {list.snapshots && list.snapshots.length > 0 ? (
            <ul>
              {list.snapshots.map((s) => (
                <li key={s.id} data-testid={`snapshot-${s.id}`}>
                  <span className="mono">{s.description}</span> · {s.createdAt ? formatDateTime(lang, new Date(s.createdAt).toISOString()) : '—'} · {s.sizeGb === null ? '—' : `${formatNumber(lang, s.sizeGb, 1)} ${t('units.gb')}`} ·{' '}
                  {s.costMonthly ? t('upgrade.perMonth', { price: formatMoney(lang, s.costMonthly) }) : '—'}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">{t('backup.snapshots.none')}</p>
          )}
          <button type="button" className="btn" disabled={busy} onClick={() => void b.snapshot()} data-testid="backup-snapshot">
            {t('backup.snapshots.take')}
          </button>
        </div>
      )}
      {list && <p className="small muted">{t('backup.localDir', { dir: list.localDir })}</p>}
    </div>
  );
}

function ActiveOperation({ t, lang }: { t: TFunction; lang: Language }) {
  const { active, progress } = useBackups();
  if (!active) return null;
  const stage = progress?.stage ?? 'connect';
  const bytes = progress?.bytes ?? null;
  const total = progress?.totalBytes ?? null;
  return (
    <div className="notice notice-info" role="status" data-testid="backup-progress" data-stage={stage}>
      <span>
        {t(`backup.operations.${active.operation}`)} — {t(`backup.stages.${stage}`)}
        {bytes !== null && total ? ` ${t('backup.bytes', { done: formatBytes(lang, bytes), total: formatBytes(lang, total), percent: formatNumber(lang, Math.floor((100 * bytes) / total)) })}` : ''}
        {progress?.rate ? ` · ${t('backup.rate', { rate: formatBytes(lang, progress.rate) })}` : ''}
        {progress?.resumedFrom ? ` · ${t('backup.resumed', { at: formatBytes(lang, progress.resumedFrom) })}` : ''}
      </span>
      <Busy text="" />
      <button type="button" className="link" onClick={() => void useBackups.getState().cancel()} data-testid="backup-cancel">
        {t('common.cancel')}
      </button>
    </div>
  );
}

function BackupRow({ x, t, lang, busy }: { x: BackupView; t: TFunction; lang: Language; busy: boolean }) {
  const b = useBackups.getState();
  const v = x.verification;
  const proven = v?.outcome === 'proven';
  const where = [x.onServer ? t('backup.where.server') : null, x.local?.complete ? t('backup.where.local') : x.local ? t('backup.where.partial', { percent: formatNumber(lang, Math.floor((100 * x.local.bytes) / Math.max(1, x.sizeBytes))) }) : null].filter(Boolean).join(' + ');
  return (
    <tr data-testid={`backup-${x.id}`} data-kind={x.kind} data-proof={v?.outcome ?? 'none'}>
      <td>{formatDateTime(lang, new Date(x.createdAt).toISOString())}</td>
      <td>{t(`backup.reasons.${x.reason}`)}</td>
      <td>{formatBytes(lang, x.sizeBytes)}</td>
      <td>{where || '—'}</td>
      <td>
        {v ? (
          <span className={proven || v.outcome === 'restorable' ? 'ok' : 'field-error'}>
            {t(`backup.proof.${v.outcome}`, { tables: formatNumber(lang, v.tables), rows: formatNumber(lang, v.rows), where: t(`backup.where.${v.where}`) })}
            {v.newest && <span className="muted small"> · {t('backup.newest', { time: formatDateTime(lang, v.newest) })}</span>}
          </span>
        ) : (
          <span className="muted">{t('backup.proof.none')}</span>
        )}
      </td>
      <td className="backup-actions">
        <button type="button" className="link" disabled={busy} onClick={() => void b.verify(x.id)} data-testid={`backup-verify-${x.id}`}>
          {t('backup.actions.verify')}
        </button>
        {x.kind === 'proven' && !x.local?.complete && (
          <button type="button" className="link" disabled={busy || !x.onServer} onClick={() => void b.download(x.id)} data-testid={`backup-download-${x.id}`}>
            {x.local ? t('backup.actions.resume') : t('backup.actions.download')}
          </button>
        )}
        <button type="button" className="link danger" disabled={busy || (x.kind === 'proven' && !proven)} title={x.kind === 'proven' && !proven ? t('backup.actions.restoreNeedsProof') : undefined} onClick={() => b.askRestore(x.id)} data-testid={`backup-restore-${x.id}`}>
          {t('backup.actions.restore')}
        </button>
      </td>
    </tr>
  );
}

function RestoreConfirm({ t, lang }: { t: TFunction; lang: Language }) {
  const { confirmRestore, list } = useBackups();
  const x = list?.backups.find((b) => b.id === confirmRestore);
  if (!x) return null;
  return (
    <div className="notice notice-warn restore-confirm" role="alertdialog" data-testid="restore-confirm">
      <div>
        <strong>{t('backup.restore.title', { date: formatDateTime(lang, new Date(x.createdAt).toISOString()) })}</strong>
        <p>{t('backup.restore.body', { database: list?.database?.database ?? '' })}</p>
      </div>
      <div className="dash-actions">
        <button type="button" className="btn" onClick={() => useBackups.getState().askRestore(null)} data-testid="restore-no">
          {t('common.cancel')}
        </button>
        <button type="button" className="btn btn-danger" onClick={() => void useBackups.getState().restore()} data-testid="restore-yes">
          {t('backup.restore.confirm')}
        </button>
      </div>
    </div>
  );
}
