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
