import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Profile } from '../../../electron/shared/profile';
import { useProfile } from '../stores/profile-store';
import { ErrorNotice } from './ErrorNotice';
import { Busy } from './Spinner';

/** The frame of a wizard step that edits the current profile: title, intro, load error or spinner. */
export function ProfileStepFrame(props: { testId: string; titleKey: string; introKey: string; children: (profile: Profile) => ReactNode }) {
  const { t } = useTranslation();
  const profile = useProfile((s) => s.profile);
  const error = useProfile((s) => s.error);
  return (
    <section className="panel" data-testid={props.testId}>
      <h1>{t(props.titleKey)}</h1>
      <p className="lead">{t(props.introKey)}</p>
      {error && <ErrorNotice error={error} />}
      {profile ? props.children(profile) : !error && <Busy text={t('common.loading')} />}
    </section>
  );
}
