import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../store/json-file';

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
  /** Starting size; by default the log's size (a resumed run appends to its log, its offsets go on from there). */
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
    if (this.opts.offset === undefined) this.offset = (await stat(this.opts.file)).size;
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

const jobOffsetsSchema = z.record(z.string().regex(/^[a-z0-9-]{1,120}$/u), z.number().int().min(0));

/**
 * How far each control-host job's raw output is in the run's log (`<run>.jobs.json` beside it), so a re-attach
 * after the app restarted starts there instead of replaying the job from its first byte into the log again.
 * Saved at most every `everyMs` while a job streams, and at once when asked (the job ended, the connection went).
 */
export class JobOffsets {
  private offsets: Record<string, number> = {};
  private timer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly everyMs = 500,
  ) {}

  static fileFor(logFile: string): string {
    return logFile.replace(/\.log$/u, '') + '.jobs.json';
  }

  async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch(() => null);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const ok = jobOffsetsSchema.safeParse(parsed);
    this.offsets = ok.success ? ok.data : {};
  }

  get(job: string): number | undefined {
    return this.offsets[job];
  }

  set(job: string, offset: number): void {
    this.offsets[job] = offset;
    this.timer ??= setTimeout(() => void this.save(), this.everyMs);
  }

  delete(job: string): void {
    if (!(job in this.offsets)) return;
    delete this.offsets[job];
    void this.save();
  }

  save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const snapshot = { ...this.offsets };
    this.saving = this.saving.then(() => writeJsonAtomic(this.file, snapshot)).catch(() => undefined);
    return this.saving;
  }
}
