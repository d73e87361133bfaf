import type { Updater } from '../lifecycle/update';

// A stand-in for electron-updater in web mode and tests (`KOPROGO_FAKE_UPDATE=<version>` for `npm run web`):
// a newer release with notes, a download that reports progress, an install that is only recorded.
// The Electron binary cannot run on our machines; this lets the banner be driven and looked at.

export function fakeUpdater(version: string, notes = 'Faster health checks.\n• The dashboard shows when KoproGo does not run.\n• Offline is told apart from a provider outage.'): Updater & { installs: number } {
  const state = { installs: 0 };
  return {
    get installs() {
      return state.installs;
    },
    check: async () => ({ version, notes, date: new Date().toISOString().slice(0, 10) }),
    download: async (onProgress) => {
      for (const p of [10, 35, 70, 100]) {
        await new Promise((r) => setTimeout(r, 150));
        onProgress(p);
      }
    },
    install: () => {
      state.installs += 1;
    },
  };
}
