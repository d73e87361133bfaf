import type { recipeMethods } from '../../shared/contract-recipe';
import type { DomainHandlers, HandlerContext } from './handler-types';
import type { RecipeService } from './recipe-service';

/** Handlers of the methods declared in contract-recipe.ts. */
export function recipeHandlers(ctx: HandlerContext): DomainHandlers<typeof recipeMethods> {
  const recipes: RecipeService = ctx.recipes;
  return {
    'github.installDeployKey': async ({ profileId, url }) => recipes.installDeployKey(profileId, url),
    'github.status': async ({ url }) => recipes.githubStatus(url),
    'github.setToken': async ({ token, url }) => recipes.setToken(token, url),
    'github.forget': async ({ url }) => recipes.forgetToken(url),
    'github.deviceStart': async ({ url }) => recipes.startDevice(url),
    'github.deviceCancel': async () => ({ cancelled: recipes.cancelDevice() }),
    'repo.inspect': async ({ url }) => recipes.inspect(url),
    'recipe.detect': async ({ profileId, url, ref, overrides }) => recipes.detect(profileId, url, ref, overrides ?? {}),
    'config.form': async ({ profileId, fromServer }) => ({ form: await recipes.form(profileId, { fromServer }) }),
    'config.save': async ({ profileId, ...values }) => recipes.save(profileId, values),
    'config.dnsCheck': async ({ profileId, domains }) => recipes.dnsCheck(profileId, domains),
  };
}
