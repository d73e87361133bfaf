import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import { formatNumber } from '../../../../electron/shared/i18n/format';
import type { PhaseId } from '../../../../electron/shared/phases';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { useLocalizeError } from '../../error-text';
import { toEnvelope } from '../../stores/profile-store';
import { useSettings } from '../../stores/settings-store';
import { formatMoney, offerTestId, type CloudKind, type Offer, type OffersAnswer, type ProviderColumn } from './provider-ui';

// The cost preview: every configured provider's cheapest offer for the phase side by side (monthly
// price without and with VAT as the provider gives it, and the next phase's price), then this
// provider's offers meeting the phase's spec, the cheapest preselected, and why.

export function OffersCard({ kind, phase, selected, onSelect }: { kind: CloudKind; phase: PhaseId; selected: Offer | null; onSelect: (offer: Offer | null) => void }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const localize = useLocalizeError();
  const [answer, setAnswer] = useState<OffersAnswer | null>(null);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [location, setLocation] = useState<string>('');

  // The card is mounted once per provider and phase (CloudProvider's key), so no reset is needed here.
  useEffect(() => {
    let live = true;
    const offers = api()['provider.offers']({ phase });
    offers
      .then((a) => {
        if (!live) return;
        setAnswer(a);
        const col = a.providers.find((p) => p.provider === kind);
        onSelect(col?.offers.find((o) => o.id === col.chosenId) ?? null);
      })
      .catch((error: unknown) => live && setFailure(toEnvelope(error, 'provider.offers')));
    return () => {
      live = false;
    };
  }, [phase, kind, onSelect]);

  const column = answer?.providers.find((p) => p.provider === kind) ?? null;
  const locations = useMemo(() => {
    const seen = new Map<string, string>();
    for (const o of column?.offers ?? []) seen.set(o.location, o.locationLabel);
    return [...seen.entries()];
  }, [column]);
  const rows = (column?.offers ?? []).filter((o) => location === '' || o.location === location);
  const money = (o: Offer, which: 'net' | 'gross') => {
    const v = o.priceMonthly[which];
    return v === null ? '—' : formatMoney(lang, v, o.priceMonthly.currency);
  };

  return (
    <div className="card" data-testid="offers-card">
      <h2>{t('where.offers.title', { phase: t(`phase.names.${phase}`) })}</h2>
      {!answer && !failure && <Busy text={t('where.offers.loading')} testId="offers-loading" />}
      {failure && <ErrorNotice error={localize(failure)} />}
      {answer && (
        <>
          <p className="muted small" data-testid="offers-spec">
            {answer.spec.diskGb === null
              ? t('where.offers.specNoDisk', { phase: t(`phase.names.${phase}`), vcpu: answer.spec.vcpu, ram: formatNumber(lang, answer.spec.ramGb) })
              : t('where.offers.spec', { phase: t(`phase.names.${phase}`), vcpu: answer.spec.vcpu, ram: formatNumber(lang, answer.spec.ramGb), disk: formatNumber(lang, answer.spec.diskGb) })}
          </p>
          <Summary answer={answer} />
          {column?.error && <ErrorNotice error={localize(column.error as ErrorEnvelope)} />}
          {column && !column.error && (
            <>
              <Why column={column} />
              {column.offers.length > 0 && (
                <>
                  {locations.length > 1 && (
                    <label className="field field-inline-select">
                      <span className="field-label">{t('where.offers.location')}</span>
                      <select value={location} onChange={(e) => setLocation(e.target.value)} data-testid="offer-location">
                        <option value="">{t('where.offers.allLocations')}</option>
                        {locations.map(([id, label]) => (
                          <option key={id} value={id}>
                            {label}
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                  <div className="table-wrap">
                    <table className="compare offers" data-testid="offers-table">
                      <thead>
                        <tr>
                          <th scope="col"><span className="sr-only">{t('where.offers.choose')}</span></th>
                          <th scope="col">{t('where.offers.cols.offer')}</th>
                          <th scope="col">{t('where.offers.cols.location')}</th>
                          <th scope="col">{t('where.offers.cols.vcpu')}</th>
                          <th scope="col">{t('where.offers.cols.ram')}</th>
                          <th scope="col">{t('where.offers.cols.disk')}</th>
                          <th scope="col">{t('where.offers.cols.net')}</th>
                          <th scope="col">{t('where.offers.cols.gross')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((o) => (
                          <tr key={o.id} className={selected?.id === o.id ? 'is-selected' : undefined} data-testid={`offer-${offerTestId(o.id)}`}>
                            <td>
                              <input type="radio" name="offer" checked={selected?.id === o.id} onChange={() => onSelect(o)} aria-label={`${o.name} ${o.locationLabel}`} data-testid={`offer-pick-${offerTestId(o.id)}`} />
                            </td>
                            <td>
                              <strong>{o.name}</strong> {o.id === column.chosenId && <span className="badge badge-rec">{t('where.offers.cheapest')}</span>}
                            </td>
                            <td>{o.locationLabel}</td>
                            <td>{o.vcpu}</td>
                            <td>{t('where.offers.gb', { n: formatNumber(lang, o.ramGb, 1) })}</td>
                            <td>{t('where.offers.gb', { n: formatNumber(lang, o.diskGb) })}</td>
                            <td>{money(o, 'net')}</td>
                            <td>{money(o, 'gross')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}

/** One line per configured provider: its cheapest offer for this phase, and for the next one. */
function Summary({ answer }: { answer: OffersAnswer }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const price = (o: Offer | null | undefined) => (o ? formatMoney(lang, o.priceMonthly.net, o.priceMonthly.currency) : '—');
  const gross = (o: Offer | null | undefined) => (o && o.priceMonthly.gross !== null ? formatMoney(lang, o.priceMonthly.gross, o.priceMonthly.currency) : '—');
  return (
    <div className="table-wrap offers-summary">
      <table className="compare" data-testid="offers-summary">
        <thead>
          <tr>
            <th scope="col">{t('where.offers.summary.provider')}</th>
            <th scope="col">{t('where.offers.summary.cheapest')}</th>
            <th scope="col">{t('where.offers.cols.net')}</th>
            <th scope="col">{t('where.offers.cols.gross')}</th>
            <th scope="col">{answer.phase < 4 ? t('where.offers.summary.next', { phase: t(`phase.names.${answer.phase + 1}`) }) : t('where.offers.summary.noNext')}</th>
          </tr>
        </thead>
        <tbody>
          {answer.providers.map((p) => {
            const best = p.offers[0];
            return (
              <tr key={p.provider} data-testid={`offers-summary-${p.provider}`}>
                <th scope="row">{t(`where.providers.${p.provider}.title`)}</th>
                <td>{p.error ? t('where.offers.summary.unavailable') : best ? `${best.name} · ${best.locationLabel}` : t('where.offers.summary.none')}</td>
                <td>{price(best)}</td>
                <td>{gross(best)}</td>
                <td data-testid={`offers-next-${p.provider}`}>{p.next?.offer ? `${price(p.next.offer)} (${p.next.offer.name})` : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Why this offer: cheapest meeting the spec; what the roadmap named; what was too small. */
function Why({ column }: { column: ProviderColumn }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const chosen = column.offers.find((o) => o.id === column.chosenId);
  const lacks = (l: string[]) => l.map((x) => t(`where.offers.lacks.${x}`)).join(', ');
  const r = column.reason;
  return (
    <div className="notice notice-info offers-why" data-testid="offers-why">
      <div>
        {r.kind === 'cheapest_meeting_spec' && chosen && (
          <p>{t('where.offers.why', { offer: chosen.name, location: chosen.locationLabel, price: formatMoney(lang, chosen.priceMonthly.net, chosen.priceMonthly.currency), count: r.candidates })}</p>
        )}
        {r.kind === 'none_meets_spec' && <p>{t('where.offers.noneMeets', { largest: r.largest ?? '—', lacks: lacks(r.lacks) })}</p>}
        {r.kind === 'none_available' && <p>{t('where.offers.noneAvailable')}</p>}
        {column.roadmapOffer && chosen && column.roadmapOffer.toLowerCase() !== chosen.name.toLowerCase() && <p>{t('where.offers.roadmap', { named: column.roadmapOffer })}</p>}
        {column.tooSmall.length > 0 && <p className="small">{t('where.offers.tooSmall', { list: column.tooSmall.map((s) => `${s.name} (${lacks(s.lacks)})`).join(' · ') })}</p>}
        {column.next && (
          <p className="small" data-testid="offers-next">
            {column.next.offer
              ? t('where.offers.next', { phase: t(`phase.names.${column.next.phase}`), offer: column.next.offer.name, price: formatMoney(lang, column.next.offer.priceMonthly.net, column.next.offer.priceMonthly.currency) })
              : t('where.offers.nextNone', { phase: t(`phase.names.${column.next.phase}`) })}
          </p>
        )}
      </div>
    </div>
  );
}
