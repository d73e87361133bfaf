import { randomBytes } from 'node:crypto';
import { shQuote } from '../ssh/quote';

/**
 * Puts non-secret text into a script as a quoted here-document (no expansion inside). Falls back to
 * a single-quoted printf when the text contains the delimiter. Never used for secret content: that
 * goes over SFTP.
 */
export function heredocTo(target: string, text: string): string {
  let delimiter = 'KOPROGO_EOF';
  while (text.split('\n').includes(delimiter)) delimiter = `KOPROGO_EOF_${randomBytes(4).toString('hex')}`;
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `cat > ${target} <<'${delimiter}'\n${body}${delimiter}\n`;
}

export function printfTo(target: string, text: string): string {
  return `printf '%s' ${shQuote(text)} > ${target}\n`;
}
