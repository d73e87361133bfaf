// The one function that puts a value into a shell command. POSIX sh single quotes: nothing inside
// is special except the quote itself, which becomes '\''. Written by hand because it is four lines
// and every shell-quote package on npm targets a different shell or parses as well as quotes.

const SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

export function shQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them: `sh(['ls', '-l', dir])`. */
export function shJoin(args: readonly string[]): string {
  return args.map(shQuote).join(' ');
}
