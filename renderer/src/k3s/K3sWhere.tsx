import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import type { PhaseId } from '../../../electron/shared/phases';
import type { Profile } from '../../../electron/shared/profile';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { Busy } from '../components/Spinner';
import { toEnvelope, useProfile } from '../stores/profile-store';
import type { LocalHost } from '../../../electron/shared/contract-k3s';
import { OvhCredentials } from '../steps/where/OvhCredentials';
import type { ProviderStatus } from '../steps/where/provider-ui';
import { useK3s } from './k3s-store';
import './k3s.css';

// "Where" for phases 3–4: the cluster is created at OVHcloud by the repository's own tooling (Terraform, Ansible,
// Helm), driven by the app with the user's OVH credentials. The run happens on this computer when it has bash
// (macOS, Linux; Windows through WSL), or on a control host: a server of the user's (a phase 1–2 server will do),
// which the app prepares and where the run goes on even if the app closes or the connection drops.

export const K3S_WHERE = { runner: 'k3s.runner', ovh: 'k3s.ovh', distro: 'k3s.wslDistro' } as const;

/** A control host: a server the user already has, or a small one the app creates at OVHcloud (phase 1's size). */
/** Whether the run can happen on this computer, and if not why (a key of k3s.where.unusable). */
export function localUsability(host: LocalHost, distro: string | null): { usable: boolean; reason: 'noPty' | 'noDistro' | 'noWsl' | 'noBash' } {
  const usable = host.ptyAvailable && (host.via === 'native' || (host.via === 'wsl' && !!distro));
  const reason = !host.ptyAvailable ? 'noPty' : host.platform === 'win32' ? (host.wsl?.available ? 'noDistro' : 'noWsl') : 'noBash';
  return { usable, reason };
}

/** The WSL distribution the run uses: the one chosen, else WSL's default. */
export function chosenDistro(profile: Profile, host: LocalHost): string | null {
  return profile.settings[K3S_WHERE.distro] ?? host.wsl?.defaultDistro ?? null;
}

export type ControlHostView = (mode: 'existing' | 'create', useExisting: () => void) => ReactNode;

export function K3sWhere({ profile, phase, controlHost }: { profile: Profile; phase: PhaseId; controlHost: ControlHostView }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const [status, setStatus] = useState<ProviderStatus | null>(null);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const load = useCallback(() => api()['provider.status']({}).then(setStatus, (e: unknown) => setFailure(toEnvelope(e, 'provider.status'))), []);
  useEffect(() => {
    void load();
  }, [load]);
  const runner = profile.settings[K3S_WHERE.runner] as 'local' | 'remote' | undefined;
  const [hostMode, setHostMode] = useState<'existing' | 'create'>('existing');
  const ovhReady = status?.ovh.credential === 'validated';

  // The credentials the run will get: remembered with the deployment once validated.
  useEffect(() => {
    if (ovhReady && status?.ovh.endpoint && profile.settings[K3S_WHERE.ovh] !== status.ovh.endpoint) {
      void save((p) => ({ provider: { kind: 'ovh', endpoint: status.ovh.endpoint! }, settings: { ...p.settings, [K3S_WHERE.ovh]: status.ovh.endpoint! } })).catch((e: unknown) => setFailure(toEnvelope(e, 'profiles.save')));
    }
  }, [ovhReady, status, profile.settings, save]);

  const choose = (value: 'local' | 'remote') => void save((p) => ({ settings: { ...p.settings, [K3S_WHERE.runner]: value } })).catch((e: unknown) => setFailure(toEnvelope(e, 'profiles.save')));

  return (
    <div data-testid="k3s-where">
      <div className="notice notice-info">
        <span>{t('k3s.where.intro', { phase: t(`phase.names.${phase}`) })}</span>
      </div>
      {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
      {!status && !failure && <Busy text={t('common.loading')} />}
      {status && (
        <div className="card" data-testid="k3s-ovh">
          <h2>{t('k3s.where.ovhTitle')}</h2>
          <p className="muted small">{t('k3s.where.ovhIntro')}</p>
          <OvhCredentials status={status} onChange={load} />
        </div>
      )}
      {ovhReady && (
        <>
          <div className="card">
            <h2>{t('k3s.where.runnerTitle')}</h2>
            <p className="muted small">{t('k3s.where.runnerIntro')}</p>
            <div className="choice-grid" role="radiogroup" aria-label={t('k3s.where.runnerTitle')}>
              {(['local', 'remote'] as const).map((r) => (
                <button key={r} type="button" role="radio" aria-checked={runner === r} className={`choice-card${runner === r ? ' is-selected' : ''}`} onClick={() => choose(r)} data-testid={`k3s-runner-${r}`}>
                  <span className="choice-title">{t(`k3s.where.runners.${r}.title`)}</span>
                  <span className="choice-text">{t(`k3s.where.runners.${r}.text`)}</span>
                  {runner === r && <span className="badge badge-ok">{t('where.selected')}</span>}
                </button>
              ))}
            </div>
          </div>
          {runner === 'local' && <ThisComputer profile={profile} />}
          {runner === 'remote' && (
            <>
              <p className="notice notice-info" data-testid="k3s-control-host-note">
                {t('k3s.where.controlHostNote')}
              </p>
              <div className="segmented" role="radiogroup" aria-label={t('k3s.where.runners.remote.title')}>
                {(['existing', 'create'] as const).map((m) => (
                  <label key={m} className={`segment${hostMode === m ? ' is-selected' : ''}`}>
                    <input type="radio" name="k3s-host-mode" value={m} checked={hostMode === m} onChange={() => setHostMode(m)} data-testid={`k3s-host-${m}`} />
                    {t(`k3s.where.hostModes.${m}`)}
                  </label>
                ))}
              </div>
              {controlHost(hostMode, () => setHostMode('existing'))}
            </>
          )}
        </>
      )}
    </div>
  );
}

function ThisComputer({ profile }: { profile: Profile }) {
  const { t } = useTranslation();
  const save = useProfile((s) => s.save);
  const host = useK3s((s) => s.localHost);
  const loadLocalHost = useK3s((s) => s.loadLocalHost);
  useEffect(() => {
    void loadLocalHost();
  }, [loadLocalHost]);
  if (!host) return <Busy text={t('k3s.where.detecting')} />;
  const distros = host.wsl?.distros ?? [];
  const distro = chosenDistro(profile, host);
  const { usable, reason } = localUsability(host, distro);
  return (
    <div className="card" data-testid="k3s-this-computer" data-usable={usable}>
      <h2>{t('k3s.where.localTitle')}</h2>
      {host.via === 'native' && <p data-testid="k3s-local-bash">{t('k3s.where.localBash', { version: host.bash ?? '?' })}</p>}
      {host.via === 'wsl' && (
        <label className="field">
          <span className="field-label">{t('k3s.where.wslDistro')}</span>
          <select value={distro ?? ''} onChange={(e) => void save((p) => ({ settings: { ...p.settings, [K3S_WHERE.distro]: e.target.value } }))} data-testid="k3s-wsl-distro">
            {distros.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
          <span className="field-help">{t('k3s.where.wslHelp')}</span>
        </label>
      )}
      {!usable && <p className="notice notice-warn" data-testid="k3s-local-unusable">{t(`k3s.where.unusable.${reason}`)}</p>}
      <p className="muted small">{t('k3s.where.localTools')}</p>
    </div>
  );
}
