import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES, EVENT_NAMES, IPC_CALL_CHANNEL } from '../../shared/contract';

// The Electron binary cannot run on our CI machines, so the main process and the preload are loaded
// here against a recording stand-in for the `electron` module, and every security setting of
// Electron's checklist that our code is responsible for is asserted on what they asked Electron to do.

const rec = vi.hoisted(() => {
  type Fn = (...args: any[]) => any;
  const r = {
    appEvents: new Map<string, Fn>(),
    contentsEvents: new Map<string, Fn>(),
    windowOpenHandler: null as Fn | null,
    windows: [] as any[],
    permissionRequest: null as Fn | null,
    permissionCheck: null as Fn | null,
    devicePermission: null as Fn | null,
    sandboxAll: 0,
    headers: null as Fn | null,
    ipcHandlers: new Map<string, Fn>(),
    privileged: [] as any[],
    protocolHandlers: new Map<string, Fn>(),
    opened: [] as string[],
    exposed: new Map<string, any>(),
    invoked: [] as any[][],
    singleInstance: true,
    loaded: [] as string[],
    readyResolve: null as (() => void) | null,
  };
  return r;
});

vi.mock('electron', () => {
  const webContents = {
    id: 1,
    on: (name: string, fn: any) => rec.contentsEvents.set(name, fn),
    setWindowOpenHandler: (fn: any) => (rec.windowOpenHandler = fn),
    send: () => undefined,
  };
  class BrowserWindow {
    webContents = webContents;
    constructor(public options: any) {
      rec.windows.push(this);
    }
    once() {}
    on() {}
    loadURL(url: string) {
      rec.loaded.push(url);
      return Promise.resolve();
    }
    static getAllWindows() {
      return rec.windows;
    }
  }
  const app = {
    isPackaged: true,
    requestSingleInstanceLock: () => rec.singleInstance,
    quit: vi.fn(),
    enableSandbox: () => void (rec.sandboxAll += 1),
    exit: vi.fn(),
    on: (name: string, fn: any) => rec.appEvents.set(name, fn),
    whenReady: () => new Promise<void>((resolve) => (rec.readyResolve = resolve)),
    getPath: (name: string) => `/nonexistent-test-path/${name}`,
    setPath: vi.fn(),
    getName: () => 'KoproGo Deploy',
    getVersion: () => '0.0.0',
    getPreferredSystemLanguages: () => ['fr-BE'],
  };
  return {
    app,
    BrowserWindow,
    ipcMain: { handle: (c: string, fn: any) => rec.ipcHandlers.set(c, fn), removeHandler: () => undefined },
    protocol: {
      registerSchemesAsPrivileged: (s: any[]) => rec.privileged.push(...s),
      handle: (scheme: string, fn: any) => rec.protocolHandlers.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: any) => (rec.permissionRequest = fn),
        setPermissionCheckHandler: (fn: any) => (rec.permissionCheck = fn),
        setDevicePermissionHandler: (fn: any) => (rec.devicePermission = fn),
        webRequest: { onHeadersReceived: (fn: any) => (rec.headers = fn) },
      },
    },
    safeStorage: {
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'basic_text',
      encryptString: (v: string) => Buffer.from(v),
      decryptString: (b: Buffer) => b.toString(),
    },
    shell: { openExternal: (url: string) => (rec.opened.push(url), Promise.resolve()) },
    Notification: class {
      static isSupported = () => true;
      show() {}
    },
    contextBridge: { exposeInMainWorld: (key: string, value: any) => rec.exposed.set(key, value) },
    ipcRenderer: {
      invoke: (...args: any[]) => (rec.invoked.push(args), Promise.resolve({ ok: true, value: null })),
      on: () => undefined,
      removeListener: () => undefined,
    },
  };
});

beforeAll(async () => {
  await import('../index');
  rec.readyResolve?.();
  await new Promise((r) => setTimeout(r, 20));
});

afterAll(() => {
  vi.resetModules();
});

describe('main process security (Electron checklist)', () => {
  it('creates one window with isolation, sandbox, no Node, web security', () => {
    expect(rec.windows).toHaveLength(1);
    const prefs = rec.windows[0].options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(prefs.preload).toMatch(/preload[\\/]index\.cjs$/);
  });

  it('loads the renderer from the privileged app:// scheme, not file:// or a remote URL', () => {
    expect(rec.loaded).toEqual(['app://koprogo/index.html']);
    expect(rec.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(rec.protocolHandlers.has('app')).toBe(true);
  });

  it('serves only files of the renderer folder through app://, with the CSP header', async () => {
    const handler = rec.protocolHandlers.get('app')!;
    const missing: Response = await handler(new Request('app://koprogo/../../etc/passwd'));
    expect(missing.status).toBe(404);
    const foreign: Response = await handler(new Request('app://elsewhere/index.html'));
    expect(foreign.status).toBe(404);
  });

  it('sets a strict Content Security Policy on responses', () => {
    let result: any;
    rec.headers!({ responseHeaders: { 'X-Test': ['1'] } }, (r: any) => (result = r));
    const csp: string = result.responseHeaders['Content-Security-Policy'][0];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("object-src 'none'");
    expect(result.responseHeaders['X-Test']).toEqual(['1']);
  });

  it('turns on no Blink feature and no experimental flag (checklist 9, 10)', () => {
    const prefs = rec.windows[0].options.webPreferences;
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.experimentalFeatures).toBe(false);
  });

  it('blocks redirects away from the app (checklist 13)', () => {
    const redirect = rec.contentsEvents.get('will-redirect')!;
    const event = { prevented: false, preventDefault() { this.prevented = true; } };
    redirect(event, 'https://evil.example/');
    expect(event.prevented).toBe(true);
  });

  it('sandboxes every renderer, not only our window', () => {
    expect(rec.sandboxAll).toBe(1);
  });

  it('denies every permission request and check', () => {
    expect(rec.devicePermission!({ deviceType: 'usb', origin: 'app://koprogo' })).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      rec.permissionRequest!({}, permission, (g: boolean) => (granted = g));
      expect(granted).toBe(false);
      expect(rec.permissionCheck!({}, permission)).toBe(false);
    }
  });

  it('blocks navigation away from the app; allowed links open in the system browser', () => {
    const navigate = rec.contentsEvents.get('will-navigate')!;
    const attempt = (url: string) => {
      const event = { prevented: false, preventDefault() { this.prevented = true; } };
      navigate(event, url);
      return event.prevented;
    };
    expect(attempt('app://koprogo/index.html')).toBe(false);
    rec.opened.length = 0;
    expect(attempt('https://evil.example/')).toBe(true);
    expect(attempt('file:///etc/passwd')).toBe(true);
    expect(attempt('https://github.com/koprogo')).toBe(true);
    expect(rec.opened).toEqual(['https://github.com/koprogo']);
  });

  it('denies new windows; only allowed http(s) links go to the system browser', () => {
    rec.opened.length = 0;
    expect(rec.windowOpenHandler!({ url: 'https://docs.hetzner.com/cloud/' })).toEqual({ action: 'deny' });
    expect(rec.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(rec.windowOpenHandler!({ url: 'smb://server/share' })).toEqual({ action: 'deny' });
    expect(rec.opened).toEqual(['https://docs.hetzner.com/cloud/']);
  });

  it('refuses webviews and denies windows from any other web contents', () => {
    const attach = rec.contentsEvents.get('will-attach-webview')!;
    const event = { prevented: false, preventDefault() { this.prevented = true; } };
    attach(event);
    expect(event.prevented).toBe(true);
    let handler: any;
    rec.appEvents.get('web-contents-created')!({}, { setWindowOpenHandler: (fn: any) => (handler = fn) });
    expect(handler({ url: 'https://github.com' })).toEqual({ action: 'deny' });
  });

  it('registers one IPC channel that checks its sender', async () => {
    expect([...rec.ipcHandlers.keys()]).toEqual([IPC_CALL_CHANNEL]);
    const handler = rec.ipcHandlers.get(IPC_CALL_CHANNEL)!;
    const fromIframe = await handler({ senderFrame: { url: 'app://koprogo/index.html', parent: {} }, sender: { id: 1 } }, 'app.info', {});
    expect(fromIframe).toMatchObject({ ok: false, error: { code: 'ipc.untrusted_sender' } });
    const fromUs = await handler({ senderFrame: { url: 'app://koprogo/index.html', parent: null }, sender: { id: 1 } }, 'app.info', {});
    expect(fromUs).toMatchObject({ ok: true, value: { frontDoor: 'electron', systemLanguages: ['fr-BE'] } });
  });

  it('holds the single-instance lock and focuses the existing window on a second start', () => {
    expect(rec.appEvents.has('second-instance')).toBe(true);
  });
});

describe('preload surface', () => {
  it('exposes exactly the contract methods as window.api, and events as window.apiEvents', async () => {
    await import('../../preload/index');
    const api = rec.exposed.get('api');
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect([...rec.exposed.keys()].sort()).toEqual(['api', 'apiEvents']);
    await api['phases.recommend']({ copros: 1, lotsPerCopro: 1 });
    expect(rec.invoked.at(-1)).toEqual([IPC_CALL_CHANNEL, 'phases.recommend', { copros: 1, lotsPerCopro: 1 }]);
    const events = rec.exposed.get('apiEvents');
    expect(() => events.on('not.an.event', () => undefined)).toThrow();
    expect(typeof events.on(EVENT_NAMES[0], () => undefined)).toBe('function');
  });
});
