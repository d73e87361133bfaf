import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { AppError } from '../../shared/errors';
import type { SshConnection } from '../ssh/connection';

// The download of a dump to this computer: into `<file>.part` (0600), resumed from the bytes already
// there after a cut connection (a new connection, SFTP reads from that offset), the sha256 computed
// on the way and compared with the server's before the file takes its final name.

export interface DownloadProgress {
  bytes: number;
  totalBytes: number;
  /** Bytes per second since this attempt started. */
  rate: number | null;
  resumedFrom: number | null;
}

export interface DownloadOptions {
  /** The connection to start with; `reconnect` gives a new one after a cut. */
  conn: SshConnection;
  reconnect: () => Promise<SshConnection>;
  remotePath: string;
  /** Final local path; the partial download lives at `${localPath}.part`. */
  localPath: string;
  expected: { sizeBytes: number; sha256: string };
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** New connections after cuts, at most; default 5. */
  maxReconnects?: number;
  /** Waits between reconnections (tests make it short); default 1 s, doubled. */
  backoffMs?: number;
  chunkSize?: number;
  concurrency?: number;
}

export interface DownloadResult {
  /** The connection in use at the end (a new one after a cut); the caller closes it. */
  conn: SshConnection;
  /** Where the first resumption started (an earlier partial file or a cut), null when it went in one go. */
  resumedFrom: number | null;
  reconnects: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(path: string, bytes: number): Promise<ReturnType<typeof createHash>> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash;
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { start: 0, end: bytes - 1 })
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve());
  });
  return hash;
}

function retryable(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'ssh.disconnected' || error.code === 'ssh.sftp_failed' || error.code === 'ssh.timeout' || error.code === 'ssh.connection_refused');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(new AppError('deploy.cancelled'))), { once: true });
  });

export async function downloadDump(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.localPath}.part`;
  const total = opts.expected.sizeBytes;
  let conn = opts.conn;
  let reconnects = 0;
  let resumedFrom: number | null = null;
  let fromZeroAgain = false;
  for (;;) {
    let offset = await sizeOf(part);
    if (offset > total) {
      await truncate(part, 0);
      offset = 0;
    }
    if (offset > 0) resumedFrom ??= offset;
    const hash = await hashPrefix(part, offset);
    const file = await open(part, offset > 0 ? 'a' : 'w', 0o600).catch(() => {
      throw new AppError('backup.local_write_failed', { path: part });
    });
    let bytes = offset;
    try {
      for (;;) {
        const started = performance.now();
        const startBytes = bytes;
        let lastEmit = 0;
        try {
          await conn.download(opts.remotePath, {
            offset: bytes,
            signal: opts.signal,
            chunkSize: opts.chunkSize,
            concurrency: opts.concurrency,
            onData: async (chunk) => {
              try {
                await file.write(chunk);
              } catch {
                throw new AppError('backup.local_write_failed', { path: part });
              }
              hash.update(chunk);
              bytes += chunk.length;
              const now = performance.now();
              if (now - lastEmit > 200 || bytes === total) {
                lastEmit = now;
                const secs = (now - started) / 1000;
                opts.onProgress?.({ bytes, totalBytes: total, rate: secs > 0.05 ? (bytes - startBytes) / secs : null, resumedFrom });
              }
            },
          });
          break;
        } catch (error) {
          if (!retryable(error) || opts.signal?.aborted || reconnects >= (opts.maxReconnects ?? 5)) throw error;
          // A cut: the bytes written so far are final; go on from there with a new connection.
          await file.datasync().catch(() => undefined);
          resumedFrom ??= bytes;
          reconnects++;
          conn.close();
          await sleep((opts.backoffMs ?? 1000) * 2 ** (reconnects - 1), opts.signal);
          conn = await reconnectWithRetry(opts, reconnects);
        }
      }
      await file.sync();
    } finally {
      await file.close();
    }
    const sha = hash.digest('hex');
    if (bytes === total && sha === opts.expected.sha256) {
      await rename(part, opts.localPath);
      return { conn, resumedFrom, reconnects };
    }
    // What arrived is not the dump: start again from zero once, then report it.
    await rm(part, { force: true });
    if (fromZeroAgain) throw new AppError('backup.checksum_mismatch', { expected: opts.expected.sha256.slice(0, 12), got: sha.slice(0, 12) });
    fromZeroAgain = true;
  }
}

async function reconnectWithRetry(opts: DownloadOptions, attempt: number): Promise<SshConnection> {
  for (let i = 0; ; i++) {
    try {
      return await opts.reconnect();
    } catch (error) {
      if (!retryable(error) || i >= 3 || opts.signal?.aborted) throw error;
      await sleep((opts.backoffMs ?? 1000) * 2 ** (attempt + i), opts.signal);
    }
  }
}
