import { heredocTo } from '../engine/heredoc';
import { shQuote } from '../ssh/quote';

// The shell scripts that run a K3s step on a control host inside tmux, as the login user, so that a lost SSH
// connection does not stop it: tmux gives the step its pseudo-terminal (colours, prompts) and keeps it after the
// connection is gone; `pipe-pane` copies every byte the terminal shows into a log file the app follows by offset,
// so a re-attach replays exactly what was missed. Variables travel through a named pipe the wrapper reads once
// (written over SSH's stdin): never on a command line, never in a file. Pure: tested by string comparison and run
// against the real sshd in the integration tests.

export interface TmuxPaths {
  /** The run's workspace (absolute). */
  workspace: string;
  /** tmux's socket (kept short: unix sockets are limited to ~100 characters). */
  socket: string;
}

const JOB = /^[a-z0-9][a-z0-9-]{0,99}$/;

function check(job: string): string {
  if (!JOB.test(job)) throw new Error(`not a job id: ${job}`);
  return job;
}

export const jobDir = (p: TmuxPaths, job: string): string => `${p.workspace}/runs/${check(job)}`;

/** Waits for the go-ahead (the log pipe is in place), reads the variables once, runs the step, keeps its exit code. */
export const WRAPPER = `d=$1
while [ ! -f "$d/go" ]; do sleep 0.05; done
while read -r k v; do
  [ -n "$k" ] || break
  export "$k=$(printf '%s' "$v" | base64 -d)"
done < "$d/env.fifo"
rm -f "$d/env.fifo"
echo $$ > "$d/pid"
bash "$d/script.sh"
code=$?
printf '%s\\n' "$code" > "$d/exit.tmp" && mv -f "$d/exit.tmp" "$d/exit"
`;

/**
 * Starts the job unless it exists; prints `started` or `exists` (then `env` too when the wrapper still waits for
 * its variables: the app was stopped between the two).
 */
export function launchScript(p: TmuxPaths, job: string, script: string, cols = 160, rows = 40): string {
  const d = jobDir(p, job);
  const q = (x: string) => shQuote(x);
  const pipe = `cat >> ${q(`${d}/log`)}; touch ${q(`${d}/log.done`)}`;
  return [
    'set -eu',
    'umask 077',
    `d=${q(d)}`,
    `sock=${q(p.socket)}`,
    'command -v tmux >/dev/null 2>&1 || { echo "koprogo: tmux is not installed" >&2; exit 47; }',
    `mkdir -p ${q(`${p.workspace}/runs`)} "$(dirname "$sock")"`,
    'if mkdir "$d" 2>/dev/null; then',
    heredocTo('"$d/script.sh"', script).trimEnd(),
    heredocTo('"$d/wrapper.sh"', WRAPPER).trimEnd(),
    '  mkfifo "$d/env.fifo"',
    '  : > "$d/log"',
    `  tmux -S "$sock" new-session -d -s ${check(job)} -x ${cols} -y ${rows} ${q(`exec bash ${q(`${d}/wrapper.sh`)} ${q(d)}`)}`,
    `  tmux -S "$sock" pipe-pane -t ${job} ${q(pipe)}`,
    '  touch "$d/go"',
    '  echo started',
    'else',
    '  echo exists',
    'fi',
    'if [ -p "$d/env.fifo" ]; then echo env; fi',
  ].join('\n') + '\n';
}

/** Hands the variables to a waiting wrapper: `NAME base64` lines on stdin (see envPayload), then an empty line. */
export function envScript(p: TmuxPaths, job: string): string {
  return `d=${shQuote(jobDir(p, job))}\n[ -p "$d/env.fifo" ] || exit 0\ncat > "$d/env.fifo"\n`;
}

export function envPayload(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not a variable name: ${k}`);
    return `${k} ${Buffer.from(v, 'utf8').toString('base64')}`;
  });
  return `${lines.join('\n')}\n\n`;
}

/**
 * Follows the job's terminal log from `offset` bytes to its end: each round prints exactly the bytes between the
 * last position and the size seen, so nothing is skipped or repeated. Ends with the exit code on stderr
 * (`lost` when tmux went away without finishing, e.g. a reboot).
 */
export function followScript(p: TmuxPaths, job: string, offset: number): string {
  if (!Number.isInteger(offset) || offset < 0) throw new Error('offset');
  return [
    `d=${shQuote(jobDir(p, job))}`,
    `sock=${shQuote(p.socket)}`,
    `pos=${offset}`,
    'gone=0',
    'i=0',
    'while :; do',
    '  fin=0; [ -f "$d/log.done" ] && fin=1',
    '  size=$(wc -c < "$d/log" 2>/dev/null || echo 0)',
    '  if [ "$size" -gt "$pos" ]; then tail -c +$((pos + 1)) "$d/log" | head -c $((size - pos)); pos=$size; fi',
    '  [ "$fin" = 1 ] && break',
    '  i=$((i + 1))',
    '  if [ $((i % 20)) = 0 ]; then',
    `    if tmux -S "$sock" has-session -t ${shQuote(`=${check(job)}`)} 2>/dev/null; then gone=0; else gone=$((gone + 1)); fi`,
    '    [ "$gone" -ge 3 ] && { echo lost >&2; exit 0; }',
    '  fi',
    '  sleep 0.1',
    'done',
    'cat "$d/exit" >&2 2>/dev/null || echo lost >&2',
  ].join('\n') + '\n';
}

/** Types text into the job's terminal: the text comes on stdin (a value typed by the user never reaches argv). */
export function inputScript(p: TmuxPaths, job: string): string {
  const buffer = shQuote(`in-${check(job)}`);
  return `sock=${shQuote(p.socket)}\ntmux -S "$sock" load-buffer -b ${buffer} - && tmux -S "$sock" paste-buffer -d -b ${buffer} -t ${job}\n`;
}

/** Ctrl-C in the job's terminal (SIGINT to its foreground processes, as a user pressing it). */
export function interruptScript(p: TmuxPaths, job: string): string {
  return `tmux -S ${shQuote(p.socket)} send-keys -t ${check(job)} C-c\n`;
}

/** Ends the job: SIGTERM to its process group, then the tmux session (SIGHUP to what is left). */
export function stopScript(p: TmuxPaths, job: string): string {
  const d = shQuote(jobDir(p, job));
  return [
    `d=${d}`,
    'if [ -f "$d/pid" ] && [ ! -f "$d/exit" ]; then kill -TERM -"$(cat "$d/pid")" 2>/dev/null || true; fi',
    'i=0; while [ ! -f "$d/exit" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done',
    `tmux -S ${shQuote(p.socket)} kill-session -t ${shQuote(`=${check(job)}`)} 2>/dev/null || true`,
  ].join('\n') + '\n';
}

export function stateScript(p: TmuxPaths, job: string): string {
  return [
    `d=${shQuote(jobDir(p, job))}`,
    'if [ ! -d "$d" ]; then echo none',
    'elif [ -f "$d/log.done" ] || [ -f "$d/exit" ]; then echo finished',
    `elif tmux -S ${shQuote(p.socket)} has-session -t ${shQuote(`=${check(job)}`)} 2>/dev/null; then echo running`,
    'else echo finished',
    'fi',
  ].join('\n') + '\n';
}

/** The raw terminal log and the scripts go once the app has the (redacted) output; the exit code stays. */
export function discardScript(p: TmuxPaths, job: string): string {
  return `d=${shQuote(jobDir(p, job))}\nrm -f "$d/log" "$d/script.sh" "$d/wrapper.sh" "$d/env.fifo" "$d/go"\n`;
}
