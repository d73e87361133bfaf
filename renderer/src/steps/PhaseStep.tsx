import { reasonText } from '../../../electron/shared/recommend-text';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../electron/shared/contract';
import { AppError, type ErrorEnvelope, type FieldIssue } from '../../../electron/shared/errors';
import { formatEuros, formatNumber } from '../../../electron/shared/i18n/format';
import { COMPARISON_ROWS, PHASES, type PhaseId } from '../../../electron/shared/phases';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { SavedDeployments } from '../dashboard/SavedDeployments';
import { useSettings } from '../stores/settings-store';
import { useWizard } from '../stores/wizard-store';
import { phaseCell } from './phase-cells';

type Result = MethodOutput<'phases.recommend'>;

/**
 * What the user typed, as sent to the main side: a number when the text is one, the raw text
 * otherwise, so the main side's schema (the single source of truth) reports the problem.
 */
function toWire(text: string): number | string {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed !== '' && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return text;
}

export function PhaseStep() {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const state = useWizard((s) => s.state);
  const update = useWizard((s) => s.update);

  const [coprosText, setCoprosText] = useState(state.copros === null ? '' : String(state.copros));
  const [lotsText, setLotsText] = useState(state.lotsPerCopro === null ? '' : String(state.lotsPerCopro));
  const [result, setResult] = useState<Result | null>(null);
  const [fieldIssues, setFieldIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);

  const selected = state.phase;

  const incomplete = coprosText.trim() === '' || lotsText.trim() === '';

  // Ask the main side as the user types; only valid answers are kept in the wizard state.
  useEffect(() => {
    if (incomplete) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      const input = { copros: toWire(coprosText), lotsPerCopro: toWire(lotsText), ...(selected ? { selected } : {}) };
      const recommend = api()['phases.recommend'];
      recommend(input as { copros: number; lotsPerCopro: number })
        .then((value) => {
          if (cancelled) return;
          setResult(value);
          setFieldIssues([]);
          setFailure(null);
          if (value && (state.copros !== input.copros || state.lotsPerCopro !== input.lotsPerCopro)) {
            void update({ copros: input.copros as number, lotsPerCopro: input.lotsPerCopro as number });
          }
        })
        .catch((error: unknown) => {
          if (cancelled) return;
          setResult(null);
          if (error instanceof AppError && error.code === 'ipc.invalid_input') {
            setFieldIssues(error.fields ?? []);
            setFailure(null);
          } else setFailure(error instanceof AppError ? error.toEnvelope() : new AppError('internal.unexpected').toEnvelope());
        });
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // state.copros/lotsPerCopro are written by this effect; listening to them would loop.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [coprosText, lotsText, selected, incomplete]);

  const issueFor = (field: string) => (incomplete ? undefined : fieldIssues.find((i) => i.path === field));
  const shown = incomplete ? null : result;
  const recommended = shown?.recommendation.phase ?? null;
  const euros = (v: number) => formatEuros(lang, v);

  const reason = useMemo(() => (shown ? reasonText(t, lang, shown.recommendation.reason) : ''), [shown, t, lang]);
  // The recommended phase is preselected until the user chooses one (the choice is then theirs).
  useEffect(() => {
    if (recommended !== null && selected === null) void update({ phase: recommended });
  }, [recommended, selected, update]);

  const choose = (id: PhaseId) => void update({ phase: id });

  return (
    <section className="panel" data-testid="step-phase">
      <SavedDeployments />
      <h1>{t('phase.title')}</h1>
      <p className="lead">{t('phase.intro')}</p>

      <div className="recommender card">
        <h2>{t('recommender.title')}</h2>
        <div className="fields">
          <NumberField id="copros" label={t('recommender.copros')} help={t('recommender.coprosHelp')} value={coprosText} onChange={setCoprosText} issue={issueFor('copros')} />
          <NumberField id="lotsPerCopro" label={t('recommender.lots')} help={t('recommender.lotsHelp')} value={lotsText} onChange={setLotsText} issue={issueFor('lotsPerCopro')} />
        </div>
        {failure && !incomplete && <ErrorNotice error={failure} />}
        {shown && (
          <div className="result" data-testid="recommendation" data-phase={recommended}>
            <p className="result-phase">
              {t('recommender.recommended', { phase: t(`phase.names.${shown.recommendation.phase}`) })}
            </p>
            <p data-testid="recommendation-reason">{reason}</p>
            {shown.recommendation.nearNextSignal && (
              <p className="notice notice-warn">
                {t('recommender.nearSignal', { next: shown.recommendation.nearNextSignal.nextPhase, at: formatNumber(lang, shown.recommendation.nearNextSignal.at) })}
              </p>
            )}
            <Economics result={shown} euros={euros} lang={lang} />
          </div>
        )}
        {incomplete && <p className="muted">{t('recommender.empty')}</p>}
      </div>

      <div className="table-wrap">
        <table className="compare" data-testid="comparison">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">{t('phase.rowHeader')}</span>
              </th>
              {PHASES.map((p) => (
                <th
                  key={p.id}
                  scope="col"
                  className={`${selected === p.id ? 'is-selected' : ''} ${recommended === p.id ? 'is-recommended' : ''}`}
                  data-testid={`phase-column-${p.id}`}
                >
                  <div className="phase-head">
                    <span className="phase-name">{t(`phase.names.${p.id}`)}</span>
                    {recommended === p.id && <span className="badge badge-rec">{t('phase.recommendedBadge')}</span>}
                    <button
                      type="button"
                      className={selected === p.id ? 'btn btn-selected' : 'btn'}
                      aria-pressed={selected === p.id}
                      data-testid={`choose-phase-${p.id}`}
                      onClick={() => choose(p.id)}
                    >
                      {selected === p.id ? t('phase.selected') : t('phase.choose')}
                    </button>
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {COMPARISON_ROWS.map((row) => (
              <tr key={row} data-testid={`row-${row}`}>
                <th scope="row">{t(`phase.rows.${row}`)}</th>
                {PHASES.map((p) => (
                  <td key={p.id} className={selected === p.id ? 'is-selected' : ''}>
                    {phaseCell(row, p, t, lang)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">{t('phase.source')}</p>
    </section>
  );
}

function NumberField(props: { id: string; label: string; help: string; value: string; onChange: (v: string) => void; issue: FieldIssue | undefined }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const params = Object.fromEntries(Object.entries(props.issue?.params ?? {}).map(([k, v]) => [k, typeof v === 'number' ? formatNumber(lang, v) : v]));
  const errorId = `${props.id}-error`;
  return (
    <label className="field" htmlFor={props.id}>
      <span className="field-label">{props.label}</span>
      <input
        id={props.id}
        data-testid={`${props.id}-input`}
        inputMode="numeric"
        autoComplete="off"
        value={props.value}
        maxLength={20}
        aria-invalid={props.issue ? true : undefined}
        aria-describedby={props.issue ? errorId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.issue ? (
        <span className="field-error" id={errorId} role="alert" data-testid={`${props.id}-error`}>
          {t(`validation.${props.issue.issue}`, { ...params, defaultValue: t('validation.invalid') })}
        </span>
      ) : (
        <span className="field-help">{props.help}</span>
      )}
    </label>
  );
}

function Economics({ result, euros, lang }: { result: Result; euros: (v: number) => string; lang: 'fr' | 'nl' | 'en' }) {
  const { t } = useTranslation();
  const e = result.economics;
  const phase = PHASES.find((p) => p.id === e.phase);
  const cost =
    e.costMonthly.max !== null && e.costMonthly.max !== e.costMonthly.min
      ? t('phase.values.costRange', { min: euros(e.costMonthly.min), max: euros(e.costMonthly.max) })
      : t('phase.values.cost', { amount: euros(e.costMonthly.min) });
  return (
    <>
    <p className="economics-title">{t('economics.forPhase', { phase: t(`phase.names.${e.phase}`) })}</p>
    <dl className="economics" data-testid="economics" data-phase={e.phase}>
      <div>
        <dt>{t('economics.cost')}</dt>
        <dd data-testid="economics-cost">{t('economics.perMonth', { amount: cost })}</dd>
      </div>
      <div>
        <dt>{t('economics.revenue', { copros: formatNumber(lang, e.copros), price: euros(phase?.pricePerCopro ?? 0) })}</dt>
        <dd data-testid="economics-revenue">{t('economics.perMonth', { amount: euros(e.revenueMonthly) })}</dd>
      </div>
      <div>
        <dt>{t('economics.margin')}</dt>
        <dd data-testid="economics-margin">
          {e.marginPercent === null ? '—' : `${formatNumber(lang, e.marginPercent, 1)}\u00a0%`}
        </dd>
      </div>
    </dl>
    </>
  );
}
