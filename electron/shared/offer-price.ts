// The monthly price of the offer a server was created from (or the OVH VPS plan picked), kept in the
// profile's non-secret settings as JSON {offer, net, gross, currency, host}: the plan shows it as the
// monthly cost while the profile's server is still that host. Zod-free (the renderer writes it).
export const OFFER_PRICE_SETTING = 'offer.priceMonthly';

export interface OfferPrice {
  offer: string;
  net: number;
  gross: number;
  currency: string;
  /** The server it was for: another server makes it stale. */
  host: string;
}
