import { z } from 'zod';
import { empty, method } from './contract-method';
import { profileIdSchema, repoSchema } from './profile';
import { configFormSchema, configProblemSchema, configValuesSchema, dnsResultSchema, RecipeSchema, recipeOverridesSchema } from './recipe';

// Contract methods and events for the GitHub repository, recipe detection and the configuration form.

const repoUrl = repoSchema.shape.url;

export const repoOverviewSchema = z.object({
  fullName: z.string(),
  private: z.boolean(),
  description: z.string().nullable(),
  htmlUrl: z.string(),
  sshUrl: z.string(),
  defaultBranch: z.string(),
  releases: z.array(z.object({ tag: z.string(), name: z.string(), prerelease: z.boolean(), publishedAt: z.string().nullable() })),
  tags: z.array(z.string()),
  branches: z.array(z.string()),
  defaultRef: z.object({ kind: z.enum(['release', 'branch']), ref: z.string() }),
  /** The version named by the address itself (`…/tree/<branch>`, `…/releases/tag/<tag>`), when it exists. */
  proposedRef: z.string().nullable().default(null),
});
export type RepoOverview = z.output<typeof repoOverviewSchema>;

export const recipeMethods = {
  // `url`: the repository whose host to ask about (github.com without one): each host has its own token.
  'github.status': method(z.object({ url: repoUrl.optional() }).strict(), z.object({ signedIn: z.boolean(), persistent: z.boolean(), waiting: z.boolean(), host: z.string().optional() })),
  // The token travels in this call only; it is never sent back.
  'github.setToken': method(
    z.object({ token: z.string().min(1).max(300), url: repoUrl.optional() }).strict(),
    z.object({ signedIn: z.literal(true), persistent: z.boolean() }),
    true,
  ),
  'github.forget': method(z.object({ url: repoUrl.optional() }).strict(), z.object({ forgotten: z.literal(true) }), true),
  // `url`: the repository to read, so a GitHub Enterprise host signs in on its own site.
  'github.deviceStart': method(z.object({ url: repoUrl.optional() }).strict(), z.object({ userCode: z.string(), verificationUri: z.string(), expiresIn: z.number(), interval: z.number() })),
  'github.deviceCancel': method(empty, z.object({ cancelled: z.boolean() })),
  'github.installDeployKey': method(
    z.object({ profileId: profileIdSchema, url: repoUrl }).strict(),
    z.object({ publicKey: z.string(), knownHosts: z.string(), keyId: z.number() }),
    true,
  ),
  'repo.inspect': method(z.object({ url: repoUrl }).strict(), repoOverviewSchema),
  'recipe.detect': method(
    z.object({ profileId: profileIdSchema, url: repoUrl, ref: repoSchema.shape.ref, overrides: recipeOverridesSchema.optional() }).strict(),
    z.object({ recipe: RecipeSchema, candidates: z.array(z.string()), settings: z.record(z.string(), z.string()) }),
    true,
  ),
  // `fromServer`: merge with the .env the server runs with now (read over SSH) instead of the one saved here.
  'config.form': method(z.object({ profileId: profileIdSchema, fromServer: z.boolean().optional() }).strict(), z.object({ form: configFormSchema.nullable() })),
  'config.save': method(
    configValuesSchema.extend({ profileId: profileIdSchema }).strict(),
    z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), keys: z.array(z.string()), persistent: z.boolean() }),
      z.object({ ok: z.literal(false), problems: z.array(configProblemSchema) }),
    ]),
    true,
  ),
  'config.dnsCheck': method(
    z.object({ profileId: profileIdSchema, domains: z.array(z.string().min(1).max(253)).min(1).max(50) }).strict(),
    z.object({ server: z.string().nullable(), results: z.array(dnsResultSchema) }),
  ),
} as const;

export const recipeEvents = {
  /** The device flow's progress (polling runs on the main side). */
  'github.signIn': z.object({ state: z.enum(['pending', 'slow_down', 'signed_in', 'expired', 'denied', 'failed']), interval: z.number().nullable() }),
} as const;
