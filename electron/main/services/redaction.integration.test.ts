import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LocalJournalStore } from '../engine/journal';
import { Remote } from '../engine/remote';
import { StepRunner } from '../engine/runner';
import { DEFAULT_LAYOUT, type Step } from '../engine/types';
import { Logger } from '../log';
import { MemorySecretStore } from '../secrets/secret-store';
import { SshConnection } from '../ssh/connection';
import { startSshd, type SshdHandle } from '../testing';
import { startWebServer, type WebServer } from '../web-server';
import { runnerOutput } from './deploy-service';
import { createHandlers, redactedEmit } from './handlers';

// The property of the issue, end to end: random secrets, random encodings, random split points — printed by
// a real server over SSH (in chunks, as `runner.exec` and a detached job deliver them), failing a step with
// it on stderr, echoed in an error a method answers — never reach the log file, the UI events, the local or
// the server's journal, or the WebSocket frames of web mode.

let sshd: SshdHandle;
let conn: SshConnection;
let server: WebServer;
let log: Logger;
let logFile: string;
let root: string;
const frames: string[] = [];
let ws: WebSocket;

beforeAll(async () => {
  sshd = await startSshd();
  conn = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  root = mkdtempSync(join(tmpdir(), 'kgt-redact-'));
  chmodSync(root, 0o755);
  logFile = join(root, 'logs', 'web.log');
  log = new Logger(logFile);
  const dataDir = join(root, 'data');
  const staticDir = mkdtempSync(join(tmpdir(), 'kgt-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
  // As web.ts does it: one logger for the server and the services.
  server = await startWebServer({
    staticDir,
    log,
    handlers: (emit) => createHandlers({ dataDir, appName: 'x', appVersion: '0', frontDoor: 'web', systemLanguages: () => [], openExternal: null, emit, log, secrets: new MemorySecretStore() }),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  const token = new URL(server.loginUrl).hash.replace('#token=', '');
  const res = await fetch(`${origin}/session`, { method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Origin: origin, Cookie: cookie } });
  ws.on('message', (data) => frames.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}, 60_000);
afterAll(async () => {
  ws?.close();
  conn?.close();
  await server?.close();
  await sshd?.stop();
});

const secretArb = fc
  .string({ unit: fc.constantFrom(...Array.from('abcXYZ019\'"\\ /+=%&?#:é€😀-_$`')), minLength: 8, maxLength: 32 })
  .filter((s) => s.trim().length >= 8 && !s.includes('\n'));
const encodings: Record<string, (s: string) => string> = {
  raw: (s) => s,
  json: (s) => JSON.stringify({ password: s }),
  inspect: (s) => inspect({ password: s }),
  uri: (s) => `https://x.example/?p=${encodeURIComponent(s)}`,
  base64: (s) => Buffer.from(s).toString('base64'),
  basic: (s) => `Authorization: Basic ${Buffer.from(`admin:${s}`).toString('base64')}`,
  shell: (s) => `export P='${s.replace(/'/g, `'\\''`)}'`,
};

/** The secret, and its encoded form's secret-only part (what a reader could decode back). */
function forbidden(secret: string, encoding: string): string[] {
  const out = [secret];
  if (encoding === 'base64') out.push(Buffer.from(secret).toString('base64').slice(0, -4));
  if (encoding === 'basic') out.push(Buffer.from(`admin:${secret}`).toString('base64').slice(8, -4));
  if (encoding === 'uri') out.push(encodeURIComponent(secret));
  return out.filter((f) => f.length >= 8);
}

/** A step printing the file's bytes in pieces cut at `cuts`, with pauses so they leave as separate SSH chunks. */
function printInPieces(file: string, size: number, cuts: number[], stream: 'out' | 'err'): string {
  const points = [0, ...cuts.map((c) => c % (size + 1)).sort((a, b) => a - b), size].filter((v, i, a) => i === 0 || v > a[i - 1]!);
  const redirect = stream === 'err' ? ' >&2' : '';
  const lines: string[] = [];
  for (let i = 1; i < points.length; i++) lines.push(`tail -c +${points[i - 1]! + 1} ${file} | head -c ${points[i]! - points[i - 1]!}${redirect}`, 'sleep 0.05');
  return lines.join('\n');
}

let run = 0;

describe('the issue’s reproduction', () => {
  it('a secret split across two chunks of runner.exec output reaches the UI events whole and masked', async () => {
    const secret = "pa'ss\\wörd-Secret99";
    const local = new Logger(null);
    local.registerSecret(secret);
    const lines: string[] = [];
    const runner = new StepRunner({
      remote: new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir: join(root, 'split-state') }),
      journals: new LocalJournalStore(join(root, 'split-data')),
      profileId: 'split',
      owner: { owner: 'ana', machine: 'laptop' },
      redact: (t) => local.redact(t),
      redactStream: () => local.streamRedactor(),
      onStep: () => undefined,
      // The command's output only (the engine's own lines, such as "applying", are not what is tested here).
      onLog: (e) => {
        if (e.stream !== 'engine') lines.push(e.line);
      },
    });
    const script = `printf '%s' 'token=pa'\\''ss\\wö'; sleep 0.3; printf '%s\\n' 'rd-Secret99'; printf 'second line\\n'\n`;
    const result = await runner.run([{ id: 'split', check: null, apply: [{ kind: 'run', command: { as: 'login', script } }], verify: null }]);
    expect(result.outcome).toBe('succeeded');
    expect(lines).toEqual(['token=••••••', 'second line']);
  });
});

describe('property: a secret never leaves in clear', () => {
  it('through SSH output, detached jobs, step failures, method errors, events, journals and WebSocket frames', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.constantFrom(...Object.keys(encodings)), fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 3 }), async (secret, encoding, cuts) => {
        run++;
        log.registerSecret(secret, { label: `canary ${run}` });
        const payload = `before ${encodings[encoding]!(secret)} after`;
        const dir = join(root, `run-${run}`);
        const file = join(dir, 'payload');
        const stateDir = join(dir, 'state');
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        // The script names a file, never the secret: what is redacted is what the server prints.
        writeFileSync(file, `${payload}\n`, { mode: 0o644 });
        const size = Buffer.byteLength(`${payload}\n`);
        const steps: Step[] = [
          { id: 'detached', check: null, apply: [{ kind: 'run', command: { as: 'root', detached: true, script: `${printInPieces(file, size, cuts, 'out')}\n` } }], verify: null },
          {
            id: 'failing',
            check: null,
            apply: [{ kind: 'run', command: { as: 'root', script: `${printInPieces(file, size, cuts, 'out')}\n${printInPieces(file, size, cuts, 'err')}\nexit 3\n` } }],
            verify: null,
          },
        ];
        const emit = redactedEmit(log, server.emit);
        const journals = new LocalJournalStore(join(dir, 'data'));
        const runner = new StepRunner({
          remote: new Remote(conn, await conn.privilege(), { ...DEFAULT_LAYOUT, stateDir }),
          journals,
          profileId: 'canary',
          owner: { owner: 'ana', machine: 'laptop', machineId: 'm1' },
          ...runnerOutput('canary', log, emit),
        });
        const result = await runner.run(steps);
        expect(result.outcome).toBe('failed');
        expect(result.error?.code).toBe('deploy.unsupported_os');
        emit('deploy.finished', { profileId: 'canary', runId: result.runId, outcome: result.outcome, failedStep: result.failedStep, error: result.error?.toEnvelope() ?? null, roundTrips: result.roundTrips });
        log.error('deploy failed', result.error);
        // A method whose error echoes what it was given (an address with the secret in it).
        const id = 1000 + run;
        ws.send(JSON.stringify({ id, method: 'shell.openExternal', input: { url: `https://not-allowed.example/${encodings[encoding]!(secret)}` } }));
        ws.send(JSON.stringify({ id: id + 100000, method: 'settings.get', input: {} }));
        for (let i = 0; i < 400 && !frames.some((f) => f.includes(`"id":${id + 100000}`)); i++) await new Promise((r) => setTimeout(r, 25));
        expect(frames.some((f) => f.includes(`"id":${id}`) && f.includes('shell.url_not_allowed'))).toBe(true);
        // Something of the payload did arrive (the test checks a real stream, not an empty one).
        expect(frames.some((f) => f.includes('"deploy.log"') && f.includes('before'))).toBe(true);
        const sinks = {
          logFile: readFileSync(logFile, 'utf8'),
          frames: frames.join('\n'),
          localJournal: readdirSync(join(dir, 'data', 'journals')).map((f) => readFileSync(join(dir, 'data', 'journals', f), 'utf8')).join('\n'),
          serverJournal: existsSync(join(stateDir, 'journal.json')) ? readFileSync(join(stateDir, 'journal.json'), 'utf8') : '',
        };
        for (const f of forbidden(secret, encoding)) for (const [name, text] of Object.entries(sinks)) expect(text.includes(f), `${name} holds ${JSON.stringify(f)} (${encoding})`).toBe(false);
      }),
      { numRuns: 10 },
    );
  }, 300_000);
});
