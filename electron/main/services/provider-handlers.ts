import type { providerMethods } from '../../shared/contract-providers';
import type { DomainHandlers, HandlerContext } from './handlers';

/** Handlers of the methods declared in contract-providers.ts. */
export function providerHandlers(_ctx: HandlerContext): DomainHandlers<typeof providerMethods> {
  return {};
}
