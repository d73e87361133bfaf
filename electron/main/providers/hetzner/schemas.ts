// zod schemas for the parts of the Hetzner Cloud API (https://docs.hetzner.cloud) this app uses.
// Unknown fields are dropped; fields the docs mark nullable are nullable; fields added to the API
// over time (server type `locations`, `category`, `deprecation`) are optional so older and newer
// answers both parse.
import { z } from 'zod';

/** Decimal amount as the API returns it, e.g. "4.5100000000000000". Kept as a string (no float rounding). */
export const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/);

export const price = z.object({ net: decimalString, gross: decimalString });

export const deprecation = z.object({ announced: z.string(), unavailable_after: z.string() });

export const location = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  country: z.string(),
  city: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  network_zone: z.string(),
});

export const serverTypePrice = z.object({
  location: z.string(),
  price_hourly: price,
  price_monthly: price,
  included_traffic: z.number().optional(),
  price_per_tb_traffic: price.optional(),
});

export const serverTypeLocation = z.object({
  id: z.number().int().optional(),
  name: z.string(),
  deprecation: deprecation.nullable().optional(),
});

export const serverType = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  category: z.string().optional(),
  cores: z.number().int(),
  /** GB, may be fractional. */
  memory: z.number(),
  /** GB */
  disk: z.number(),
  storage_type: z.string(),
  cpu_type: z.string(),
  architecture: z.string(),
  /** Deprecated by Hetzner in favour of `deprecation` / per-location deprecation; still returned. */
  deprecated: z.boolean().nullable().optional(),
  deprecation: deprecation.nullable().optional(),
  prices: z.array(serverTypePrice),
  locations: z.array(serverTypeLocation).optional(),
});

export const image = z.object({
  id: z.number().int(),
  type: z.string(),
  status: z.string(),
  name: z.string().nullable(),
  description: z.string(),
  image_size: z.number().nullable().optional(),
  disk_size: z.number(),
  created: z.string(),
  os_flavor: z.string(),
  os_version: z.string().nullable(),
  architecture: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  deprecated: z.string().nullable().optional(),
});

export const sshKey = z.object({
  id: z.number().int(),
  name: z.string(),
  /** MD5 of the key blob, colon-separated hex. */
  fingerprint: z.string(),
  public_key: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  created: z.string(),
});

export const firewallRule = z.object({
  direction: z.enum(['in', 'out']),
  protocol: z.string(),
  port: z.string().nullable().optional(),
  source_ips: z.array(z.string()).default([]),
  destination_ips: z.array(z.string()).default([]),
  description: z.string().nullable().optional(),
});

export const firewall = z.object({
  id: z.number().int(),
  name: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  created: z.string(),
  rules: z.array(firewallRule),
  applied_to: z.array(z.object({ type: z.string() }).loose()).default([]),
});

export const actionError = z.object({ code: z.string(), message: z.string() });

export const action = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number(),
  started: z.string(),
  finished: z.string().nullable(),
  resources: z.array(z.object({ id: z.number().int(), type: z.string() })).default([]),
  error: actionError.nullable(),
});

export const serverStatus = z.enum(['running', 'initializing', 'starting', 'stopping', 'off', 'deleting', 'migrating', 'rebuilding', 'unknown']);

export const server = z.object({
  id: z.number().int(),
  name: z.string(),
  // A status added to the API later reads as 'unknown' rather than failing the whole answer.
  status: serverStatus.catch('unknown'),
  created: z.string(),
  public_net: z.object({
    ipv4: z.object({ ip: z.string(), blocked: z.boolean().optional(), dns_ptr: z.string().nullable().optional() }).nullable(),
    ipv6: z.object({ ip: z.string(), blocked: z.boolean().optional() }).nullable(),
    firewalls: z.array(z.object({ id: z.number().int(), status: z.string() })).default([]),
  }),
  server_type: serverType,
  datacenter: z.object({ id: z.number().int(), name: z.string(), location }),
  image: image.nullable(),
  labels: z.record(z.string(), z.string()).default({}),
  locked: z.boolean().optional(),
  /** GB; stays smaller than the type's disk after a change_type with upgrade_disk false. */
  primary_disk_size: z.number().optional(),
});

export const pagination = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  previous_page: z.number().int().nullable(),
  next_page: z.number().int().nullable(),
  last_page: z.number().int().nullable(),
  total_entries: z.number().int().nullable(),
});

export const meta = z.object({ pagination: pagination.optional() }).optional();

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const invalidInputDetails = z.object({
  fields: z.array(z.object({ name: z.string(), messages: z.array(z.string()).optional() })),
});

export const pricing = z.object({
  currency: z.string(),
  vat_rate: decimalString,
  server_types: z.array(z.object({ id: z.number().int(), name: z.string(), prices: z.array(serverTypePrice) })),
  /** Snapshots and backups are billed per GB of image and month. */
  image: z.object({ price_per_gb_month: z.object({ net: decimalString, gross: decimalString }) }).optional(),
});

// ---- Responses --------------------------------------------------------------------------------

export const locationsResponse = z.object({ locations: z.array(location), meta });
export const serverTypesResponse = z.object({ server_types: z.array(serverType), meta });
export const imagesResponse = z.object({ images: z.array(image), meta });
export const sshKeysResponse = z.object({ ssh_keys: z.array(sshKey), meta });
export const sshKeyResponse = z.object({ ssh_key: sshKey });
export const serversResponse = z.object({ servers: z.array(server), meta });
export const serverResponse = z.object({ server });
export const createServerResponse = z.object({
  server,
  action,
  next_actions: z.array(action).default([]),
  root_password: z.string().nullable(),
});
export const actionResponse = z.object({ action });
export const imageResponse = z.object({ image });
export const createImageResponse = z.object({ image, action });
export const firewallsResponse = z.object({ firewalls: z.array(firewall), meta });
export const createFirewallResponse = z.object({ firewall, actions: z.array(action).default([]) });
export const pricingResponse = z.object({ pricing });

export type Location = z.infer<typeof location>;
export type ServerType = z.infer<typeof serverType>;
export type ServerTypePrice = z.infer<typeof serverTypePrice>;
export type Image = z.infer<typeof image>;
export type SshKey = z.infer<typeof sshKey>;
export type FirewallRule = z.infer<typeof firewallRule>;
export type Firewall = z.infer<typeof firewall>;
export type Action = z.infer<typeof action>;
export type Server = z.infer<typeof server>;
export type ServerStatus = z.infer<typeof serverStatus>;
export type Pagination = z.infer<typeof pagination>;
export type Pricing = z.infer<typeof pricing>;
export type ApiErrorBody = z.infer<typeof errorBody>['error'];
