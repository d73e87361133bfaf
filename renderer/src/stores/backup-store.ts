import { create } from 'zustand';
import type { Api, EventPayload } from '../../../electron/shared/contract';
import type { BackupList, BackupOperation, BackupProgress, VerifyPlace } from '../../../electron/shared/contract-backup';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { toEnvelope } from './profile-store';

// The Backups panel of the dashboard: the list (server and this computer, daily dumps, snapshots), the
// one operation running (with its progress, pushed by the main side), its outcome, and the restore
// that waits for the user's confirmation.

interface BackupStore {
  profileId: string | null;
  list: BackupList | null;
  loading: boolean;
  error: ErrorEnvelope | null;
  /** The operation running now, and its last progress. */
  active: { operation: BackupOperation; backupId: string | null } | null;
  progress: BackupProgress | null;
  /** The last operation's outcome (shown until the next one). */
  done: { operation: BackupOperation; backupId: string | null; ok: boolean } | null;
  /** The backup whose restore awaits confirmation. */
  confirmRestore: string | null;
  verifyWhere: VerifyPlace;
  open(profileId: string): Promise<void>;
  close(): void;
  refresh(): Promise<void>;
  setVerifyWhere(where: VerifyPlace): void;
  create(): Promise<void>;
  verify(backupId: string): Promise<void>;
  download(backupId: string): Promise<void>;
  askRestore(backupId: string | null): void;
  restore(): Promise<void>;
  snapshot(): Promise<void>;
  installDaily(): Promise<void>;
  cancel(): Promise<void>;
}

export const useBackups = create<BackupStore>((set, get) => {
  const run = async (operation: BackupOperation, backupId: string | null, call: () => Promise<unknown>) => {
    set({ active: { operation, backupId }, progress: null, done: null, error: null });
    try {
      await call();
    } catch (error) {
      set({ active: null, error: toEnvelope(error, `backup.${operation}`) });
    }
  };
  return {
    profileId: null,
    list: null,
    loading: false,
    error: null,
    active: null,
    progress: null,
    done: null,
    confirmRestore: null,
    verifyWhere: 'server',
    async open(profileId) {
      set({ profileId, list: null, error: null, done: null, confirmRestore: null });
      try {
        const s = await api()['backup.status']({ profileId });
        set({ active: s.active ? { operation: s.active.operation, backupId: s.active.backupId } : null, progress: s.active?.last ?? null });
      } catch {
        /* shown by the list below */
      }
      await get().refresh();
    },
    close() {
      set({ profileId: null, list: null, confirmRestore: null });
    },
    async refresh() {
      const { profileId } = get();
      if (!profileId) return;
      set({ loading: true });
      try {
        const list = await api()['backup.list']({ profileId });
        if (get().profileId === profileId) set({ list });
      } catch (error) {
        set({ error: toEnvelope(error, 'backup.list') });
      } finally {
        set({ loading: false });
      }
    },
    setVerifyWhere(verifyWhere) {
      set({ verifyWhere });
    },
    async create() {
      const { profileId, verifyWhere } = get();
      if (profileId) await run('create', null, () => api()['backup.create']({ profileId, verify: verifyWhere }));
    },
    async verify(backupId) {
      const { profileId, verifyWhere } = get();
      if (profileId) await run('verify', backupId, () => api()['backup.verify']({ profileId, backupId, where: verifyWhere }));
    },
    async download(backupId) {
      const { profileId } = get();
      if (profileId) await run('download', backupId, () => api()['backup.download']({ profileId, backupId }));
    },
    askRestore(backupId) {
      set({ confirmRestore: backupId });
    },
    async restore() {
      const { profileId, confirmRestore } = get();
      if (!profileId || !confirmRestore) return;
      set({ confirmRestore: null });
      await run('restore', confirmRestore, () => api()['backup.restore']({ profileId, backupId: confirmRestore, confirm: true }));
    },
    async snapshot() {
      const { profileId } = get();
      if (profileId) await run('snapshot', null, () => api()['backup.snapshot']({ profileId }));
    },
    async installDaily() {
      const { profileId } = get();
      if (profileId) await run('install-daily', null, () => api()['backup.installDaily']({ profileId }));
    },
    async cancel() {
      await api()['backup.cancel']({}).catch(() => undefined);
    },
  };
});

function onProgress(p: EventPayload<'backup.progress'>): void {
  if (p.profileId !== useBackups.getState().profileId) return;
  useBackups.setState({ progress: p, active: { operation: p.operation, backupId: p.backupId } });
}

function onFinished(f: EventPayload<'backup.finished'>): void {
  if (f.profileId !== useBackups.getState().profileId) return;
  useBackups.setState({ active: null, progress: null, done: { operation: f.operation, backupId: f.backupId, ok: f.outcome === 'succeeded' }, error: f.error ? (f.error as ErrorEnvelope) : null });
  void useBackups.getState().refresh();
}

let subscribed = false;

export function connectBackupEvents(source: Api = api()): void {
  if (subscribed) return;
  subscribed = true;
  source.on('backup.progress', onProgress);
  source.on('backup.finished', onFinished);
}
