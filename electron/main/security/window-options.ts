import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The one place our window's web preferences are decided, following Electron's security checklist.
 * Kept as plain data so a unit test asserts every setting without the Electron binary.
 */
export function secureWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 820,
    minWidth: 900,
    minHeight: 640,
    show: false,
    backgroundColor: '#f8fafc',
    title: 'KoproGo Deploy',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/**
 * Content Security Policy of the renderer. No inline scripts, no eval, no remote code; connections
 * only back to ourselves (the WebSocket of web mode is same-origin).
 */
export function contentSecurityPolicy(devServerOrigin: string | null): string {
  const connect = devServerOrigin ? `'self' ${devServerOrigin} ${devServerOrigin.replace(/^http/, 'ws')}` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
