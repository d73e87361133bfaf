import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Language } from '../../../electron/shared/contract-languages';
import { formatEuros, formatNumber, intlLocale } from '../../../electron/shared/i18n/format';
import type { PhaseId } from '../../../electron/shared/phases';
import { api } from '../app-api';
import { ErrorNotice, translatedParams, useSystemText } from '../components/ErrorNotice';
import { MissingSecret } from '../components/MissingSecret';
import { Busy } from '../components/Spinner';
import { useLocalizeError } from '../error-text';
import { localParams } from '../format';
import { loadProgress, useWizard } from '../stores/wizard-store';
import { useSettings } from '../stores/settings-store';
import { RANGES, useHealth, type ChartMetric, type HealthCurrent, type RangeId } from '../stores/health-store';
import { useUpgrade } from '../stores/upgrade-store';
import { BackupsPanel } from '../upgrade/BackupsPanel';
import { DeployedVersion, UpgradeBanner, useChartMarks } from '../upgrade/DashboardUpgrade';
import { UpgradeScreen } from '../upgrade/UpgradeScreen';
import { LEVEL_COLORS, type Level } from './chart';
import { MetricChart } from './MetricChart';
import './dashboard.css';

// The live dashboard of one deployment: state of the data (live / stale since …), the upgrade
// recommendation, each metric against its levels, charts of the chosen period, containers with their
// last log lines on demand, the database, HTTPS and the certificate from this computer, K3s.

const CERT_WARN_DAYS = 14;


function formatBytes(lang: Language, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatNumber(lang, v, v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

function useFormats(lang: Language, range: RangeId) {
  return useMemo(() => {
    const locale = intlLocale(lang);
    const long = RANGES[range] > 86_400_000;
    const axis = new Intl.DateTimeFormat(locale, long ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit' });
    const axisSeconds = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const clock = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    // A period of a few minutes (just after opening) needs seconds on the axis.
    return { axisTime: (ms: number, spanMs: number) => (spanMs < 10 * 60_000 ? axisSeconds : axis).format(ms), clock: (ms: number) => clock.format(ms), date: (ms: number) => date.format(ms) };
  }, [lang, range]);
}

interface MetricDef {
  metric: ChartMetric;
  level: keyof HealthCurrent['levels'] | null;
  unit: '%' | 'ms' | '';
  yMax?: number;
}

const METRICS: MetricDef[] = [
  { metric: 'cpu', level: 'cpu', unit: '%', yMax: 100 },
  { metric: 'ram', level: 'ram', unit: '%', yMax: 100 },
  { metric: 'load1', level: 'load', unit: '' },
  { metric: 'disk', level: 'disk', unit: '%', yMax: 100 },
  { metric: 'p99Ms', level: 'p99', unit: 'ms' },
];

export function Dashboard() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const localize = useLocalizeError();
  const systemText = useSystemText();
  const profileId = useHealth((s) => s.profileId);
  const current = useHealth((s) => s.current);
  const range = useHealth((s) => s.range);
  const series = useHealth((s) => s.series);
  const error = useHealth((s) => s.error);
  const startedAll = useHealth((s) => s.started);
  // A signal that started and no longer holds (the deployment moved to a phase it fits) is not announced.
  const started = current ? startedAll.filter((x) => current.signals.active.some((a) => a.id === x.id)) : startedAll;
  const { close, setRange, exportCsv, dismissStarted } = useHealth.getState();
  const f = useFormats(lang, range);
  const upgradeOpen = useUpgrade((s) => s.profileId !== null);
  // A move under way or stopped half-way: its banner leads back to it; the card proposing one again is left out.
  const moveUnderWay = useUpgrade((s) => s.running || (s.run !== null && s.run.kind !== 'version' && s.run.outcome !== 'succeeded'));
  const marks = useChartMarks(profileId, range, f.clock);
  const [backupsOpen, setBackupsOpen] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [, tick] = useState(0);
  // How the last deployment of this profile ended: the figures alone do not say whether KoproGo runs.
  const [runOf, setRunOf] = useState<{ profileId: string; run: DeployRun } | null>(null);
  const deployRun = runOf && runOf.profileId === profileId ? runOf.run : null;
  useEffect(() => {
    if (!profileId) return;
    let cancelled = false;
    const status = api()['deploy.status'];
    status({ profileId }).then(
      (r) => !cancelled && setRunOf({ profileId, run: { outcome: r.active ? 'running' : r.outcome, active: r.active, failedStep: r.failedStep, error: r.error } }),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [profileId]);
  const toDeploy = async () => {
    const id = profileId;
    await close();
    await useWizard.getState().update({ step: 'deploy', profileId: id });
    await loadProgress();
  };

  // "Updated 12:00:05" stays right; the stale line too.
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5_000);
    return () => clearInterval(timer);
  }, []);

  const value = (def: MetricDef, v: number) => (def.unit === '%' ? `${formatNumber(lang, v, 1)} %` : def.unit === 'ms' ? `${formatNumber(lang, v, 0)} ms` : formatNumber(lang, v, 2));

  const onExport = async () => {
    const r = await exportCsv();
    if (!r) return;
    const url = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setExported(r.filename);
  };

  /** The phase chooser again, to compare (and the way to phases this version cannot move to yet). */
  const comparePhases = async (phase: PhaseId) => {
    const id = profileId;
    await close();
    await useWizard.getState().update({ step: 'phase', phase, profileId: id });
    await loadProgress();
  };
  /** The upgrade plan screen: phases 1 → 2 and 2 → 3 are guided runs, 3 → 4 a guided checklist. */
  const upgrade = async (phase: PhaseId) => {
    if (profileId && (phase === 2 || phase === 3 || phase === 4)) await useUpgrade.getState().open(profileId, { kind: 'phase', toPhase: phase });
    else await comparePhases(phase);
  };

  if (upgradeOpen) return <UpgradeScreen />;

  const needsSecret = current?.error?.code === 'secret.missing' ? (current.error.params.secret === 'sshKey' ? 'sshKey' : null) : null;
  const state = needsSecret ? 'needs_secret' : !current || (current.lastSampleAt === null && current.staleSince === null) ? 'waiting' : current.staleSince !== null ? 'stale' : 'live';
  const thresholdsOf = (level: MetricDef['level']) => (current && level ? current.thresholds[level] : null);
  const app = appStateOf(deployRun, current);
  // Figures of a server where KoproGo does not run are not "OK": they are shown without the green.
  const honest = app === 'running';
  const onKeyGiven = async () => {
    if (!profileId) return;
    const fresh = await api()['health.current']({ profileId, refresh: true }).catch(() => null);
    if (fresh && useHealth.getState().profileId === profileId) useHealth.setState({ current: fresh });
  };

  return (
    <section className="panel dashboard" data-testid="dashboard" data-state={state} data-app={app}>
      <div className="dash-head">
        <div>
          <h1>{t('health.dashboard.title')}</h1>
          <p className={`dash-status dash-${state === 'live' && !honest ? 'degraded' : state}`} data-testid="dashboard-status" role="status">
            {state === 'needs_secret' && t('health.dashboard.needsSecret')}
            {state === 'waiting' && t('health.dashboard.waiting')}
            {state === 'live' && t(honest ? 'health.dashboard.live' : 'health.dashboard.liveServerOnly', { time: f.clock(current!.lastSampleAt!) })}
            {state === 'stale' && (
              <>
                {t('health.dashboard.stale', { time: f.clock(current!.staleSince!) })}
                {current!.retryAt !== null && ` ${t('health.dashboard.staleRetry', { time: f.clock(current!.retryAt) })}`}
              </>
            )}
          </p>
          {profileId && <DeployedVersion profileId={profileId} />}
        </div>
        <div className="dash-actions">
          {/* A K3s cluster watched from this computer has no server history to chart or export. */}
          {!(current && current.phase >= 3 && current.point === null) && (
          <>
          <label className="dash-range">
            <span>{t('health.dashboard.range')}</span>
            <select value={range} onChange={(e) => void setRange(e.target.value as RangeId)} data-testid="dashboard-range">
              {(Object.keys(RANGES) as RangeId[]).map((r) => (
                <option key={r} value={r}>
                  {t(`health.dashboard.ranges.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="btn" aria-pressed={backupsOpen} onClick={() => setBackupsOpen((o) => !o)} data-testid="dashboard-backups">
            {t('backup.open')}
          </button>
          <button type="button" className="btn" onClick={() => void onExport()} data-testid="dashboard-export">
            {t('health.dashboard.exportCsv')}
          </button>
          {/* A version update needs a deployment that ran once (its checkout on the server). */}
          {profileId && current && current.phase <= 2 && app !== 'never' && (
            <button type="button" className="btn" onClick={() => void useUpgrade.getState().openVersion(profileId)} data-testid="dashboard-update-version">
              {t('upgrade.version.open')}
            </button>
          )}
          </>
          )}
          <button type="button" className="btn" onClick={() => void close()} data-testid="dashboard-close">
            {t('health.dashboard.back')}
          </button>
        </div>
      </div>
      {exported && (
        <p className="small muted" data-testid="dashboard-exported">
          {t('health.dashboard.exported', { file: exported })}
        </p>
      )}
      {error && <ErrorNotice error={localize(error)} />}
      {needsSecret && profileId && <MissingSecret profileId={profileId} secret={needsSecret} onProvided={onKeyGiven} resumeLabel={t('secrets.missing.sshKey.resumeDashboard')} />}
      {!needsSecret && app !== 'running' && app !== 'unknown' && <AppDown app={app} run={deployRun} t={t} onOpen={() => void toDeploy()} />}
      {state === 'stale' && current?.error && (
        // The reason only: the remedies of connection errors speak of deployments; sampling retries by itself.
        <p className="notice notice-warn" data-testid="dashboard-stale-reason">
          {t(`errors.${current.error.code}.message`, translatedParams(localize(current.error as Parameters<typeof localize>[0]).params, systemText))}
        </p>
      )}
      {started.length > 0 && (
        <div className="notice notice-warn" role="alert" data-testid="signal-toast">
          <span>{started.map((s) => t('health.dashboard.signalToast', { text: t(s.message.code, localParams(lang, s.message.params)) })).join(' ')}</span>
          <button type="button" className="link" onClick={dismissStarted}>
            {t('common.dismiss')}
          </button>
        </div>
      )}

      {!current && !error && <Busy text={t('common.loading')} />}
      {/* K3s (phases 3–4): the cluster is watched from this computer; a server's figures are for phases 1–2. */}
      {current && current.phase >= 3 && current.point === null && (
        <>
          {profileId && <UpgradeBanner profileId={profileId} />}
          <Cluster current={current} t={t} />
          {current.https && <Https current={current} lang={lang} t={t} date={f.date} />}
          {/* Phase 3 → 4: the roadmap's progressive path, a checklist (upgrade/K3sUpgrade.tsx). */}
          {current.phase === 3 && profileId && (
            <p className="notice notice-info" data-testid="phase4-entry">
              {t('upgrade.k3s.phase4Entry')}{' '}
              <button type="button" className="btn btn-small" onClick={() => void upgrade(4)} data-testid="phase4-open">
                {t('upgrade.k3s.phase4Open')}
              </button>
            </p>
          )}
        </>
      )}
      {current && !(current.phase >= 3 && current.point === null) && (
        <>
          {profileId && <UpgradeBanner profileId={profileId} />}
          {current.signals.recommendation && !moveUnderWay && <Recommendation current={current} lang={lang} t={t} onUpgrade={(p) => void upgrade(p)} onCompare={(p) => void comparePhases(p)} />}
          {backupsOpen && profileId && <BackupsPanel profileId={profileId} />}

          <div className="tiles" data-testid="metric-tiles">
            {METRICS.map((def) => {
              const v = def.metric === 'p99Ms' ? (current.https?.latency.p99 ?? null) : metricValue(current, def.metric);
              const level = def.level ? current.levels[def.level] : null;
              const th = thresholdsOf(def.level);
              return (
                <div key={def.metric} className={`tile tile-${level === 'ok' && !honest ? 'neutral' : (level ?? 'none')}`} data-testid={`tile-${def.metric}`} data-level={level ?? 'none'}>
                  <span className="tile-label">{t(`health.dashboard.metrics.${def.metric}`)}</span>
                  <span className="tile-value">{v === null ? '—' : value(def, v)}</span>
                  <span className="tile-level">{def.metric === 'cpu' && v === null && current.point ? t('health.dashboard.cpuNextSample') : t(`health.dashboard.levels.${level === 'ok' && !honest ? 'okServer' : (level ?? 'none')}`)}</span>
                  {th && <span className="tile-th">{t('health.dashboard.thresholdsLine', { warn: value(def, th.warn), critical: value(def, th.critical) })}</span>}
                  {def.metric === 'load1' && current.point && <span className="tile-th">{t('health.dashboard.cores', { count: current.point.cpus })}</span>}
                </div>
              );
            })}
          </div>
          <p className="small muted" data-testid="thresholds-source">
            {t(current.thresholds.source === 'repository' ? 'health.dashboard.thresholdsRepository' : 'health.dashboard.thresholdsRoadmap')}
          </p>

          <div className="charts">
            {METRICS.map((def) => {
              const data = series[def.metric] ?? { t: [], v: [] };
              const level = def.level ? current.levels[def.level] : null;
              return (
                <div className="card chart-card" key={def.metric}>
                  <h2>{t(`health.dashboard.metrics.${def.metric}`)}</h2>
                  {data.t.length === 0 && <p className="small muted">{t('health.dashboard.noData')}</p>}
                  <MetricChart
                    testId={`chart-${def.metric}`}
                    label={t(`health.dashboard.metrics.${def.metric}`)}
                    data={data}
                    levels={thresholdsOf(def.level)}
                    level={level as Level | null}
                    yMax={def.yMax}
                    formatTime={f.axisTime}
                    formatValue={(v) => (def.unit === '%' ? formatNumber(lang, v, 0) : formatNumber(lang, v, def.unit === 'ms' ? 0 : 1))}
                    marks={marks}
                  />
                </div>
              );
            })}
          </div>

          <Containers current={current} lang={lang} t={t} clock={f.clock} />
          <div className="dash-grid">
            <Database current={current} lang={lang} t={t} />
            <Https current={current} lang={lang} t={t} date={f.date} />
          </div>
          {current.phase >= 3 && <Cluster current={current} t={t} />}
        </>
      )}
    </section>
  );
}

function metricValue(c: HealthCurrent, m: ChartMetric): number | null {
  const p = c.point;
  if (!p) return null;
  switch (m) {
    case 'cpu':
      return p.cpuPercent;
    case 'ram':
      return p.ramUsedPercent;
    case 'load1':
      return p.load.one;
    case 'disk':
      return p.diskUsedPercent === null ? p.dockerDiskUsedPercent : Math.max(p.diskUsedPercent, p.dockerDiskUsedPercent ?? 0);
    default:
      return null;
  }
}

interface Part {
  current: HealthCurrent;
  lang: Language;
  t: TFunction;
}

function Recommendation({ current, lang, t, onUpgrade, onCompare }: Part & { onUpgrade: (phase: PhaseId) => void; onCompare: (phase: PhaseId) => void }) {
  const rec = current.signals.recommendation!;
  const cost = rec.monthlyCost.max !== null && rec.monthlyCost.max !== rec.monthlyCost.min ? `${formatEuros(lang, rec.monthlyCost.min)} – ${formatEuros(lang, rec.monthlyCost.max)}` : formatEuros(lang, rec.monthlyCost.min);
  return (
    <div className="card recommendation" data-testid="upgrade-recommendation" data-phase={rec.nextPhase}>
      <h2>{t('health.dashboard.recommendation.title', { phase: rec.nextPhase })}</h2>
      <p>{t('health.dashboard.recommendation.intro', { minutes: current.signals.windowMinutes })}</p>
      <ul data-testid="upgrade-reasons">
        {rec.reasons.map((r, i) => (
          <li key={i}>{t(r.code, localParams(lang, r.params))}</li>
        ))}
      </ul>
      <p className="rec-cost" data-testid="upgrade-cost">
        <strong>{t(`phase.names.${rec.nextPhase}`)}</strong> — {t('health.dashboard.recommendation.cost', { phase: rec.nextPhase, cost })}
      </p>
      <div className="dash-actions">
        <button type="button" className="btn btn-primary" onClick={() => onUpgrade(rec.nextPhase)} data-testid="upgrade-phase">
          {rec.nextPhase === 2 ? t('upgrade.prepare', { phase: rec.nextPhase }) : t('health.dashboard.recommendation.upgrade', { phase: rec.nextPhase })}
        </button>
        {rec.nextPhase === 2 && (
          <button type="button" className="link" onClick={() => onCompare(rec.nextPhase)} data-testid="upgrade-compare">
            {t('upgrade.compare')}
          </button>
        )}
      </div>
    </div>
  );
}

const STATUS_LEVEL: Record<string, Level | 'none'> = { healthy: 'ok', running: 'ok', starting: 'warn', restarting: 'warn', paused: 'warn', unhealthy: 'critical', stopped: 'critical' };

function Containers({ current, lang, t, clock }: Part & { clock: (ms: number) => string }) {
  const logsFor = useHealth((s) => s.logsFor);
  const logs = useHealth((s) => s.logs);
  const toggleLogs = useHealth((s) => s.toggleLogs);
  const localize = useLocalizeError();
  const systemText = useSystemText();
  const point = current.point;
  if (!point) return null;
  return (
    <div className="card" data-testid="containers">
      <h2>{t('health.dashboard.containers.title')}</h2>
      {point.containersAt !== null && (
        <p className="small muted" data-testid="containers-read-at">
          {t('health.dashboard.containers.readAt', { time: clock(point.containersAt) })}
        </p>
      )}
      {point.docker.status === 'error' && (
        <div className="field-error" data-testid="docker-error">
          {t('health.dashboard.containers.dockerError', { error: systemText(point.docker.error ?? '') })}
          {point.docker.error && (
            <details className="error-details">
              <summary>{t('common.technicalDetails')}</summary>
              <pre className="mono small">{point.docker.error}</pre>
            </details>
          )}
        </div>
      )}
      {point.containers.length === 0 ? (
        <p className="muted">{t('health.dashboard.containers.none')}</p>
      ) : (
        <table className="compare containers">
          <thead>
            <tr>
              <th>{t('health.dashboard.containers.name')}</th>
              <th>{t('health.dashboard.containers.status')}</th>
              <th>{t('health.dashboard.containers.restarts')}</th>
              <th>{t('health.dashboard.containers.cpu')}</th>
              <th>{t('health.dashboard.containers.memory')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {point.containers.map((c) => (
              <tr key={c.id} data-testid={`container-${c.name}`} data-status={c.status}>
                <td className="mono">
                  {c.name}
                  {c.service && <span className="muted small"> · {c.service}</span>}
                </td>
                <td>
                  <span className="dot" style={{ background: LEVEL_COLORS[STATUS_LEVEL[c.status] ?? 'none'] }} aria-hidden />
                  {t(`health.dashboard.containers.state.${c.status}`)}
                </td>
                <td>{formatNumber(lang, c.restartCount)}</td>
                <td>{c.cpuPercent === null ? '—' : `${formatNumber(lang, c.cpuPercent, 1)} %`}</td>
                <td>{c.memoryBytes === null ? '—' : formatBytes(lang, c.memoryBytes)}</td>
                <td>
                  <button type="button" className="link" onClick={() => void toggleLogs(c.name)} data-testid={`logs-${c.name}`} title={t('health.dashboard.containers.showLogs')}>
                    {logsFor === c.name ? t('health.dashboard.containers.hideLogs') : t('health.dashboard.containers.showLogs')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {logsFor && logs && (
        <div className="logs" data-testid="container-logs">
          {!!logs.lines?.length && <h3 className="small">{t('health.dashboard.containers.logsTitle', { count: logs.lines.length, name: logsFor })}</h3>}
          {logs.loading && <Busy text={t('common.loading')} />}
          {logs.error && <ErrorNotice error={localize(logs.error)} />}
          {logs.lines && (logs.lines.length === 0 ? <p className="muted">{t('health.dashboard.containers.logsEmpty')}</p> : <pre className="log">{logs.lines.join('\n')}</pre>)}
        </div>
      )}
    </div>
  );
}

function Database({ current, lang, t }: Part) {
  const p = current.point;
  return (
    <div className="card" data-testid="database">
      <h2>{t('health.dashboard.database.title')}</h2>
      {!p || p.postgresStatus === null ? (
        <p className="muted">{t('health.dashboard.database.none')}</p>
      ) : p.postgres ? (
        <dl className="facts">
          <div>
            <dt>{t('health.dashboard.database.size')}</dt>
            <dd data-testid="db-size">{formatBytes(lang, p.postgres.sizeBytes)}</dd>
          </div>
          <div>
            <dt>{t('health.dashboard.database.connections')}</dt>
            <dd data-testid="db-connections">{formatNumber(lang, p.postgres.connections)}</dd>
          </div>
        </dl>
      ) : (
        <p className="field-error">{t(`health.dashboard.database.status.${p.postgresStatus}`, { defaultValue: p.postgresStatus })}</p>
      )}
    </div>
  );
}

function Https({ current, lang, t, date }: Part & { date: (ms: number) => string }) {
  const h = current.https;
  const cert = h?.certificate ?? null;
  const ms = (v: number | null) => (v === null ? '—' : `${formatNumber(lang, v, 0)} ms`);
  return (
    <div className="card" data-testid="https">
      <h2>{t('health.dashboard.https.title')}</h2>
      {!h ? (
        <p className="muted">{t('health.dashboard.https.notConfigured')}</p>
      ) : (
        <>
          <p className="mono small">{h.url}</p>
          <dl className="facts">
            <div>
              <dt>{t('health.dashboard.https.status')}</dt>
              <dd data-testid="https-status" data-ok={h.ok}>
                {h.status !== null ? `HTTP ${h.status}` : t('health.dashboard.https.failed', { code: h.errorCode ? t(`health.dashboard.https.reasons.${h.errorCode.replace(/^health\./, '')}`, { defaultValue: h.errorCode }) : '' })}
              </dd>
            </div>
            <div>
              <dt>{t('health.dashboard.https.latency')}</dt>
              <dd data-testid="https-latency">
                {ms(h.latency.p50)} / {ms(h.latency.p95)} / {ms(h.latency.p99)}
              </dd>
            </div>
            {cert && (
              <>
                <div>
                  <dt>{t('health.dashboard.https.issuer')}</dt>
                  <dd>{cert.issuer}</dd>
                </div>
                <div>
                  <dt>{t('health.dashboard.https.certificate')}</dt>
                  <dd data-testid="cert-expiry" data-days={cert.daysLeft}>
                    {t('health.dashboard.https.expires', { date: date(Date.parse(cert.validTo)), days: formatNumber(lang, cert.daysLeft) })}
                  </dd>
                </div>
              </>
            )}
          </dl>
          {cert && cert.daysLeft < CERT_WARN_DAYS && (
            <p className="notice notice-warn" data-testid="cert-expiring">
              {t('health.dashboard.https.expiringSoon', { days: formatNumber(lang, cert.daysLeft) })}
            </p>
          )}
          {cert?.defaultCert && <p className="notice notice-warn" data-testid="cert-default">{t('health.dashboard.https.defaultCert')}</p>}
          {cert && cert.selfSigned && !cert.defaultCert && <p className="notice notice-warn" data-testid="cert-self-signed">{t('health.dashboard.https.selfSigned')}</p>}
          {cert && !cert.trusted && !cert.selfSigned && <p className="notice notice-warn">{t('health.dashboard.https.untrusted')}</p>}
        </>
      )}
    </div>
  );
}

function Cluster({ current, t }: Pick<Part, 'current' | 't'>) {
  const localize = useLocalizeError();
  const c = current.cluster;
  return (
    <div className="card" data-testid="cluster">
      <h2>{t('health.dashboard.cluster.title')}</h2>
      {!c ? (
        <p className="muted">{t('health.dashboard.cluster.notAvailable')}</p>
      ) : c.error ? (
        <ErrorNotice error={localize(c.error as Parameters<typeof localize>[0])} />
      ) : (
        <>
          <h3 className="small">{t('health.dashboard.cluster.nodes')}</h3>
          <ul>
            {c.nodes.map((n) => (
              <li key={n.name}>
                <span className="dot" style={{ background: LEVEL_COLORS[n.ready ? 'ok' : 'critical'] }} aria-hidden />
                <span className="mono">{n.name}</span> · {n.roles.join(', ') || t('health.dashboard.cluster.agent')} · {n.kubeletVersion} · {t(n.ready ? 'health.dashboard.cluster.ready' : 'health.dashboard.cluster.notReady')}
              </li>
            ))}
          </ul>
          <h3 className="small">{t('health.dashboard.cluster.pods')}</h3>
          <table className="compare">
            <tbody>
              {c.pods.map((p) => (
                <tr key={`${p.namespace}/${p.name}`}>
                  <td className="mono">
                    {p.namespace}/{p.name}
                  </td>
                  <td>{p.phase}</td>
                  <td>{t(p.ready ? 'health.dashboard.cluster.ready' : 'health.dashboard.cluster.notReady')}</td>
                  <td>{p.restarts}</td>
                  <td className="mono">{p.node ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

interface DeployRun {
  outcome: 'running' | 'succeeded' | 'failed' | 'cancelled' | null;
  active: boolean;
  failedStep: string | null;
  error: { code: string; params: Record<string, string | number>; remedy: string } | null;
}

type AppState = 'running' | 'failed' | 'interrupted' | 'never' | 'no_containers' | 'unknown';

/** Whether KoproGo runs on the server, from the last deployment and the containers seen. */
export function appStateOf(run: DeployRun | null, current: HealthCurrent | null): AppState {
  if (!run) return 'unknown';
  if (run.outcome === 'failed' || run.outcome === 'cancelled') return 'failed';
  if (run.outcome === 'running' && !run.active) return 'interrupted';
  if (run.outcome === null) return 'never';
  const point = current?.point;
  if (point && (point.docker.status === 'ok' || point.docker.status === 'missing') && point.containers.length === 0) return 'no_containers';
  return run.outcome === 'succeeded' ? 'running' : 'unknown';
}

function AppDown({ app, run, t, onOpen }: { app: Exclude<AppState, 'running' | 'unknown'>; run: DeployRun | null; t: TFunction; onOpen: () => void }) {
  return (
    <div className="notice notice-warn" role="alert" data-testid="dashboard-app-down" data-app={app}>
      <div>
        <strong>{t(`health.dashboard.app.${app}`, { step: run?.failedStep ? t(`deploy.steps.${run.failedStep}`, { defaultValue: run.failedStep }) : '—' })}</strong>
        <p>{t('health.dashboard.app.figures')}</p>
      </div>
      <button type="button" className="btn" onClick={onOpen} data-testid="dashboard-open-deploy">
        {t('health.dashboard.app.open')}
      </button>
    </div>
  );
}
