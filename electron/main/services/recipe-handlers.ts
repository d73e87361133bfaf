import type { recipeMethods } from '../../shared/contract-recipe';
import type { DomainHandlers, HandlerContext } from './handlers';

/** Handlers of the methods declared in contract-recipe.ts. */
export function recipeHandlers(_ctx: HandlerContext): DomainHandlers<typeof recipeMethods> {
  return {};
}
