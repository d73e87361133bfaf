import { afterEach, describe, expect, it } from 'vitest';
import { HetznerProvider } from '../providers/hetzner/provider';
import { OVH_ACCESS_RULES } from '../providers/ovh/client';
import { OvhProvider } from '../providers/ovh/provider';
import { createVirtualClock, startHetznerFake, type HetznerFake } from '../testing/hetzner-fake';
import { startOvhFake, type OvhFake } from '../testing/ovh-fake';
import { changeType, powerOn, shutdown } from './hetzner-steps';
import { orderVpsUpgrade, resizeInstance, waitVpsUpgraded } from './ovh-steps';
import type { StepData, StepIo } from './step-io';

// The provider steps of an upgrade against the local fakes of Hetzner's and OVH's published APIs:
// each resumable from what it journaled, never doing the expensive thing twice.

function io(initial: StepData = {}): StepIo & { saved: StepData[]; logs: string[]; codes: string[] } {
  const data: StepData = { ...initial };
  const saved: StepData[] = [];
  const logs: string[] = [];
  const codes: string[] = [];
  return {
    data,
    saved,
    logs,
    codes,
    async save(d) {
      Object.assign(data, d);
      saved.push(d);
    },
    progress: (code) => void codes.push(code),
    log: (l) => void logs.push(l),
  };
}

const noSleep = async () => undefined;

describe('Hetzner resize steps', () => {
  let fake: HetznerFake | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  async function setup(opts: Parameters<typeof startHetznerFake>[0] = {}) {
    const clock = createVirtualClock();
    fake = await startHetznerFake({ actionPolls: 2, ...opts });
    const server = fake.addServer({ name: 'koprogo-p', serverType: 'cx22', location: 'fsn1' });
    const provider = new HetznerProvider({ token: fake.token, baseUrl: fake.url, sleep: clock.sleep, now: clock.now, pollInitialMs: 10, pollMaxMs: 10, maxAttempts: 2 });
    return { fake, client: provider.client, id: server.id, server };
  }

  it('shuts down gracefully, waits for the system to be off (the action only sends ACPI), changes the type once after server_not_stopped, powers on', async () => {
    const { fake, client, id, server } = await setup({ shutdownLagPolls: 3, notStoppedAfterShutdown: 1 });
    const s1 = io();
    await shutdown(client, id, s1);
    expect(server.status).toBe('off');
    expect(s1.saved).toEqual([{ actionId: expect.any(Number) }]);
    const s2 = io();
    await changeType(client, id, 'cx32', false, s2, noSleep);
    expect(server.server_type.name).toBe('cx32');
    expect(server.disk).toBe(40);
    expect(s2.logs.some((l) => l.includes('server_not_stopped'))).toBe(true);
    expect(fake.state.requests.filter((r) => r.path.endsWith('/change_type')).map((r) => r.status)).toEqual([409, 201]);
    const s3 = io();
    await powerOn(client, id, s3);
    expect(server.status).toBe('running');
    expect(fake.state.actions.map((a) => a.command)).toEqual(['shutdown_server', 'change_server_type', 'start_server']);
  });

  it('resumed with the journaled action, change_type is followed, not asked again; a type already reached is done', async () => {
    const { fake, client, id, server } = await setup();
    await shutdown(client, id, io());
    const first = io();
    // The wait is cut just after the action was journaled (the API stops answering: the client's two attempts fail).
    fake.failNext(503, 2, { method: 'GET', path: /^\/actions\// });
    await expect(changeType(client, id, 'cx32', false, first, noSleep)).rejects.toMatchObject({ code: 'hetzner.unavailable' });
    expect(first.data.actionId).toEqual(expect.any(Number));
    fake.state.requests.length = 0;
    const resumed = io(first.data);
    await changeType(client, id, 'cx32', false, resumed, noSleep);
    expect(server.server_type.name).toBe('cx32');
    expect(fake.state.actions.filter((a) => a.command === 'change_server_type')).toHaveLength(1);
    expect(fake.state.requests.filter((r) => r.path.endsWith('/change_type'))).toHaveLength(0);
    await changeType(client, id, 'cx32', false, io(), noSleep);
    expect(fake.state.actions.filter((a) => a.command === 'change_server_type')).toHaveLength(1);
  });

  it('a change_type whose answer is lost is found running (server locked), followed, and not asked twice', async () => {
    const { fake, client, id, server } = await setup();
    await shutdown(client, id, io());
    fake.dropNextResponse({ method: 'POST', path: /\/change_type$/ });
    const s = io();
    await changeType(client, id, 'cx32', false, s, noSleep);
    expect(server.server_type.name).toBe('cx32');
    expect(fake.state.actions.filter((a) => a.command === 'change_server_type')).toHaveLength(1);
  });

  it('upgrade_disk true grows the disk; a smaller disk than today is refused by Hetzner', async () => {
    const { client, id, server } = await setup();
    await shutdown(client, id, io());
    await changeType(client, id, 'cpx21', true, io(), noSleep);
    expect(server.disk).toBe(80);
    await expect(changeType(client, id, 'cx32', false, io(), noSleep)).resolves.toBeUndefined();
    await expect(changeType(client, id, 'cx22', false, io(), noSleep)).rejects.toMatchObject({ code: 'hetzner.api_error' });
  });
});

describe('OVH steps', () => {
  let fake: OvhFake | undefined;
  let provider: OvhProvider | undefined;
  afterEach(async () => {
    provider?.close();
    await fake?.stop();
    fake = undefined;
  });

  async function setup(opts: Parameters<typeof startOvhFake>[0] = {}) {
    fake = await startOvhFake({ instanceBuildPolls: 1, ...opts });
    const consumerKey = fake.issueConsumerKey(OVH_ACCESS_RULES.map((r) => ({ ...r })));
    provider = new OvhProvider({ endpoint: 'ovh-eu', baseUrl: fake.url, ca: fake.ca, applicationKey: fake.applicationKey, applicationSecret: fake.applicationSecret, consumerKey, sleep: noSleep });
    return { fake, provider };
  }

  it('a VPS upgrade: priced by the order API, ordered once at the confirmed price, delivered, resumed without a second order', async () => {
    const { fake, provider } = await setup();
    const vps = fake.state.vps[0]!;
    expect(vps.plan.planCode).toBe('vps-starter-1-2-20');
    const offers = await provider.client.vpsUpgradeOffers(vps.name);
    expect(offers.map((o) => o.planCode)).toContain('vps-comfort-4-8-160');
    const quote = await provider.client.vpsUpgradeQuote(vps.name, 'vps-comfort-4-8-160');
    expect(quote).toEqual({ net: 9.25, gross: 11.1, currency: 'EUR' });
    expect(fake.state.orders).toHaveLength(0);
    // A higher price than the user accepted: nothing is ordered.
    await expect(orderVpsUpgrade(provider, vps.name, 'vps-comfort-4-8-160', 9, io())).rejects.toMatchObject({ code: 'upgrade.price_not_confirmed' });
    expect(fake.state.orders).toHaveLength(0);
    const step = io();
    await orderVpsUpgrade(provider, vps.name, 'vps-comfort-4-8-160', 9.25, step);
    expect(fake.state.orders).toHaveLength(1);
    expect(step.data).toMatchObject({ orderId: fake.state.orders[0]!.orderId, price: 9.25 });
    // Resumed: the journaled order is not placed again.
    await orderVpsUpgrade(provider, vps.name, 'vps-comfort-4-8-160', 9.25, io(step.data));
    expect(fake.state.orders).toHaveLength(1);
    const wait = io(step.data);
    await waitVpsUpgraded(provider, vps.name, 'vps-comfort-4-8-160', wait, noSleep);
    expect(vps.plan.planCode).toBe('vps-comfort-4-8-160');
    expect(fake.state.orders[0]!.status).toBe('delivered');
    expect(wait.codes).toContain('upgrade.progress.order.delivering');
  });

  it('an unpaid order waits for its payment, then delivers', async () => {
    const { fake, provider } = await setup();
    const vps = fake.state.vps[0]!;
    const order = await provider.client.vpsUpgradeOrder(vps.name, 'vps-essential-2-4-80', false);
    expect(fake.state.orders[0]!.status).toBe('notPaid');
    const wait = io({ orderId: order.orderId });
    let polls = 0;
    await waitVpsUpgraded(provider, vps.name, 'vps-essential-2-4-80', wait, async () => {
      if (++polls === 3) fake.payOrder(order.orderId);
    });
    expect(wait.codes).toContain('upgrade.progress.order.notPaid');
    expect(vps.plan.planCode).toBe('vps-essential-2-4-80');
  });

  it('a Public Cloud instance is resized to a flavor with a disk at least as large, once', async () => {
    const { fake, provider } = await setup();
    const projectId = fake.state.projects[0]!.id;
    const created = await provider.create({ profileId: 'p', name: 'koprogo-p', offerId: 'ovh:d2-4@GRA11', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEQuP/6hxJ+a6oO1Y6wdZ0Q0k1vLr1p2a5m2d5q5x5t5 x', userData: '#cloud-config\n' });
    const s = io();
    await resizeInstance(provider, created.id, 'd2-8', s);
    const instance = await provider.client.getInstance(projectId, created.id);
    expect(fake.state.projects[0]!.instances.find((i) => i.id === created.id)?.flavorId).toBe(instance.flavorId);
    expect(instance.status).toBe('ACTIVE');
    const resizes = () => fake.state.requests.filter((r) => r.path.endsWith('/resize')).length;
    expect(resizes()).toBe(1);
    await resizeInstance(provider, created.id, 'd2-8', io(s.data));
    expect(resizes()).toBe(1);
  });
});
