import { z } from 'zod';
import { OFFER_PRICE_SETTING, planCostSchema, type deployMethods } from '../../shared/contract-deploy';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { envKeys, secretName } from './deploy-service';
import type { DomainHandlers, HandlerContext } from './handler-types';

/** Handlers of the methods declared in contract-deploy.ts: server access and the deployment run. */
export function deployHandlers(ctx: HandlerContext): DomainHandlers<typeof deployMethods> {
  const { deploy, secrets, profiles, recipes } = ctx;
  return {
    'server.generateKey': async ({ profileId }) => deploy.generateKey(profileId),
    'server.importKey': async ({ profileId, path }) => deploy.importKeyFile(profileId, path),
    'server.publicKey': async ({ profileId }) => ({ publicKey: await deploy.publicKey(profileId) }),
    'server.probe': async ({ host, port, user }) => ({ fingerprint: await deploy.probeHostKey(host, port, user) }),
    'server.check': async ({ profileId }) => deploy.checkServer(profileId),
    'deploy.setEnv': async ({ profileId, content }) => {
      await secrets.set(secretName(profileId, DEPLOY_SECRETS.env), content);
      return { saved: true as const, persistent: secrets.persistent };
    },
    'deploy.hasEnv': async ({ profileId }) => {
      const content = await secrets.get(secretName(profileId, DEPLOY_SECRETS.env));
      return { present: !!content, keys: envKeys(content ?? '') };
    },
    'deploy.secrets': async ({ profileId }) => ({ persistent: secrets.persistent, missing: await deploy.missingSecrets(profileId) }),
    'server.provideKey': async ({ profileId, privateKey }) => deploy.provideKey(profileId, privateKey),
    'deploy.envFromServer': async ({ profileId }) => deploy.envFromServer(profileId),
    'deploy.repoKey': async ({ profileId, action }) => {
      if (action === 'generate') return deploy.generateRepoKey(profileId);
      if (action === 'forget') {
        // A key the app added to the repository leaves it too.
        const profile = await profiles.get(profileId);
        const removed = await recipes.removeDeployKey(profile);
        if (removed === 'deleted' || removed === 'already_gone') {
          const { 'repo.deployKeyId': _id, 'repo.deployKeyUrl': _url, ...settings } = profile.settings;
          await profiles.update(profile, { settings });
        }
        await deploy.forgetRepoKey(profileId);
      }
      return { publicKey: action === 'forget' ? null : await deploy.repoPublicKey(profileId) };
    },
    'deploy.plan': async ({ profileId }) => {
      const { entries, review } = await deploy.planWithReview(profileId);
      const profile = await profiles.get(profileId);
      // The offer's price while the profile's server is the one it was bought for.
      const price = planCostSchema.extend({ host: z.string() }).safeParse(safeJson(profile.settings[OFFER_PRICE_SETTING]));
      const cost = price.success && price.data.host === profile.server?.host ? { offer: price.data.offer, net: price.data.net, gross: price.data.gross, currency: price.data.currency } : null;
      return { entries, review, warnings: await recipes.planWarnings(profileId), cost };
    },
    'deploy.adoption': async ({ profileId }) => ({ found: await deploy.adoption(profileId) }),
    'deploy.adopt': async ({ profileId, project }) => deploy.adopt(profileId, project),
    'deploy.start': async ({ profileId, fresh }) => deploy.start(profileId, { fresh }),
    'deploy.cancel': async () => deploy.cancel(),
    'deploy.status': async ({ profileId }) => deploy.status(profileId),
    'deploy.breakLock': async ({ profileId }) => {
      await deploy.breakLock(profileId);
      return { broken: true as const };
    },
  };
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
