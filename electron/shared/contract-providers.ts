// Contract methods and events for cloud providers (Hetzner Cloud, OVHcloud); spread into the one table in contract.ts.
// Credentials go in (`provider.saveCredentials`) and never come back out: every answer says only
// whether a provider is configured.
import { z } from 'zod';
import { empty, method } from './contract-method';
import { phaseIdSchema, profileIdSchema } from './profile';

export const PROVIDER_KINDS = ['hetzner', 'ovh'] as const;
export const providerKindSchema = z.enum(PROVIDER_KINDS);
export type ProviderKind = z.infer<typeof providerKindSchema>;

export const OVH_ENDPOINT_IDS = ['ovh-eu', 'ovh-ca', 'ovh-us'] as const;
export const ovhEndpointSchema = z.enum(OVH_ENDPOINT_IDS);

const errorEnvelopeSchema = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  remedy: z.string(),
});

/** A monthly price as the provider gives it: net, and gross (VAT included) when the provider says. */
export const moneySchema = z.object({
  net: z.number(),
  gross: z.number().nullable(),
  currency: z.string(),
});
export type Money = z.infer<typeof moneySchema>;

export const shortfallSchema = z.enum(['vcpu', 'ram', 'disk']);

export const providerOfferSchema = z.object({
  /** Opaque to the renderer; `provider.create` takes it back. */
  id: z.string().max(200),
  provider: providerKindSchema,
  /** Server type / flavor name, e.g. "cpx11", "d2-4". */
  name: z.string(),
  location: z.string(),
  /** Human name of the location (city), when the provider gives one. */
  locationLabel: z.string(),
  vcpu: z.number(),
  ramGb: z.number(),
  diskGb: z.number(),
  priceMonthly: moneySchema,
});
export type ProviderOffer = z.infer<typeof providerOfferSchema>;

export const offerReasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cheapest_meeting_spec'), candidates: z.number() }),
  z.object({ kind: z.literal('none_meets_spec'), largest: z.string().nullable(), lacks: z.array(shortfallSchema) }),
  z.object({ kind: z.literal('none_available') }),
]);

/** One provider's column of the cost preview. */
export const providerOffersSchema = z.object({
  provider: providerKindSchema,
  /** The offers that meet the phase's spec, cheapest first (the first is the preselected one). */
  offers: z.array(providerOfferSchema),
  chosenId: z.string().nullable(),
  reason: offerReasonSchema,
  /** Cheaper types left out, with what they lack (e.g. "cx22: vcpu"). */
  tooSmall: z.array(z.object({ name: z.string(), lacks: z.array(shortfallSchema) })),
  /** The roadmap's named offer for the phase (e.g. "CPX11", "VPS Starter"), for the explanation. */
  roadmapOffer: z.string().nullable(),
  /** The next phase's cheapest offer at the same provider, for comparison (null: none, or no next phase). */
  next: z.object({ phase: phaseIdSchema, offer: providerOfferSchema.nullable() }).nullable(),
  /** The catalogue could not be read (e.g. the token was revoked): the other columns still show. */
  error: errorEnvelopeSchema.nullable(),
});
export type ProviderOffers = z.infer<typeof providerOffersSchema>;

export const providerStatusSchema = z.object({
  /** False: no OS keychain, credentials live for this session only. */
  persistent: z.boolean(),
  hetzner: z.object({ configured: z.boolean() }),
  ovh: z.object({
    configured: z.boolean(),
    endpoint: ovhEndpointSchema.nullable(),
    credential: z.enum(['none', 'pendingValidation', 'validated']),
  }),
});

export const credentialStateSchema = z.enum(['pendingValidation', 'validated', 'refused', 'expired']);

export const createStageSchema = z.enum(['preparing', 'ssh_key', 'creating', 'booting', 'waiting_ssh', 'host_key_verified', 'done', 'failed']);
export type CreateStage = z.infer<typeof createStageSchema>;

export const createdServerSchema = z.object({
  provider: providerKindSchema,
  serverId: z.string(),
  name: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  hostKeySha256: z.string(),
  /** created: made by this click; reused: it existed already (a second click, a restart). */
  outcome: z.enum(['created', 'recovered', 'reused']),
});

const secretText = (max: number) => z.string().trim().min(1).max(max);

export const providerMethods = {
  'provider.status': method(empty, providerStatusSchema),
  // The one call that carries a credential; it is checked with the provider before it is kept.
  'provider.saveCredentials': method(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('hetzner'), token: secretText(200).regex(/^[A-Za-z0-9_-]+$/, 'token') }).strict(),
      z
        .object({
          kind: z.literal('ovh'),
          endpoint: ovhEndpointSchema,
          applicationKey: secretText(64).regex(/^[A-Za-z0-9]+$/, 'application_key'),
          applicationSecret: secretText(128).regex(/^[A-Za-z0-9]+$/, 'application_secret'),
        })
        .strict(),
    ]),
    z.object({ saved: z.literal(true), persistent: z.boolean() }),
    true,
  ),
  'provider.forget': method(z.object({ provider: providerKindSchema }).strict(), z.object({ forgotten: z.literal(true) }), true),
  'provider.ovhRequestConsumerKey': method(
    empty,
    z.object({ validationUrl: z.string(), openedBy: z.enum(['system', 'client']) }),
    true,
  ),
  'provider.ovhStatus': method(empty, z.object({ state: credentialStateSchema, account: z.string().nullable() }), true),
  'provider.offers': method(
    z.object({ phase: phaseIdSchema }).strict(),
    z.object({
      phase: phaseIdSchema,
      spec: z.object({ vcpu: z.number(), ramGb: z.number(), diskGb: z.number().nullable() }),
      providers: z.array(providerOffersSchema),
    }),
  ),
  'provider.create': method(z.object({ profileId: profileIdSchema, offerId: z.string().min(1).max(200) }).strict(), createdServerSchema, true),
  // OVH's VPS route: the plan to order on OVH's site, and the account's VPS to pick up once ordered.
  'provider.ovhVps': method(
    z.object({ phase: phaseIdSchema }).strict(),
    z.object({
      plan: z
        .object({ planCode: z.string(), offer: z.string(), vcpu: z.number(), ramGb: z.number(), diskGb: z.number(), priceMonthly: moneySchema, orderPageUrl: z.string() })
        .nullable(),
      reason: offerReasonSchema,
      roadmapOffer: z.object({ offer: z.string(), inCatalogue: z.boolean(), lacks: z.array(shortfallSchema) }).nullable(),
      vps: z.array(
        z.object({
          name: z.string(),
          displayName: z.string().nullable(),
          offer: z.string(),
          vcpu: z.number(),
          ramGb: z.number(),
          diskGb: z.number(),
          state: z.string(),
          ipv4: z.string().nullable(),
          meetsSpec: z.boolean(),
        }),
      ),
    }),
  ),
  'provider.servers': method(
    z.object({ provider: providerKindSchema }).strict(),
    z.object({ servers: z.array(z.object({ id: z.string(), name: z.string(), host: z.string().nullable(), status: z.string(), profileId: z.string().nullable() })) }),
  ),
} as const;

export const providerEvents = {
  'provider.progress': z.object({
    profileId: profileIdSchema,
    provider: providerKindSchema,
    stage: createStageSchema,
    /** 0–100 when the provider reports it (Hetzner actions), else null. */
    percent: z.number().nullable(),
    error: errorEnvelopeSchema.nullable(),
  }),
} as const;
