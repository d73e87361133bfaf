import type { Language } from '../../../electron/shared/contract-languages';
import { formatNumber, intlLocale } from '../../../electron/shared/i18n/format';

// Money in its own currency (OVH bills in EUR, CAD or USD) and sizes, in the user's number format.

export function formatMoney(lang: Language, m: { net: number; currency: string } | null, digits = 2): string {
  if (!m) return '—';
  return new Intl.NumberFormat(intlLocale(lang), { style: 'currency', currency: m.currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(m.net);
}

export function formatBytes(lang: Language, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatNumber(lang, v, v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}
