import { describe, expect, it } from 'vitest';
import type { Migration } from '../../shared/contract-upgrade';
import type { Profile } from '../../shared/profile';
import { describeChecklist, describePlan, parseClusterDb } from '../cli-upgrade';
import { defaultComposeSettings } from '../engine/steps/compose-plan';
import type { ProfileStore } from '../store/profile-store';
import { changesOf, decodeViews, encodeViews } from './dns-switch';
import { buildK3sPlan } from './to-k3s-plan';
import { freezeScript } from './to-k3s-steps';
import { confirmPhase4, phase4Items, phase4Plan, PHASE4_SETTING } from './to-phase4';

// Phase 2 → 3's plan and phase 3 → 4's checklist, pure: the steps and their downtime, the cost, what the hash
// ignores (the TTL and today's addresses change while the user prepares) and what it does not (the cluster, the
// address the records move to), the freeze script's quoting, the CLI's parsing; the checklist from the profile.

const before = defaultComposeSettings({ phase: 2, postgres: { service: 'postgres', user: 'koprogo', database: 'koprogo "db"' }, tuning: { postgresService: 'postgres', backendService: 'backend' } });
const migration = (over: Partial<Migration['dns']> = {}, ingress = '203.0.113.7'): Migration => {
  const current = over.current ?? [{ type: 'A' as const, value: '198.51.100.4', ttl: 3600 }];
  return {
    cluster: { profileId: 'cluster', environment: 'staging', deployedAt: '2026-12-01T10:00:00Z', ref: 'v1' },
    database: { host: '127.0.0.1', port: 15432, user: 'app', database: 'koprogo_db' },
    dns: { domain: 'app.example.be', current, lowerTtlTo: 300, lowerTtl: current.some((r) => r.ttl > 300), changes: changesOf('app.example.be', current, [ingress]), resolvers: ['1.1.1.1', '8.8.8.8'], ...over },
    rollback: { host: '198.51.100.4', addresses: ['198.51.100.4'] },
  };
};
const plan = (m: Migration) => buildK3sPlan({ profileId: 'p', before, migration: m, serverMonthly: null, redact: (t) => t }).view;

describe('phase 2 → 3 plan', () => {
  it('steps, downtime, cost, DNS changes; the hash ignores the TTL and today’s addresses, not the target', () => {
    const p = plan(migration());
    expect(p.steps.filter((s) => s.downtime).map((s) => s.id)).toEqual(['freeze', 'backup', 'cluster-restore', 'cluster-health']);
    expect(p.cost).toMatchObject({ before: { net: 15 }, after: { net: 90 }, deltaMonthly: 75 });
    expect(p.migration?.dns.changes).toEqual([{ name: 'app.example.be', type: 'A', from: ['198.51.100.4'], to: '203.0.113.7' }]);
    expect(p.warnings.map((w) => w.code)).toContain('upgrade.warnings.lowerTtl');
    expect(p.steps.find((s) => s.id === 'cluster')?.api.map((a) => a.path)).toEqual(['/api/v1/nodes', '/api/v1/pods']);
    const lowered = plan(migration({ current: [{ type: 'A', value: '198.51.100.4', ttl: 300 }] }));
    expect(lowered.warnings.map((w) => w.code)).not.toContain('upgrade.warnings.lowerTtl');
    expect(lowered.planHash).toBe(p.planHash);
    expect(plan(migration({}, '203.0.113.8')).planHash).not.toBe(p.planHash);
    expect(plan({ ...migration(), database: null }).warnings.map((w) => w.code)).toContain('upgrade.warnings.noClusterDatabase');
    expect(changesOf('d', [], ['203.0.113.7', '2001:db8::1'])).toEqual([
      { name: 'd', type: 'A', from: [], to: '203.0.113.7' },
      { name: 'd', type: 'AAAA', from: [], to: '2001:db8::1' },
    ]);
  });

  it('the freeze script quotes the database name in SQL and in the shell; the journal form of the propagation', () => {
    const on = freezeScript(before, 'on');
    expect(on).toContain(`'ALTER DATABASE "koprogo ""db""" SET default_transaction_read_only = on'`);
    expect(freezeScript(before, 'off')).toContain('RESET default_transaction_read_only');
    const views = [{ resolver: '1.1.1.1', addresses: ['203.0.113.7'], switched: true }, { resolver: '8.8.8.8', addresses: ['198.51.100.4'], switched: false }];
    expect(decodeViews(encodeViews(views), ['203.0.113.7'])).toEqual(views);
  });

  it('the CLI prints the records now with their TTL, the change, the resolvers and the way back', () => {
    const text = describePlan(plan(migration()), ((k: string) => k) as never, 'en');
    expect(text).toContain('    A 198.51.100.4 TTL 3600');
    expect(text).toContain('    app.example.be A 198.51.100.4 → 203.0.113.7');
    expect(text).toContain('upgrade.migration.resolvers: 1.1.1.1, 8.8.8.8');
    expect(text).toContain('upgrade.migration.rollback: 198.51.100.4 (198.51.100.4)');
    expect(text).toContain('upgrade.stepTitles.freeze (upgrade.steps.down)');
    expect(text).toContain('pg_restore --clean --if-exists');
  });

  it('the CLI reads the cluster database as a URL (never a password)', () => {
    expect(parseClusterDb('postgresql://app@127.0.0.1:15432/koprogo_db')).toEqual({ user: 'app', host: '127.0.0.1', port: 15432, database: 'koprogo_db' });
    expect(parseClusterDb('postgresql://app:secret@127.0.0.1:15432/koprogo_db')).toBeNull();
    expect(parseClusterDb('postgresql://app@host;rm:5432/db')).toBeNull();
    expect(parseClusterDb('postgresql://app@h:70000/db')).toBeNull();
  });
});

describe('phase 3 → 4 checklist', () => {
  const profile = (settings: Record<string, string>): Profile => ({ id: 'k', name: 'k', phase: 3, provider: { kind: 'existing' }, server: null, repo: null, settings, secrets: {}, createdAt: '', updatedAt: '' }) as unknown as Profile;
  let saved = profile({ 'k3s.deployedEnvironment': 'staging' });
  const store = { get: async () => saved, update: async (_p: Profile, c: Partial<Profile>) => (saved = { ...saved, ...c } as Profile) } as unknown as ProfileStore;

  it('checks what it can, the rest confirmed by the user and saved in the profile; the cost staging → prod, no downtime', async () => {
    const checklist = async () => ({ items: [{ id: 'domain' as const, state: 'ok' as const, detail: { code: 'x', params: {} }, confirmable: false }], checkedAt: 0, ready: true });
    const d = { profiles: store, checklist };
    let items = await phase4Items(d, saved);
    expect(items.map((i) => [i.id, i.state, i.checked])).toEqual([
      ['p4-prod', 'pending', false],
      ['p4-checks', 'ok', true],
      ['p4-replicate', 'pending', false],
      ['p4-bluegreen', 'pending', false],
      ['p4-dns', 'pending', false],
    ]);
    items = await confirmPhase4(d, 'k', 'p4-replicate', true, () => new Date('2026-12-03T10:00:00Z'));
    expect(saved.settings[PHASE4_SETTING('p4-replicate')]).toBe('2026-12-03T10:00:00.000Z');
    expect(items.find((i) => i.id === 'p4-replicate')).toMatchObject({ state: 'ok', confirmedAt: '2026-12-03T10:00:00.000Z' });
    items = await confirmPhase4(d, 'k', 'p4-replicate', false, () => new Date());
    expect(items.find((i) => i.id === 'p4-replicate')?.state).toBe('pending');
    saved = { ...saved, settings: { ...saved.settings, 'k3s.deployedEnvironment': 'prod' } };
    const p = await phase4Plan(d, saved);
    expect(p).toMatchObject({ kind: 'phase-3-4', route: 'k3s-progressive', downtime: { minSec: 0, maxSec: 0 }, cost: { before: { net: 90 }, after: { net: 270 }, deltaMonthly: 180 } });
    expect(p.checklist?.find((i) => i.id === 'p4-prod')).toMatchObject({ state: 'ok', checked: true });
    expect(p.warnings).toEqual([{ code: 'upgrade.warnings.checklistPending', params: { count: 3 } }]);
    const text = describeChecklist(p.checklist!, ((k: string) => k) as never);
    expect(text).toContain('./scripts/deploy.sh prod');
  });
});
