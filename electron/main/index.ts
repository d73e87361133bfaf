import { app, BrowserWindow, ipcMain, Notification, protocol, safeStorage, session, shell, type WebContents } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT_CHANNEL } from '../shared/contract';
import { desktopNotifier } from './desktop-notify';
import { lazyElectronUpdater } from './electron-updater';
import { registerIpc } from './ipc/register-ipc';
import { Logger } from './log';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, appOrigins, navigationDecision } from './security/navigation';
import { readStaticFile } from './static-files';
import { contentSecurityPolicy, secureWindowOptions } from './security/window-options';
import { createHandlers } from './services/handlers';
import { endpointsFromEnv } from './services/endpoints';

// App lifecycle and the window. Everything else lives in services shared with web mode and the CLI.

const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl = !app.isPackaged ? (process.env.ELECTRON_RENDERER_URL ?? null) : null;
const origins = appOrigins(devServerUrl);
let mainWindow: BrowserWindow | null = null;

// Same override as web mode and the CLI (tests, portable use); must happen before `ready`.
if (process.env.KOPROGO_DATA_DIR) app.setPath('userData', process.env.KOPROGO_DATA_DIR);

// Every renderer runs sandboxed, whatever creates it (Electron's checklist, item 4); must precede `ready`.
app.enableSandbox();

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.whenReady().then(start).catch((error: unknown) => {
    console.error(error);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  const log = new Logger(join(app.getPath('logs'), 'koprogo-deploy.log'));
  // Auto-update from GitHub Releases, in a packaged app only (a dev build has no release feed).
  const updater = app.isPackaged ? lazyElectronUpdater(async () => (await import('electron-updater')).autoUpdater, app.getVersion()) : null;
  const handlers = createHandlers({
    updater,
    dataDir: app.getPath('userData'),
    appName: app.getName(),
    appVersion: app.getVersion(),
    frontDoor: 'electron',
    ...endpointsFromEnv(process.env),
    systemLanguages: () => app.getPreferredSystemLanguages(),
    openExternal: (url) => shell.openExternal(url),
    notify: desktopNotifier(Notification),
    log,
    // The OS keychain. On Linux without one, safeStorage falls back to 'basic_text' and the secret
    // store keeps secrets for this session only (see secrets/secret-store.ts).
    encryptor: {
      isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
      backend: () => (process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os_keychain'),
      encryptString: (value) => safeStorage.encryptString(value),
      decryptString: (data) => safeStorage.decryptString(data),
    },
    emit: (event, payload) => {
      for (const win of BrowserWindow.getAllWindows()) win.webContents.send(IPC_EVENT_CHANNEL, event, payload);
    },
  });

  const rendererRoot = join(here, '../renderer');
  const csp = contentSecurityPolicy(devServerUrl ? new URL(devServerUrl).origin : null);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? await readStaticFile(rendererRoot, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'Content-Type': file.contentType, 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' },
    });
  });

  // Deny every permission (camera, notifications prompt, geolocation…): the wizard needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  // WebHID / Web Serial / WebUSB devices: none either.
  session.defaultSession.setDevicePermissionHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [csp],
      },
    });
  });

  registerIpc(ipcMain, handlers, {
    origins,
    log,
    trustedWebContentsIds: () => (mainWindow ? [mainWindow.webContents.id] : []),
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow(secureWindowOptions(join(here, '../preload/index.cjs')));
  lockDown(mainWindow.webContents);
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

/** Navigation and new windows: only our own pages; allowed http(s) links go to the system browser. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    const decision = navigationDecision(url, origins);
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'external') void shell.openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (navigationDecision(url, origins) !== 'allow') event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (navigationDecision(url, origins) === 'external') void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
