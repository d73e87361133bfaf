import { create } from 'zustand';
import type { StoreProblem, WizardState } from '../../../electron/shared/contract';
import { AppError, type ErrorEnvelope } from '../../../electron/shared/errors';
import { WIZARD_STEPS, type WizardStepId } from '../../../electron/shared/wizard-steps';
import { api } from '../app-api';

// The wizard's progress, kept on the main side (wizard.json) after every change so a restart or a
// crash brings the user back to the same step with the same answers.

export const INITIAL_STATE: WizardState = { step: 'phase', phase: null, copros: null, lotsPerCopro: null, profileId: null };

/** Steps built so far; later ones are shown in the rail but not reachable yet. */
export const AVAILABLE_STEPS: readonly WizardStepId[] = ['phase'];

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
    const state = { ...get().state, ...patch };
    set({ state });
    try {
      await api()['wizard.save'](state);
      set({ saveError: null });
    } catch (error) {
      set({ saveError: error instanceof AppError ? error.toEnvelope() : new AppError('internal.unexpected').toEnvelope() });
    }
  },
  async goTo(step) {
    if (AVAILABLE_STEPS.includes(step) || canEnter(step, get().state)) await get().update({ step });
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
  dismissLoadProblem() {
    set({ loadProblem: null });
  },
}));

/** A step can be entered once every step before it is complete. */
export function canEnter(step: WizardStepId, state: WizardState): boolean {
  const index = WIZARD_STEPS.indexOf(step);
  if (index <= 0) return true;
  // Only the phase step exists so far: the next step is reachable once a phase is chosen.
  return index === 1 && state.phase !== null;
}
