import { create } from 'zustand';
import type { MethodOutput } from '../../../electron/shared/contract';

// What the main side said about itself at start-up (`app.info`): the front door, the version, and
// whether secrets survive a restart — said up front on the screens that ask for one.

export type AppInfo = MethodOutput<'app.info'>;

export const useAppInfo = create<{ info: AppInfo | null }>(() => ({ info: null }));

/** True when secrets live for this session only (web mode, the CLI, Linux without a keychain). */
export function useSessionOnlySecrets(): boolean {
  return useAppInfo((s) => s.info !== null && !s.info.secretsPersist);
}
