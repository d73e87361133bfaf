import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xtermHeadless from '@xterm/headless';
import { RunOutput } from '../electron/main/k3s/output';
import { LocalK3sHost } from '../electron/main/k3s/pty-local';
import { Redactor } from '../electron/main/redaction';
import { TerminalFeed } from '../renderer/src/k3s/terminal-feed';
import { median, type Bench } from './lib/bench';

// 20 MB of coloured terminal output (Terraform-like lines with ANSI colours and a few secrets in them) through the
// path a K3s run's output takes: a pseudo-terminal (node-pty, as on this computer) → streamed redaction → the run
// log and the screens' events (batched, serialised as the WebSocket frames of web mode). Baseline, in the same run:
// `cat` of the same file into a pipe read by this process. Then the renderer's side: the same events fed to the
// terminal view's feed and xterm's parser (its headless twin): every byte written, none dropped.

// CommonJS: Node's ESM loader sees its default export only.
const { Terminal } = xtermHeadless;
const SIZE = 20 * 1024 * 1024;
const RUNS = 3;
const SECRETS = ['CANARYas0d4e8f2a6b7c9d1e', 'CANARYck5a1b9c3d7e2f4a6b8c', 'tok-7f3e9b1c5a2d'];

async function writeInput(path: string): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let i = 0;
  while (written < SIZE) {
    const secret = i % 997 === 0 ? ` application_secret=${SECRETS[i % SECRETS.length]}` : '';
    const line = `\u001b[1movh_cloud_project_instance.node[${i % 64}]: \u001b[32mStill creating...\u001b[0m [${i}0s elapsed]${secret}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += Buffer.byteLength(line);
    i++;
  }
  await new Promise<void>((r) => out.end(() => r()));
  return (await stat(path)).size;
}

/** `cat file` into a pipe this process drains. */
function catPipe(file: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let bytes = 0;
    const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - started, bytes }));
  });
}

/** node-pty alone reading the same file (nothing done with the chunks): what the pseudo-terminal itself costs. */
async function rawPty(dir: string, file: string): Promise<number> {
  const host = new LocalK3sHost({ dataDir: dir, profileId: 'raw' });
  await host.init();
  const started = performance.now();
  const job = await host.startJob(`raw-${Date.now()}`, `exec cat ${JSON.stringify(file)}\n`, {});
  job.onData(() => undefined);
  await job.done;
  return performance.now() - started;
}

interface PtyRun {
  ms: number;
  ptyBytes: number;
  emitted: number;
  frames: number;
  frameBytes: number;
  chunks: { offset: number; data: string }[];
  leaked: boolean;
}

/** The same bytes through node-pty → redaction → run log + batched events (JSON frames). */
async function ptyPath(dir: string, file: string, keep: boolean): Promise<PtyRun> {
  const host = new LocalK3sHost({ dataDir: dir, profileId: 'bench' });
  await host.init();
  const chunks: { offset: number; data: string }[] = [];
  let frames = 0;
  let frameBytes = 0;
  let emitted = 0;
  let leaked = false;
  const output = new RunOutput({
    file: join(dir, 'run.log'),
    emit: (c) => {
      const frame = JSON.stringify({ event: 'k3s.output', payload: { profileId: 'bench', runId: 'r', ...c } });
      frames++;
      frameBytes += frame.length;
      emitted += Buffer.byteLength(c.data);
      if (SECRETS.some((s) => c.data.includes(s))) leaked = true;
      if (keep) chunks.push({ offset: c.offset, data: c.data });
    },
  });
  await output.open();
  const secrets = new Redactor();
  for (const s of SECRETS) secrets.register(s);
  const redactor = secrets.stream();
  const started = performance.now();
  let ptyBytes = 0;
  const job = await host.startJob(`bench-${Date.now()}`, `exec cat ${JSON.stringify(file)}\n`, {});
  job.onData((chunk) => {
    ptyBytes += Buffer.byteLength(chunk);
    output.write('bench', redactor.push(chunk));
  });
  await job.done;
  output.write('bench', redactor.flush());
  await output.close();
  return { ms: performance.now() - started, ptyBytes, emitted, frames, frameBytes, chunks, leaked };
}

/** The renderer's side: the events through the terminal view's feed into xterm's parser. */
async function terminalSide(chunks: { offset: number; data: string }[], total: number): Promise<{ ms: number; written: number; repeated: number }> {
  const term = new Terminal({ cols: 160, rows: 40, scrollback: 20_000, allowProposedApi: true });
  const feed = new TerminalFeed({ write: (data, done) => term.write(data, done) }, async (offset) => ({ offset, data: '', total }));
  const started = performance.now();
  for (const c of chunks) feed.push(c.offset, c.data);
  await new Promise<void>((resolve) => term.write('', () => resolve()));
  const ms = performance.now() - started;
  term.dispose();
  return { ms, written: feed.written, repeated: feed.repeated };
}

const bench: Bench = {
  description: 'K3s terminal output (20 MB, coloured) through pty → redaction → UI events, ratio to cat into a pipe; the terminal view keeps every byte',
  async run(log) {
    const dir = await mkdtemp(join(tmpdir(), 'kgt-pty-bench-'));
    try {
      const file = join(dir, 'input.txt');
      const size = await writeInput(file);
      log(`input: ${(size / 1048576).toFixed(1)} MB of coloured lines (${SECRETS.length} secrets scattered in them)`);
      const cats: number[] = [];
      const ptys: number[] = [];
      const raws: number[] = [];
      let last: PtyRun | null = null;
      for (let i = 0; i < RUNS; i++) {
        const c = await catPipe(file);
        if (c.bytes !== size) throw new Error(`cat read ${c.bytes} of ${size} bytes`);
        cats.push(c.ms);
        raws.push(await rawPty(join(dir, `raw-${i}`), file));
        const p = await ptyPath(join(dir, `run-${i}`), file, i === RUNS - 1);
        ptys.push(p.ms);
        last = p;
        log(`run ${i + 1}: cat → pipe ${c.ms.toFixed(0)} ms; pty alone ${raws[i]!.toFixed(0)} ms; pty → redaction → events ${p.ms.toFixed(0)} ms (${p.frames} events, ${(p.frameBytes / 1048576).toFixed(1)} MB of frames)`);
        if (p.leaked) throw new Error('a secret reached an event');
      }
      const cat = median(cats);
      const pty = median(ptys);
      const run = last!;
      log(`pty bytes read: ${run.ptyBytes} (the terminal turns each \\n into \\r\\n: ${run.ptyBytes - size} more than the file)`);
      log(`bytes emitted after redaction: ${run.emitted}; secrets reaching an event: 0`);
      const raw = median(raws);
      log(`throughput: cat ${(size / 1048576 / (cat / 1000)).toFixed(0)} MB/s, pty alone ${(size / 1048576 / (raw / 1000)).toFixed(0)} MB/s, pty path ${(size / 1048576 / (pty / 1000)).toFixed(0)} MB/s`);
      log(`the app's own part (redaction, log, events) on top of the pty: ${(pty / raw).toFixed(2)}×`);
      const term = await terminalSide(run.chunks, run.emitted);
      const dropped = run.emitted - term.written;
      log(`renderer terminal (feed + xterm parser): ${term.written} of ${run.emitted} bytes written in ${term.ms.toFixed(0)} ms (${(run.emitted / 1048576 / (term.ms / 1000)).toFixed(0)} MB/s), dropped: ${dropped}, repeated: ${term.repeated}`);
      if (dropped !== 0) throw new Error(`the terminal dropped ${dropped} bytes`);
      log(`ratio (median of ${RUNS}): ${(pty / cat).toFixed(2)}`);
      return { value: pty / cat, decimals: 2 };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
