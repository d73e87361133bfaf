import { useEffect, useLayoutEffect, useRef } from 'react';
import { create } from 'zustand';
import type { WizardStepId } from '../../../electron/shared/wizard-steps';

// "No way around a blocked step": each screen declares its one primary action — what it is, what it
// does, and why it cannot be done yet — and the footer shows exactly that button (disabled, with the
// reason beside it, while blocked). A step's block also closes the rail beyond it, so no other button
// passes it either. Screens outside the wizard (the dashboard, an upgrade) declare theirs the same way.
//
//   useStepAction('code', { label: t('common.saveContinue'), run: submit, blocked: reason, testId: 'code-save' });
//
// A step's sub-view (a terminal inside the Deploy step) adds its reason to the step's `blocked`; a screen
// opened over the wizard declares under its own id ('dashboard', 'upgrade') and App shows its footer
// when that screen is the one on display.

export interface StepAction {
  /** The button's text. */
  label: string;
  run: () => void | Promise<void>;
  /** Why the action cannot be done now (shown beside the disabled button); null when it can. */
  blocked: string | null;
  /**
   * Why the rail cannot go past this step (default: `blocked`). A reason of its own when the action can
   * be done but the rail would leave something behind (unsaved edits); null when the action waits but
   * the steps after it may be looked at (a deployment running).
   */
  holds?: string | null;
  /** Work in progress: the button waits (and says so through `busyLabel`). */
  busy?: boolean;
  busyLabel?: string;
  /** Test id of the footer button while this action is shown (default `nav-next`). */
  testId?: string;
  /** 'danger' for an action that cannot be undone. */
  tone?: 'primary' | 'danger';
  /**
   * The block outlives the screen (the repository lacks what the phase needs): the rail stays closed
   * beyond this step after the user leaves it. Otherwise (unsaved edits, work in progress) it goes with it.
   */
  sticky?: boolean;
}

/** Where the user is: a wizard step, or a screen opened from one (dashboard, upgrade…). */
export type ScreenId = WizardStepId | 'dashboard' | (string & {});

interface StepActionState {
  /** The action on screen now, and which screen declared it. */
  current: { screen: ScreenId; action: StepAction } | null;
  /** Steps that declared a block: the rail and Next do not go beyond them. Kept when the step is left. */
  blocks: Partial<Record<WizardStepId, string>>;
}

export const useStepActions = create<StepActionState>(() => ({ current: null, blocks: {} }));

/** The block reasons of the steps before `step` (the first one wins), or null. */
export function blockBefore(step: WizardStepId, order: readonly WizardStepId[], blocks = useStepActions.getState().blocks): { step: WizardStepId; reason: string } | null {
  for (const s of order.slice(0, order.indexOf(step))) {
    const reason = blocks[s];
    if (reason) return { step: s, reason };
  }
  return null;
}

/**
 * Declares the screen's primary action while the component is mounted. `run` may change on every
 * render (the latest one is called); for a wizard step, `blocked` is also kept as the step's block.
 */
export function useStepAction(screen: ScreenId, action: StepAction | null): void {
  const run = useRef(action?.run);
  const sticky = useRef(false);
  // The latest callback and stickiness, without re-declaring the action on every render.
  const latestRun = action?.run;
  const latestSticky = !!action?.sticky && !!action.blocked;
  useLayoutEffect(() => {
    run.current = latestRun;
    sticky.current = latestSticky;
  });
  const label = action?.label;
  const blocked = action?.blocked ?? null;
  // undefined: the block holds the rail; null: the rail stays open; a reason: the block, else that reason.
  const holds = action?.holds === undefined ? blocked : action.holds === null ? null : (blocked ?? action.holds);
  const busy = action?.busy ?? false;
  const busyLabel = action?.busyLabel;
  const testId = action?.testId;
  const tone = action?.tone;
  const present = action !== null;
  useEffect(() => {
    if (!present || label === undefined) {
      useStepActions.setState((s) => (s.current?.screen === screen ? { current: null } : s));
      return;
    }
    const declared: StepAction = { label, blocked, busy, busyLabel, testId, tone, run: () => run.current?.() };
    useStepActions.setState((s) => ({ current: { screen, action: declared }, blocks: isStep(screen) ? withBlock(s.blocks, screen, holds) : s.blocks }));
  }, [screen, present, label, blocked, holds, busy, busyLabel, testId, tone]);
  useEffect(
    () => () => {
      useStepActions.setState((s) => ({
        current: s.current?.screen === screen ? null : s.current,
        blocks: isStep(screen) && !sticky.current ? withBlock(s.blocks, screen, null) : s.blocks,
      }));
    },
    [screen],
  );
}

/** Sets or clears a step's block without declaring an action (e.g. a step that found a problem on load). */
export function setStepBlock(step: WizardStepId, reason: string | null): void {
  useStepActions.setState((s) => ({ blocks: withBlock(s.blocks, step, reason) }));
}

const STEPS = new Set<string>(['phase', 'where', 'code', 'configuration', 'plan', 'deploy', 'health']);
function isStep(screen: ScreenId): screen is WizardStepId {
  return STEPS.has(screen);
}

function withBlock(blocks: StepActionState['blocks'], step: WizardStepId, reason: string | null): StepActionState['blocks'] {
  if ((blocks[step] ?? null) === reason) return blocks;
  const next = { ...blocks };
  if (reason) next[step] = reason;
  else delete next[step];
  return next;
}
