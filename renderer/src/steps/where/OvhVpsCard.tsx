import { OFFER_PRICE_SETTING } from '../../../../electron/shared/offer-price';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../../electron/shared/contract';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import { formatNumber } from '../../../../electron/shared/i18n/format';
import type { PhaseId } from '../../../../electron/shared/phases';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { useLocalizeError } from '../../error-text';
import { toEnvelope, useProfile } from '../../stores/profile-store';
import { useSettings } from '../../stores/settings-store';
import { formatMoney, openLink } from './provider-ui';

// OVH's VPS route: a VPS cannot be created through the API (it is ordered and paid on OVH's site),
// so the app names the exact plan to order, opens OVH's page, and then picks the new VPS up from the
// account; from there it is "a server I already have" (key, fingerprint, checks).

type VpsAnswer = MethodOutput<'provider.ovhVps'>;

/** The user OVH's Debian VPS images log in with (root login is off on them). */
const VPS_USER = 'debian';

export function OvhVpsCard({ phase, endpoint, onPicked }: { phase: PhaseId; endpoint: 'ovh-eu' | 'ovh-ca' | 'ovh-us'; onPicked: () => void }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const localize = useLocalizeError();
  const save = useProfile((s) => s.save);
  const [answer, setAnswer] = useState<VpsAnswer | null>(null);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [round, setRound] = useState(0);

  useEffect(() => {
    let live = true;
    const request = api()['provider.ovhVps']({ phase });
    request.then(
      (a) => live && setAnswer(a),
      (error: unknown) => live && setFailure(toEnvelope(error, 'provider.ovhVps')),
    );
    return () => {
      live = false;
    };
  }, [phase, round]);

  const pick = async (v: VpsAnswer['vps'][number]) => {
    if (!v.ipv4) return;
    try {
      // The plan's monthly cost: the plan OVH lists for this phase, when it is the VPS picked.
      const listed = answer?.plan && answer.plan.offer.toLowerCase() === v.offer.toLowerCase() ? answer.plan.priceMonthly : null;
      const price = listed ? JSON.stringify({ offer: v.offer, net: listed.net, gross: listed.gross ?? listed.net, currency: listed.currency, host: v.ipv4 }) : null;
      await save((p) => {
        const { [OFFER_PRICE_SETTING]: _old, ...settings } = p.settings;
        return { provider: { kind: 'ovh', endpoint, offer: v.offer.slice(0, 80) }, server: { host: v.ipv4!, port: 22, user: VPS_USER }, settings: price ? { ...settings, [OFFER_PRICE_SETTING]: price } : settings };
      });
      onPicked();
    } catch (error) {
      setFailure(toEnvelope(error, 'profiles.save'));
    }
  };

  const plan = answer?.plan ?? null;
  return (
    <div className="card" data-testid="ovh-vps">
      <h2>{t('where.vps.title')}</h2>
      {!answer && !failure && <Busy text={t('where.offers.loading')} />}
      {failure && <ErrorNotice error={localize(failure)} onDismiss={() => setFailure(null)} />}
      {answer && (
        <>
          {plan ? (
            <div className="notice notice-info" data-testid="ovh-vps-plan">
              <div>
                <p>
                  {t('where.vps.plan', {
                    offer: plan.offer,
                    vcpu: plan.vcpu,
                    ram: formatNumber(lang, plan.ramGb),
                    disk: formatNumber(lang, plan.diskGb),
                    net: formatMoney(lang, plan.priceMonthly.net, plan.priceMonthly.currency),
                    gross: plan.priceMonthly.gross === null ? '—' : formatMoney(lang, plan.priceMonthly.gross, plan.priceMonthly.currency),
                  })}
                </p>
                {answer.roadmapOffer && answer.roadmapOffer.offer.toLowerCase() !== plan.offer.toLowerCase() && (
                  <p className="small">
                    {answer.roadmapOffer.lacks.length > 0
                      ? t('where.vps.roadmapTooSmall', { named: answer.roadmapOffer.offer, lacks: answer.roadmapOffer.lacks.map((l) => t(`where.offers.lacks.${l}`)).join(', ') })
                      : t('where.offers.roadmap', { named: answer.roadmapOffer.offer })}
                  </p>
                )}
              </div>
            </div>
          ) : (
            <p className="notice notice-warn">{t('where.vps.noPlan')}</p>
          )}
          <ol className="small steps-list">
            <li>
              {plan ? t('where.vps.step1', { offer: plan.offer }) : t('where.vps.step1Any')}{' '}
              {plan && (
                <button type="button" className="link" onClick={() => void openLink(plan.orderPageUrl)} data-testid="ovh-vps-order">
                  {t('where.vps.openOrder')}
                </button>
              )}
            </li>
            <li>{t('where.vps.step2')}</li>
            <li>{t('where.vps.step3')}</li>
          </ol>
          <h3>{t('where.vps.yours')}</h3>
          {answer.vps.length === 0 ? (
            <p className="muted" data-testid="ovh-vps-none">{t('where.vps.none')}</p>
          ) : (
            <div className="table-wrap">
              <table className="compare offers" data-testid="ovh-vps-table">
                <thead>
                  <tr>
                    <th scope="col">{t('where.vps.cols.name')}</th>
                    <th scope="col">{t('where.offers.cols.offer')}</th>
                    <th scope="col">{t('where.vps.cols.address')}</th>
                    <th scope="col">{t('where.offers.cols.vcpu')}</th>
                    <th scope="col">{t('where.offers.cols.ram')}</th>
                    <th scope="col">{t('where.offers.cols.disk')}</th>
                    <th scope="col">
                      <span className="sr-only">{t('where.offers.choose')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {answer.vps.map((v) => (
                    <tr key={v.name} data-testid={`ovh-vps-${v.name.replace(/[^A-Za-z0-9]+/g, '-')}`}>
                      <td>
                        <strong>{v.displayName ?? v.name}</strong>
                        <br />
                        <span className="muted small">{v.name}</span>
                      </td>
                      <td>
                        {v.offer} {v.meetsSpec ? <span className="badge badge-ok">{t('where.vps.fits')}</span> : <span className="badge badge-later">{t('where.vps.tooSmall')}</span>}
                      </td>
                      <td className="mono">{v.ipv4 ?? '—'}</td>
                      <td>{v.vcpu}</td>
                      <td>{t('where.offers.gb', { n: formatNumber(lang, v.ramGb, 1) })}</td>
                      <td>{t('where.offers.gb', { n: formatNumber(lang, v.diskGb) })}</td>
                      <td>
                        <button type="button" className="btn btn-small" disabled={!v.ipv4} onClick={() => void pick(v)} data-testid="ovh-vps-use">
                          {t('where.vps.use')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="actions">
            <button type="button" className="btn" onClick={() => setRound((r) => r + 1)} data-testid="ovh-vps-refresh">
              {t('where.vps.refresh')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
