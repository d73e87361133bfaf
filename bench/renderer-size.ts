import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { build, type BuildEnvironmentOptions } from 'vite';
import { kb, removeScratch, repoRoot, scratchDir, type Bench } from './lib/bench';
import { buildTarget } from './lib/electron-vite-build';
import { firstScreenJs, GZIP_LEVEL, total, type SizedFile } from './lib/first-screen-js';

// Renderer JavaScript the wizard's first screen loads, gzipped, against a bare React + zustand page
// built by the same Vite, plugin and settings in the same run. KB here are 1024 bytes.

const BUDGET_KB = 120;

const BARE_HTML = `<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>bare</title></head>
  <body><div id="root"></div><script type="module" src="/main.tsx"></script></body>
</html>
`;

const BARE_MAIN = `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { create } from 'zustand';

const useCounter = create<{ count: number; increment: () => void }>()((set) => ({
  count: 0,
  increment: () => set((state) => ({ count: state.count + 1 })),
}));

function Counter() {
  const count = useCounter((state) => state.count);
  const increment = useCounter((state) => state.increment);
  return <button onClick={increment}>Clicked {count} times</button>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Counter />
  </StrictMode>,
);
`;

const bench: Bench = {
  description: 'first-screen renderer JS, KB gzip (ratio to a bare React + zustand page printed)',
  async run(log) {
    const scratch = await scratchDir('renderer-size');
    const bareDir = await mkdtemp(join(tmpdir(), 'koprogo-bench-bare-'));
    try {
      const app = await buildTarget('renderer', scratch);
      const appJs = await firstScreenJs(app.outDir, app.outputs);

      // The bare page lives outside the repository; a node_modules link lets it resolve the
      // project's own react, react-dom and zustand, as the app does.
      await writeFile(join(bareDir, 'index.html'), BARE_HTML);
      await writeFile(join(bareDir, 'main.tsx'), BARE_MAIN);
      await symlink(join(repoRoot, 'node_modules'), join(bareDir, 'node_modules'), 'dir');
      const bareOut = join(bareDir, 'dist');
      const sameAsApp: BuildEnvironmentOptions = {
        target: app.config.build.target,
        modulePreload: { polyfill: false },
        minify: true,
      };
      const output = await build({
        configFile: false,
        root: bareDir,
        base: './',
        mode: 'production',
        logLevel: 'warn',
        plugins: [react()],
        build: { ...sameAsApp, outDir: bareOut, emptyOutDir: true },
      });
      if (!Array.isArray(output) && !('output' in output)) throw new Error('vite build returned a watcher');
      const bareJs = await firstScreenJs(bareOut, Array.isArray(output) ? output : [output]);

      const appGzip = total(appJs.initial, 'gzip');
      const bareGzip = total(bareJs.initial, 'gzip');
      log(`gzip level ${GZIP_LEVEL}, each file on its own; KB = 1024 bytes; minify: ${String(app.config.build.minify)}, target: ${String(app.config.build.target)}`);
      describe(log, 'app first screen', appJs.initial);
      if (appJs.lazy.length > 0) describe(log, 'app lazy chunks (not counted)', appJs.lazy);
      describe(log, 'bare React+zustand page', bareJs.initial);
      log(`budget: ${BUDGET_KB} KB gzip, ${appGzip / 1024 <= BUDGET_KB ? 'within' : 'OVER'} (${kb(appGzip)} KB)`);
      log(`ratio to bare React+zustand: ${(appGzip / bareGzip).toFixed(2)}`);
      return { value: appGzip / 1024, decimals: 1 };
    } finally {
      await rm(bareDir, { recursive: true, force: true });
      await removeScratch(scratch);
    }
  },
};

function describe(log: (line: string) => void, label: string, files: readonly SizedFile[]): void {
  log(`${label}: ${files.length} file(s), ${kb(total(files, 'raw'))} KB raw, ${kb(total(files, 'gzip'))} KB gzip`);
  for (const f of files) log(`  ${f.file}  ${kb(f.raw)} KB raw  ${kb(f.gzip)} KB gzip`);
}

export default bench;
