// An in-test TCP proxy on 127.0.0.1 for fault injection: cut every open connection, or refuse new ones.
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Destroys every open connection, both sides, at once. */
  cutAll(): void;
  /** While on, new connections are accepted and immediately destroyed. */
  refuse(on: boolean): void;
  /** Open client connections. */
  readonly connections: number;
  /** Client connections accepted since start (refused ones included). */
  readonly totalConnections: number;
  stop(): Promise<void>;
}

export function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let total = 0;
  let stopped: Promise<void> | undefined;

  const server = createServer((client) => {
    total++;
    if (refusing) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: targetHost, port: targetPort });
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    pairs.add(pair);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const cutAll = (): void => {
        for (const p of [...pairs]) {
          pairs.delete(p);
          p.client.destroy();
          p.upstream.destroy();
        }
      };
      resolve({
        port,
        cutAll,
        refuse: (on) => {
          refusing = on;
        },
        get connections() {
          return pairs.size;
        },
        get totalConnections() {
          return total;
        },
        stop: () => {
          stopped ??= new Promise<void>((done) => {
            server.close(() => done());
            cutAll();
          });
          return stopped;
        },
      });
    });
  });
}
