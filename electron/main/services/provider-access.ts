import type { OvhReader } from '../k3s/checklist';
import { OVH_VARIABLES } from '../../shared/k3s-entry';
import type { Provider } from '../providers/provider';
import type { HandlerContext } from './handler-types';
import type { ProviderService } from './provider-service';

// The provider service (and the API clients behind it) for the backup and upgrade handlers, made on
// first use like provider-handlers.ts does, so the app starts without loading them.

const services = new WeakMap<HandlerContext, Promise<ProviderService>>();

export function providerService(ctx: HandlerContext): Promise<ProviderService> {
  let p = services.get(ctx);
  if (!p) {
    p = import('./provider-service').then(
      (m) =>
        new m.ProviderService({
          profiles: ctx.profiles,
          secrets: ctx.secrets,
          log: ctx.log,
          deploy: ctx.deploy,
          emit: ctx.deps.emit,
          openExternal: ctx.deps.openExternal,
          endpoints: ctx.deps.providers,
        }),
    );
    services.set(ctx, p);
  }
  return p;
}

/** The provider with the stored credentials. */
export async function providerFor(ctx: HandlerContext, kind: 'hetzner' | 'ovh'): Promise<Provider> {
  return (await providerService(ctx)).provider(kind);
}

/**
 * The OVH_* variables of the roadmap's scripts, from the validated OVHcloud credentials (the CLI, which has
 * no keychain, also takes them from its environment).
 */
export async function ovhEnvironment(ctx: HandlerContext): Promise<Record<string, string>> {
  try {
    return await (await providerService(ctx)).ovhEnvironment();
  } catch (error) {
    const env = process.env;
    if (ctx.deps.frontDoor === 'cli' && OVH_VARIABLES.every((v) => env[v])) return Object.fromEntries(OVH_VARIABLES.map((v) => [v, env[v]!]));
    throw error;
  }
}

/** What the pre-production checklist reads from OVHcloud (quotas, project, DNS zones), or null without credentials. */
export async function ovhReader(ctx: HandlerContext): Promise<OvhReader | null> {
  const env = await ovhEnvironment(ctx).catch(() => null);
  if (!env?.OVH_ENDPOINT || !/^ovh-(eu|ca|us)$/.test(env.OVH_ENDPOINT)) return null;
  const ovh = await import('../providers/ovh/client');
  return new ovh.OvhClient({
    endpoint: env.OVH_ENDPOINT as 'ovh-eu' | 'ovh-ca' | 'ovh-us',
    baseUrl: ctx.deps.providers?.ovhApiUrl,
    ca: ctx.deps.providers?.ovhCa,
    applicationKey: env.OVH_APPLICATION_KEY ?? '',
    applicationSecret: env.OVH_APPLICATION_SECRET ?? '',
    consumerKey: env.OVH_CONSUMER_KEY ?? null,
  });
}
