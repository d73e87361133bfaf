import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { OVH_VARIABLES } from '../../../electron/shared/k3s-entry';
import type { Profile } from '../../../electron/shared/profile';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { FixableError } from '../components/FixableError';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { toEnvelope, useProfile } from '../stores/profile-store';
import { useStepAction } from '../stores/step-action';
import { useWizard } from '../stores/wizard-store';
import { useK3s } from './k3s-store';
import './k3s.css';

// "Configuration" for phases 3–4: the variables the entry point requires besides the OVH credentials (the app hands
// those out itself), e.g. the script's KOPROGO_DOMAIN or a Terraform root's TF_VAR_domain. Values go to the secret
// store only; they reach the run as environment, never a command line or a file.

export const K3S_CONFIGURED = 'k3s.configured';
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|(^|_)KEY($|_)/i;

export function K3sConfig({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const next = useWizard((s) => s.next);
  const { plan, planError, loadPlan } = useK3s();
  const [saved, setSaved] = useState<{ names: string[]; persistent: boolean } | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [missing, setMissing] = useState<string[]>([]);

  useEffect(() => {
    void loadPlan(profile.id);
    api()['k3s.variables']({ profileId: profile.id }).then(setSaved, (e: unknown) => setFailure(toEnvelope(e, 'k3s.variables')));
  }, [profile.id, loadPlan]);

  const own = plan ? plan.variables.filter((v) => !(OVH_VARIABLES as readonly string[]).includes(v)) : [];
  const ovh = plan ? plan.variables.filter((v) => (OVH_VARIABLES as readonly string[]).includes(v)) : [];

  const submit = async () => {
    if (!plan || !saved) return;
    const lacking = own.filter((v) => !(values[v]?.trim() || saved.names.includes(v)));
    setMissing(lacking);
    if (lacking.length > 0) return;
    setBusy(true);
    setFailure(null);
    try {
      const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]));
      const r = await api()['k3s.setVariables']({ profileId: profile.id, values: given });
      setSaved({ names: r.names, persistent: r.persistent });
      setValues({});
      // A domain variable names where the API answers: the dashboard checks its health there.
      const domainVar = own.find((v) => /DOMAIN/.test(v) && given[v]);
      await save((p) => ({
        settings: { ...p.settings, [K3S_CONFIGURED]: '1', ...(domainVar && !p.settings.publicHealthUrl ? { publicHealthUrl: `https://${given[domainVar]!}/api/v1/health` } : {}) },
      }));
      await next();
    } catch (error) {
      setFailure(toEnvelope(error, 'k3s.setVariables'));
    } finally {
      setBusy(false);
    }
  };

  useStepAction('configuration', {
    label: t('common.saveContinue'),
    run: () => submit(),
    blocked: planError ? t('k3s.config.blocked') : !plan || !saved ? t('common.loading') : null,
    busy,
    busyLabel: t('common.saving'),
    testId: 'k3s-config-save',
  });

  if (planError) return <FixableError error={planError} testId="k3s-config-error" />;
  if (!plan || !saved) return <Busy text={t('common.loading')} />;

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      data-testid="k3s-config"
    >
      <div className="card">
        <h2>{t('k3s.config.title')}</h2>
        <p className="muted small">{t('k3s.config.intro', { entry: plan.entry.path, environment: plan.environment })}</p>
        {own.length === 0 && <p data-testid="k3s-config-none">{t('k3s.config.none')}</p>}
        <div className="fields">
          {own.map((name) => (
            <TextField
              key={name}
              id={`k3s-var-${name}`}
              label={name}
              value={values[name] ?? ''}
              onChange={(v) => setValues((x) => ({ ...x, [name]: v }))}
              type={SECRET_NAME.test(name) ? 'password' : 'text'}
              mono
              wide
              help={saved.names.includes(name) ? t('k3s.config.savedValue') : name.startsWith('TF_VAR_') ? t('k3s.config.tfVar', { name: name.slice('TF_VAR_'.length) }) : t('k3s.config.scriptVar', { entry: plan.entry.path })}
              issue={missing.includes(name) ? t('validation.required') : undefined}
              maxLength={10_000}
            />
          ))}
        </div>
        {ovh.length > 0 && (
          <p className="small" data-testid="k3s-config-ovh">
            ✓ {t('k3s.config.ovh', { names: ovh.join(', ') })}
          </p>
        )}
        {!saved.persistent && <p className="notice notice-warn small">{t('k3s.config.session')}</p>}
      </div>
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
    </form>
  );
}
