import { create } from 'zustand';
import type { Api, EventPayload, MethodOutput } from '../../../electron/shared/contract';
import type { PlanEntry } from '../../../electron/shared/deploy';
import type { PlanReview } from '../../../electron/shared/deploy-review';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { envelopeOf } from '../../../electron/shared/deploy-envelope';
import { api } from '../app-api';
import { toEnvelope } from './profile-store';

// The deployment as the renderer sees it: the plan, the state of each step, the log, the outcome of
// the last run. Fed by the main side's `deploy.step`, `deploy.log` and `deploy.finished` events
// (subscribed once at start-up) and, after a restart, by `deploy.status`.

export type StepState = EventPayload<'deploy.step'>['state'];
export type RunOutcome = NonNullable<MethodOutput<'deploy.status'>['outcome']>;

export interface StepView {
  state: StepState;
  durationMs?: number;
  /** Local clock when the step started (for a live duration while it runs). */
  startedAtMs?: number;
  error?: ErrorEnvelope;
}

export interface LogLine {
  seq: number;
  stepId: string;
  stream: EventPayload<'deploy.log'>['stream'];
  line: string;
}

/** The log pane keeps the last lines only: a long run must not grow the page without bound. */
export const LOG_LIMIT = 2000;
const LOG_FLUSH_MS = 80;

interface DeployStore {
  profileId: string | null;
  plan: PlanEntry[] | null;
  /** What the plan shows before anything changes: exposed ports and the choice for them, builds, backups. */
  review: PlanReview | null;
  /** Found before anything changes (a domain pointing elsewhere): shown above the plan. */
  planWarnings: MethodOutput<'deploy.plan'>['warnings'];
  /** The chosen offer's monthly price (null: the user's own server, or not known). */
  planCost: MethodOutput<'deploy.plan'>['cost'];
  planLoading: boolean;
  planError: ErrorEnvelope | null;
  /** Step ids in the order they run (from the plan, or from the last run's status). */
  order: string[];
  steps: Record<string, StepView>;
  runId: string | null;
  outcome: RunOutcome | null;
  /** A run is going on in the app right now. */
  active: boolean;
  statusLoaded: boolean;
  failedStep: string | null;
  /** Why the last run stopped (from `deploy.finished`). */
  runError: ErrorEnvelope | null;
  /** The health endpoint through the public domain, checked from this computer after a success. */
  publicHealth: NonNullable<EventPayload<'deploy.finished'>['publicHealth']> | null;
  /** Each monitoring script, run once by the last successful deployment. */
  monitoring: NonNullable<EventPayload<'deploy.finished'>['monitoring']> | null;
  /** A start / cancel / break-lock call that failed. */
  actionError: ErrorEnvelope | null;
  busy: 'starting' | 'cancelling' | 'breakingLock' | null;
  lockBroken: boolean;
  /** A new attempt was started and has not reported a step yet: the last run's states stay shown. */
  awaitingFirstStep: boolean;
  logs: LogLine[];
  loadPlan(profileId: string): Promise<void>;
  loadStatus(profileId: string): Promise<void>;
  start(profileId: string): Promise<boolean>;
  cancel(): Promise<void>;
  breakLock(profileId: string): Promise<void>;
  dismissActionError(): void;
}

export { envelopeOf };

function durationOf(startedAt?: string, endedAt?: string): number | undefined {
  if (!startedAt || !endedAt) return undefined;
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function pendingSteps(order: string[]): Record<string, StepView> {
  return Object.fromEntries(order.map((id) => [id, { state: 'pending' as const }]));
}

export const useDeploy = create<DeployStore>((set, get) => ({
  profileId: null,
  plan: null,
  review: null,
  planWarnings: [],
  planCost: null,
  planLoading: false,
  planError: null,
  order: [],
  steps: {},
  runId: null,
  outcome: null,
  publicHealth: null,
  monitoring: null,
  active: false,
  statusLoaded: false,
  failedStep: null,
  runError: null,
  actionError: null,
  busy: null,
  lockBroken: false,
  awaitingFirstStep: false,
  logs: [],
  async loadPlan(profileId) {
    set({ profileId, planLoading: true, planError: null });
    try {
      const { entries, review, warnings, cost } = await api()['deploy.plan']({ profileId });
      set({ review: review ?? null });
      const order = entries.map((e) => e.stepId);
      const { steps, active } = get();
      // Keep what the last run says about the steps; new ones are pending.
      const merged = Object.fromEntries(order.map((id) => [id, steps[id] ?? { state: 'pending' as const }]));
      set({ plan: entries, planWarnings: warnings, planCost: cost, order: active ? get().order : order, steps: active ? steps : merged });
    } catch (error) {
      set({ plan: null, review: null, planError: toEnvelope(error, 'deploy.plan') });
    } finally {
      set({ planLoading: false });
    }
  },
  async loadStatus(profileId) {
    try {
      const status = await api()['deploy.status']({ profileId });
      const known = get().order;
      const fromStatus = status.steps.map((s) => s.stepId);
      const order = known.length > 0 ? [...known, ...fromStatus.filter((id) => !known.includes(id))] : fromStatus;
      const steps: Record<string, StepView> = { ...pendingSteps(order) };
      for (const s of status.steps) {
        const durationMs = durationOf(s.startedAt, s.endedAt);
        const startedAtMs = s.startedAt ? Date.parse(s.startedAt) : undefined;
        steps[s.stepId] = { state: s.state, ...(durationMs !== undefined ? { durationMs } : {}), ...(startedAtMs !== undefined && !Number.isNaN(startedAtMs) ? { startedAtMs } : {}) };
      }
      // While a run is live, events are newer than the journal: keep them.
      const live = get().active && get().runId === status.runId;
      // After a restart the log pane shows the last run's lines, and the error says why it stopped.
      const restored = !live && get().logs.length === 0 ? status.log.map((l) => ({ seq: ++seq, stepId: l.stepId, stream: l.stream, line: l.line })) : null;
      set({
        profileId,
        runId: status.runId,
        outcome: status.outcome,
        active: status.active,
        order,
        steps: live ? { ...steps, ...get().steps } : steps,
        statusLoaded: true,
        ...(live ? {} : { runError: envelopeOf(status.error) ?? get().runError, failedStep: status.failedStep ?? get().failedStep }),
        ...(restored ? { logs: restored } : {}),
      });
    } catch (error) {
      set({ profileId, statusLoaded: true, actionError: toEnvelope(error, 'deploy.status') });
    }
  },
  async start(profileId) {
    const before = { outcome: get().outcome, active: get().active, runError: get().runError, failedStep: get().failedStep };
    // Optimistic: the first events may arrive before the answer to `deploy.start`. The steps keep
    // their last states until the new attempt reports one (a run refused by a lock reports none).
    set({ profileId, busy: 'starting', actionError: null, runError: null, failedStep: null, lockBroken: false, active: true, outcome: 'running', awaitingFirstStep: true });
    try {
      await api()['deploy.start']({ profileId });
      return true;
    } catch (error) {
      set({ ...before, awaitingFirstStep: false, actionError: toEnvelope(error, 'deploy.start') });
      return false;
    } finally {
      set({ busy: null });
    }
  },
  async cancel() {
    set({ busy: 'cancelling', actionError: null });
    try {
      await api()['deploy.cancel']({});
    } catch (error) {
      set({ actionError: toEnvelope(error, 'deploy.cancel') });
    } finally {
      set({ busy: null });
    }
  },
  async breakLock(profileId) {
    set({ busy: 'breakingLock', actionError: null });
    try {
      await api()['deploy.breakLock']({ profileId });
      set({ lockBroken: true, runError: null });
    } catch (error) {
      set({ actionError: toEnvelope(error, 'deploy.breakLock') });
    } finally {
      set({ busy: null });
    }
  },
  dismissActionError() {
    set({ actionError: null });
  },
}));

// ---- events ---------------------------------------------------------------------------------------

let subscribed = false;
let seq = 0;
let pendingLogs: LogLine[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function mine(profileId: string): boolean {
  const current = useDeploy.getState().profileId;
  return current === null || current === profileId;
}

function flushLogs(): void {
  flushTimer = null;
  if (pendingLogs.length === 0) return;
  const incoming = pendingLogs;
  pendingLogs = [];
  useDeploy.setState((s) => {
    const logs = s.logs.concat(incoming);
    return { logs: logs.length > LOG_LIMIT ? logs.slice(logs.length - LOG_LIMIT) : logs };
  });
}

function onStep(e: EventPayload<'deploy.step'>): void {
  if (!mine(e.profileId)) return;
  flushLogs();
  useDeploy.setState((s) => {
    const base = s.awaitingFirstStep ? pendingSteps(s.order) : s.steps;
    const previous = base[e.stepId];
    const startedAtMs = e.state === 'checking' || (e.state === 'running' && previous?.state !== 'running') ? Date.now() : previous?.startedAtMs;
    const view: StepView = { state: e.state };
    if (startedAtMs !== undefined) view.startedAtMs = startedAtMs;
    if (e.durationMs !== undefined) view.durationMs = e.durationMs;
    const error = envelopeOf(e.error);
    if (error) view.error = error;
    const order = s.order.includes(e.stepId) ? s.order : [...s.order, e.stepId];
    return {
      profileId: e.profileId,
      runId: e.runId,
      active: true,
      outcome: 'running',
      order,
      awaitingFirstStep: false,
      steps: { ...base, [e.stepId]: view },
    };
  });
}

function onLog(e: EventPayload<'deploy.log'>): void {
  if (!mine(e.profileId)) return;
  pendingLogs.push({ seq: ++seq, stepId: e.stepId, stream: e.stream, line: e.line });
  if (pendingLogs.length > LOG_LIMIT) pendingLogs = pendingLogs.slice(-LOG_LIMIT);
  flushTimer ??= setTimeout(flushLogs, LOG_FLUSH_MS);
}

function onFinished(e: EventPayload<'deploy.finished'>): void {
  if (!mine(e.profileId)) return;
  flushLogs();
  useDeploy.setState((s) => {
    // Steps the run never reached stay pending; one left mid-way takes the run's outcome.
    const steps = { ...s.steps };
    for (const [id, view] of Object.entries(steps)) {
      if (view.state === 'running' || view.state === 'checking') steps[id] = { ...view, state: e.outcome === 'cancelled' ? 'cancelled' : 'failed' };
    }
    return {
      profileId: e.profileId,
      runId: e.runId || s.runId,
      active: false,
      outcome: e.outcome,
      failedStep: e.failedStep,
      runError: envelopeOf(e.error),
      publicHealth: e.publicHealth ?? null,
      monitoring: e.monitoring ?? null,
      awaitingFirstStep: false,
      steps,
    };
  });
}

/** Subscribes the store to the main side's deployment events; call once, after the Api is set. */
export function connectDeployEvents(source: Api = api()): void {
  if (subscribed) return;
  subscribed = true;
  source.on('deploy.step', onStep);
  source.on('deploy.log', onLog);
  source.on('deploy.finished', onFinished);
}
