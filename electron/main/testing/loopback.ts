// Every local test server (the API fakes, the HTTPS test server) listens the same way: on 127.0.0.1, a port
// the system picks, with its sockets tracked so close() does not wait for a client's keep-alive or a request
// the fake deliberately leaves hanging.
import type { Server, Socket } from 'node:net';

export interface LoopbackListener {
  port: number;
  /** Destroys the open connections, then closes the server. */
  close(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
