import type { recipeMethods } from '../../shared/contract-recipe';
import type { DomainHandlers, HandlerContext } from './handlers';
import { RecipeService } from './recipe-service';

/** Handlers of the methods declared in contract-recipe.ts. */
export function recipeHandlers(ctx: HandlerContext): DomainHandlers<typeof recipeMethods> {
  const recipes = new RecipeService({
    dataDir: ctx.deps.dataDir,
    profiles: ctx.profiles,
    secrets: ctx.secrets,
    emit: ctx.deps.emit,
    ...(ctx.deps.github ? { github: ctx.deps.github } : {}),
    ...(ctx.deps.dnsServers ? { dnsServers: ctx.deps.dnsServers } : {}),
  });
  return {
    'github.status': async () => recipes.githubStatus(),
    'github.setToken': async ({ token, url }) => recipes.setToken(token, url),
    'github.forget': async () => recipes.forgetToken(),
    'github.deviceStart': async () => recipes.startDevice(),
    'github.deviceCancel': async () => ({ cancelled: recipes.cancelDevice() }),
    'repo.inspect': async ({ url }) => recipes.inspect(url),
    'recipe.detect': async ({ profileId, url, ref, overrides }) => recipes.detect(profileId, url, ref, overrides ?? {}),
    'config.form': async ({ profileId }) => ({ form: await recipes.form(profileId) }),
    'config.save': async ({ profileId, ...values }) => recipes.save(profileId, values),
    'config.dnsCheck': async ({ profileId, domains }) => recipes.dnsCheck(profileId, domains),
  };
}
