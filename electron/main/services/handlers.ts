import type { z } from 'zod';
import type { contract} from '../../shared/contract';
import { type MethodName, type MethodOutput, type EventName, type EventPayload } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { isAllowedExternalUrl } from '../../shared/external-links';
import { PHASES, economics, recommendPhase } from '../../shared/phases';
import { ProfileStore } from '../store/profile-store';
import { SettingsStore } from '../store/settings-store';
import { WizardStore } from '../store/wizard-store';

/** One handler per contract method, receiving the already validated input. */
export type Handlers = {
  [M in MethodName]: (input: z.output<(typeof contract)[M]['input']>) => Promise<MethodOutput<M>>;
};

export type FrontDoor = 'electron' | 'web' | 'cli' | 'test';

/** What differs between front doors comes in here; services never import Electron. */
export interface ServiceDeps {
  dataDir: string;
  appName: string;
  appVersion: string;
  frontDoor: FrontDoor;
  systemLanguages: () => string[];
  /** Opens an allowed URL in the system browser; null when the client opens it itself (web mode). */
  openExternal: ((url: string) => Promise<void>) | null;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
}

export function createHandlers(deps: ServiceDeps): Handlers {
  const profiles = new ProfileStore(deps.dataDir);
  const settings = new SettingsStore(deps.dataDir);
  const wizard = new WizardStore(deps.dataDir);

  return {
    'app.info': async () => ({
      name: deps.appName,
      version: deps.appVersion,
      platform: process.platform,
      frontDoor: deps.frontDoor,
      systemLanguages: deps.systemLanguages(),
    }),
    'phases.list': async () => PHASES.map((p) => ({ ...p })),
    'phases.recommend': async ({ copros, lotsPerCopro, selected }) => {
      const recommendation = recommendPhase({ copros, lotsPerCopro });
      return { recommendation, economics: economics(selected ?? recommendation.phase, copros) };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (input) => {
      const saved = await settings.set(input);
      deps.emit('settings.changed', saved);
      return saved;
    },
    'wizard.load': async () => wizard.load(),
    'wizard.save': async (state) => {
      await wizard.save(state);
      return { saved: true as const };
    },
    'wizard.reset': async () => ({ state: await wizard.reset() }),
    'profiles.list': async () => profiles.list(),
    'profiles.get': async ({ id }) => profiles.get(id),
    'profiles.save': async (input) => {
      const saved = await profiles.save(input);
      deps.emit('profiles.changed', { ids: [saved.id] });
      return saved;
    },
    'profiles.delete': async ({ id }) => {
      const deleted = await profiles.delete(id);
      if (deleted) deps.emit('profiles.changed', { ids: [id] });
      return { deleted };
    },
    'shell.openExternal': async ({ url }) => {
      if (!isAllowedExternalUrl(url)) throw new AppError('shell.url_not_allowed', { url: url.slice(0, 200) });
      if (deps.openExternal) {
        await deps.openExternal(url);
        return { url, openedBy: 'system' as const };
      }
      return { url, openedBy: 'client' as const };
    },
  };
}
