// One interface for the places a server can come from: Hetzner Cloud, OVHcloud, or a server the
// user already has. The provider service (services/provider-service.ts) talks to this interface only;
// each implementation wraps its typed client and its offer selection.
import { createHash } from 'node:crypto';
import type { ProviderKind, ProviderOffer, ProviderOffers } from '../../shared/contract-providers';
import { AppError } from '../../shared/errors';
import type { Phase } from '../../shared/phases';

export type CreateProgress = (stage: 'ssh_key' | 'creating' | 'booting', percent: number | null) => void;

export interface CreateServerInput {
  profileId: string;
  /** Server name at the provider, e.g. "koprogo-acme". */
  name: string;
  offerId: string;
  /** The app's SSH public key for the profile (uploaded to the provider). */
  publicKey: string;
  /** cloud-init user data installing the app-generated host key (a secret). */
  userData: string;
  signal?: AbortSignal;
  onProgress?: CreateProgress;
}

export interface ProvidedServer {
  id: string;
  name: string;
  /** Public IPv4. */
  host: string;
  /** The user the app logs in as. */
  user: string;
  outcome: 'created' | 'recovered' | 'reused';
  /** What to remember in the profile (provider section). */
  location: string;
  offerName: string;
}

export interface ManagedServer {
  id: string;
  name: string;
  host: string | null;
  status: string;
  profileId: string | null;
}

/** The offers of one provider for a phase, without the next-phase comparison (the service adds it). */
export type PhaseOffers = Omit<ProviderOffers, 'next' | 'error' | 'provider'>;

export interface Provider {
  readonly kind: ProviderKind | 'existing';
  /** Checks the credentials with the provider: a typed error when wrong, read-only, expired or unvalidated. */
  validate(signal?: AbortSignal): Promise<void>;
  /** The live catalogue's offers meeting the phase's spec, cheapest first, with why. */
  offers(phase: Phase, signal?: AbortSignal): Promise<PhaseOffers>;
  /** Creates the profile's server at most once (a second call finds and reuses it), and waits until it runs. */
  create(input: CreateServerInput): Promise<ProvidedServer>;
  resize(serverId: string, offerId: string, signal?: AbortSignal): Promise<void>;
  snapshot(serverId: string, description: string, signal?: AbortSignal): Promise<{ id: string }>;
  delete(serverId: string, signal?: AbortSignal): Promise<void>;
  /** Servers this app created (for one profile, or all). */
  findServers(profileId?: string, signal?: AbortSignal): Promise<ManagedServer[]>;
  close?(): void;
}

/**
 * The name of the app's SSH key at the provider: the server's name and the key's own fingerprint, so
 * a new key (a session-only store lost the old one, or the user made a new one) never collides with
 * the old one under the same name.
 */
export function sshKeyName(serverName: string, publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1] ?? '';
  return `${serverName}-${createHash('sha256').update(blob).digest('hex').slice(0, 8)}`;
}

/** The cheapest offer first, then by name and location (stable); the first one is preselected. */
export function sortOffers(offers: ProviderOffer[]): ProviderOffer[] {
  return [...offers].sort((a, b) => a.priceMonthly.net - b.priceMonthly.net || a.vcpu - b.vcpu || a.ramGb - b.ramGb || a.name.localeCompare(b.name) || a.location.localeCompare(b.location));
}

/** "A server I already have": nothing to create; the deploy service checks it over SSH instead. */
export class ExistingServerProvider implements Provider {
  readonly kind = 'existing' as const;
  async validate(): Promise<void> {}
  async offers(): Promise<PhaseOffers> {
    return { offers: [], chosenId: null, reason: { kind: 'none_available' }, tooSmall: [], roadmapOffer: null };
  }
  async create(): Promise<ProvidedServer> {
    throw new AppError('provider.unsupported', { provider: 'existing', operation: 'create' });
  }
  async resize(): Promise<void> {
    throw new AppError('provider.unsupported', { provider: 'existing', operation: 'resize' });
  }
  async snapshot(): Promise<{ id: string }> {
    throw new AppError('provider.unsupported', { provider: 'existing', operation: 'snapshot' });
  }
  async delete(): Promise<void> {
    throw new AppError('provider.unsupported', { provider: 'existing', operation: 'delete' });
  }
  async findServers(): Promise<ManagedServer[]> {
    return [];
  }
}
