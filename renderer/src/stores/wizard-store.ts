import { useMemo } from 'react';
import { create } from 'zustand';
import type { StoreProblem, WizardState } from '../../../electron/shared/contract';
import { AppError, type ErrorEnvelope } from '../../../electron/shared/errors';
import { WIZARD_STEPS, type WizardStepId } from '../../../electron/shared/wizard-steps';
import { api } from '../app-api';
import { useDeploy } from './deploy-store';
import { useStepActions } from './step-action';
import { useK3s } from '../k3s/k3s-store';
import { DEFAULT_PROFILE_ID, savedServerCheck, useProfile } from './profile-store';

// The wizard's progress, kept on the main side (wizard.json) after every change so a restart or a
// crash brings the user back to the same step with the same answers. What each step produced lives
// in the profile (server, repository, settings), the secret store (key, .env) and the deployment
// journal: `Progress` reads it from the profile and deploy stores.

export const INITIAL_STATE: WizardState = { step: 'phase', phase: null, copros: null, lotsPerCopro: null, profileId: null };

/** Steps built so far; all of them now (the rail still only lets you in once the previous ones are done). */
export const AVAILABLE_STEPS: readonly WizardStepId[] = WIZARD_STEPS;

/** What the steps after "Phase" have produced, read from the profile and deploy stores. */
export interface Progress {
  /** Where: a key, a trusted (pinned) server, and a successful check of that server. */
  serverReady: boolean;
  /** Code: a repository and a ref. */
  codeReady: boolean;
  /** Configuration: hostname and timezone saved, and a `.env`. */
  configReady: boolean;
  /** Plan: confirmed, i.e. a deployment was started at least once. */
  runExists: boolean;
  /** Deploy: the last run succeeded. */
  deployed: boolean;
}

type ProfileSlice = Pick<ReturnType<typeof useProfile.getState>, 'profile' | 'publicKey' | 'env'>;
type DeploySlice = Pick<ReturnType<typeof useDeploy.getState>, 'runId' | 'outcome' | 'active'>;
type K3sSlice = Pick<ReturnType<typeof useK3s.getState>, 'runId' | 'outcome' | 'active'>;

/**
 * Phases 3–4 (K3s): validated OVH credentials and where the run happens (this computer, or a checked control
 * host); an entry point and an environment; the entry point's variables; the K3s run's outcome.
 */
function k3sProgressOf(p: ProfileSlice, k: K3sSlice | undefined): Progress {
  const profile = p.profile!;
  const s = profile.settings;
  const runner = s['k3s.runner'];
  const controlHost = !!profile.server?.hostKeySha256 && !!p.publicKey && savedServerCheck(profile) !== null;
  return {
    serverReady: !!s['k3s.ovh'] && (runner === 'local' || (runner === 'remote' && controlHost)),
    codeReady: !!profile.repo && !!s['k3s.entry'] && !!s['k3s.environment'],
    configReady: s['k3s.configured'] === '1',
    runExists: !!k && (k.active || k.outcome !== null || !!k.runId),
    deployed: k?.outcome === 'succeeded' && !k.active,
  };
}

export function progressOf(p: ProfileSlice, d: DeploySlice, k?: K3sSlice): Progress {
  const profile = p.profile;
  if (profile && profile.phase >= 3) return k3sProgressOf(p, k);
  return {
    serverReady: !!profile?.server?.hostKeySha256 && !!p.publicKey && savedServerCheck(profile) !== null,
    codeReady: !!profile?.repo,
    configReady: !!p.env?.present && !!profile?.settings.hostname && !!profile.settings.timezone,
    runExists: d.active || d.outcome !== null || !!d.runId,
    deployed: d.outcome === 'succeeded',
  };
}

export function currentProgress(): Progress {
  return progressOf(useProfile.getState(), useDeploy.getState(), useK3s.getState());
}

/** The same, as a React hook (re-renders when any of it changes). */
export function useProgress(): Progress {
  const profile = useProfile((s) => s.profile);
  const publicKey = useProfile((s) => s.publicKey);
  const env = useProfile((s) => s.env);
  const runId = useDeploy((s) => s.runId);
  const outcome = useDeploy((s) => s.outcome);
  const active = useDeploy((s) => s.active);
  const k3sRunId = useK3s((s) => s.runId);
  const k3sOutcome = useK3s((s) => s.outcome);
  const k3sActive = useK3s((s) => s.active);
  return useMemo(
    () => progressOf({ profile, publicKey, env }, { runId, outcome, active }, { runId: k3sRunId, outcome: k3sOutcome, active: k3sActive }),
    [profile, publicKey, env, runId, outcome, active, k3sRunId, k3sOutcome, k3sActive],
  );
}

/** Whether the step's own work is done (the next step may be entered). */
export function isComplete(step: WizardStepId, state: WizardState, progress: Progress): boolean {
  switch (step) {
    case 'phase':
      return state.phase !== null;
    case 'where':
      return state.profileId !== null && progress.serverReady;
    case 'code':
      return progress.codeReady;
    case 'configuration':
      return progress.configReady;
    case 'plan':
      return progress.runExists;
    case 'deploy':
      return progress.deployed;
    case 'health':
      return true;
  }
}

/** A step can be entered once every step before it is complete, and none of them declared a block. */
export function canEnter(step: WizardStepId, state: WizardState, progress: Progress = currentProgress(), blocks = useStepActions.getState().blocks): boolean {
  const index = WIZARD_STEPS.indexOf(step);
  if (index <= 0) return true;
  return WIZARD_STEPS.slice(0, index).every((s) => isComplete(s, state, progress) && !blocks[s]);
}

interface WizardStore {
  hydrated: boolean;
  state: WizardState;
  loadProblem: StoreProblem | null;
  saveError: ErrorEnvelope | null;
  hydrate(): Promise<void>;
  update(patch: Partial<WizardState>): Promise<void>;
  goTo(step: WizardStepId): Promise<void>;
  next(): Promise<void>;
  back(): Promise<void>;
  /** Creates (or finds) the deployment profile when the user reaches "Where". */
  ensureProfile(): Promise<void>;
  dismissLoadProblem(): void;
}

export const useWizard = create<WizardStore>((set, get) => ({
  hydrated: false,
  state: INITIAL_STATE,
  loadProblem: null,
  saveError: null,
  async hydrate() {
    const { state, problem } = await api()['wizard.load']({});
    set({ state, loadProblem: problem, hydrated: true });
  },
  async update(patch) {
    const previous = get().state;
    const state = { ...previous, ...patch };
    set({ state });
    try {
      await api()['wizard.save'](state);
      set({ saveError: null });
    } catch (error) {
      set({ saveError: error instanceof AppError ? error.toEnvelope() : new AppError('internal.unexpected').toEnvelope() });
    }
    // The profile follows the phase chosen in the wizard.
    const profile = useProfile.getState().profile;
    if (patch.phase != null && profile && profile.id === state.profileId && profile.phase !== patch.phase) {
      await useProfile
        .getState()
        .save({ phase: patch.phase })
        .catch((error: unknown) => set({ saveError: error instanceof AppError ? error.toEnvelope() : new AppError('internal.unexpected').toEnvelope() }));
    }
  },
  async goTo(step) {
    const { state } = get();
    // Going back is always allowed; going forward needs every earlier step done.
    if (WIZARD_STEPS.indexOf(step) <= WIZARD_STEPS.indexOf(state.step) || canEnter(step, state)) await get().update({ step });
  },
  async next() {
    const index = WIZARD_STEPS.indexOf(get().state.step);
    const target = WIZARD_STEPS[index + 1];
    if (target && canEnter(target, get().state)) await get().update({ step: target });
  },
  async back() {
    const index = WIZARD_STEPS.indexOf(get().state.step);
    const target = WIZARD_STEPS[index - 1];
    if (target) await get().update({ step: target });
  },
  async ensureProfile() {
    const { state } = get();
    if (state.phase === null) return;
    const id = state.profileId ?? DEFAULT_PROFILE_ID;
    const profile = await useProfile.getState().ensure(id, state.phase);
    if (profile && state.profileId !== profile.id) await get().update({ profileId: profile.id });
  },
  dismissLoadProblem() {
    set({ loadProblem: null });
  },
}));

/** After a restart: what the profile and the last deployment already hold, so the rail knows. */
export async function loadProgress(): Promise<void> {
  const id = useWizard.getState().state.profileId;
  if (!id) return;
  await Promise.all([useProfile.getState().load(id), useDeploy.getState().loadStatus(id)]);
  if ((useProfile.getState().profile?.phase ?? 1) >= 3) await useK3s.getState().loadStatus(id);
}
