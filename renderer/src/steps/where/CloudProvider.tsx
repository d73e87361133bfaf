import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import { getPhase, type PhaseId } from '../../../../electron/shared/phases';
import type { Profile } from '../../../../electron/shared/profile';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { toEnvelope, useProfile } from '../../stores/profile-store';
import { CreateServerCard } from './CreateServerCard';
import { HetznerCredentials } from './HetznerCredentials';
import { OffersCard } from './OffersCard';
import { OvhCredentials } from './OvhCredentials';
import { OvhVpsCard } from './OvhVpsCard';
import { ManagedServers } from './ManagedServers';
import { createdBy, type CloudKind, type Offer, type ProviderStatus } from './provider-ui';

/** Non-secret profile setting: the OVH route the user chose (cloud instance or VPS). */
const OVH_ROUTE_SETTING = 'ovh.route';

/** A server from a cloud provider: credentials, then offers and prices, then one click to create it. */
export function CloudProvider({ kind, profile, phase, onUseExisting }: { kind: CloudKind; profile: Profile; phase: PhaseId; onUseExisting: () => void }) {
  const { t } = useTranslation();
  // OVH: a Public Cloud instance the app creates, or a VPS ordered on OVH's site and picked up here.
  // Preselected: the cheaper route that meets the phase — a VPS for phases 1–2 (the roadmap's VPS
  // Starter / Comfort), Public Cloud for the K3s phases — with the other one explained.
  const preferred: 'cloud' | 'vps' = getPhase(phase).runtime === 'compose' ? 'vps' : 'cloud';
  // The user's choice is kept in the profile (a reload during a creation finds the same route).
  const chosen = profile.settings[OVH_ROUTE_SETTING];
  const [route, setRouteState] = useState<'cloud' | 'vps'>(chosen === 'cloud' || chosen === 'vps' ? chosen : createdBy(profile) === 'ovh' ? 'cloud' : preferred);
  const save = useProfile((s) => s.save);
  const setRoute = (r: 'cloud' | 'vps') => {
    setRouteState(r);
    void save((p) => ({ settings: { ...p.settings, [OVH_ROUTE_SETTING]: r } })).catch(() => undefined);
  };
  const [status, setStatus] = useState<ProviderStatus | null>(null);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [offer, setOffer] = useState<Offer | null>(null);

  const load = useCallback(
    () => api()['provider.status']({}).then(setStatus, (error: unknown) => setFailure(toEnvelope(error, 'provider.status'))),
    [],
  );
  const refresh = useCallback(async () => {
    setFailure(null);
    await load();
  }, [load]);
  useEffect(() => {
    void load();
  }, [load]);

  if (failure) return <ErrorNotice error={failure} />;
  if (!status) return <Busy text={t('common.loading')} />;
  const ready = kind === 'hetzner' ? status.hetzner.configured : status.ovh.credential === 'validated';
  return (
    <>
      {kind === 'hetzner' ? <HetznerCredentials status={status} onChange={refresh} /> : <OvhCredentials status={status} onChange={refresh} />}
      {ready && <ManagedServers key={profile.server?.host ?? '-'} kind={kind} />}
      {ready && kind === 'ovh' && (
        <div className="segmented" role="radiogroup" aria-label={t('where.vps.routeLabel')}>
          {(['cloud', 'vps'] as const).map((r) => (
            <label key={r} className={`segment${route === r ? ' is-selected' : ''}`}>
              <input type="radio" name="ovh-route" value={r} checked={route === r} onChange={() => setRoute(r)} data-testid={`ovh-route-${r}`} />
              {t(`where.vps.routes.${r}`)}
              {r === preferred && <span className="badge badge-ok">{t('where.vps.recommended')}</span>}
            </label>
          ))}
        </div>
      )}
      {ready && kind === 'ovh' && (
        <p className="muted small" data-testid="ovh-route-why" data-preferred={preferred}>
          {t(preferred === 'vps' ? 'where.vps.whyVps' : 'where.vps.whyCloud', { phase })}
        </p>
      )}
      {ready && kind === 'ovh' && route === 'vps' && <OvhVpsCard phase={phase} endpoint={status.ovh.endpoint ?? 'ovh-eu'} onPicked={onUseExisting} />}
      {ready && (kind === 'hetzner' || route === 'cloud') && (
        <>
          <OffersCard kind={kind} phase={phase} selected={offer} onSelect={setOffer} />
          <CreateServerCard kind={kind} profile={profile} phase={phase} offer={offer} />
        </>
      )}
    </>
  );
}
