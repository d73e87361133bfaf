import { isAllowedExternalUrl } from '../../shared/external-links';

/**
 * Our renderer is served from a privileged custom scheme rather than file:// (the
 * GrantFileProtocolExtraPrivileges fuse is off, so file:// pages cannot load module scripts), or
 * from the dev server in development.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'koprogo';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export function appOrigins(devServerUrl: string | null): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) origins.push(new URL(devServerUrl).origin);
  return origins;
}

/** True when a URL belongs to our own renderer. */
export function isAppUrl(raw: string, origins: string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  // Custom schemes have an opaque `origin` in WHATWG URL: compare scheme and host instead.
  return origins.includes(`${url.protocol}//${url.host}`);
}

/** What to do when the page asks to go somewhere: only our own pages load in the window. */
export function navigationDecision(target: string, origins: string[]): 'allow' | 'external' | 'deny' {
  if (isAppUrl(target, origins)) return 'allow';
  if (isAllowedExternalUrl(target)) return 'external';
  return 'deny';
}

/**
 * An IPC message is trusted only from our own top-level frame showing our own page: no iframe, no
 * other window, no page that navigated away.
 */
export function isTrustedSender(frame: { url: string; isMainFrame: boolean } | null, origins: string[]): boolean {
  if (!frame || !frame.isMainFrame) return false;
  return isAppUrl(frame.url, origins);
}
