import type { TFunction } from 'i18next';
import type { Language } from '../../electron/shared/contract-languages';
import { formatNumber, intlLocale } from '../../electron/shared/i18n/format';

/** "0,4 s", "12 s", "2 min 05 s", "1 h 05 min" in the user's number format. */
export function formatDuration(t: TFunction, lang: Language, ms: number): string {
  if (ms < 10_000) return t('units.seconds', { n: formatNumber(lang, ms / 1000, 1) });
  const total = Math.round(ms / 1000);
  if (total < 60) return t('units.seconds', { n: formatNumber(lang, total) });
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return t('units.minutes', { m: formatNumber(lang, minutes), s: String(total % 60).padStart(2, '0') });
  return t('units.hours', { h: formatNumber(lang, Math.floor(minutes / 60)), m: String(minutes % 60).padStart(2, '0') });
}

/** A date and time from an ISO string, or the string itself when it is not one. */
export function formatDateTime(lang: Language, iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Intl.DateTimeFormat(intlLocale(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** Numbers in a message's parameters in the user's format (92.35 → "92,4" in French); a phase number stays as is. */
export function localParams(lang: Language, params: Record<string, string | number>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'number' && k !== 'phase' ? formatNumber(lang, v, 1) : v]));
}
