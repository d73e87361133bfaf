import { join } from 'node:path';
import { z } from 'zod';
import { wizardStateSchema, type StoreProblem, type WizardState } from '../../shared/contract';
import { readVersionedJson, writeJsonAtomic } from './json-file';

const WIZARD_VERSION = 1;
const fileSchema = wizardStateSchema.extend({ version: z.literal(WIZARD_VERSION) });

export const INITIAL_WIZARD_STATE: WizardState = { step: 'phase', phase: null, copros: null, lotsPerCopro: null, profileId: null };

/** The wizard in progress, so a restart (or a crash) brings the user back where they were. */
export class WizardStore {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'wizard.json');
  }

  async load(): Promise<{ state: WizardState; problem: StoreProblem | null }> {
    const result = await readVersionedJson(this.path, { schema: fileSchema, version: WIZARD_VERSION, migrations: {} });
    if (result.kind === 'ok') {
      const { version: _version, ...state } = result.value;
      return { state, problem: null };
    }
    return { state: INITIAL_WIZARD_STATE, problem: result.kind === 'problem' ? result.problem : null };
  }

  async save(state: WizardState): Promise<void> {
    await writeJsonAtomic(this.path, { version: WIZARD_VERSION, ...state });
  }

  async reset(): Promise<WizardState> {
    await this.save(INITIAL_WIZARD_STATE);
    return INITIAL_WIZARD_STATE;
  }
}
