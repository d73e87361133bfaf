import { join } from 'node:path';
import { z } from 'zod';
import { settingsSchema, type Settings, type StoreProblem } from '../../shared/contract';
import { readVersionedJson, writeJsonAtomic } from './json-file';

const SETTINGS_VERSION = 1;
const fileSchema = settingsSchema.extend({ version: z.literal(SETTINGS_VERSION) });

export const DEFAULT_SETTINGS: Settings = { language: null };

export class SettingsStore {
  private readonly path: string;
  lastProblem: StoreProblem | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
  }

  async get(): Promise<Settings> {
    const result = await readVersionedJson(this.path, { schema: fileSchema, version: SETTINGS_VERSION, migrations: {} });
    if (result.kind === 'ok') return { language: result.value.language };
    if (result.kind === 'problem') this.lastProblem = result.problem;
    return DEFAULT_SETTINGS;
  }

  async set(settings: Settings): Promise<Settings> {
    await writeJsonAtomic(this.path, { version: SETTINGS_VERSION, ...settings });
    return settings;
  }
}
