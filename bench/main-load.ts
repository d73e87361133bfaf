import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { kb, median, removeScratch, scratchDir, type Bench } from './lib/bench';
import { buildTarget } from './lib/electron-vite-build';

// Time for a fresh Node process to import the built main-process bundle with Electron stubbed out
// (nothing past `app.whenReady()` runs), as a ratio to importing an empty module through the same
// harness. Sizes are printed alongside.
//
// The stub is a package at bench/.tmp/main-load/node_modules/electron, which plain Node resolution
// finds from the bundle's folder before the real `electron` package. A module.register() resolve
// hook would do the same, but on Node 20 every resolution then crosses to the hooks thread: that
// added ~45 ms to the ~70 ms zod takes to load, a cost Electron itself never pays.

const RUNS = 15;
const CHILD_TIMEOUT_MS = 30_000;
const run = promisify(execFile);

// Exports every Electron main-process module name plus whatever the bundle imports from 'electron'.
const ELECTRON_EXPORTS = [
  'app', 'autoUpdater', 'BaseWindow', 'BrowserView', 'BrowserWindow', 'clipboard', 'contentTracing', 'crashReporter',
  'desktopCapturer', 'dialog', 'globalShortcut', 'inAppPurchase', 'ipcMain', 'Menu', 'MenuItem', 'MessageChannelMain',
  'nativeImage', 'nativeTheme', 'net', 'netLog', 'Notification', 'powerMonitor', 'powerSaveBlocker', 'protocol',
  'pushNotifications', 'safeStorage', 'screen', 'session', 'shell', 'systemPreferences', 'TouchBar', 'Tray',
  'utilityProcess', 'WebContentsView', 'webContents', 'webFrameMain', 'contextBridge', 'ipcRenderer', 'webFrame',
];

/** Inert stand-ins: every member is callable and records the call; `whenReady()` never settles. */
const STUB_BODY = `
const calls = (globalThis.__benchElectronCalls ??= []);
const dataDir = process.env.KOPROGO_DATA_DIR;
const never = () => new Promise(() => {});
const special = {
  'app.whenReady': never,
  'app.requestSingleInstanceLock': () => true,
  'app.isPackaged': false,
  'app.isReady': () => false,
  'app.getPath': () => dataDir,
  'app.getAppPath': () => dataDir,
  'app.getName': () => 'KoproGo Deploy',
  'app.getVersion': () => '0.0.0',
  'app.getLocale': () => 'en',
  'app.getPreferredSystemLanguages': () => ['en'],
  'BrowserWindow.getAllWindows': () => [],
  'BrowserWindow.getFocusedWindow': () => null,
  'webContents.getAllWebContents': () => [],
};
const chainable = new Set(['on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'setMaxListeners']);
function inert(path) {
  const target = function () {};
  const proxy = new Proxy(target, {
    get(_t, prop) {
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      const key = path + '.' + prop;
      if (key in special && typeof special[key] !== 'function') return special[key];
      if (key in special) return (...args) => { calls.push(key); return special[key](...args); };
      if (chainable.has(prop)) return () => { calls.push(key); return proxy; };
      return inert(key, proxy);
    },
    apply() { calls.push(path); return undefined; },
    construct() { calls.push('new ' + path); return inert(path + '#instance'); },
  });
  return proxy;
}
`;

function stubModule(names: readonly string[]): string {
  const exports = names.map((name) => `export const ${name} = inert(${JSON.stringify(name)});`).join('\n');
  return `${STUB_BODY}\n${exports}\nexport default { ${names.join(', ')} };\n`;
}

const CHILD = `
const url = process.argv[2];
const t0 = performance.now();
await import(url);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, electronCalls: globalThis.__benchElectronCalls ?? null }));
process.exit(0);
`;

/** Bare packages the bundle leaves external (zod…), to show how much of the load is theirs. */
function externalPackages(code: string): string[] {
  const specifiers = [...code.matchAll(/(?:^|\n)\s*import\s*(?:[^'"]*?\sfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]!);
  return [...new Set(specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && s !== 'electron' && !s.startsWith('electron/')))];
}

/** Names the bundle imports from 'electron' (so the stub always has them). */
function importedElectronNames(code: string): string[] {
  const names: string[] = [];
  for (const match of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']electron(?:\/[a-z]+)?["']/g)) {
    for (const part of match[1]!.split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0]?.trim();
      if (name && /^[A-Za-z_$][\w$]*$/.test(name)) names.push(name);
    }
  }
  return names;
}

const spread = (ms: readonly number[]): string =>
  `median ${median(ms).toFixed(2)} ms (min ${Math.min(...ms).toFixed(2)}, max ${Math.max(...ms).toFixed(2)})`;

interface ChildResult {
  ms: number;
  /** null when the stub was never loaded. */
  electronCalls: string[] | null;
}

const bench: Bench = {
  description: 'import time of the main-process bundle (Electron stubbed), ratio to an empty module',
  async run(log) {
    const scratch = await scratchDir('main-load');
    try {
      const main = await buildTarget('main', scratch);
      const chunks = main.outputs.flatMap((o) => o.output).filter((item) => item.type === 'chunk');
      const entry = chunks.find((chunk) => chunk.isEntry);
      if (!entry) throw new Error('the main build has no entry chunk');
      const bundle = join(main.outDir, entry.fileName);
      const code = (await readFile(bundle)).toString('utf8');

      const stubDir = join(scratch, 'node_modules', 'electron');
      await mkdir(stubDir, { recursive: true });
      const names = [...new Set([...ELECTRON_EXPORTS, ...importedElectronNames(code)])];
      await writeFile(join(stubDir, 'package.json'), JSON.stringify({ name: 'electron', type: 'module', exports: { '.': './index.js', './main': './index.js', './common': './index.js' } }));
      await writeFile(join(stubDir, 'index.js'), stubModule(names));
      await writeFile(join(scratch, 'child.mjs'), CHILD);
      const empty = join(scratch, 'empty.mjs');
      await writeFile(empty, '');
      const externals = externalPackages(code);
      const externalsOnly = join(scratch, 'externals.mjs');
      await writeFile(externalsOnly, externals.map((name) => `import ${JSON.stringify(name)};`).join('\n'));

      const env: NodeJS.ProcessEnv = { ...process.env, KOPROGO_DATA_DIR: join(scratch, 'data') };
      delete env.NODE_OPTIONS;
      delete env.ELECTRON_RENDERER_URL;
      const importOnce = async (file: string): Promise<ChildResult> => {
        const args = [join(scratch, 'child.mjs'), pathToFileURL(file).href];
        const { stdout } = await run(process.execPath, args, { env, cwd: scratch, timeout: CHILD_TIMEOUT_MS });
        return JSON.parse(stdout) as ChildResult;
      };

      // One discarded warm-up each (disk cache), then rotate which goes first.
      const series = [
        { file: bundle, ms: [] as number[] },
        { file: empty, ms: [] as number[] },
        { file: externalsOnly, ms: [] as number[] },
      ];
      const first = await importOnce(bundle);
      const importsElectron = /\bfrom\s*["']electron(?:\/\w+)?["']/.test(code);
      if (importsElectron && first.electronCalls === null) throw new Error('the Electron stub was not loaded');
      for (const s of series.slice(1)) await importOnce(s.file);
      for (let i = 0; i < RUNS; i += 1) {
        for (let j = 0; j < series.length; j += 1) {
          const s = series[(i + j) % series.length]!;
          s.ms.push((await importOnce(s.file)).ms);
        }
      }
      const [mainMs, emptyMs, externalMs] = series.map((s) => s.ms) as [number[], number[], number[]];

      const otherChunks = chunks.filter((chunk) => chunk !== entry);
      const sizeOf = async (file: string): Promise<{ raw: number; gzip: number }> => {
        const body = await readFile(join(main.outDir, file));
        return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
      };
      const entrySize = await sizeOf(entry.fileName);
      const ratio = median(mainMs) / median(emptyMs);
      const calls = [...new Set(first.electronCalls ?? [])];
      log(`bundle: ${entry.fileName}, ${kb(entrySize.raw)} KB raw, ${kb(entrySize.gzip)} KB gzip (level 9, KB = 1024 bytes)`);
      for (const chunk of otherChunks) {
        const size = await sizeOf(chunk.fileName);
        log(`  chunk ${chunk.fileName}: ${kb(size.raw)} KB raw, ${kb(size.gzip)} KB gzip${chunk.isDynamicEntry ? ' (dynamic import, not loaded at start)' : ''}`);
      }
      log(`Electron calls while loading: ${calls.join(', ') || 'none'}`);
      log(`runs: ${RUNS} each, a fresh node ${process.version} per run, order rotated, after one warm-up each`);
      log(`import main bundle: ${spread(mainMs)}`);
      log(`import its external packages alone (${externals.join(', ') || 'none'}): ${spread(externalMs)}`);
      log(`import empty module: ${spread(emptyMs)}`);
      return { value: ratio, decimals: 2 };
    } finally {
      await removeScratch(scratch);
    }
  },
};

export default bench;
