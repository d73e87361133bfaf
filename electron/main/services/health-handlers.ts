import type { healthMethods } from '../../shared/contract-health';
import type { DomainHandlers, HandlerContext } from './handler-types';

/** Handlers of the methods declared in contract-health.ts. */
export function healthHandlers(ctx: HandlerContext): DomainHandlers<typeof healthMethods> {
  const health = ctx.health;
  return {
    'health.watch': async ({ profileId, mode }) => health.watch(profileId, mode),
    'health.unwatch': async ({ profileId }) => health.unwatch(profileId),
    'health.current': async ({ profileId, refresh }) => health.current(profileId, { refresh }),
    'health.history': async ({ profileId, from, to, maxPoints, metrics }) => health.historySeries(profileId, { from, to, maxPoints, metrics }),
    'health.exportCsv': async ({ profileId, from, to }) => health.exportCsv(profileId, from, to),
    'health.logs': async ({ profileId, container, lines }) => health.logs(profileId, container, lines),
  };
}
