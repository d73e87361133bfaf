import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

// A run's terminal output after redaction: appended to the run's log file (0600, in the data folder; what a
// re-opened screen replays) and sent to the screens in batches (one event per ~30 ms or 64 KB, not per chunk),
// each with its byte offset in the log so a screen can tell a gap from a repeat.

export interface OutputChunk {
  stepId: string;
  offset: number;
  data: string;
}

export interface RunOutputOptions {
  file: string;
  emit: (chunk: OutputChunk) => void;
  /** Starting size (a resumed run appends to its log). */
  offset?: number;
  flushMs?: number;
  maxBatchBytes?: number;
}

export class RunOutput {
  private pending = '';
  private pendingStep = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stream: WriteStream | null = null;
  /** Bytes emitted (and written) so far. */
  offset: number;

  constructor(private readonly opts: RunOutputOptions) {
    this.offset = opts.offset ?? 0;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.opts.file), { recursive: true, mode: 0o700 });
    this.stream = createWriteStream(this.opts.file, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      this.stream!.once('open', () => resolve());
      this.stream!.once('error', reject);
    });
    this.stream.on('error', () => undefined);
  }

  write(stepId: string, text: string): void {
    if (!text) return;
    if (this.pendingStep !== stepId && this.pending) this.flush();
    this.pendingStep = stepId;
    this.pending += text;
    if (this.pending.length >= (this.opts.maxBatchBytes ?? 65_536)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 30);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const data = this.pending;
    this.pending = '';
    const offset = this.offset;
    this.offset += Buffer.byteLength(data, 'utf8');
    this.stream?.write(data);
    this.opts.emit({ stepId: this.pendingStep, offset, data });
  }

  async close(): Promise<void> {
    this.flush();
    const s = this.stream;
    this.stream = null;
    if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
  }
}

/** Up to `max` bytes of a run log from `offset`, cut at a character boundary; total is the log's size. */
export async function readOutput(file: string, offset: number, max: number): Promise<{ data: string; next: number; total: number }> {
  let total: number;
  try {
    total = (await stat(file)).size;
  } catch {
    return { data: '', next: offset, total: 0 };
  }
  if (offset >= total) return { data: '', next: offset, total };
  const handle = await open(file, 'r');
  try {
    const length = Math.min(max, total - offset);
    // One byte more than asked: it tells whether the cut falls inside a character.
    const buf = Buffer.alloc(length + 1);
    const { bytesRead } = await handle.read(buf, 0, length + 1, offset);
    let end = Math.min(bytesRead, length);
    // Do not cut a character: back off to the start of a split multi-byte sequence.
    if (bytesRead > length) while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
    return { data: buf.subarray(0, end).toString('utf8'), next: offset + end, total };
  } finally {
    await handle.close();
  }
}
