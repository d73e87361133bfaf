import en from './en.json';
import fr from './fr.json';
import nl from './nl.json';
import { LANGUAGES, type Language } from '../contract-languages';

// Translations shared by the renderer and the CLI: one JSON file per language, same keys in all three
// (a unit test fails on any missing or extra key).

export const resources = { en: { translation: en }, fr: { translation: fr }, nl: { translation: nl } } as const;

export const FALLBACK_LANGUAGE: Language = 'en';

/** First supported language among the user's preferred ones (BCP 47 tags like `nl-BE`, `fr_FR`). */
export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().replace('_', '-').split('-')[0];
    const found = LANGUAGES.find((l) => l === base);
    if (found) return found;
  }
  return FALLBACK_LANGUAGE;
}

/** Intl locale used for numbers and money: Belgian variants for French and Dutch (our users). */
export function intlLocale(language: Language): string {
  return language === 'en' ? 'en-GB' : `${language}-BE`;
}

export function formatEuros(language: Language, amount: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(intlLocale(language), {
    style: 'currency',
    currency: 'EUR',
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(amount);
}

export function formatNumber(language: Language, value: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(intlLocale(language), { maximumFractionDigits: fractionDigits }).format(value);
}
