import { Resolver } from 'node:dns/promises';
import type { Migration } from '../../shared/contract-upgrade';
import { AppError } from '../../shared/errors';

// The DNS side of phase 2 → 3, read with node:dns like the recipe's check (recipe/dns-check.ts): the domain's
// A/AAAA records now and their TTL, the records to change to the cluster's address, and the propagation of the
// change on several public resolvers (tests: local DNS servers on their own ports). Nothing here changes DNS:
// the user does, at their DNS provider; the app says what, and checks.

/** Public resolvers of different operators (Cloudflare, Google, Quad9): a change seen by all three has spread. */
export const DEFAULT_RESOLVERS = ['1.1.1.1', '8.8.8.8', '9.9.9.9'] as const;

/** The TTL advised ahead of a switch: a mistake is then undone within five minutes. */
export const SWITCH_TTL = 300;

export type DnsRecord = Migration['dns']['current'][number];

function resolver(servers: readonly string[] | undefined, timeoutMs = 3000): Resolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers && servers.length > 0) r.setServers([...servers]);
  return r;
}

/** The domain's A and AAAA records with their TTL (empty when it has none, or DNS cannot be read). */
export async function readRecords(domain: string, servers?: readonly string[]): Promise<DnsRecord[]> {
  const r = resolver(servers);
  const out: DnsRecord[] = [];
  const a = await r.resolve4(domain, { ttl: true }).catch(() => []);
  for (const x of a) out.push({ type: 'A', value: x.address, ttl: x.ttl });
  const aaaa = await r.resolve6(domain, { ttl: true }).catch(() => []);
  for (const x of aaaa) out.push({ type: 'AAAA', value: x.address, ttl: x.ttl });
  return out;
}

/** What must change: each record type the domain has (A at least) to the cluster's address of that family. */
export function changesOf(domain: string, current: readonly DnsRecord[], target: readonly string[]): Migration['dns']['changes'] {
  const v4 = target.find((t) => !t.includes(':'));
  const v6 = target.find((t) => t.includes(':'));
  const from = (type: 'A' | 'AAAA') => current.filter((c) => c.type === type).map((c) => c.value);
  const out: Migration['dns']['changes'] = [];
  if (v4) out.push({ name: domain, type: 'A', from: from('A'), to: v4 });
  if (v6) out.push({ name: domain, type: 'AAAA', from: from('AAAA'), to: v6 });
  return out;
}

export interface ResolverView {
  resolver: string;
  addresses: string[];
  /** Every address this resolver gives is one of the expected ones (and it gives at least one). */
  switched: boolean;
}

/** What each resolver answers now for the domain, and whether it answers only `expected`. */
export async function propagation(domain: string, expected: readonly string[], resolvers: readonly string[]): Promise<ResolverView[]> {
  const want = new Set(expected);
  return Promise.all(
    resolvers.map(async (server) => {
      const r = resolver([server], 2000);
      const addresses = [...(await r.resolve4(domain).catch(() => [])), ...(await r.resolve6(domain).catch(() => []))];
      return { resolver: server, addresses, switched: addresses.length > 0 && addresses.every((a) => want.has(a)) };
    }),
  );
}

/** Compact form for the journal (step data values are short strings): `resolver=a,b;resolver=…`. */
export function encodeViews(views: readonly ResolverView[]): string {
  return views.map((v) => `${v.resolver}=${v.addresses.join(',')}`).join(';').slice(0, 300);
}

export function decodeViews(text: string, expected: readonly string[]): ResolverView[] {
  const want = new Set(expected);
  return text
    .split(';')
    .filter(Boolean)
    .map((part) => {
      const [resolverName = '', list = ''] = part.split('=');
      const addresses = list.split(',').filter(Boolean);
      return { resolver: resolverName, addresses, switched: addresses.length > 0 && addresses.every((a) => want.has(a)) };
    });
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  onCheck?: (views: ResolverView[]) => void | Promise<void>;
}

/** Checks the resolvers until all answer `expected`; throws `upgrade.dns_not_propagated` naming the ones that do not. */
export async function waitForPropagation(domain: string, expected: readonly string[], resolvers: readonly string[], opts: WaitOptions): Promise<ResolverView[]> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
    const views = await propagation(domain, expected, resolvers);
    await opts.onCheck?.(views);
    if (views.every((v) => v.switched)) return views;
    if (Date.now() >= deadline) {
      const late = views.filter((v) => !v.switched);
      throw new AppError('upgrade.dns_not_propagated', { domain, resolvers: late.map((v) => v.resolver).join(', '), count: late.length, total: views.length, to: expected.join(', ') });
    }
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}
