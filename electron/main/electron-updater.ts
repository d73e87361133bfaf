import { notesText, type AvailableUpdate, type Updater } from './lifecycle/update';

// electron-updater (GitHub Releases: the mac zip, the NSIS installer with its blockmap for differential
// downloads, the AppImage) seen through the small `Updater` interface the update service takes. The
// AppUpdater comes in as a parameter, so this file never imports Electron and is tested with a stand-in.

/** The part of electron-updater's AppUpdater this uses. */
export interface AppUpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  checkForUpdates(): Promise<{ isUpdateAvailable?: boolean; updateInfo: { version: string; releaseNotes?: unknown; releaseDate?: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'download-progress', listener: (info: { percent: number }) => void): unknown;
  removeListener(event: 'download-progress', listener: (info: { percent: number }) => void): unknown;
}

export function electronUpdater(u: AppUpdaterLike, currentVersion: string): Updater {
  // Nothing happens behind the user's back: the download starts when they ask for it, and an update is
  // never installed on quit by itself (a quit during a deployment must not turn into an install).
  u.autoDownload = false;
  u.autoInstallOnAppQuit = false;
  u.allowPrerelease = false;
  return {
    async check(): Promise<AvailableUpdate | null> {
      const r = await u.checkForUpdates();
      if (!r || r.isUpdateAvailable === false || r.updateInfo.version === currentVersion) return null;
      return { version: r.updateInfo.version, notes: notesText(r.updateInfo.releaseNotes), date: r.updateInfo.releaseDate ?? null };
    },
    async download(onProgress) {
      const listener = (info: { percent: number }) => onProgress(info.percent);
      u.on('download-progress', listener);
      try {
        await u.downloadUpdate();
      } finally {
        u.removeListener('download-progress', listener);
      }
    },
    install() {
      // Silent on Windows (per-user NSIS), and the new version starts again afterwards.
      u.quitAndInstall(true, true);
    },
  };
}

/**
 * The same, with electron-updater loaded on the first check only: it stays out of the app's start-up
 * (the main-load figure) and out of anything that never asks for an update.
 */
export function lazyElectronUpdater(load: () => Promise<AppUpdaterLike>, currentVersion: string): Updater {
  let loaded: Promise<Updater> | null = null;
  const get = () => (loaded ??= load().then((u) => electronUpdater(u, currentVersion)));
  return {
    check: async () => (await get()).check(),
    download: async (onProgress) => (await get()).download(onProgress),
    install: () => void get().then((u) => u.install()),
  };
}
