import { create } from 'zustand';
import type { Api, EventPayload } from '../../../electron/shared/contract';
import type { Checklist, K3sPlan, K3sPrompt, K3sStatus, LocalHost, Preflight } from '../../../electron/shared/contract-k3s';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { envelopeOf } from '../stores/deploy-store';
import { toEnvelope, useProfile } from '../stores/profile-store';

// A K3s deployment as the renderer sees it (phases 3–4): this computer's abilities, the plan and pre-flight, the
// phase-4 checklist, the run (steps, the question waiting, the outcome) fed by the `k3s.*` events, and the
// terminal output handed to the terminal view when one is open (it replays the rest from the run's log).

export type K3sStepState = EventPayload<'k3s.step'>['state'];

export interface K3sStepView {
  state: K3sStepState;
  durationMs?: number;
  startedAtMs?: number;
  error?: ErrorEnvelope;
}

type Outcome = NonNullable<K3sStatus['outcome']>;

interface K3sStore {
  profileId: string | null;
  localHost: LocalHost | null;
  plan: K3sPlan | null;
  planError: ErrorEnvelope | null;
  planLoading: boolean;
  preflight: Preflight | null;
  preflightError: ErrorEnvelope | null;
  preflightLoading: boolean;
  checklist: Checklist | null;
  checklistError: ErrorEnvelope | null;
  checklistLoading: boolean;
  /** Checklist items the user confirmed (what the API cannot check). */
  confirmed: string[];
  runId: string | null;
  outcome: Outcome | null;
  active: boolean;
  detached: boolean;
  statusLoaded: boolean;
  steps: Record<string, K3sStepView>;
  prompt: K3sPrompt | null;
  runError: ErrorEnvelope | null;
  failedStep: string | null;
  busy: 'starting' | 'cancelling' | 'answering' | null;
  actionError: ErrorEnvelope | null;
  /** Bytes of output sent so far (the terminal view replays what it has not seen). */
  outputBytes: number;
  loadLocalHost(): Promise<void>;
  loadPlan(profileId: string, repo?: { url: string; ref: string }): Promise<K3sPlan | null>;
  loadPreflight(profileId: string): Promise<void>;
  loadChecklist(profileId: string, domain?: string): Promise<void>;
  confirm(id: string, on: boolean): void;
  loadStatus(profileId: string): Promise<void>;
  start(profileId: string, fresh?: boolean): Promise<boolean>;
  cancel(): Promise<void>;
  answer(answer: 'yes' | 'no'): Promise<void>;
  input(text: string): Promise<boolean>;
}

export const useK3s = create<K3sStore>((set, get) => ({
  profileId: null,
  localHost: null,
  plan: null,
  planError: null,
  planLoading: false,
  preflight: null,
  preflightError: null,
  preflightLoading: false,
  checklist: null,
  checklistError: null,
  checklistLoading: false,
  confirmed: [],
  runId: null,
  outcome: null,
  active: false,
  detached: false,
  statusLoaded: false,
  steps: {},
  prompt: null,
  runError: null,
  failedStep: null,
  busy: null,
  actionError: null,
  outputBytes: 0,
  async loadLocalHost() {
    if (get().localHost) return;
    try {
      set({ localHost: await api()['k3s.localHost']({}) });
    } catch {
      set({ localHost: { platform: 'unknown', via: null, bash: null, wsl: null, ptyAvailable: false } });
    }
  },
  async loadPlan(profileId, repo) {
    set({ profileId, planLoading: true, planError: null });
    try {
      const plan = await api()['k3s.plan']({ profileId, ...(repo ? { repo } : {}) });
      set({ plan });
      return plan;
    } catch (error) {
      set({ plan: null, planError: toEnvelope(error, 'k3s.plan') });
      return null;
    } finally {
      set({ planLoading: false });
    }
  },
  async loadPreflight(profileId) {
    set({ preflightLoading: true, preflightError: null });
    try {
      set({ preflight: await api()['k3s.preflight']({ profileId }) });
    } catch (error) {
      set({ preflight: null, preflightError: toEnvelope(error, 'k3s.preflight') });
    } finally {
      set({ preflightLoading: false });
    }
  },
  async loadChecklist(profileId, domain) {
    set({ checklistLoading: true, checklistError: null });
    try {
      set({ checklist: await api()['k3s.checklist']({ profileId, ...(domain ? { domain } : {}) }) });
    } catch (error) {
      set({ checklistError: toEnvelope(error, 'k3s.checklist') });
    } finally {
      set({ checklistLoading: false });
    }
  },
  confirm(id, on) {
    set((s) => ({ confirmed: on ? [...new Set([...s.confirmed, id])] : s.confirmed.filter((x) => x !== id) }));
  },
  async loadStatus(profileId) {
    try {
      const s = await api()['k3s.status']({ profileId });
      const steps: Record<string, K3sStepView> = {};
      for (const st of s.steps) {
        const started = st.startedAt ? Date.parse(st.startedAt) : NaN;
        const ended = st.endedAt ? Date.parse(st.endedAt) : NaN;
        steps[st.stepId] = { state: st.state, ...(Number.isFinite(started) ? { startedAtMs: started } : {}), ...(Number.isFinite(started) && Number.isFinite(ended) ? { durationMs: ended - started } : {}) };
      }
      const live = get().active && get().runId === s.runId;
      set({ profileId, runId: s.runId, outcome: s.outcome, active: s.active, detached: s.detached, prompt: s.prompt, outputBytes: s.outputBytes, steps: live ? { ...steps, ...get().steps } : steps, statusLoaded: true });
    } catch (error) {
      set({ profileId, statusLoaded: true, actionError: toEnvelope(error, 'k3s.status') });
    }
  },
  async start(profileId, fresh = false) {
    const before = { outcome: get().outcome, active: get().active };
    set({ profileId, busy: 'starting', actionError: null, runError: null, failedStep: null, active: true, outcome: 'running', detached: false, prompt: null, steps: {}, outputBytes: 0 });
    try {
      await api()['k3s.start']({ profileId, fresh });
      return true;
    } catch (error) {
      set({ ...before, actionError: toEnvelope(error, 'k3s.start') });
      return false;
    } finally {
      set({ busy: null });
    }
  },
  async cancel() {
    const profileId = get().profileId;
    if (!profileId) return;
    set({ busy: 'cancelling', actionError: null });
    try {
      await api()['k3s.cancel']({ profileId });
    } catch (error) {
      set({ actionError: toEnvelope(error, 'k3s.cancel') });
    } finally {
      set({ busy: null });
    }
  },
  async answer(answer) {
    const { profileId, prompt } = get();
    if (!profileId || !prompt) return;
    set({ busy: 'answering', actionError: null });
    try {
      const r = await api()['k3s.answer']({ profileId, promptId: prompt.id, answer });
      if (r.sent && get().prompt?.id === prompt.id) set({ prompt: null });
    } catch (error) {
      set({ actionError: toEnvelope(error, 'k3s.answer') });
    } finally {
      set({ busy: null });
    }
  },
  async input(text) {
    const profileId = get().profileId;
    if (!profileId) return false;
    try {
      return (await api()['k3s.input']({ profileId, text })).sent;
    } catch (error) {
      set({ actionError: toEnvelope(error, 'k3s.input') });
      return false;
    }
  },
}));

// ---- events ----------------------------------------------------------------------------------------

/** The open terminal view, if any: it receives the live output (and replays the rest itself). */
let terminalSink: ((offset: number, data: string) => void) | null = null;

export function setTerminalSink(sink: ((offset: number, data: string) => void) | null, notes: ((note: TerminalNote) => void) | null = null): void {
  terminalSink = sink;
  terminalNotes = notes;
}

/** What the terminal view says itself, in the user's language (Terminal.tsx): the connection, the run's end. */
export type TerminalNote = { kind: 'connection'; state: 'lost' | 'back'; attempt: number } | { kind: 'finished'; outcome: 'succeeded' | 'failed' | 'cancelled'; detached: boolean };

let terminalNotes: ((note: TerminalNote) => void) | null = null;

const mine = (profileId: string) => {
  const current = useK3s.getState().profileId;
  return current === null || current === profileId;
};

let subscribed = false;

export function connectK3sEvents(source: Api = api()): void {
  if (subscribed) return;
  subscribed = true;
  source.on('k3s.output', (e) => {
    if (!mine(e.profileId)) return;
    terminalSink?.(e.offset, e.data);
    const end = e.offset + new TextEncoder().encode(e.data).length;
    if (end > useK3s.getState().outputBytes) useK3s.setState({ outputBytes: end, runId: e.runId });
  });
  source.on('k3s.step', (e) => {
    if (!mine(e.profileId)) return;
    useK3s.setState((s) => {
      const prev = s.steps[e.stepId];
      const view: K3sStepView = { state: e.state };
      const startedAtMs = e.state === 'running' && prev?.state !== 'running' ? Date.now() : prev?.startedAtMs;
      if (startedAtMs !== undefined) view.startedAtMs = startedAtMs;
      if (e.durationMs !== undefined) view.durationMs = e.durationMs;
      const error = envelopeOf(e.error);
      if (error) view.error = error;
      return { profileId: e.profileId, runId: e.runId, active: true, outcome: 'running', steps: { ...s.steps, [e.stepId]: view } };
    });
  });
  source.on('k3s.prompt', (e) => {
    if (!mine(e.profileId)) return;
    useK3s.setState({ prompt: e.prompt });
  });
  source.on('k3s.connection', (e) => {
    if (!mine(e.profileId)) return;
    terminalNotes?.({ kind: 'connection', state: e.state, attempt: e.attempt });
  });
  source.on('k3s.finished', (e) => {
    if (!mine(e.profileId)) return;
    terminalNotes?.({ kind: 'finished', outcome: e.outcome, detached: e.detached });
    // A successful run recorded the deployment (and the kubeconfig's path) in the profile.
    if (e.outcome === 'succeeded' && useProfile.getState().profile?.id === e.profileId) void useProfile.getState().load(e.profileId);
    useK3s.setState((s) => {
      const steps = { ...s.steps };
      for (const [id, v] of Object.entries(steps)) if (v.state === 'running' && !e.detached) steps[id] = { ...v, state: e.outcome === 'cancelled' ? 'cancelled' : 'failed' };
      return { profileId: e.profileId, runId: e.runId || s.runId, active: false, outcome: e.detached ? 'running' : e.outcome, detached: e.detached, failedStep: e.failedStep, runError: envelopeOf(e.error), prompt: null, steps };
    });
  });
}
