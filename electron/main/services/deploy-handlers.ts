import type { deployMethods } from '../../shared/contract-deploy';
import { DEPLOY_SECRETS } from '../../shared/deploy';
import { secretName } from './deploy-service';
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
      const keys = (content ?? '').split('\n').map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(l)?.[1]).filter((k): k is string => !!k);
      return { present: !!content, keys };
    },
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
    'deploy.plan': async ({ profileId }) => deploy.planWithReview(profileId),
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
