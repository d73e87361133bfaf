import type { providerMethods } from '../../shared/contract-providers';
import type { DomainHandlers, HandlerContext } from './handler-types';
import type { ProviderService } from './provider-service';

/**
 * Handlers of the methods declared in contract-providers.ts. The provider service (and the two API
 * clients behind it) loads on the first call, so the desktop app starts without them.
 */
export function providerHandlers(ctx: HandlerContext): DomainHandlers<typeof providerMethods> {
  let loading: Promise<ProviderService> | undefined;
  const providers = (): Promise<ProviderService> =>
    (loading ??= import('./provider-service').then(
      (m) =>
        new m.ProviderService({
          profiles: ctx.profiles,
          secrets: ctx.secrets,
          log: ctx.log,
          deploy: ctx.deploy,
          emit: ctx.deps.emit,
          openExternal: ctx.deps.openExternal,
          endpoints: ctx.deps.providers,
          network: ctx.network,
        }),
    ));
  return {
    'provider.status': async () => (await providers()).status(),
    'provider.saveCredentials': async (input) => (await providers()).saveCredentials(input),
    'provider.forget': async ({ provider }) => {
      await (await providers()).forget(provider);
      return { forgotten: true as const };
    },
    'provider.ovhRequestConsumerKey': async () => (await providers()).ovhRequestConsumerKey(),
    'provider.ovhStatus': async () => (await providers()).ovhStatus(),
    'provider.ovhVps': async ({ phase }) => (await providers()).ovhVps(phase),
    'provider.offers': async ({ phase }) => (await providers()).offers(phase),
    'provider.create': async ({ profileId, offerId }) => (await providers()).create(profileId, offerId),
    'provider.servers': async ({ provider }) => (await providers()).servers(provider),
  };
}
