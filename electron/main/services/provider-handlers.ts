import type { providerMethods } from '../../shared/contract-providers';
import type { DomainHandlers, HandlerContext } from './handlers';
import { ProviderService } from './provider-service';

/** Handlers of the methods declared in contract-providers.ts. */
export function providerHandlers(ctx: HandlerContext): DomainHandlers<typeof providerMethods> {
  const providers = new ProviderService({
    profiles: ctx.profiles,
    secrets: ctx.secrets,
    log: ctx.log,
    deploy: ctx.deploy,
    emit: ctx.deps.emit,
    openExternal: ctx.deps.openExternal,
    endpoints: ctx.deps.providers,
  });
  return {
    'provider.status': async () => providers.status(),
    'provider.saveCredentials': async (input) => providers.saveCredentials(input),
    'provider.forget': async ({ provider }) => {
      await providers.forget(provider);
      return { forgotten: true as const };
    },
    'provider.ovhRequestConsumerKey': async () => providers.ovhRequestConsumerKey(),
    'provider.ovhStatus': async () => providers.ovhStatus(),
    'provider.offers': async ({ phase }) => providers.offers(phase),
    'provider.create': async ({ profileId, offerId }) => providers.create(profileId, offerId),
    'provider.ovhVps': async ({ phase }) => providers.ovhVps(phase),
    'provider.servers': async ({ provider }) => providers.servers(provider),
  };
}
