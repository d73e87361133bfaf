import { describe, it, expect } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Client } from 'ssh2';
import { startTcpProxy } from './tcp-proxy';
import { startSshd } from './sshd';
import { requireRoot } from './proc';

function echoServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.pipe(s));
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function roundTrip(s: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (b: Buffer) => resolve(b.toString()));
    s.write(text);
  });
}

const closed = (s: Socket): Promise<void> => new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('startTcpProxy', () => {
  it('forwards bytes, counts connections and cuts them all', async () => {
    const { server, port } = await echoServer();
    const proxy = await startTcpProxy(port);
    try {
      const a = await open(proxy.port);
      const b = await open(proxy.port);
      expect(await roundTrip(a, 'hello')).toBe('hello');
      expect(await roundTrip(b, 'world')).toBe('world');
      expect(proxy.connections).toBe(2);
      expect(proxy.totalConnections).toBe(2);
      proxy.cutAll();
      await Promise.all([closed(a), closed(b)]);
      expect(proxy.connections).toBe(0);
      const c = await open(proxy.port);
      expect(await roundTrip(c, 'again')).toBe('again');
      c.destroy();
    } finally {
      await proxy.stop();
      await proxy.stop();
      server.close();
    }
  });

  it('refuses new connections while asked to', async () => {
    const { server, port } = await echoServer();
    const proxy = await startTcpProxy(port);
    try {
      proxy.refuse(true);
      const s = await open(proxy.port).catch(() => undefined);
      if (s) await closed(s);
      expect(proxy.connections).toBe(0);
      expect(proxy.totalConnections).toBe(1);
      proxy.refuse(false);
      const t = await open(proxy.port);
      expect(await roundTrip(t, 'ok')).toBe('ok');
      t.destroy();
    } finally {
      await proxy.stop();
      server.close();
    }
  });

  it('an ssh2 session through the proxy ends when the connection is cut', async () => {
    requireRoot('The proxy/ssh2 self-test (it starts the sshd fixture)');
    const sshd = await startSshd({ sudo: 'none' });
    const proxy = await startTcpProxy(sshd.port);
    const client = new Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('error', reject);
        client.connect({
          host: '127.0.0.1',
          port: proxy.port,
          username: sshd.user,
          privateKey: sshd.userPrivateKey,
          hostVerifier: (key: Buffer) => key.toString('base64') === sshd.hostPublicKey.split(' ')[1],
          readyTimeout: 10_000,
        });
      });
      const out = await new Promise<string>((resolve, reject) => {
        client.exec('id -un', (err, stream) => {
          if (err) return reject(err);
          let s = '';
          stream.on('data', (b: Buffer) => (s += b.toString()));
          stream.on('close', () => resolve(s));
        });
      });
      expect(out.trim()).toBe(sshd.user);
      expect(proxy.connections).toBe(1);
      const ended = new Promise<void>((r) => client.once('close', () => r()));
      proxy.cutAll();
      await ended;
      expect(proxy.connections).toBe(0);
    } finally {
      client.end();
      await proxy.stop();
      await sshd.stop();
    }
  });
});
