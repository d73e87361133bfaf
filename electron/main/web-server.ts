import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES, type EventName, type EventPayload } from '../shared/contract';
import { AppError } from '../shared/errors';
import { dispatch, parseRequestFrame } from './ipc/dispatcher';
import type { Handlers } from './services/handlers';
import type { Logger } from './log';
import { contentSecurityPolicy } from './security/window-options';
import { readStaticFile } from './static-files';

// Web mode: the same renderer and the same contract over a WebSocket, for a browser on this machine.
// Bound to 127.0.0.1 only. A one-time token (given in the URL fragment, so it never reaches logs or
// Referer headers) is exchanged once for an HttpOnly session cookie; Host and Origin are checked on
// every request to defeat DNS rebinding and cross-site pages.

export const SESSION_COOKIE = 'kg_session';


export interface WebServer {
  url: string;
  port: number;
  /** The URL with the one-time token, to print for the user. */
  loginUrl: string;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** WebSocket clients connected now. */
  readonly clients: number;
  close(): Promise<void>;
}

export interface WebServerOptions {
  /** Handlers are created by the caller with an `emit` that forwards to `server.emit`. */
  handlers: (emit: WebServer['emit']) => Handlers;
  staticDir: string;
  port?: number;
  log?: Logger;
  /** A client whose unread frames pass this many bytes is disconnected (default 8 MB); the page reconnects. */
  maxBufferedBytes?: number;
  /** Headers of a request must arrive within this time (default 15 s): a client trickling them is cut off. */
  headersTimeoutMs?: number;
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = randomBytes(32).toString('base64url');
  let tokenUsed = false;
  const sessions = new Set<string>();
  const sockets = new Set<WebSocket>();
  /** Calls being handled: stopping waits for them, so a save in progress is never cut short. */
  const inFlight = new Set<Promise<unknown>>();
  let port = 0;

  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  /**
   * Sends a frame unless the client stopped reading: events keep coming (logs, health samples) and would pile
   * up in this process's memory without end. Such a client is disconnected; the page reconnects and reloads.
   */
  const send = (ws: WebSocket, frame: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount + frame.length > maxBuffered) {
      opts.log?.info(`web: a client that stopped reading (${ws.bufferedAmount} bytes waiting) was disconnected`);
      sockets.delete(ws);
      ws.terminate();
      return;
    }
    ws.send(frame);
  };
  const emit: WebServer['emit'] = (event, payload) => {
    const frame = JSON.stringify({ event, payload });
    for (const ws of sockets) send(ws, frame);
  };
  const handlers = opts.handlers(emit);

  /** Why a request is refused, or null when it may go on. */
  function refusal(req: IncomingMessage, needOrigin: boolean): { status: number; code: string } | null {
    const host = req.headers.host ?? '';
    if (!allowedHosts().includes(host)) return { status: 421, code: 'host' };
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return { status: 403, code: 'origin' };
    if (needOrigin && origin === undefined) return { status: 403, code: 'origin' };
    return null;
  }

  function hasSession(req: IncomingMessage): boolean {
    const cookie = parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE];
    return cookie !== undefined && sessions.has(cookie);
  }

  function refuse(res: ServerResponse, status: number, reason: string): void {
    const error = new AppError('web.unauthorized', { reason }).toEnvelope();
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ ok: false, error }));
  }

  const headersTimeout = opts.headersTimeoutMs ?? 15_000;
  const server = createServer({ headersTimeout, requestTimeout: Math.max(headersTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    void (async () => {
      const bad = refusal(req, req.method !== 'GET' && req.method !== 'HEAD');
      if (bad) return refuse(res, bad.status, bad.code);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/session' && req.method === 'POST') return exchangeToken(req, res);
      if (url.pathname === '/session' && req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        return res.end(JSON.stringify({ authenticated: hasSession(req) }));
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method');
      return serveStatic(url.pathname, res);
    })().catch((error: unknown) => {
      opts.log?.error('web request failed', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function exchangeToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 4096);
    let given = '';
    try {
      const parsed: unknown = JSON.parse(body ?? '');
      if (parsed && typeof parsed === 'object' && typeof (parsed as { token?: unknown }).token === 'string') given = (parsed as { token: string }).token;
    } catch {
      /* refused below */
    }
    if (tokenUsed || !safeEqual(given, token)) return refuse(res, 401, 'token');
    tokenUsed = true;
    const session = randomBytes(32).toString('base64url');
    sessions.add(session);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Set-Cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end(JSON.stringify({ authenticated: true }));
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const file = await readStaticFile(opts.staticDir, pathname);
    if (!file) return refuse(res, 404, 'not_found');
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Security-Policy': contentSecurityPolicy(null),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': file.isHtml ? 'no-store' : 'max-age=3600',
    });
    res.end(file.body);
  }

  // Frames a little over the limit get a typed answer (parseRequestFrame); far beyond it the socket
  // is closed before buffering more, and the renderer reconnects.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket: Socket, head) => {
    // A socket handed over for an upgrade has no error listener any more: a reset must not crash web mode.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const bad = refusal(req, true) ?? (url.pathname !== '/ws' ? { status: 404, code: 'not_found' } : null) ?? (hasSession(req) ? null : { status: 401, code: 'session' });
    if (bad) {
      const body = JSON.stringify({ ok: false, error: new AppError('web.unauthorized', { reason: bad.code }).toEnvelope() });
      socket.end(`HTTP/1.1 ${bad.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // Invalid UTF-8, a frame over maxPayload, a protocol violation: ws closes the socket (1007/1009/1002)
      // and reports it here. Without a listener the 'error' event would throw and stop web mode.
      ws.on('error', (error) => {
        opts.log?.info(`web: a WebSocket client was disconnected (${(error as Error & { code?: string }).code ?? error.message})`);
        sockets.delete(ws);
      });
      ws.on('message', (data, isBinary) => {
        void (async () => {
          const text = isBinary ? '' : data.toString();
          const parsed = parseRequestFrame(text);
          if (!parsed.ok) {
            send(ws, JSON.stringify({ id: parsed.id, envelope: { ok: false, error: parsed.error.toEnvelope() } }));
            return;
          }
          const work = dispatch(handlers, parsed.frame.method, parsed.frame.input, opts.log);
          inFlight.add(work);
          const envelope = await work.finally(() => inFlight.delete(work));
          send(ws, JSON.stringify({ id: parsed.frame.id, envelope }));
        })();
      });
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;

  return {
    url,
    port,
    loginUrl: `${url}#token=${token}`,
    emit,
    get clients() {
      return sockets.size;
    },
    close: async () => {
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 5000))]);
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function parseCookies(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolveBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolveBody(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolveBody(null));
  });
}
