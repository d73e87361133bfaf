import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Language } from '../../electron/shared/contract-languages';

// Only the language on screen is loaded (each translation file is its own chunk), which keeps the
// first screen's JavaScript small. All three files have the same keys (tested), so no fallback
// bundle is needed.

const loaders: Record<Language, () => Promise<{ default: Record<string, unknown> }>> = {
  en: () => import('../../electron/shared/i18n/en.json'),
  fr: () => import('../../electron/shared/i18n/fr.json'),
  nl: () => import('../../electron/shared/i18n/nl.json'),
};

void i18n.use(initReactI18next).init({
  resources: {},
  lng: 'en',
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

/** Switches the interface language, loading its translations first. */
export async function loadLanguage(language: Language): Promise<void> {
  if (!i18n.hasResourceBundle(language, 'translation')) {
    const { default: bundle } = await loaders[language]();
    i18n.addResourceBundle(language, 'translation', bundle, true, true);
  }
  await i18n.changeLanguage(language);
}

export default i18n;
