// Web mode start-up: the one-time token arrives in the URL fragment (never sent to the server by
// the browser, never in logs); we trade it once for an HttpOnly session cookie and remove it from
// the address bar so it cannot be bookmarked or shared.

export type SessionState = 'authenticated' | 'needs_token' | 'token_refused';

export async function establishWebSession(): Promise<SessionState> {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    const res = await fetch('/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: match[1] }),
      credentials: 'same-origin',
    });
    if (res.ok) return 'authenticated';
    // The token may have been used by this same browser already (a reload): the cookie decides.
  }
  const check = await fetch('/session', { credentials: 'same-origin' });
  const body = (await check.json()) as { authenticated?: boolean };
  if (body.authenticated) return 'authenticated';
  return match ? 'token_refused' : 'needs_token';
}

export function webSocketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/ws`;
}
