import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Language } from '../../electron/shared/contract-languages';
import { resources } from '../../electron/shared/i18n';

// All three languages are bundled: `electron/shared/i18n/index.ts` (which the renderer also needs for
// number and money formatting) imports the JSON files statically, so a per-language dynamic import
// would not split them out. `loadLanguage` is the one place to change once the formatting helpers
// live in a module of their own.

void i18n.use(initReactI18next).init({
  resources,
  lng: 'en',
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

/** Switches the interface language (loading its translations first, when they are not bundled). */
export async function loadLanguage(language: Language): Promise<void> {
  await i18n.changeLanguage(language);
}

export default i18n;
