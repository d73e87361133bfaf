import { create } from 'zustand';
import type { Api, EventPayload } from '../../../electron/shared/contract';
import type { Phase4Item, TimelineMark, UpgradeConfirmation, UpgradeOptions, UpgradePlan, UpgradeRun, UpgradeStepId } from '../../../electron/shared/contract-upgrade';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { toEnvelope } from './profile-store';

// The upgrade as the renderer sees it: the plan screen of one deployment (opened from the dashboard's
// recommendation card), the options the user changes (each asks for a new plan), the run with its live
// step states, progress and log lines (pushed by the main side's events), and the dashboard's timeline
// marks. This version moves phase 1 → 2; the target is a union so later moves slot in.

export type StepState = UpgradeRun['steps'][number]['state'];
export type Target = { kind: 'phase'; toPhase: 2 | 3 | 4 } | { kind: 'version'; ref: string };

/** A tag or branch of the repository, for the version update's ref picker. */
export interface VersionRef {
  name: string;
  kind: 'tag' | 'branch';
  commit: string;
}

interface Progress {
  stepId: UpgradeStepId;
  code: string;
  params: Record<string, string | number>;
  percent: number | null;
}

/** "Back to the server" (phase 2 → 3): the DNS records to put back, and whether they already are. */
export interface RollbackResult {
  records: { name: string; type: string; from: string[]; to: string }[];
  propagated: boolean;
}

interface UpgradeStore {
  /** The deployment whose upgrade screen is open (null: closed). */
  profileId: string | null;
  target: Target | null;
  options: UpgradeOptions;
  plan: UpgradePlan | null;
  planning: boolean;
  error: ErrorEnvelope | null;
  /** The user accepted the OVH order price. */
  priceAccepted: boolean;
  starting: boolean;
  /** The run shown: live while it runs, then its result. */
  run: UpgradeRun | null;
  running: boolean;
  steps: Partial<Record<UpgradeStepId, StepState>>;
  progress: Progress | null;
  log: string[];
  /** When the application went down (live downtime counter), and when it came back. */
  downSince: number | null;
  marks: TimelineMark[];
  /** What the last "back to the server" said (the records to put back), until the next start. */
  rolledBack: RollbackResult | null;
  /** The last run ended in the past week (the dashboard says how: done, or rolled back). */
  recentlyFinished: boolean;
  open(profileId: string, target: Target): Promise<void>;
  /** Phase 2 → 3: what the user confirms when the run waits (the TTL, the cutover). */
  confirm(what: UpgradeConfirmation): Promise<void>;
  /** Phase 2 → 3 not confirmed: back to the server. */
  rollback(): Promise<RollbackResult | null>;
  /** Phase 3 → 4: a checklist item done or not. */
  checkItem(item: Phase4Item, done: boolean): Promise<void>;
  /** Phase 2 → 3: the cluster's database (the password goes to the secret store). */
  setClusterDatabase(input: { clusterProfileId: string; host: string; port: number; user: string; database: string; password: string }): Promise<boolean>;
  close(): void;
  setOptions(options: UpgradeOptions): Promise<void>;
  acceptPrice(accepted: boolean): void;
  start(fresh?: boolean, confirm?: UpgradeConfirmation[]): Promise<void>;
  cancel(): Promise<void>;
  loadMarks(profileId: string, from: number, to: number): Promise<void>;
  /** The last run of a deployment (dashboard banner: stopped half-way, or done). */
  loadStatus(profileId: string): Promise<void>;
  /** Version update: the repository's refs (the picker) and the one running now. */
  versions: { current: string | null; commit: string | null; refs: VersionRef[] } | null;
  /** Opens the version update: the refs first, then the plan to the newest tag that is not the current one (or `ref`). */
  openVersion(profileId: string, ref?: string): Promise<void>;
  /** Another ref picked: a new plan (the values already typed for new keys are kept). */
  setRef(ref: string): Promise<void>;
}

const LOG_LINES = 200;

export const useUpgrade = create<UpgradeStore>((set, get) => ({
  profileId: null,
  target: null,
  options: {},
  plan: null,
  planning: false,
  error: null,
  priceAccepted: false,
  starting: false,
  run: null,
  running: false,
  steps: {},
  progress: null,
  log: [],
  downSince: null,
  marks: [],
  recentlyFinished: false,
  rolledBack: null,
  versions: null,
  async openVersion(profileId, ref) {
    set({ profileId, target: null, options: {}, plan: null, error: null, priceAccepted: false, progress: null, log: [], steps: {}, downSince: null, versions: null, rolledBack: null, planning: true });
    await get().loadStatus(profileId);
    try {
      const versions = await api()['upgrade.versions']({ profileId });
      if (get().profileId !== profileId) return;
      const pick = ref ?? versions.refs.find((r) => r.kind === 'tag' && r.commit !== versions.commit)?.name ?? versions.refs[0]?.name ?? null;
      set({ versions, target: pick ? { kind: 'version', ref: pick } : null, planning: false });
      if (pick) await replan();
    } catch (error) {
      set({ error: toEnvelope(error, 'upgrade.versions'), planning: false });
    }
  },
  async setRef(ref) {
    set({ target: { kind: 'version', ref }, plan: null });
    await replan();
  },
  async open(profileId, target) {
    set({ profileId, target, options: {}, plan: null, error: null, priceAccepted: false, progress: null, log: [], steps: {}, downSince: null, rolledBack: null });
    await get().loadStatus(profileId);
    await replan();
  },
  close() {
    set({ profileId: null, target: null, plan: null, error: null, versions: null, rolledBack: null });
  },
  async setOptions(options) {
    set({ options: { ...get().options, ...options }, priceAccepted: false });
    await replan();
  },
  acceptPrice(accepted) {
    set({ priceAccepted: accepted });
  },
  async confirm(what) {
    await get().start(false, [what]);
  },
  async rollback() {
    const { profileId } = get();
    if (!profileId) return null;
    try {
      const r = await api()['upgrade.rollback']({ profileId });
      set({ rolledBack: r });
      await get().loadStatus(profileId);
      await replan();
      return r;
    } catch (error) {
      set({ error: toEnvelope(error, 'upgrade.rollback') });
      return null;
    }
  },
  async checkItem(item, done) {
    const { profileId } = get();
    if (!profileId) return;
    try {
      await api()['upgrade.phase4Confirm']({ profileId, item, done });
      await replan();
    } catch (error) {
      set({ error: toEnvelope(error, 'upgrade.phase4Confirm') });
    }
  },
  async setClusterDatabase(input) {
    const { profileId } = get();
    if (!profileId) return false;
    try {
      await api()['upgrade.setClusterDatabase']({ profileId, ...input });
      set({ options: { ...get().options, clusterProfileId: input.clusterProfileId } });
      await replan();
      return true;
    } catch (error) {
      set({ error: toEnvelope(error, 'upgrade.setClusterDatabase') });
      return false;
    }
  },
  async start(fresh, confirm) {
    const { profileId, target, plan, options, priceAccepted } = get();
    if (!profileId || !target || !plan) return;
    set({ starting: true, error: null, log: [], progress: null, steps: {}, downSince: null, rolledBack: null });
    try {
      await api()['upgrade.start']({ profileId, target, options, planHash: plan.planHash, ...(plan.order && priceAccepted ? { confirmPrice: plan.order.priceNet } : {}), ...(fresh ? { fresh } : {}), ...(confirm?.length ? { confirm } : {}) });
      set({ running: true });
    } catch (error) {
      set({ error: toEnvelope(error, 'upgrade.start') });
    } finally {
      set({ starting: false });
    }
  },
  async cancel() {
    await api()['upgrade.cancel']({}).catch(() => undefined);
  },
  async loadMarks(profileId, from, to) {
    try {
      const r = await api()['upgrade.timeline']({ profileId, from, to });
      set({ marks: r.marks });
    } catch {
      set({ marks: [] });
    }
  },
  async loadStatus(profileId) {
    try {
      const s = await api()['upgrade.status']({ profileId });
      if (get().profileId === profileId || get().profileId === null) {
        const finished = s.run?.outcome !== 'running' && s.run?.finishedAt ? Date.parse(s.run.finishedAt) : null;
        set({ run: s.run, running: s.active, steps: Object.fromEntries((s.run?.steps ?? []).map((x) => [x.id, x.state])), recentlyFinished: finished !== null && Date.now() - finished < 7 * 86_400_000 });
      }
    } catch {
      set({ run: null });
    }
  },
}));

async function replan(): Promise<void> {
  const { profileId, target, options } = useUpgrade.getState();
  if (!profileId || !target) return;
  useUpgrade.setState({ planning: true, error: null });
  try {
    const plan = await api()['upgrade.plan']({ profileId, target, options });
    if (useUpgrade.getState().profileId !== profileId) return;
    // A move to K3s reopened half-way (from the dashboard): the plan is its run's; the form takes that run's
    // cluster and ingress back, so what follows (back to the server, a new attempt) plans with them, not defaults.
    const run = useUpgrade.getState().run;
    const ingress = plan.migration?.dns.changes[0]?.to;
    if (plan.migration && run?.planHash === plan.planHash && options.ingress === undefined && ingress) {
      useUpgrade.setState({ plan, options: { ...options, clusterProfileId: plan.migration.cluster.profileId, ingress } });
    } else useUpgrade.setState({ plan });
  } catch (error) {
    useUpgrade.setState({ error: toEnvelope(error, 'upgrade.plan'), plan: null });
  } finally {
    useUpgrade.setState({ planning: false });
  }
}

// ---- events ---------------------------------------------------------------------------------------

const DOWN_STEPS: ReadonlySet<UpgradeStepId> = new Set(['shutdown', 'change-type', 'poweron', 'ovh-resize', 'vps-wait', 'wait-ssh']);

function onStep(e: EventPayload<'upgrade.step'>): void {
  const s = useUpgrade.getState();
  if (e.profileId !== s.profileId) return;
  const downStarts = e.state === 'running' && (DOWN_STEPS.has(e.stepId) || (s.plan?.steps.find((x) => x.id === e.stepId)?.downtime ?? false));
  useUpgrade.setState({
    running: true,
    steps: { ...s.steps, [e.stepId]: e.state },
    ...(downStarts && s.downSince === null ? { downSince: Date.now() } : {}),
    ...((e.stepId === 'health' || e.stepId === 'cluster-health') && e.state === 'done' ? { downSince: null } : {}),
  });
}

function onProgress(e: EventPayload<'upgrade.progress'>): void {
  if (e.profileId !== useUpgrade.getState().profileId) return;
  useUpgrade.setState({ progress: { stepId: e.stepId, code: e.message.code, params: e.message.params, percent: e.percent } });
}

function onLog(e: EventPayload<'upgrade.log'>): void {
  if (e.profileId !== useUpgrade.getState().profileId) return;
  useUpgrade.setState((s) => ({ log: [...s.log, e.line].slice(-LOG_LINES) }));
}

function onFinished(e: EventPayload<'upgrade.finished'>): void {
  const s = useUpgrade.getState();
  if (e.profileId !== s.profileId && s.profileId !== null) return;
  useUpgrade.setState({ run: e.run, running: false, downSince: null, progress: null, recentlyFinished: e.run.outcome !== 'running', steps: Object.fromEntries(e.run.steps.map((x) => [x.id, x.state])), ...(e.run.error ? { error: e.run.error as ErrorEnvelope } : {}) });
}

let subscribed = false;

export function connectUpgradeEvents(source: Api = api()): void {
  if (subscribed) return;
  subscribed = true;
  source.on('upgrade.step', onStep);
  source.on('upgrade.progress', onProgress);
  source.on('upgrade.log', onLog);
  source.on('upgrade.finished', onFinished);
}
