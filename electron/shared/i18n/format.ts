import { LANGUAGES, type Language } from '../contract-languages';

// Language choice and number/money formatting, without the translation files: the renderer imports
// this and loads only the language it shows.

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

/**
 * Message parameters with the `count` i18next pluralises on: messages made elsewhere (the recipe) name
 * their number after what it counts (`alternatives`); translations use `_one` / `_other` forms of it.
 */
export function pluralParams<P extends Record<string, string | number>>(params: P): P & { count?: number } {
  if (typeof params.count === 'number') return params;
  const n = params.alternatives;
  return typeof n === 'number' ? { ...params, count: n } : params;
}
