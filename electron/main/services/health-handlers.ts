import type { healthMethods } from '../../shared/contract-health';
import type { DomainHandlers, HandlerContext } from './handlers';

/** Handlers of the methods declared in contract-health.ts. */
export function healthHandlers(_ctx: HandlerContext): DomainHandlers<typeof healthMethods> {
  return {};
}
