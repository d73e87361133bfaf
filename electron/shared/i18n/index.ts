import en from './en.json';
import fr from './fr.json';
import nl from './nl.json';

// Translations shared by the renderer and the CLI: one JSON file per language, same keys in all three
// (a unit test fails on any missing or extra key). The renderer loads only the language it shows
// (renderer/src/i18n.ts); the CLI and tests take them all from here.

export const resources = { en: { translation: en }, fr: { translation: fr }, nl: { translation: nl } } as const;

export { FALLBACK_LANGUAGE, formatEuros, formatNumber, intlLocale, pickLanguage } from './format';
