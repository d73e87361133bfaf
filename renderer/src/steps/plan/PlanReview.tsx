import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Adoption, PlanReview as Review } from '../../../../electron/shared/deploy-review';
import type { ErrorEnvelope } from '../../../../electron/shared/errors';
import { api } from '../../app-api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Busy } from '../../components/Spinner';
import { formatNumber } from '../../../../electron/shared/i18n/format';
import { toEnvelope, useProfile } from '../../stores/profile-store';
import { useSettings } from '../../stores/settings-store';
import { useWizard } from '../../stores/wizard-store';

// What the plan shows before anything changes (issue 11): internal ports the repository publishes on every
// interface (Docker bypasses ufw) with the user's choice, what is built on the server and what that costs, what the
// daily backup covers, how health is checked, and a copy of the application already running on the server.

/** The user must choose what to do with exposed ports before deploying. */
export function needsExposureChoice(review: Review | null): boolean {
  return review !== null && review.exposure.length > 0 && review.bindLocal === null;
}

export function PlanReview({ review, onChanged }: { review: Review; onChanged: () => void }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  // Shown at once; the plan is rebuilt with it once saved (the parent keys this component on the saved choice).
  const [chosen, setChosen] = useState<'yes' | 'no' | null>(review.bindLocal);

  const choose = async (choice: 'yes' | 'no') => {
    setChosen(choice);
    setSaving(true);
    setFailure(null);
    try {
      await save((p) => ({ settings: { ...p.settings, 'exposure.bindLocal': choice } }));
      onChanged();
    } catch (error) {
      setChosen(review.bindLocal);
      setFailure(toEnvelope(error, 'profiles.save'));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="card plan-review" data-testid="plan-review">
      <h2>{t('plan.review.title')}</h2>
      {review.exposure.length > 0 && (
        <div className={`notice ${chosen === 'no' ? 'notice-error' : chosen === 'yes' ? 'notice-ok' : 'notice-warn'}`} data-testid="plan-exposure" data-choice={review.bindLocal ?? 'none'}>
          <div>
            <strong>{t('plan.review.exposureTitle', { count: review.exposure.length })}</strong>
            <p className="small">{t('plan.review.exposureWhy')}</p>
            <ul className="recipe-missing">
              {review.exposure.map((e) => (
                <li key={`${e.service}-${e.target}-${e.file}`} data-testid="plan-exposure-port" data-service={e.service}>
                  <code>{e.service}</code> · {t(`plan.review.kind.${e.kind}`)} · {t('plan.review.port', { published: e.published ?? t('plan.review.randomPort'), target: e.target })} <span className="muted small">({e.file})</span>
                </li>
              ))}
            </ul>
            <fieldset className="file-choices" disabled={saving}>
              <legend>{t('plan.review.exposureChoice')}</legend>
              <label className="check">
                <input type="radio" name="bindLocal" checked={chosen === 'yes'} onChange={() => void choose('yes')} data-testid="plan-bind-local" />
                {t('plan.review.bindLocal')}
              </label>
              <label className="check">
                <input type="radio" name="bindLocal" checked={chosen === 'no'} onChange={() => void choose('no')} data-testid="plan-keep-open" />
                {t('plan.review.keepOpen')}
              </label>
            </fieldset>
            {chosen === null && <p className="small" data-testid="plan-exposure-needed">{t('plan.review.exposureNeeded')}</p>}
            {saving && <Busy text={t('common.saving')} />}
          </div>
        </div>
      )}
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      {review.build.length > 0 && <BuildCostNotice review={review} />}
      <dl className="recipe-list">
        <dt>{t('plan.review.images')}</dt>
        <dd data-testid="plan-images">
          {review.pull.count > 0 ? t('plan.review.pulled', { count: review.pull.count }) : t('plan.review.nonePulled')}
          {review.pull.moving.length > 0 && <span className="muted small"> · {t('plan.review.moving', { services: review.pull.moving.join(', ') })}</span>}
          {review.pull.registry && <span className="muted small"> · {t('plan.review.login', { registry: review.pull.registry })}</span>}
        </dd>
        <dt>{t('plan.review.health')}</dt>
        <dd data-testid="plan-health" data-via={review.health.via}>
          {review.health.via === 'proxy' ? t('plan.review.healthProxy', { host: review.health.host ?? '' }) : review.health.via === 'host' ? t('plan.review.healthHost', { url: review.health.url }) : t('plan.review.healthContainers')}
        </dd>
        <dt>{t('plan.review.backup')}</dt>
        <dd data-testid="plan-backup">
          {review.backup.covered.length > 0 ? t('plan.review.covered', { items: review.backup.covered.join(', ') }) : t('plan.review.nothingCovered')}
          {review.backup.notCovered.length > 0 && (
            <ul className="small muted">
              {review.backup.notCovered.map((n) => (
                <li key={n.source}>
                  {t('plan.review.notCovered', { source: n.source, reason: t(`plan.review.reason.${n.reason}`) })}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </div>
  );
}

/** What building from source costs on the chosen server, and the ways around it. */
export function BuildCostNotice({ review }: { review: Pick<Review, 'build' | 'buildCost' | 'imagesCi'> }) {
  const { t } = useTranslation();
  const goTo = useWizard((s) => s.goTo);
  const lang = useSettings((s) => s.language);
  const cost = review.buildCost;
  if (!cost) return null;
  const services = review.build.map((b) => `${b.service} (${t(`plan.review.language.${b.language}`)})`).join(', ');
  const gb = (mb: number) => formatNumber(lang, mb / 1024, 1);
  return (
    <div className={`notice ${cost.fits ? 'notice-info' : 'notice-warn'}`} data-testid="build-cost" data-fits={cost.fits}>
      <div>
        <strong>{t('plan.review.buildTitle', { services })}</strong>
        <p className="small">
          {t('plan.review.buildCost', { min: cost.minutes[0], max: cost.minutes[1], peak: gb(cost.peakMb), memory: gb(cost.memoryMb), vcpu: cost.vcpu })}{' '}
          {cost.measured ? '' : t('plan.review.buildEstimated')}
        </p>
        {!cost.fits && (
          <>
            <p className="small">{t('plan.review.buildTooBig')}</p>
            <ul className="small">
              <li>
                {t('plan.review.optionBigger')}{' '}
                <button type="button" className="link" onClick={() => void goTo('where')} data-testid="build-bigger">
                  {t('plan.review.optionBiggerLink')}
                </button>
              </li>
              <li>{t('plan.review.optionSwap')}</li>
              <li>{review.imagesCi ? t('plan.review.optionCiFound', { workflow: review.imagesCi }) : t('plan.review.optionCi')}</li>
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

/** A copy of the application the repository's own scripts started on the server: adopt it, never a second copy. */
export function AdoptionCard({ profileId, onAdopted }: { profileId: string; onAdopted: () => void }) {
  const { t } = useTranslation();
  const hasNames = useProfile((s) => (s.profile?.settings['adopt.containerNames'] ?? '') !== '');
  const [found, setFound] = useState<Adoption | null>(null);
  const [state, setState] = useState<'idle' | 'looking' | 'adopting' | 'adopted'>(hasNames ? 'looking' : 'idle');
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [envMerged, setEnvMerged] = useState(false);
  const reload = useProfile((s) => s.load);

  useEffect(() => {
    if (!hasNames) return;
    let live = true;
    const look = api()['deploy.adoption'];
    look({ profileId })
      .then((r) => live && setFound(r.found))
      .catch((error: unknown) => live && setFailure(toEnvelope(error, 'deploy.adoption')))
      .finally(() => live && setState('idle'));
    return () => {
      live = false;
    };
  }, [profileId, hasNames]);

  const adopt = async () => {
    if (!found) return;
    setState('adopting');
    setFailure(null);
    try {
      const r = await api()['deploy.adopt']({ profileId, project: found.project });
      setEnvMerged(r.envMerged);
      setState('adopted');
      await reload(profileId);
      onAdopted();
    } catch (error) {
      setFailure(toEnvelope(error, 'deploy.adopt'));
      setState('idle');
    }
  };

  if (state === 'looking') return <Busy text={t('plan.adopt.looking')} testId="adopt-looking" />;
  if (failure) return <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />;
  if (state === 'adopted' && found)
    return (
      <div className="notice notice-ok" data-testid="adopt-done">
        <span>{t(envMerged ? 'plan.adopt.doneEnv' : 'plan.adopt.done', { project: found.project })}</span>
      </div>
    );
  if (!found) return null;
  return (
    <div className="notice notice-warn" data-testid="adopt-found" data-project={found.project}>
      <div>
        <strong>{t('plan.adopt.title', { project: found.project })}</strong>
        <p className="small">{t('plan.adopt.what', { containers: found.containers.join(', '), dir: found.workingDir ?? '—' })}</p>
        <p className="small">{t('plan.adopt.how', { volumes: found.volumes.join(', ') || '—' })}</p>
        <p className="small">{t('plan.adopt.stopTheirs')}</p>
        <div className="actions">
          <button type="button" className="btn btn-primary" disabled={state === 'adopting'} onClick={() => void adopt()} data-testid="adopt-button">
            {t('plan.adopt.button', { project: found.project })}
          </button>
          {state === 'adopting' && <Busy text={t('plan.adopt.adopting')} />}
        </div>
      </div>
    </div>
  );
}
