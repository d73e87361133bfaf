import type { EventPayload, MethodOutput } from '../../../../electron/shared/contract';
import type { Language } from '../../../../electron/shared/contract-languages';
import { intlLocale } from '../../../../electron/shared/i18n/format';
import type { Profile } from '../../../../electron/shared/profile';
import { api } from '../../app-api';

// Small helpers shared by the cloud-provider cards of the "Where" step.

export type ProviderStatus = MethodOutput<'provider.status'>;
export type OffersAnswer = MethodOutput<'provider.offers'>;
export type ProviderColumn = OffersAnswer['providers'][number];
export type Offer = ProviderColumn['offers'][number];
export type CreatedServer = MethodOutput<'provider.create'>;
export type ProgressEvent = EventPayload<'provider.progress'>;
export type CloudKind = 'hetzner' | 'ovh';

/** "3,79 €" in the user's format and the provider's currency. */
export function formatMoney(lang: Language, amount: number, currency: string): string {
  return new Intl.NumberFormat(intlLocale(lang), { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount);
}

/** Opens an allowed page: the system browser (desktop), or a new tab (web mode). */
export async function openLink(url: string): Promise<void> {
  const { openedBy } = await api()['shell.openExternal']({ url });
  if (openedBy === 'client') window.open(url, '_blank', 'noopener,noreferrer');
}

/** A test id made of an offer id ("hetzner:cx22@fsn1" → "hetzner-cx22-fsn1"). */
export function offerTestId(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, '-');
}

/** The provider that created the profile's current server (null: a server the user brought, or none). */
export function createdBy(profile: Profile): CloudKind | null {
  const kind = profile.provider?.kind;
  if (kind !== 'hetzner' && kind !== 'ovh') return null;
  return profile.server && profile.settings.providerServerHost === profile.server.host && !!profile.server.hostKeySha256 ? kind : null;
}
