import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { MIN_SECRET_LENGTH, Redactor, type RegisterResult, type StreamRedactor } from './redaction';

export { MASK, MIN_SECRET_LENGTH, type RegisterResult, type StreamRedactor } from './redaction';

export interface ShortSecret {
  label: string;
  length: number;
}

/**
 * A small logger: lines go to a file (and stderr when asked) after every registered secret has been
 * masked. Services register secrets as soon as they learn them; details are redacted value by value
 * before they are formatted (see redaction.ts), and streams go through `streamRedactor()`.
 */
export class Logger {
  private readonly redactor = new Redactor();
  private readonly short: ShortSecret[] = [];

  constructor(private readonly file: string | null, private readonly echo = false) {
    if (file) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }

  /**
   * Masks `value` (and its common encodings, and each line of a multi-line value) from now on. A value
   * shorter than MIN_SECRET_LENGTH cannot be masked without masking ordinary words: it is reported (in the
   * log, without the value, and in `shortSecrets()`), and the result says so.
   */
  registerSecret(value: string, opts: { label?: string } = {}): RegisterResult {
    const result = this.redactor.register(value);
    if (result.status === 'too_short') {
      const label = (opts.label ?? 'unnamed').slice(0, 80);
      if (!this.short.some((s) => s.label === label && s.length === result.length)) {
        this.short.push({ label, length: result.length });
        this.write('WARN', `a secret (${label}) of ${result.length} characters is shorter than ${MIN_SECRET_LENGTH}: it cannot be masked in logs`);
      }
    }
    return result;
  }

  /** Secrets too short to be masked, by label, reported once each. */
  shortSecrets(): readonly ShortSecret[] {
    return this.short;
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** A copy of any value (event payload, error, object) with every string in it redacted. */
  redactValue<T>(value: T): T {
    return this.redactor.redactValue(value);
  }

  /** A redactor for one stream (command output, a job's log, a terminal), chunk by chunk. */
  streamRedactor(): StreamRedactor {
    return this.redactor.stream();
  }

  info(message: string, detail?: unknown): void {
    this.write('INFO', message, detail);
  }

  warn(message: string, detail?: unknown): void {
    this.write('WARN', message, detail);
  }

  error(message: string, detail?: unknown): void {
    this.write('ERROR', message, detail);
  }

  private write(level: string, message: string, detail?: unknown): void {
    let extra = '';
    if (detail !== undefined) {
      // Values first, then formatting: util.inspect escapes quotes and backslashes, after which a secret's
      // literal no longer matches.
      const safe = this.redactor.redactValue(detail);
      extra = ` ${typeof safe === 'string' ? safe : inspect(safe, { depth: 4, breakLength: Infinity })}`;
    }
    const line = this.redactor.redact(`${new Date().toISOString()} ${level} ${message}${extra}`);
    if (this.file) this.append(this.file, `${line}\n`);
    if (this.echo) process.stderr.write(`${line}\n`);
  }

  /**
   * A log line must never break the work it describes: a logs folder removed under a running app is made
   * again; any other failure (a full disk) sends the line to stderr, and the run goes on.
   */
  private append(file: string, text: string): void {
    try {
      appendFileSync(file, text, { mode: 0o600 });
    } catch (error) {
      try {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        appendFileSync(file, text, { mode: 0o600 });
      } catch {
        process.stderr.write(text);
      }
    }
  }
}
