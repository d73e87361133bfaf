import { AppError } from '../../shared/errors';
import { OvhError } from '../providers/ovh/errors';
import { ovhOfferId, type OvhProvider } from '../providers/ovh/provider';
import { abortableSleep } from '../providers/sleep';
import type { StepIo } from './step-io';

// OVHcloud's two ways to a bigger server. A Public Cloud instance is resized in place (another flavor in
// its region; OpenStack keeps the disk, so only flavors with a disk at least as large). A VPS is upgraded
// through an order: priced by OVH's order API, placed only at the price the user confirmed, paid with the
// account's payment method, then delivered by OVH (the VPS reboots with the new model). Each step looks
// at the server first and journals the order id, so a resumed run never orders twice.

/** How long an unpaid or slow order is waited for before the step stops (a resume waits again). */
export const ORDER_WAIT_MS = 60 * 60_000;

async function project(provider: OvhProvider, signal?: AbortSignal): Promise<string> {
  const first = (await provider.client.listCloudProjects(signal)).find((p) => p.status === 'ok');
  if (!first) throw new AppError('ovh.no_project', {});
  return first.project_id;
}

export async function resizeInstance(provider: OvhProvider, instanceId: string, flavorName: string, io: StepIo): Promise<void> {
  const p = await project(provider, io.signal);
  const instance = await provider.client.getInstance(p, instanceId, io.signal);
  await io.save({ requested: true });
  io.progress('upgrade.progress.ovhResize', { flavor: flavorName }, null);
  // resize() looks at the instance's flavor first: a resize already asked (or done) is not asked again.
  await provider.resize(instanceId, ovhOfferId(flavorName, instance.region), io.signal);
}

/**
 * Places the order unless this run already did (or might have: a lost answer), at the confirmed price:
 * if OVH asks more than the user accepted, nothing is ordered.
 */
export async function orderVpsUpgrade(provider: OvhProvider, serviceName: string, planCode: string, confirmed: number | null, io: StepIo): Promise<void> {
  if (typeof io.data.orderId === 'number' || io.data.attempted === true) return;
  const vps = await provider.client.vps(serviceName, io.signal);
  if (vps.planCode === planCode) return;
  const quote = await provider.client.vpsUpgradeQuote(serviceName, planCode, io.signal);
  if (confirmed === null || quote.net > confirmed + 0.005) throw new AppError('upgrade.price_not_confirmed', { price: quote.net, confirmed: confirmed ?? 0, currency: quote.currency });
  await io.save({ attempted: true });
  try {
    const order = await provider.client.vpsUpgradeOrder(serviceName, planCode, true, io.signal);
    await io.save({ orderId: order.orderId, price: order.net });
    io.log(`OVH order ${order.orderId} placed: ${order.net} ${order.currency} excluding VAT`);
  } catch (error) {
    // No answer: the order may exist. The next step waits for the VPS to change instead of ordering again.
    if (error instanceof OvhError && error.intendedCode === 'ovh.unknown_outcome') {
      io.log('the answer to the order was lost: waiting for the VPS to change rather than ordering again');
      return;
    }
    await io.save({ attempted: false });
    throw error;
  }
}

export async function waitVpsUpgraded(provider: OvhProvider, serviceName: string, planCode: string, io: StepIo, sleep = abortableSleep, now = Date.now): Promise<void> {
  const orderId = typeof io.data.orderId === 'number' ? io.data.orderId : null;
  const deadline = now() + ORDER_WAIT_MS;
  let delay = 2000;
  for (;;) {
    const vps = await provider.client.vps(serviceName, io.signal);
    if (vps.planCode === planCode && vps.state === 'running') return;
    if (orderId !== null) {
      const status = await provider.client.orderStatus(orderId, io.signal);
      if (status === 'cancelled' || status === 'cancelling') throw new AppError('upgrade.order_pending', { orderId, status });
      io.progress(`upgrade.progress.order.${status === 'notPaid' ? 'notPaid' : 'delivering'}`, { orderId }, null);
    }
    if (now() > deadline) throw new AppError('upgrade.order_pending', { orderId: orderId ?? 0, status: 'timeout' });
    await sleep(delay, io.signal);
    delay = Math.min(15_000, Math.round(delay * 1.5));
  }
}
