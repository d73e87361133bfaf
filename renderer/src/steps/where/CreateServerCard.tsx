import { OFFER_PRICE_SETTING } from '../../../../electron/shared/offer-price';
import { useEffect, useEffectEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CreateStage } from '../../../../electron/shared/contract-providers';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import type { PhaseId } from '../../../../electron/shared/phases';
import type { Profile } from '../../../../electron/shared/profile';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { useLocalizeError } from '../../error-text';
import { SERVER_CHECK_SETTING, savedServerCheck, serverTarget, toEnvelope, useProfile, type SavedServerCheck } from '../../stores/profile-store';
import { useSettings } from '../../stores/settings-store';
import { useWizard } from '../../stores/wizard-store';
import { CheckList } from './CheckList';
import { createdBy, formatMoney, type CloudKind, type Offer, type ProgressEvent } from './provider-ui';

// Creating the server: one click, live progress (creating, booting, waiting for SSH, host key
// verified), then the same checks as for an existing server. A second click, or a restart during the
// wait, finds the same server: the main side never creates two.

const SHOWN: readonly CreateStage[] = ['ssh_key', 'creating', 'booting', 'waiting_ssh', 'host_key_verified'];

type Flow =
  | { kind: 'idle' }
  | { kind: 'creating'; stage: CreateStage; percent: number | null }
  | { kind: 'checking' }
  | { kind: 'checked'; result: SavedServerCheck }
  | { kind: 'failed'; error: ErrorEnvelope };

export function CreateServerCard({ kind, profile, phase, offer }: { kind: CloudKind; profile: Profile; phase: PhaseId; offer: Offer | null }) {
  const { t } = useTranslation();
  const lang = useSettings((s) => s.language);
  const next = useWizard((s) => s.next);
  const localize = useLocalizeError();
  const save = useProfile((s) => s.save);
  const mine = createdBy(profile) === kind;
  const [flow, setFlow] = useState<Flow>(() => {
    const last = mine ? savedServerCheck(profile) : null;
    return last ? { kind: 'checked', result: last } : { kind: 'idle' };
  });

  const check = async (server: { host: string; port: number; user: string }) => {
    setFlow({ kind: 'checking' });
    const r = await api()['server.check']({ profileId: profile.id });
    const result: SavedServerCheck = { ...r, target: serverTarget(server), checkedAt: new Date().toISOString() };
    await save((p) => ({ settings: { ...p.settings, [SERVER_CHECK_SETTING]: JSON.stringify(result) } }));
    setFlow({ kind: 'checked', result });
  };

  // This screen's own click waits for the call's answer; a creation started before a reload (or in
  // another window) is followed through its progress events instead.
  const own = useRef(false);
  const followed = async () => {
    try {
      await useProfile.getState().load(profile.id);
      const server = useProfile.getState().profile?.server;
      if (server) await check(server);
    } catch (error) {
      setFlow({ kind: 'failed', error: toEnvelope(error, 'server.check') });
    }
  };
  const onProgress = useEffectEvent((p: ProgressEvent) => {
    if (p.profileId !== profile.id || p.provider !== kind) return;
    if (p.stage === 'done' || p.stage === 'failed') {
      if (own.current) return;
      if (p.stage === 'failed' && p.error) setFlow({ kind: 'failed', error: p.error as ErrorEnvelope });
      else void followed();
      return;
    }
    setFlow((f) => (f.kind === 'checking' || f.kind === 'checked' ? f : { kind: 'creating', stage: p.stage, percent: p.percent }));
  });
  useEffect(() => api().on('provider.progress', (p) => onProgress(p)), []);

  const create = async () => {
    if (!offer) return;
    own.current = true;
    setFlow({ kind: 'creating', stage: 'preparing', percent: null });
    try {
      const server = await api()['provider.create']({ profileId: profile.id, offerId: offer.id });
      // The main side saved the server (with its pinned host key) and the SSH key in the profile.
      await useProfile.getState().load(profile.id);
      // The plan's monthly cost is this offer's price, for this server.
      const price = { offer: offer.name, net: offer.priceMonthly.net, gross: offer.priceMonthly.gross, currency: offer.priceMonthly.currency, host: server.host };
      await save((p) => ({ settings: { ...p.settings, [OFFER_PRICE_SETTING]: JSON.stringify(price) } }));
      await check(server);
    } catch (error) {
      setFlow({ kind: 'failed', error: toEnvelope(error, 'provider.create') });
    } finally {
      own.current = false;
    }
  };

  const stageState = (s: CreateStage): 'done' | 'current' | 'pending' => {
    if (flow.kind !== 'creating') return flow.kind === 'checking' || flow.kind === 'checked' ? 'done' : 'pending';
    const at = SHOWN.indexOf(flow.stage);
    const i = SHOWN.indexOf(s);
    return i < at ? 'done' : i === at ? 'current' : 'pending';
  };

  return (
    <div className="card" data-testid="create-card">
      <h2>{t('where.create.title')}</h2>
      {(flow.kind === 'idle' || flow.kind === 'failed') && (
        <>
          <p className="muted">{t('where.create.intro')}</p>
          <div className="actions">
            <button type="button" className="btn btn-primary" disabled={!offer} onClick={() => void create()} data-testid="create-server">
              {offer ? t('where.create.button', { offer: offer.name, location: offer.locationLabel, price: formatMoney(lang, offer.priceMonthly.net, offer.priceMonthly.currency) }) : t('where.create.pickFirst')}
            </button>
          </div>
          {flow.kind === 'failed' && <ErrorNotice error={localize(flow.error)} />}
        </>
      )}
      {(flow.kind === 'creating' || flow.kind === 'checking') && (
        <>
          <ol className="checklist create-stages" data-testid="create-stages">
            {SHOWN.map((s) => {
              const state = stageState(s);
              return (
                <li key={s} className={`stage-${state}`} data-testid={`create-stage-${s}`} data-state={state}>
                  <span className="check-icon" aria-hidden>
                    {state === 'done' ? '✓' : state === 'current' ? '…' : '·'}
                  </span>
                  <span>
                    {t(`where.create.stages.${s}`)}
                    {state === 'current' && flow.kind === 'creating' && flow.percent !== null && flow.percent < 100 ? ` (${flow.percent} %)` : ''}
                  </span>
                </li>
              );
            })}
          </ol>
          <Busy text={flow.kind === 'checking' ? t('where.create.checking') : t('where.create.wait')} testId="create-busy" />
        </>
      )}
      {flow.kind === 'checked' && profile.server && (
        <>
          <p className="notice notice-ok" data-testid="create-done">
            {t('where.create.done', { host: profile.server.host, fingerprint: profile.server.hostKeySha256 ?? '' })}
          </p>
          <CheckList result={flow.result} phase={phase} />
          <div className="actions">
            <button type="button" className="btn btn-primary" onClick={() => void next()} data-testid="where-continue">
              {t('common.continue')}
            </button>
            <button type="button" className="btn" onClick={() => void check(profile.server!).catch((error: unknown) => setFlow({ kind: 'failed', error: toEnvelope(error, 'server.check') }))} data-testid="create-check-again">
              {t('where.connect.again')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
