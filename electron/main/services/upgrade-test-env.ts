import { z } from 'zod';
import type { ServiceDeps } from './handler-types';

// For the end-to-end tests of web mode only (read by web.ts, never by the desktop app or the CLI): the phase 2 → 3
// run checks the DNS propagation on three public resolvers and waits up to 30 minutes for it. The tests play the
// resolvers with local DNS servers and cannot wait that long:
//   KOPROGO_DNS_RESOLVERS=127.0.0.1:5301,127.0.0.1:5302   where the propagation is checked (loopback only)
//   KOPROGO_DNS_PROPAGATION_MS=8000,250                   how long the run waits for it, and how often it looks
// The wait is taken only together with loopback resolvers, so a stray variable cannot shorten a real move's wait.
// Anything else is ignored (the defaults apply).

const LOOPBACK_RESOLVER = z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$/);
const RESOLVERS = z.array(LOOPBACK_RESOLVER).min(1).max(8);
const WAIT = z.tuple([z.coerce.number().int().min(100).max(3_600_000), z.coerce.number().int().min(50).max(600_000)]);

export function upgradeTestOverridesFromEnv(env: NodeJS.ProcessEnv): Pick<ServiceDeps, 'upgrade'> {
  const resolvers = RESOLVERS.safeParse((env.KOPROGO_DNS_RESOLVERS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  if (!resolvers.success) return {};
  const wait = WAIT.safeParse((env.KOPROGO_DNS_PROPAGATION_MS ?? '').split(',').map((s) => s.trim()));
  return { upgrade: { toK3s: { resolvers: resolvers.data, ...(wait.success ? { propagation: { timeoutMs: wait.data[0], pollMs: wait.data[1] } } : {}) } } };
}
