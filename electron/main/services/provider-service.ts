// The cloud-provider use cases behind the "Where" step: credentials (kept in the secret store, never
// given back), the cost preview, and creating the profile's server, handed to the deploy engine with
// its host key already pinned. Plain Node: the same service runs in the desktop app, web mode, the
// CLI and the tests, pointed at the real APIs or at local fakes (ProviderEndpoints).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EventName, EventPayload, MethodOutput } from '../../shared/contract';
import type { CreateStage, ProviderKind } from '../../shared/contract-providers';
import { AppError, type ErrorEnvelope } from '../../shared/errors';
import { isAllowedExternalUrl } from '../../shared/external-links';
import { isCredentialSafeUrl } from '../security/credential-fetch';
import { getPhase, type PhaseId } from '../../shared/phases';
import type { Logger } from '../log';
import type { NetworkDoctor } from '../network/doctor';
import type { HetznerClientOptions } from '../providers/hetzner/client';
import { buildCloudInit, type HostKeyPair } from '../providers/hetzner/cloud-init';
import { specForPhase } from '../providers/hetzner/offers';
import { HetznerProvider } from '../providers/hetzner/provider';
import { OVH_ACCESS_RULES, OvhClient, type OvhEndpoint } from '../providers/ovh/client';
import { OVH_NAME_PREFIX, OvhProvider } from '../providers/ovh/provider';
import type { Provider } from '../providers/provider';
import { waitForSsh, type WaitForSshOptions } from '../providers/wait-for-ssh';
import type { SecretStore } from '../secrets/secret-store';
import { generateEd25519 } from '../ssh/keys';
import type { ProfileStore } from '../store/profile-store';
import { secretName, type DeployService } from './deploy-service';

/** Where the provider APIs are (tests and e2e: the local fakes) and what test machines need to differ. */
export interface ProviderEndpoints {
  /** Default https://api.hetzner.cloud/v1. */
  hetznerApiUrl?: string;
  /** One root for every OVH endpoint (tests: the fake), default the endpoint's own host. */
  ovhApiUrl?: string;
  /** Extra CA (PEM) the OVH client trusts: the fake's test certificate. Never a way to turn TLS checks off. */
  ovhCa?: string;
  /** SSH port of the servers the app creates; default 22 (tests: the port their stand-in sshd listens on). */
  sshPort?: number;
  /** How long to wait for SSH after the server runs; default 5 minutes. */
  sshTimeoutMs?: number;
  /** Tests and benches: the Hetzner client's clock and polling. */
  hetznerClient?: Partial<Omit<HetznerClientOptions, 'token' | 'baseUrl'>>;
  /** Tests: how the SSH wait probes and sleeps. */
  sshWait?: Pick<WaitForSshOptions, 'initialDelayMs' | 'maxDelayMs'>;
}

/**
 * The overrides from the environment (web mode and the desktop app read these; nothing is set in
 * normal use): KOPROGO_HETZNER_API_URL, KOPROGO_OVH_API_URL, KOPROGO_OVH_CA_FILE, KOPROGO_PROVIDER_SSH_PORT.
 */
export function providerEndpointsFromEnv(env: NodeJS.ProcessEnv): ProviderEndpoints {
  const out: ProviderEndpoints = {};
  // The tokens follow these roots: https only (or the loopback fake of the tests), else the variable is ignored.
  if (env.KOPROGO_HETZNER_API_URL && isCredentialSafeUrl(env.KOPROGO_HETZNER_API_URL, { allowLoopbackHttp: true })) out.hetznerApiUrl = env.KOPROGO_HETZNER_API_URL;
  if (env.KOPROGO_OVH_API_URL && isCredentialSafeUrl(env.KOPROGO_OVH_API_URL)) out.ovhApiUrl = env.KOPROGO_OVH_API_URL;
  if (env.KOPROGO_OVH_CA_FILE) out.ovhCa = readFileSync(env.KOPROGO_OVH_CA_FILE, 'utf8');
  const port = Number(env.KOPROGO_PROVIDER_SSH_PORT);
  if (Number.isInteger(port) && port > 0 && port < 65536) out.sshPort = port;
  return out;
}

export interface ProviderServiceDeps {
  profiles: ProfileStore;
  secrets: SecretStore;
  log: Logger;
  deploy: DeployService;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  openExternal: ((url: string) => Promise<void>) | null;
  endpoints?: ProviderEndpoints;
  /** Tells "this computer is offline" apart from a provider outage. */
  network?: NetworkDoctor;
}

/** Non-secret profile settings naming the server the provider created. */
export const PROVIDER_SERVER_SETTINGS = { id: 'providerServerId', host: 'providerServerHost' } as const;

/** Secret-store names: account-wide credentials, and the per-profile host key the app injects. */
export const PROVIDER_SECRETS = {
  hetznerToken: 'provider.hetzner.token',
  ovh: 'provider.ovh.credentials',
  hostKey: 'host-key',
} as const;

const ovhCredentialsSchema = z.object({
  endpoint: z.enum(['ovh-eu', 'ovh-ca', 'ovh-us']),
  applicationKey: z.string(),
  applicationSecret: z.string(),
  consumerKey: z.string().nullable(),
  validated: z.boolean(),
});
type OvhCredentials = z.infer<typeof ovhCredentialsSchema>;

const hostKeySchema = z.object({ privateKey: z.string(), publicKey: z.string() });

type CreatedServer = MethodOutput<'provider.create'>;

/** How long the access asked for at the key check is offered before a new one is asked for. */
const PENDING_OVH_MS = 5 * 60_000;

export function providerServerName(profileId: string): string {
  return `${OVH_NAME_PREFIX}${profileId}`;
}

export class ProviderService {
  private readonly endpoints: ProviderEndpoints;
  private readonly creating = new Map<string, Promise<CreatedServer>>();
  /** The OVH access asked for when the application key was checked, until the user opens its page. */
  private pendingOvh: { validationUrl: string; consumerKey: string; at: number } | null = null;

  constructor(private readonly deps: ProviderServiceDeps) {
    this.endpoints = deps.endpoints ?? {};
  }

  // ---- credentials ---------------------------------------------------------------------------------

  async status(): Promise<MethodOutput<'provider.status'>> {
    const token = await this.hetznerToken();
    const ovh = await this.ovhCredentials();
    return {
      persistent: this.deps.secrets.persistent,
      hetzner: { configured: token !== null },
      ovh: {
        configured: ovh !== null,
        endpoint: ovh?.endpoint ?? null,
        credential: ovh?.consumerKey ? (ovh.validated ? 'validated' : 'pendingValidation') : 'none',
      },
    };
  }

  /**
   * Hetzner: checked first (wrong or read-only token → typed error, nothing kept). OVH: the application
   * key is checked by asking OVH for the access to validate (an unknown key, or no network, keeps
   * nothing); the secret is checked by OVH's first signed answer, once the access is validated.
   */
  async saveCredentials(input: { kind: 'hetzner'; token: string } | { kind: 'ovh'; endpoint: OvhEndpoint; applicationKey: string; applicationSecret: string }): Promise<{ saved: true; persistent: boolean }> {
    if (input.kind === 'hetzner') {
      this.deps.log.registerSecret(input.token);
      await this.hetzner(input.token).validate();
      await this.deps.secrets.set(PROVIDER_SECRETS.hetznerToken, input.token);
      this.deps.log.info('provider hetzner: token checked (read & write) and saved');
    } else {
      this.deps.log.registerSecret(input.applicationKey);
      this.deps.log.registerSecret(input.applicationSecret);
      const creds: OvhCredentials = { endpoint: input.endpoint, applicationKey: input.applicationKey, applicationSecret: input.applicationSecret, consumerKey: null, validated: false };
      const client = this.ovhClient(creds);
      try {
        const req = await client.requestCredential(OVH_ACCESS_RULES);
        this.deps.log.registerSecret(req.consumerKey);
        await this.deps.secrets.set(PROVIDER_SECRETS.ovh, JSON.stringify({ ...creds, consumerKey: req.consumerKey }));
        this.pendingOvh = { validationUrl: req.validationUrl, consumerKey: req.consumerKey, at: Date.now() };
      } finally {
        client.close();
      }
      this.deps.log.info(`provider ovh: application key accepted by OVH for ${input.endpoint}, access to validate`);
    }
    return { saved: true, persistent: this.deps.secrets.persistent };
  }

  /** "Forget this provider": the stored credentials are deleted from this computer. */
  async forget(provider: ProviderKind): Promise<void> {
    await this.deps.secrets.delete(provider === 'hetzner' ? PROVIDER_SECRETS.hetznerToken : PROVIDER_SECRETS.ovh);
    this.deps.log.info(`provider ${provider}: credentials forgotten`);
  }

  /** Asks OVH for a consumer key with the app's access rules; the user validates it on the returned page. */
  async ovhRequestConsumerKey(): Promise<{ validationUrl: string; openedBy: 'system' | 'client' }> {
    const creds = await this.requireOvh();
    const client = this.ovhClient({ ...creds, consumerKey: null });
    try {
      // The access asked for when the keys were checked, if it is still waiting for the user.
      const pending = this.pendingOvh;
      const fresh = pending && pending.consumerKey === creds.consumerKey && !creds.validated && Date.now() - pending.at < PENDING_OVH_MS;
      const req = fresh ? { validationUrl: pending.validationUrl, consumerKey: pending.consumerKey } : await client.requestCredential(OVH_ACCESS_RULES);
      this.pendingOvh = null;
      this.deps.log.registerSecret(req.consumerKey);
      await this.deps.secrets.set(PROVIDER_SECRETS.ovh, JSON.stringify({ ...creds, consumerKey: req.consumerKey, validated: false }));
      if (!this.mayOpen(req.validationUrl)) throw new AppError('shell.url_not_allowed', { url: req.validationUrl.slice(0, 200) });
      if (this.deps.openExternal) {
        await this.deps.openExternal(req.validationUrl);
        return { validationUrl: req.validationUrl, openedBy: 'system' };
      }
      return { validationUrl: req.validationUrl, openedBy: 'client' };
    } finally {
      client.close();
    }
  }

  /** One look at the consumer key: validated (and the account readable), still pending, or refused/expired (then forgotten). */
  async ovhStatus(): Promise<{ state: 'pendingValidation' | 'validated' | 'refused' | 'expired'; account: string | null }> {
    const creds = await this.requireOvh();
    if (!creds.consumerKey) throw new AppError('ovh.invalid_credentials', { reason: 'no_consumer_key' });
    const client = this.ovhClient(creds);
    try {
      const state = await client.credentialStatus();
      if (state === 'validated') {
        const me = await client.me();
        if (!creds.validated) await this.deps.secrets.set(PROVIDER_SECRETS.ovh, JSON.stringify({ ...creds, validated: true }));
        return { state, account: me.nichandle };
      }
      if (state === 'refused' || state === 'expired') await this.deps.secrets.set(PROVIDER_SECRETS.ovh, JSON.stringify({ ...creds, consumerKey: null, validated: false }));
      return { state, account: null };
    } finally {
      client.close();
    }
  }

  /**
   * The same OVH credentials as the variables of the roadmap's K3s deploy script (`infrastructure/`,
   * Terraform's OVH provider). Main side only: for the remote run's environment, never the renderer.
   */
  async ovhEnvironment(): Promise<{ OVH_ENDPOINT: OvhEndpoint; OVH_APPLICATION_KEY: string; OVH_APPLICATION_SECRET: string; OVH_CONSUMER_KEY: string }> {
    const creds = await this.requireOvh();
    if (!creds.consumerKey || !creds.validated) throw new AppError('ovh.credential_pending', {});
    return { OVH_ENDPOINT: creds.endpoint, OVH_APPLICATION_KEY: creds.applicationKey, OVH_APPLICATION_SECRET: creds.applicationSecret, OVH_CONSUMER_KEY: creds.consumerKey };
  }

  // ---- cost preview --------------------------------------------------------------------------------

  async offers(phaseId: PhaseId): Promise<MethodOutput<'provider.offers'>> {
    const phase = getPhase(phaseId);
    const kinds: ProviderKind[] = [];
    if ((await this.hetznerToken()) !== null) kinds.push('hetzner');
    const ovh = await this.ovhCredentials();
    if (ovh?.validated) kinds.push('ovh');
    const nextId = phaseId < 4 ? ((phaseId + 1) as PhaseId) : null;
    const providers = await Promise.all(
      kinds.map(async (kind) => {
        const provider = await this.provider(kind);
        try {
          const current = await provider.offers(phase);
          const next = nextId === null ? null : { phase: nextId, offer: (await provider.offers(getPhase(nextId))).offers[0] ?? null };
          return { provider: kind, ...current, next, error: null };
        } catch (error) {
          return { provider: kind, offers: [], chosenId: null, reason: { kind: 'none_available' as const }, tooSmall: [], roadmapOffer: null, next: null, error: this.envelope(error, 'provider.offers') };
        } finally {
          provider.close?.();
        }
      }),
    );
    return { phase: phaseId, spec: specForPhase(phase), providers };
  }

  // ---- servers -------------------------------------------------------------------------------------

  /**
   * Creates the profile's server (one per profile, whatever the number of clicks or restarts), waits
   * until SSH answers with the host key the app generated, and saves the server in the profile.
   */
  create(profileId: string, offerId: string): Promise<CreatedServer> {
    const running = this.creating.get(profileId);
    if (running) return running;
    const p = this.runCreate(profileId, offerId).finally(() => this.creating.delete(profileId));
    this.creating.set(profileId, p);
    return p;
  }

  private async runCreate(profileId: string, offerId: string): Promise<CreatedServer> {
    const kind = providerOfOffer(offerId);
    const progress = (stage: CreateStage, percent: number | null = null, error: ErrorEnvelope | null = null): void => {
      this.deps.emit('provider.progress', { profileId, provider: kind, stage, percent, error });
      if (stage !== 'booting' || percent === null || percent === 100) this.deps.log.info(`provider ${kind} create ${profileId}: ${stage}`);
    };
    try {
      progress('preparing');
      const profile = await this.deps.profiles.get(profileId);
      const provider = await this.provider(kind);
      try {
        const publicKey = (await this.deps.deploy.publicKey(profileId)) ?? (await this.deps.deploy.generateKey(profileId)).publicKey;
        const hostKey = await this.hostKey(profileId);
        const cloudInit = buildCloudInit(hostKey, { rootLogin: kind === 'ovh' });
        for (const s of cloudInit.secrets) this.deps.log.registerSecret(s);
        const server = await provider.create({
          profileId,
          name: providerServerName(profileId),
          offerId,
          publicKey,
          userData: cloudInit.userData,
          onProgress: (stage, percent) => progress(stage, percent),
        });
        const port = this.endpoints.sshPort ?? 22;
        // A server that existed before this call got the host key of its own creation: the one pinned
        // in the profile then (a session-only store may have lost the key since), else ours.
        const pinned = profile.server?.host === server.host ? profile.server.hostKeySha256 : undefined;
        const hostKeySha256 = server.outcome === 'reused' && pinned ? pinned : cloudInit.hostKeySha256;
        progress('waiting_ssh');
        await waitForSsh({ host: server.host, port, hostKeySha256, timeoutMs: this.endpoints.sshTimeoutMs, ...this.endpoints.sshWait });
        progress('host_key_verified');
        const ovhEndpoint = kind === 'ovh' ? ((await this.ovhCredentials())?.endpoint ?? 'ovh-eu') : null;
        const fresh = await this.deps.profiles.get(profileId).catch(() => profile);
        const saved = await this.deps.profiles.update(fresh, {
          provider: ovhEndpoint ? { kind: 'ovh', endpoint: ovhEndpoint, offer: `${server.offerName}@${server.location}` } : { kind: 'hetzner', location: server.location, serverType: server.offerName },
          server: { host: server.host, port, user: server.user, hostKeySha256 },
          // Which server the provider made for this profile (the "Where" step shows it as created there).
          settings: { ...fresh.settings, [PROVIDER_SERVER_SETTINGS.id]: server.id, [PROVIDER_SERVER_SETTINGS.host]: server.host },
        });
        this.deps.emit('profiles.changed', { ids: [saved.id] });
        progress('done', 100);
        return { provider: kind, serverId: server.id, name: server.name, host: server.host, port, user: server.user, hostKeySha256, outcome: server.outcome };
      } finally {
        provider.close?.();
      }
    } catch (error) {
      progress('failed', null, this.envelope(error, 'provider.create'));
      throw error instanceof AppError ? error : new AppError('internal.unexpected', { method: 'provider.create' });
    }
  }

  /** OVH's VPS route for a phase: the plan to order, and the account's VPS. */
  async ovhVps(phaseId: PhaseId): Promise<MethodOutput<'provider.ovhVps'>> {
    const creds = await this.requireOvh();
    if (!creds.consumerKey || !creds.validated) throw new AppError('ovh.credential_pending', {});
    const provider = new OvhProvider(this.ovhOptions(creds));
    try {
      return await provider.vpsOffers(getPhase(phaseId));
    } finally {
      provider.close();
    }
  }

  async servers(kind: ProviderKind): Promise<MethodOutput<'provider.servers'>> {
    const provider = await this.provider(kind);
    try {
      return { servers: await provider.findServers() };
    } finally {
      provider.close?.();
    }
  }

  /** The provider with the stored credentials (tests and the CLI use it for resize/snapshot/delete). */
  async provider(kind: ProviderKind): Promise<Provider> {
    if (kind === 'hetzner') {
      const token = await this.hetznerToken();
      if (token === null) throw new AppError('provider.not_configured', { provider: 'hetzner' });
      return this.hetzner(token);
    }
    const creds = await this.requireOvh();
    if (!creds.consumerKey || !creds.validated) throw new AppError('ovh.credential_pending', {});
    return new OvhProvider(this.ovhOptions(creds));
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private hetzner(token: string): HetznerProvider {
    return new HetznerProvider({
      ...this.endpoints.hetznerClient,
      token,
      baseUrl: this.endpoints.hetznerApiUrl,
      ...(this.deps.network ? { networkCheck: this.deps.network.checkFor('hetzner') } : {}),
      onRequest: (r) => {
        this.endpoints.hetznerClient?.onRequest?.(r);
        this.deps.log.info(`hetzner ${r.method} ${r.path} ${r.status} (attempt ${r.attempt}, ${r.durationMs} ms)`);
      },
    });
  }

  private ovhOptions(creds: OvhCredentials) {
    return {
      endpoint: creds.endpoint,
      baseUrl: this.endpoints.ovhApiUrl,
      ca: this.endpoints.ovhCa,
      applicationKey: creds.applicationKey,
      applicationSecret: creds.applicationSecret,
      consumerKey: creds.consumerKey,
      ...(this.deps.network ? { networkCheck: this.deps.network.checkFor('ovh') } : {}),
      log: (e: { method: string; path: string; status: number | 'network'; queryId: string | null; attempt: number }) => this.deps.log.info(`ovh ${e.method} ${e.path} ${e.status} (attempt ${e.attempt}, query ${e.queryId ?? '-'})`),
    };
  }

  private ovhClient(creds: OvhCredentials): OvhClient {
    return new OvhClient(this.ovhOptions(creds));
  }

  /** OVH's own validation page, or the configured API's (the local fake in tests). */
  private mayOpen(url: string): boolean {
    if (isAllowedExternalUrl(url)) return true;
    if (!this.endpoints.ovhApiUrl) return false;
    try {
      return new URL(url).origin === new URL(this.endpoints.ovhApiUrl).origin;
    } catch {
      return false;
    }
  }

  private async hetznerToken(): Promise<string | null> {
    const token = await this.deps.secrets.get(PROVIDER_SECRETS.hetznerToken);
    if (token) this.deps.log.registerSecret(token);
    return token;
  }

  private async ovhCredentials(): Promise<OvhCredentials | null> {
    const raw = await this.deps.secrets.get(PROVIDER_SECRETS.ovh);
    if (!raw) return null;
    let parsed: OvhCredentials;
    try {
      parsed = ovhCredentialsSchema.parse(JSON.parse(raw));
    } catch {
      return null;
    }
    for (const s of [parsed.applicationKey, parsed.applicationSecret, parsed.consumerKey]) if (s) this.deps.log.registerSecret(s);
    return parsed;
  }

  private async requireOvh(): Promise<OvhCredentials> {
    const creds = await this.ovhCredentials();
    if (!creds) throw new AppError('provider.not_configured', { provider: 'ovh' });
    return creds;
  }

  /** The host key injected into the profile's server: made once, kept, so a retry pins the same key. */
  private async hostKey(profileId: string): Promise<HostKeyPair> {
    const name = secretName(profileId, PROVIDER_SECRETS.hostKey);
    const raw = await this.deps.secrets.get(name);
    if (raw) {
      const parsed = hostKeySchema.safeParse(JSON.parse(raw));
      if (parsed.success) {
        this.deps.log.registerSecret(parsed.data.privateKey);
        return parsed.data;
      }
    }
    const pair = generateEd25519(`koprogo-host@${profileId}`);
    this.deps.log.registerSecret(pair.privateKey);
    await this.deps.secrets.set(name, JSON.stringify(pair));
    return pair;
  }

  private envelope(error: unknown, method: string): ErrorEnvelope {
    if (error instanceof AppError) return error.toEnvelope();
    this.deps.log.error(`${method} failed`, error);
    return new AppError('internal.unexpected', { method }).toEnvelope();
  }
}

/** Offer ids carry their provider ("hetzner:cx22@fsn1", "ovh:d2-4@GRA11"). */
function providerOfOffer(offerId: string): ProviderKind {
  if (offerId.startsWith('hetzner:')) return 'hetzner';
  if (offerId.startsWith('ovh:')) return 'ovh';
  throw new AppError('provider.offer_unknown', { provider: 'unknown' });
}
