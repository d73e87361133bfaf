import type { k3sMethods } from '../../shared/contract-k3s';
import { AppError } from '../../shared/errors';
import { OVH_VARIABLES } from '../../shared/k3s-entry';
import type { K3sService } from '../k3s/k3s-service';
import { secretName } from './deploy-service';
import type { DomainHandlers, HandlerContext } from './handler-types';
import { ovhEnvironment, ovhReader } from './provider-access';

/**
 * Handlers of the methods declared in contract-k3s.ts. The K3s service (node-pty, the run machinery) loads on the
 * first call, so the desktop app starts without it. The OVH credentials come from the provider service (the CLI,
 * which has no keychain, also takes the roadmap's exported OVH_* variables).
 */
export function k3sHandlers(ctx: HandlerContext): DomainHandlers<typeof k3sMethods> {
  let service: Promise<K3sService> | undefined;
  const k3s = (): Promise<K3sService> =>
    (service ??= import('../k3s/k3s-service').then(
      (m) =>
        new m.K3sService({
          dataDir: ctx.deps.dataDir,
          profiles: ctx.profiles,
          secrets: ctx.secrets,
          log: ctx.log,
          emit: ctx.deps.emit,
          connect: (profile) => ctx.deploy.connect(profile),
          ovhEnvironment: () => ovhEnvironment(ctx),
          ovhReader: () => ovhReader(ctx),
          secretName,
          dnsServers: ctx.deps.dnsServers,
          ...ctx.deps.k3s,
        }),
    ));
  return {
    'k3s.localHost': async () => (await k3s()).localHost(),
    'k3s.preflight': async ({ profileId }) => (await k3s()).preflight(profileId),
    'k3s.plan': async ({ profileId, repo }) => (await k3s()).plan(profileId, repo),
    'k3s.variables': async ({ profileId }) => (await k3s()).variables(profileId),
    'k3s.setVariables': async ({ profileId, values }) => {
      const forbidden = Object.keys(values).find((k) => (OVH_VARIABLES as readonly string[]).includes(k));
      // The OVH credentials are the provider's (validated through OVH's page), never typed here.
      if (forbidden) throw new AppError('ipc.invalid_input', {}, undefined, [{ path: `values.${forbidden}`, issue: 'invalid_value', params: {} }]);
      return (await k3s()).setVariables(profileId, values);
    },
    'k3s.start': async ({ profileId, fresh }) => (await k3s()).start(profileId, { fresh }),
    'k3s.answer': async ({ profileId, promptId, answer }) => (await k3s()).answer(profileId, promptId, answer),
    'k3s.input': async ({ profileId, text }) => (await k3s()).input(profileId, text),
    'k3s.cancel': async ({ profileId }) => (await k3s()).cancel(profileId),
    'k3s.status': async ({ profileId }) => (await k3s()).status(profileId),
    'k3s.output': async ({ profileId, runId, offset, maxBytes }) => (await k3s()).output(profileId, runId, offset, maxBytes),
    'k3s.checklist': async ({ profileId, domain }) => (await k3s()).checklist(profileId, domain),
  };
}
