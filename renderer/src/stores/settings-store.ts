import { create } from 'zustand';
import type { Language } from '../../../electron/shared/contract-languages';
import { pickLanguage } from '../../../electron/shared/i18n/format';
import { api } from '../app-api';
import { loadLanguage } from '../i18n';

interface SettingsStore {
  /** The user's explicit choice; null follows the system. */
  chosen: Language | null;
  systemLanguages: string[];
  language: Language;
  init(systemLanguages: string[]): Promise<void>;
  choose(language: Language | null): Promise<void>;
}

export const useSettings = create<SettingsStore>((set, get) => ({
  chosen: null,
  systemLanguages: [],
  language: 'en',
  async init(systemLanguages) {
    const { language } = await api()['settings.get']({});
    const effective = language ?? pickLanguage(systemLanguages);
    set({ chosen: language, systemLanguages, language: effective });
    await applyLanguage(effective);
  },
  async choose(chosen) {
    const effective = chosen ?? pickLanguage(get().systemLanguages);
    set({ chosen, language: effective });
    await applyLanguage(effective);
    await api()['settings.set']({ language: chosen });
  },
}));

async function applyLanguage(language: Language): Promise<void> {
  document.documentElement.lang = language;
  await loadLanguage(language);
}
