// zod schemas for the parts of the OVHcloud API (https://eu.api.ovh.com/console) this app uses.
// Unknown fields are dropped; fields OVH documents as nullable are nullable.
import { z } from 'zod';

export const credentialRequest = z.object({
  validationUrl: z.string().url(),
  consumerKey: z.string().min(1),
  state: z.string(),
});
export type CredentialRequest = z.infer<typeof credentialRequest>;

export const credentialStatus = z.enum(['pendingValidation', 'validated', 'refused', 'expired']);
export type CredentialStatus = z.infer<typeof credentialStatus>;

export const accessRule = z.object({ method: z.enum(['GET', 'POST', 'PUT', 'DELETE']), path: z.string() });
export type AccessRule = z.infer<typeof accessRule>;

export const currentCredential = z.object({
  credentialId: z.number(),
  status: credentialStatus,
  rules: z.array(accessRule),
  creation: z.string().nullable().optional(),
  expiration: z.string().nullable().optional(),
});
export type CurrentCredential = z.infer<typeof currentCredential>;

export const me = z.object({
  nichandle: z.string(),
  email: z.string().optional(),
  firstname: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  country: z.string().nullable().optional(),
  ovhSubsidiary: z.string(),
  currency: z.object({ code: z.string(), symbol: z.string().optional() }).optional(),
  state: z.string().optional(),
});
export type Me = z.infer<typeof me>;

export const vps = z.object({
  name: z.string(),
  displayName: z.string().nullable().optional(),
  state: z.string(),
  zone: z.string(),
  vcore: z.number().int(),
  /** MB */
  memoryLimit: z.number().optional(),
  model: z.object({
    name: z.string(),
    offer: z.string(),
    vcore: z.number().int(),
    /** MB */
    memory: z.number(),
    /** GB */
    disk: z.number(),
    version: z.string().optional(),
  }),
});
export type VpsModel = z.infer<typeof vps>;

export const flavor = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  /** MB */
  ram: z.number(),
  /** GB */
  disk: z.number(),
  vcpus: z.number().int(),
  type: z.string().optional(),
  osType: z.string(),
  available: z.boolean(),
  quota: z.number().optional(),
  planCodes: z.object({ monthly: z.string().nullable(), hourly: z.string().nullable() }),
});
export type Flavor = z.infer<typeof flavor>;

export const image = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  type: z.string(),
  status: z.string(),
  user: z.string().optional(),
});
export type Image = z.infer<typeof image>;

export const sshKey = z.object({
  id: z.string(),
  name: z.string(),
  publicKey: z.string(),
  fingerprint: z.string().optional(),
  regions: z.array(z.string()).optional(),
});
export type SshKey = z.infer<typeof sshKey>;

export const instance = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  flavorId: z.string(),
  imageId: z.string().nullable(),
  sshKeyId: z.string().nullable().optional(),
  created: z.string(),
  /** BUILD, ACTIVE, ERROR, SHUTOFF, REBOOT, ... (cloud.instance.InstanceStatusEnum). */
  status: z.string(),
  ipAddresses: z.array(z.object({ ip: z.string(), type: z.string(), version: z.number() })),
  monthlyBilling: z.object({ since: z.string(), status: z.string() }).nullable().optional(),
  planCode: z.string().nullable().optional(),
});
export type Instance = z.infer<typeof instance>;

export const cloudProject = z.object({
  project_id: z.string(),
  projectName: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  status: z.string(),
});
export type CloudProject = z.infer<typeof cloudProject>;

/** cloud.quota.Quotas: one region's limits and use (RAM in MB). */
export const quota = z.object({
  region: z.string(),
  instance: z
    .object({ maxCores: z.number(), maxInstances: z.number(), maxRam: z.number(), usedCores: z.number(), usedInstances: z.number(), usedRAM: z.number() })
    .nullable()
    .optional(),
});
export type Quota = z.infer<typeof quota>;

/**
 * The public order catalogue (`/order/catalog/public/cloud?ovhSubsidiary=…`, no authentication): the
 * parts used for prices. Amounts are integers in 1/100,000,000 of the currency, as OVH returns them.
 */
export const catalogPricing = z.object({
  capacities: z.array(z.string()),
  /** Months of commitment (0: none). */
  commitment: z.number().default(0),
  interval: z.number(),
  intervalUnit: z.string(),
  price: z.number(),
  tax: z.number(),
});
export const catalog = z.object({
  locale: z.object({ currencyCode: z.string(), subsidiary: z.string(), taxRate: z.number().optional() }),
  addons: z.array(z.object({ planCode: z.string(), pricings: z.array(catalogPricing) })).default([]),
  plans: z.array(z.object({ planCode: z.string(), pricings: z.array(catalogPricing) })).default([]),
});
export type Catalog = z.infer<typeof catalog>;

/** `/order/catalog/public/vps`: plans with their technical blob (cores, memory in GB, disks in GB). */
export const vpsCatalog = z.object({
  locale: z.object({ currencyCode: z.string(), subsidiary: z.string() }),
  plans: z.array(
    z.object({
      planCode: z.string(),
      invoiceName: z.string(),
      pricings: z.array(catalogPricing),
      blobs: z
        .object({
          technical: z
            .object({
              cpu: z.object({ cores: z.number() }).optional(),
              memory: z.object({ size: z.number() }).optional(),
              storage: z.object({ disks: z.array(z.object({ capacity: z.number() })) }).optional(),
            })
            .optional(),
        })
        .optional(),
    }),
  ),
});

export const snapshot = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  /** queued, saving, active, ... */
  status: z.string(),
  creationDate: z.string().optional(),
});
export type Snapshot = z.infer<typeof snapshot>;

// ---- VPS upgrade orders (/order/upgrade/vps) -------------------------------------------------------

const orderPrice = z.object({ currencyCode: z.string(), value: z.number(), text: z.string().optional() });

/** order.cart.GenericProductDefinition: one model the VPS can be upgraded to, with its prices. */
export const upgradeOffer = z.object({
  planCode: z.string(),
  productName: z.string(),
  prices: z.array(z.object({ capacities: z.array(z.string()), duration: z.string().optional(), price: orderPrice, pricingMode: z.string().optional() })),
});
export type UpgradeOffer = z.infer<typeof upgradeOffer>;

/** order.upgrade.OperationAndOrder: a simulated (GET) or placed (POST) upgrade order. */
export const upgradeOrder = z.object({
  order: z.object({
    orderId: z.number().int(),
    url: z.string().nullable().optional(),
    prices: z.object({ withoutTax: orderPrice, withTax: orderPrice, tax: orderPrice.optional() }),
  }),
});
export type UpgradeOrder = z.infer<typeof upgradeOrder>;

export const orderStatus = z.enum(['cancelled', 'cancelling', 'checking', 'delivered', 'delivering', 'documentsRequested', 'notPaid', 'unknown']);
export type OrderStatus = z.infer<typeof orderStatus>;
