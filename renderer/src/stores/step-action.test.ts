import { describe, expect, it } from 'vitest';
import { WIZARD_STEPS } from '../../../electron/shared/wizard-steps';
import { blockBefore, setStepBlock, useStepActions } from './step-action';
import { canEnter, type Progress } from './wizard-store';

// A step's block closes the rail and Next beyond it: the step itself stays reachable, the later ones
// do not, whatever the progress says — until the step clears it.

const done: Progress = { serverReady: true, codeReady: true, configReady: true, runExists: true, deployed: true };
const state = { step: 'code' as const, phase: 1 as const, copros: 10, lotsPerCopro: 5, profileId: 'koprogo' };

describe('step blocks', () => {
  it('a blocked step closes every step after it, not itself nor the ones before', () => {
    expect(canEnter('configuration', state, done)).toBe(true);
    setStepBlock('code', 'The repository lacks a compose file');
    const blocks = useStepActions.getState().blocks;
    expect(canEnter('code', state, done, blocks)).toBe(true);
    expect(canEnter('where', state, done, blocks)).toBe(true);
    for (const later of ['configuration', 'plan', 'deploy', 'health'] as const) expect(canEnter(later, state, done, blocks), later).toBe(false);
    expect(blockBefore('plan', WIZARD_STEPS, blocks)).toEqual({ step: 'code', reason: 'The repository lacks a compose file' });
    setStepBlock('code', null);
    expect(canEnter('plan', state, done, useStepActions.getState().blocks)).toBe(true);
    expect(blockBefore('plan', WIZARD_STEPS, useStepActions.getState().blocks)).toBeNull();
  });
});
