// Feeds a terminal view with a run's output exactly once and in order, whatever arrives when: the replay of what
// was sent before the view opened (`k3s.output` method), then the live events, each carrying its byte offset in the
// run's output. A repeat is skipped, an overlap trimmed, a gap (an event lost while the page was away) filled
// from the replay. Writes go through the terminal's own callback, so what was written is counted, not assumed.
// Pure (no DOM): the same class feeds xterm.js in the app and xterm's headless twin in the bench.

export interface TerminalSink {
  write(data: string, done: () => void): void;
}

export interface ReplayPage {
  offset: number;
  data: string;
  total: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string): number => encoder.encode(s).length;

export class TerminalFeed {
  /** Next byte offset the terminal needs. */
  private expected = 0;
  /** Bytes the terminal confirmed written. */
  written = 0;
  /** Bytes skipped as repeats (never shown twice). */
  repeated = 0;
  private filling: Promise<void> | null = null;
  private readonly held: { offset: number; data: string }[] = [];
  /** The view's own lines that came during a replay: written after it. */
  private readonly notes: string[] = [];
  private stopped = false;

  constructor(
    private readonly sink: TerminalSink,
    private readonly fetchPage: (offset: number) => Promise<ReplayPage>,
  ) {}

  get offset(): number {
    return this.expected;
  }

  /** Everything from the start (or from where the view is) up to the end of the log. */
  async replay(): Promise<void> {
    await this.fill();
  }

  /** A live event. */
  push(offset: number, data: string): void {
    if (this.stopped) return;
    if (this.filling) {
      this.held.push({ offset, data });
      return;
    }
    this.accept(offset, data);
  }

  /**
   * A line the view writes itself (connection lost, run finished): shown after what is already written, never
   * counted as output, so the offsets of the run's bytes stay as they are.
   */
  note(text: string): void {
    if (this.stopped) return;
    if (this.filling) this.notes.push(text);
    else this.sink.write(text, () => undefined);
  }

  stop(): void {
    this.stopped = true;
  }

  private accept(offset: number, data: string): void {
    const size = bytes(data);
    if (offset + size <= this.expected) {
      this.repeated += size;
      return;
    }
    if (offset > this.expected) {
      // Something was missed: fetch it (this event included) from the log.
      this.held.push({ offset, data });
      void this.fill();
      return;
    }
    let text = data;
    if (offset < this.expected) {
      const skip = this.expected - offset;
      this.repeated += skip;
      text = decoder.decode(encoder.encode(data).subarray(skip));
    }
    this.emit(text, size - (this.expected - offset));
  }

  private emit(text: string, size: number): void {
    if (size <= 0) return;
    this.expected += size;
    this.sink.write(text, () => (this.written += size));
  }

  private fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (;;) {
          if (this.stopped) return;
          const page = await this.fetchPage(this.expected);
          if (page.offset !== this.expected) return;
          if (page.data) this.emit(page.data, bytes(page.data));
          if (!page.data || this.expected >= page.total) break;
        }
      } finally {
        this.filling = null;
      }
      const held = this.held.splice(0).sort((a, b) => a.offset - b.offset);
      for (const h of held) this.accept(h.offset, h.data);
      if (!this.filling) for (const n of this.notes.splice(0)) this.sink.write(n, () => undefined);
    })();
    return this.filling;
  }
}
