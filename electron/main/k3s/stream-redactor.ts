// Redaction of a stream (terminal output arrives in chunks of any size): a secret split across two chunks must be
// masked too. Each push masks what it can and holds back the end of the text when it could be the beginning of a
// secret; the next chunk completes it (or proves it was not one). `flush` releases what is held at the end, or
// when the stream stays quiet (a prompt must show). Small and replaceable: the app's logger (log.ts) does whole
// texts; this wraps it for streams with the secrets this run knows.

export const MASK = '••••••';

export class StreamRedactor {
  private carry = '';
  /** The end of what a flush let out: a secret that began there is masked in what follows. */
  private shown = '';

  /**
   * @param secrets the values to mask (read on every push: secrets learnt during the run count at once)
   * @param redact a whole-text redaction applied after ours (the app logger's, for every registered secret)
   */
  constructor(
    private readonly secrets: () => readonly string[],
    private readonly redact: (text: string) => string = (t) => t,
  ) {}

  /** The part of `carry + chunk` that is safe to show now, masked. */
  push(chunk: string): string {
    const secrets = this.active();
    let text = this.carry + chunk;
    if (this.shown) {
      text = maskContinuation(this.shown, text, secrets);
      this.shown = '';
    }
    const masked = mask(text, secrets);
    const hold = heldSuffix(masked, secrets);
    this.carry = masked.slice(masked.length - hold);
    const out = masked.slice(0, masked.length - hold);
    return out ? this.redact(out) : '';
  }

  /** Whether some text is held back (a possible start of a secret). */
  get holding(): boolean {
    return this.carry.length > 0;
  }

  /** Everything held back, masked. */
  flush(): string {
    const out = this.carry;
    this.carry = '';
    if (!out) return '';
    const masked = mask(out, this.active());
    this.shown = masked.slice(-4096);
    return this.redact(masked);
  }

  private active(): string[] {
    // Longest first, so a secret containing another is masked whole; too short values would mask everything.
    return [...new Set(this.secrets())].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  }
}

/**
 * After a flush showed the beginning of a secret (the stream stopped there), the rest of it at the start of the
 * next text is masked: at most the part shown before the pause is seen, never the whole value.
 */
function maskContinuation(shown: string, text: string, secrets: readonly string[]): string {
  for (const s of secrets) {
    for (let k = Math.min(s.length - 1, shown.length); k >= 1; k--) {
      if (shown.endsWith(s.slice(0, k)) && text.startsWith(s.slice(k))) return MASK + text.slice(s.length - k);
    }
  }
  return text;
}

function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Length of the longest end of `text` that is a proper beginning of one of the secrets. */
function heldSuffix(text: string, secrets: readonly string[]): number {
  let best = 0;
  for (const s of secrets) {
    const first = s[0]!;
    const from = Math.max(0, text.length - (s.length - 1));
    for (let i = from; i < text.length; i++) {
      if (text[i] !== first) continue;
      const n = text.length - i;
      if (n > best && s.startsWith(text.slice(i))) {
        best = n;
        break;
      }
    }
  }
  return best;
}
