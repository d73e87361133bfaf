import { createHash } from 'node:crypto';
import type { SnapshotView } from '../../shared/contract-backup';
import { AppError } from '../../shared/errors';
import { managedSelector, PROFILE_LABEL } from '../providers/hetzner/client';
import { HetznerProvider } from '../providers/hetzner/provider';
import * as HS from '../providers/hetzner/schemas';
import { OvhProvider } from '../providers/ovh/provider';
import type { Provider } from '../providers/provider';

// Provider snapshots of the deployment's server (a whole-disk copy next to the database dump): the
// ones the app made for this deployment, their monthly cost (the provider's price per GB and month,
// from its own price list), and a new one. Hetzner finds them by label, OVH by name.

export interface SnapshotPrice {
  provider: 'hetzner' | 'ovh';
  perGbMonth: { net: number; gross: number | null; currency: string };
}

/** OVH's Public Cloud catalogue names the snapshot storage price by this plan code (per GB and month). */
export const OVH_SNAPSHOT_PLAN = 'snapshot.monthly.postpaid';

export function snapshotName(profileId: string, at: Date): string {
  return `koprogo-${profileId}-${at.toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
}

function cost(sizeGb: number | null, price: SnapshotPrice | null): SnapshotView['costMonthly'] {
  if (sizeGb === null || !price) return null;
  const r = (n: number) => Math.round(n * sizeGb * 100) / 100;
  return { net: r(price.perGbMonth.net), gross: price.perGbMonth.gross === null ? null : r(price.perGbMonth.gross), currency: price.perGbMonth.currency };
}

export async function snapshotPrice(provider: Provider, signal?: AbortSignal): Promise<SnapshotPrice | null> {
  if (provider instanceof HetznerProvider) {
    const p = await provider.client.getPricing(signal);
    if (!p.image) return null;
    return { provider: 'hetzner', perGbMonth: { net: Number(p.image.price_per_gb_month.net), gross: Number(p.image.price_per_gb_month.gross), currency: p.currency } };
  }
  if (provider instanceof OvhProvider) {
    const me = await provider.client.me(signal);
    const { currency, prices } = await provider.client.cloudMonthlyPrices(me.ovhSubsidiary, signal);
    const p = prices[OVH_SNAPSHOT_PLAN];
    return p ? { provider: 'ovh', perGbMonth: { net: p.net, gross: Math.round((p.net + p.tax) * 10_000) / 10_000, currency } } : null;
  }
  return null;
}

async function ovhProject(provider: OvhProvider, signal?: AbortSignal): Promise<string> {
  const first = (await provider.client.listCloudProjects(signal)).find((p) => p.status === 'ok');
  if (!first) throw new AppError('ovh.no_project', {});
  return first.project_id;
}

export async function listSnapshots(provider: Provider, profileId: string, signal?: AbortSignal): Promise<SnapshotView[] | null> {
  const price = await snapshotPrice(provider, signal).catch(() => null);
  if (provider instanceof HetznerProvider) {
    const images = await provider.client.listAll('/images', 'images', HS.imagesResponse, { type: 'snapshot', label_selector: managedSelector(profileId) }, signal);
    return images
      .filter((i) => i.labels[PROFILE_LABEL] === profileId)
      .map((i) => ({ id: String(i.id), provider: 'hetzner' as const, description: i.description, createdAt: Date.parse(i.created) || null, status: i.status, sizeGb: i.image_size ?? null, costMonthly: cost(i.image_size ?? null, price) }))
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  }
  if (provider instanceof OvhProvider) {
    const project = await ovhProject(provider, signal);
    const prefix = `koprogo-${profileId}-`;
    return (await provider.client.listSnapshots(project, signal))
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => {
        const size = (s as { size?: unknown }).size;
        const sizeGb = typeof size === 'number' ? size : null;
        return { id: s.id, provider: 'ovh' as const, description: s.name, createdAt: s.creationDate ? Date.parse(s.creationDate) || null : null, status: s.status, sizeGb, costMonthly: cost(sizeGb, price) };
      })
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  }
  return null;
}

/** A snapshot made once (the clients find it again after a lost answer) and waited until available. */
export async function takeSnapshot(provider: Provider, serverId: string, profileId: string, at: Date, signal?: AbortSignal): Promise<SnapshotView> {
  const name = snapshotName(profileId, at);
  if (provider instanceof HetznerProvider) {
    const image = await provider.client.createSnapshot(Number(serverId), { description: name, profileId, snapshotKey: createHash('sha256').update(name).digest('hex').slice(0, 24) }, { signal, timeoutMs: 60 * 60_000 });
    const price = await snapshotPrice(provider, signal).catch(() => null);
    return { id: String(image.id), provider: 'hetzner', description: image.description, createdAt: Date.parse(image.created) || at.getTime(), status: image.status, sizeGb: image.image_size ?? null, costMonthly: cost(image.image_size ?? null, price) };
  }
  if (provider instanceof OvhProvider) {
    const { id } = await provider.snapshot(serverId, name, signal);
    const found = (await listSnapshots(provider, profileId, signal))?.find((s) => s.id === id);
    return found ?? { id, provider: 'ovh', description: name, createdAt: at.getTime(), status: 'active', sizeGb: null, costMonthly: null };
  }
  throw new AppError('provider.unsupported', { provider: provider.kind, operation: 'snapshot' });
}
