import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhClient } from '../providers/ovh/client';
import { startDnsServer, type DnsServer } from '../testing/dns-server';
import { startOvhFake, type OvhFake } from '../testing/ovh-fake';
import { quotaFit, runChecklist, zoneOf } from './checklist';
import { topologyFor } from './topology';

// The phase-4 checklist against the OVH fake (quotas, DNS zones, projects as OVH's API describes them) and a local
// DNS server: what the API can tell is checked, what it cannot is left for the user to confirm.

let ovh: OvhFake;
let dns: DnsServer;
const prod = topologyFor('prod');

beforeAll(async () => {
  ovh = await startOvhFake();
  dns = await startDnsServer({ 'api.koprogo.example': { a: ['203.0.113.10'] }, 'koprogo.example': {} });
});
afterAll(async () => {
  await ovh.stop();
  await dns.close();
});

const client = (rules?: Parameters<OvhFake['issueConsumerKey']>[0]) =>
  new OvhClient({ endpoint: 'ovh-eu', baseUrl: ovh.url, ca: ovh.ca, applicationKey: ovh.applicationKey, applicationSecret: ovh.applicationSecret, consumerKey: ovh.issueConsumerKey(rules), retries: 0 });

describe('the phase-4 checklist', () => {
  it('all there: the domain exists, its zone is in the OVH account, the project is in service with room for 6 nodes, 36 vCPU, 180 GB', async () => {
    const c = await runChecklist({ domain: 'api.koprogo.example', topology: prod, ovh: client(), dnsServers: [dns.address], now: () => 1 });
    expect(c).toEqual({
      checkedAt: 1,
      ready: true,
      items: [
        { id: 'domain', state: 'ok', detail: { code: 'k3s.checklist.domain_ok', params: { domain: 'api.koprogo.example' } }, confirmable: false },
        { id: 'dns', state: 'ok', detail: { code: 'k3s.checklist.dns_ovh', params: { zone: 'koprogo.example' } }, confirmable: false },
        { id: 'project', state: 'ok', detail: { code: 'k3s.checklist.project_ok', params: { project: 'KoproGo' } }, confirmable: false },
        {
          id: 'quota',
          state: 'ok',
          detail: { code: 'k3s.checklist.quota_ok', params: { region: 'GRA11', cores: 64, ramGb: 250, instances: 20, needCores: 36, needRamGb: 180, needInstances: 6 } },
          confirmable: false,
        },
      ],
    });
  });

  it('quotas too small, a zone elsewhere, a domain that does not exist', async () => {
    for (const p of ovh.state.projects) for (const q of p.quotas) q.instance = { ...q.instance, maxCores: 20 };
    const c = await runChecklist({ domain: 'api.other-registrar.example', topology: prod, ovh: client(), dnsServers: [dns.address] });
    expect(c.ready).toBe(false);
    expect(c.items.map((i) => [i.id, i.state, i.detail.code])).toEqual([
      ['domain', 'failed', 'k3s.checklist.domain_not_found'],
      ['dns', 'warning', 'k3s.checklist.dns_elsewhere'],
      ['project', 'ok', 'k3s.checklist.project_ok'],
      ['quota', 'failed', 'k3s.checklist.quota_short'],
    ]);
    expect(c.items[3]!.detail.params).toMatchObject({ cores: 20, needCores: 36 });
    for (const p of ovh.state.projects) for (const q of p.quotas) q.instance = { ...q.instance, maxCores: 64 };
  });

  it('an access that does not cover DNS zones (older consent): said so, for the user to confirm', async () => {
    const narrow = client([{ method: 'GET', path: '/cloud/project' }, { method: 'GET', path: '/cloud/project/*' }]);
    const c = await runChecklist({ domain: 'api.koprogo.example', topology: prod, ovh: narrow, dnsServers: [dns.address] });
    expect(c.items.find((i) => i.id === 'dns')).toEqual({ id: 'dns', state: 'unknown', detail: { code: 'k3s.checklist.dns_not_granted', params: { domain: 'api.koprogo.example' } }, confirmable: true });
    expect(c.ready).toBe(true);
    const none = await runChecklist({ domain: null, topology: prod, ovh: null });
    expect(none.ready).toBe(false);
    expect(none.items.map((i) => i.detail.code)).toEqual(['k3s.checklist.domain_missing', 'k3s.checklist.dns_no_ovh', 'k3s.checklist.project_no_ovh', 'k3s.checklist.quota_no_ovh']);
  });

  it('zones and quotas, read', () => {
    expect(zoneOf('api.eu.koprogo.example', ['example', 'koprogo.example', 'other.example'])).toBe('koprogo.example');
    expect(zoneOf('koprogo.example.', ['koprogo.example'])).toBe('koprogo.example');
    expect(zoneOf('koprogo.example', ['api.koprogo.example'])).toBeNull();
    const q = (region: string, maxCores: number, usedCores: number) => ({ region, instance: { maxCores, usedCores, maxInstances: 10, usedInstances: 0, maxRam: 400_000, usedRAM: 0 } });
    expect(quotaFit([q('GRA11', 40, 10), q('SBG5', 64, 0)], prod.totals)).toMatchObject({ region: 'SBG5', fits: true, cores: 64 });
    expect(quotaFit([q('GRA11', 40, 10)], prod.totals)).toMatchObject({ region: 'GRA11', fits: false, cores: 30 });
    expect(quotaFit([], prod.totals)).toBeNull();
  });
});
