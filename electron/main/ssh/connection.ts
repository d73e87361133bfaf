import { randomBytes } from 'node:crypto';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { AppError } from '../../shared/errors';
import { sha256Fingerprint } from './fingerprint';
import { shQuote } from './quote';

// ssh2 is CommonJS: Node's ESM loader only sees its default export.
const { Client } = ssh2;
type Client = InstanceType<typeof ssh2.Client>;

// One SSH connection per server, reused for a whole run (and for health sampling later). Every
// command gets a structured result; stderr never throws; the caller decides what a failure means.

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string | Buffer;
  passphrase?: string;
}

export interface ConnectOptions {
  /** Pinned host key fingerprint (`SHA256:…`). null: unknown server, the connection is refused with its fingerprint. */
  hostKeySha256: string | null;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Close the connection after this long without a command. 0 disables. */
  idleTimeoutMs?: number;
  /** For tests and the proxy: connect through an existing socket. */
  sock?: ConnectConfig['sock'];
}

export interface ExecOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /**
   * Raw stdout bytes, undecoded (a log followed by byte offset): when set, stdout is neither decoded nor kept in
   * the result, and onStdout is not called.
   */
  onStdoutBytes?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export type Privilege = 'root' | 'sudo';

export class SshConnection {
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private active = 0;
  /** Number of exec/sftp round trips since connect (benchmarks and the re-run figure read it). */
  roundTrips = 0;
  private sftpSession: SFTPWrapper | null = null;
  readonly onClose = new Set<(error: AppError | null) => void>();

  private constructor(
    private readonly client: Client,
    readonly target: Omit<SshTarget, 'privateKey' | 'passphrase'>,
    readonly hostKeySha256: string,
    private readonly idleTimeoutMs: number,
  ) {
    client.on('close', () => this.markClosed(new AppError('ssh.disconnected', { host: target.host })));
    client.on('error', () => undefined);
    this.armIdle();
  }

  static connect(target: SshTarget, opts: ConnectOptions): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let seen: string | null = null;
      let settled = false;
      const fail = (error: AppError) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(error);
      };
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        resolve(new SshConnection(client, { host: target.host, port: target.port, user: target.user }, seen ?? '', opts.idleTimeoutMs ?? 0));
      });
      // `on`, not `once`: ssh2 can emit a second error ("Connection lost before handshake") after the first,
      // and an 'error' without a listener would crash the whole process. fail() answers only once.
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (seen && opts.hostKeySha256 === null) return fail(new AppError('ssh.host_key_unknown', { host: target.host, fingerprint: seen }));
        if (seen && opts.hostKeySha256 !== null && seen !== opts.hostKeySha256) {
          return fail(new AppError('ssh.host_key_mismatch', { host: target.host, expected: opts.hostKeySha256, got: seen }));
        }
        fail(mapConnectError(error, target));
      });
      client.once('close', () => fail(new AppError('ssh.disconnected', { host: target.host })));
      const config: ConnectConfig = {
        host: target.host,
        port: target.port,
        username: target.user,
        // An empty key (host key probe) means: offer no authentication at all.
        privateKey: target.privateKey.length > 0 ? target.privateKey : undefined,
        passphrase: target.passphrase,
        readyTimeout: opts.readyTimeoutMs ?? 15_000,
        keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: opts.keepaliveCountMax ?? 3,
        // Verified before authentication: a mismatch stops everything before any command runs.
        hostVerifier: (key: Buffer) => {
          seen = sha256Fingerprint(key);
          return opts.hostKeySha256 !== null && seen === opts.hostKeySha256;
        },
        tryKeyboard: false,
        sock: opts.sock,
      };
      // Nagle's algorithm plus the server's delayed ACK stalls every short command by ~40 ms (ssh2
      // leaves TCP_NODELAY off); interactive request/response traffic wants it on, as OpenSSH does.
      client.once('connect', () => client.setNoDelay(true));
      try {
        client.connect(config);
      } catch (error) {
        fail(mapConnectError(error as Error, target));
      }
    });
  }

  /**
   * The host key fingerprint of a server we have never seen, for the user to compare and accept
   * (trust on first use). No authentication is attempted.
   */
  static async probeHostKey(target: Omit<SshTarget, 'privateKey'>, opts: { readyTimeoutMs?: number; sock?: ConnectConfig['sock'] } = {}): Promise<string> {
    try {
      await SshConnection.connect({ ...target, privateKey: Buffer.alloc(0) }, { hostKeySha256: null, ...opts });
    } catch (error) {
      if (error instanceof AppError && error.code === 'ssh.host_key_unknown') return String(error.params.fingerprint);
      throw error;
    }
    throw new AppError('internal.unexpected', { method: 'ssh.probe' });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new AppError('ssh.disconnected', { host: this.target.host }));
    this.roundTrips++;
    this.active++;
    this.disarmIdle();
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (error, channel: ClientChannel) => {
        if (error) {
          this.done();
          return reject(this.closed ? new AppError('ssh.disconnected', { host: this.target.host }) : new AppError('ssh.exec_failed', { host: this.target.host }));
        }
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        let finished = false;
        // On timeout: ask the server to kill the command and close the channel, and answer at once
        // (OpenSSH may keep the channel until the process exits; the caller must not wait for it).
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              timedOut = true;
              channel.signal('KILL');
              channel.close();
              finish(null, 'KILL');
            }, opts.timeoutMs)
          : null;
        const onAbort = () => {
          channel.signal('TERM');
          channel.close();
          finish(null, 'TERM');
        };
        if (opts.signal?.aborted) queueMicrotask(onAbort);
        else opts.signal?.addEventListener('abort', onAbort, { once: true });
        const onConnClose = () => finish(null, null, true);
        this.onClose.add(onConnClose);
        const finish = (code: number | null, signal: string | null, lost = false) => {
          if (finished) return;
          finished = true;
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          this.onClose.delete(onConnClose);
          this.done();
          if (lost && !timedOut) return reject(new AppError('ssh.disconnected', { host: this.target.host }));
          resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started, timedOut });
        };
        channel.stderr.setEncoding('utf8');
        if (opts.onStdoutBytes) {
          const onBytes = opts.onStdoutBytes;
          channel.on('data', (chunk: Buffer) => onBytes(chunk));
        } else {
          channel.setEncoding('utf8');
          channel.on('data', (chunk: string) => {
            stdout += chunk;
            opts.onStdout?.(chunk);
          });
        }
        channel.stderr.on('data', (chunk: string) => {
          stderr += chunk;
          opts.onStderr?.(chunk);
        });
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        channel.on('exit', (code: number | null, signal?: string) => {
          exitCode = code;
          exitSignal = signal ?? null;
        });
        channel.on('close', () => finish(exitCode, exitSignal));
        if (opts.stdin !== undefined) channel.end(opts.stdin);
        else channel.end();
      });
    });
  }

  /** Runs a shell script given on stdin, as the login user or as root through `sudo -n`. */
  run(script: string, opts: Omit<ExecOptions, 'stdin'> & { privilege?: Privilege | 'user' } = {}): Promise<ExecResult> {
    const command = opts.privilege === 'sudo' ? 'sudo -n -H sh -s' : 'sh -s';
    return this.exec(command, { ...opts, stdin: script });
  }

  private async sftp(): Promise<SFTPWrapper> {
    if (this.sftpSession) return this.sftpSession;
    this.roundTrips++;
    this.sftpSession = await new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) => (error ? reject(new AppError('ssh.sftp_failed', { host: this.target.host })) : resolve(sftp)));
    });
    this.sftpSession.on('close', () => (this.sftpSession = null));
    return this.sftpSession;
  }

  /**
   * Writes a file the login user can write, atomically: a temp file in the same folder created
   * with the final mode (0600 by default, never world-readable even for a moment), then renamed over.
   */
  async upload(remotePath: string, content: string | Buffer, mode = 0o600): Promise<void> {
    this.active++;
    this.disarmIdle();
    const tmp = `${remotePath}.tmp-${randomBytes(6).toString('hex')}`;
    let sftp: SFTPWrapper | null = null;
    try {
      const session = await this.sftp();
      sftp = session;
      this.roundTrips += 3;
      await new Promise<void>((resolve, reject) => {
        const stream = session.createWriteStream(tmp, { mode, flags: 'w' });
        stream.on('error', reject);
        stream.on('close', () => resolve());
        stream.end(content);
      });
      await new Promise<void>((resolve, reject) => session.chmod(tmp, mode, (e) => (e ? reject(e) : resolve())));
      await new Promise<void>((resolve, reject) =>
        session.ext_openssh_rename(tmp, remotePath, (e) => (e ? reject(e) : resolve())),
      );
    } catch (error) {
      // A half-written copy (of a secret, maybe) is not left behind.
      const session = sftp;
      if (session) await new Promise<void>((resolve) => session.unlink(tmp, () => resolve()));
      if (error instanceof AppError) throw error;
      throw new AppError('ssh.upload_failed', { host: this.target.host, path: remotePath, reason: (error as Error).message.slice(0, 120) });
    } finally {
      this.done();
    }
  }

  /** Sends a local file (large: a database dump) with parallel writes, to a private temp name then renamed. */
  async uploadFile(localPath: string, remotePath: string, mode = 0o600): Promise<void> {
    this.active++;
    this.disarmIdle();
    try {
      const sftp = await this.sftp();
      const tmp = `${remotePath}.tmp-${randomBytes(6).toString('hex')}`;
      this.roundTrips += 3;
      await new Promise<void>((resolve, reject) => sftp.fastPut(localPath, tmp, { mode }, (e) => (e ? reject(e) : resolve())));
      await new Promise<void>((resolve, reject) => sftp.chmod(tmp, mode, (e) => (e ? reject(e) : resolve())));
      await new Promise<void>((resolve, reject) => sftp.ext_openssh_rename(tmp, remotePath, (e) => (e ? reject(e) : resolve())));
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (this.closed) throw new AppError('ssh.disconnected', { host: this.target.host });
      throw new AppError('ssh.upload_failed', { host: this.target.host, path: remotePath, reason: (error as Error).message.slice(0, 120) });
    } finally {
      this.done();
    }
  }

  /**
   * Reads a file the login user can read, from byte `offset` to its end, handing the bytes to `onData`
   * in file order. Several reads are in flight at once (as OpenSSH's sftp does: one read per round trip
   * would cap the speed at chunk / RTT). Every byte given to `onData` is final, so after a cut connection
   * the caller resumes from the bytes it has with a new connection. ssh2's fastGet cannot start at an offset.
   */
  async download(
    remotePath: string,
    opts: { offset?: number; onData: (chunk: Buffer) => void | Promise<void>; signal?: AbortSignal; chunkSize?: number; concurrency?: number },
  ): Promise<{ size: number }> {
    this.active++;
    this.disarmIdle();
    const chunkSize = opts.chunkSize ?? 256 * 1024;
    const concurrency = opts.concurrency ?? 32;
    const fail = (error: unknown): AppError =>
      error instanceof AppError ? error : this.closed ? new AppError('ssh.disconnected', { host: this.target.host }) : new AppError('ssh.sftp_failed', { host: this.target.host });
    let handle: Buffer | null = null;
    let sftp: SFTPWrapper | null = null;
    try {
      sftp = await this.sftp();
      const s = sftp;
      this.roundTrips += 2;
      const h = await new Promise<Buffer>((resolve, reject) => s.open(remotePath, 'r', (e, hd) => (e ? reject(e) : resolve(hd))));
      handle = h;
      const size = await new Promise<number>((resolve, reject) => s.fstat(h, (e, st) => (e ? reject(e) : resolve(st.size))));
      const read = (position: number, length: number): Promise<Buffer> =>
        new Promise((resolve, reject) => {
          const buf = Buffer.allocUnsafe(length);
          s.read(h, buf, 0, length, position, (e, n) => (e ? reject(e) : resolve(buf.subarray(0, n))));
        });
      let next = Math.min(opts.offset ?? 0, size);
      let written = next;
      const inflight: { position: number; length: number; data: Promise<Buffer> }[] = [];
      const issue = () => {
        while (next < size && inflight.length < concurrency) {
          const length = Math.min(chunkSize, size - next);
          const data = read(next, length);
          data.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
          inflight.push({ position: next, length, data });
          next += length;
        }
      };
      issue();
      while (inflight.length > 0) {
        if (opts.signal?.aborted) throw new AppError('deploy.cancelled');
        const head = inflight.shift()!;
        let chunk = await head.data;
        // A short read (the server's limit): fetch the rest of this chunk before going on, in order.
        while (chunk.length < head.length) {
          if (chunk.length === 0) throw new AppError('ssh.sftp_failed', { host: this.target.host });
          await opts.onData(chunk);
          written += chunk.length;
          head.position += chunk.length;
          head.length -= chunk.length;
          chunk = await read(head.position, head.length);
        }
        await opts.onData(chunk);
        written += chunk.length;
        this.roundTrips++;
        issue();
      }
      return { size: written };
    } catch (error) {
      throw fail(error);
    } finally {
      if (handle && sftp && !this.closed) sftp.close(handle, () => undefined);
      this.done();
    }
  }

  /**
   * What this login can do as root: 'root' when it is root, 'sudo' with password-less sudo.
   * A missing or password-protected sudo is a typed error, found before anything changes.
   */
  async privilege(): Promise<Privilege> {
    const r = await this.exec('id -u; id -Gn; command -v sudo >/dev/null 2>&1 && { sudo -n true 2>&1; echo "sudo=$?"; } || echo "sudo=absent"');
    const [uid, groups = '', ...rest] = r.stdout.trim().split('\n');
    if (uid?.trim() === '0') return 'root';
    const text = rest.join('\n');
    if (/sudo=0\s*$/.test(text)) return 'sudo';
    // sudo answers "a password is required" both to users who may sudo with a password and to users
    // who may not sudo at all; membership of the usual admin groups tells them apart.
    const admin = groups.split(/\s+/).some((g) => g === 'sudo' || g === 'wheel' || g === 'admin');
    if (admin && /password is required|a terminal is required/i.test(text)) throw new AppError('ssh.sudo_password', { user: this.target.user, host: this.target.host });
    throw new AppError('ssh.sudo_missing', { user: this.target.user, host: this.target.host });
  }

  close(): void {
    if (this.closed) return;
    this.client.end();
    this.markClosed(null);
  }

  private markClosed(error: AppError | null): void {
    if (this.closed) return;
    this.closed = true;
    this.disarmIdle();
    for (const listener of [...this.onClose]) listener(error);
  }

  private done(): void {
    this.active--;
    this.armIdle();
  }

  private armIdle(): void {
    if (this.idleTimeoutMs <= 0 || this.active > 0 || this.closed) return;
    this.disarmIdle();
    this.idleTimer = setTimeout(() => this.close(), this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function mapConnectError(error: Error & { level?: string; code?: string }, target: Pick<SshTarget, 'host' | 'port' | 'user'>): AppError {
  const params = { host: target.host, port: target.port, user: target.user };
  if (error.level === 'client-authentication') return new AppError('ssh.auth_failed', params);
  if (error.code === 'ECONNREFUSED') return new AppError('ssh.connection_refused', params);
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return new AppError('ssh.host_not_found', params);
  if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') return new AppError('ssh.unreachable', params);
  if (error.level === 'client-timeout' || /timed out/i.test(error.message)) return new AppError('ssh.timeout', params);
  if (/Cannot parse privateKey|Unsupported key format|Encrypted private/i.test(error.message)) return new AppError('ssh.key_invalid', params);
  if (error.code === 'ECONNRESET') return new AppError('ssh.disconnected', params);
  return new AppError('ssh.connect_failed', { ...params, reason: error.message.slice(0, 120) });
}

export { shQuote };
