import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';

/**
 * A small logger: lines go to a file (and stderr when asked) after every registered secret value has
 * been masked. Services register secrets as soon as they learn them.
 */
export class Logger {
  private readonly secrets = new Set<string>();

  constructor(private readonly file: string | null, private readonly echo = false) {
    if (file) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }

  registerSecret(value: string): void {
    if (value.length >= 4) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('••••••');
    return out;
  }

  info(message: string, detail?: unknown): void {
    this.write('INFO', message, detail);
  }

  error(message: string, detail?: unknown): void {
    this.write('ERROR', message, detail);
  }

  private write(level: string, message: string, detail?: unknown): void {
    const extra = detail === undefined ? '' : ` ${typeof detail === 'string' ? detail : inspect(detail, { depth: 4, breakLength: Infinity })}`;
    const line = this.redact(`${new Date().toISOString()} ${level} ${message}${extra}`);
    if (this.file) appendFileSync(this.file, `${line}\n`, { mode: 0o600 });
    if (this.echo) process.stderr.write(`${line}\n`);
  }
}
