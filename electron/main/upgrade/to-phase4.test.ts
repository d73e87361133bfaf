import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventName, MethodName } from '../../shared/contract';
import type { UpgradePlan, UpgradeRun } from '../../shared/contract-upgrade';
import { dispatch } from '../ipc/dispatcher';
import { MemorySecretStore } from '../secrets/secret-store';
import { createHandlers } from '../services/handlers';

// Phase 3 → 4 through the app's methods: the plan is the checklist (no server is reached), each item confirmed
// is saved in the profile (a new app instance sees it), recording phase 4 is refused until every item is done.

describe('phase 3 → 4 as a checklist', () => {
  it('plans, confirms item by item, refuses to record early, records phase 4', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'koprogo-p4-'));
    const events: { event: EventName; payload: unknown }[] = [];
    const make = () => createHandlers({ dataDir, appName: 'KoproGo Deploy', appVersion: '0', frontDoor: 'test', systemLanguages: () => ['en'], openExternal: null, secrets: new MemorySecretStore(), emit: (event, payload) => void events.push({ event, payload }) });
    let h = make();
    const call = async <T>(method: MethodName, input: unknown): Promise<T> => {
      const e = await dispatch(h, method, input);
      if (!e.ok) throw new Error(`${method}: ${JSON.stringify(e.error)}`);
      return e.value as T;
    };
    await call('profiles.save', { id: 'k3s', name: 'K3s', phase: 3, provider: { kind: 'existing' }, server: null, repo: { url: 'https://github.com/koprogo/koprogo.git', ref: 'main' }, settings: { 'k3s.environment': 'staging', 'k3s.deployedEnvironment': 'staging' }, secrets: {} });
    const target = { kind: 'phase', toPhase: 4 } as const;
    const plan = await call<UpgradePlan>('upgrade.plan', { profileId: 'k3s', target });
    expect(plan).toMatchObject({ kind: 'phase-3-4', fromPhase: 3, toPhase: 4, downtime: { minSec: 0, maxSec: 0 }, cost: { before: { net: 90 }, after: { net: 270 } } });
    expect(plan.checklist?.map((i) => i.state)).toEqual(['pending', 'failed', 'pending', 'pending', 'pending']);
    expect(await dispatch(h, 'upgrade.start', { profileId: 'k3s', target, planHash: plan.planHash })).toMatchObject({ ok: false, error: { code: 'upgrade.checklist_incomplete', params: { count: 5 } } });
    for (const item of ['p4-prod', 'p4-checks', 'p4-replicate'] as const) await call('upgrade.phase4Confirm', { profileId: 'k3s', item, done: true });
    // Saved in the profile: another app instance on the same data sees it.
    h = make();
    const again = await call<UpgradePlan>('upgrade.plan', { profileId: 'k3s', target });
    expect(again.checklist?.filter((i) => i.state === 'ok').map((i) => i.id)).toEqual(['p4-prod', 'p4-checks', 'p4-replicate']);
    expect(again.planHash).toBe(plan.planHash);
    for (const item of ['p4-bluegreen', 'p4-dns'] as const) await call('upgrade.phase4Confirm', { profileId: 'k3s', item, done: true });
    await call('upgrade.start', { profileId: 'k3s', target, planHash: plan.planHash });
    await new Promise((r) => setTimeout(r, 20));
    const finished = events.find((e) => e.event === 'upgrade.finished')?.payload as { run: UpgradeRun } | undefined;
    expect(finished?.run).toMatchObject({ kind: 'phase-3-4', outcome: 'succeeded', toPhase: 4, downtimeMs: 0 });
    expect(await call('profiles.get', { id: 'k3s' })).toMatchObject({ phase: 4 });
    expect(await dispatch(h, 'upgrade.plan', { profileId: 'k3s', target })).toMatchObject({ ok: false, error: { code: 'upgrade.already_done' } });
  });
});
