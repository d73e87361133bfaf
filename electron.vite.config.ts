import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './electron/main/security/window-options';

/**
 * The packaged app loads index.html from a file, where no response header can carry a CSP: put the
 * same policy in a meta tag at build time (not in dev, where Vite injects inline scripts).
 */
function cspMeta(): Plugin {
  return {
    name: 'koprogo-csp-meta',
    apply: 'build',
    transformIndexHtml(html) {
      const policy = contentSecurityPolicy(null).replace("; frame-ancestors 'none'", '');
      return html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
    },
  };
}

// Three bundles: the main process (Node), the sandboxed preload, and the React renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('electron/main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot `require` our own chunks: emit one self-contained CommonJS file.
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
      externalizeDeps: false,
    },
  },
  renderer: {
    root: 'renderer',
    publicDir: resolve('assets'),
    plugins: [react(), cspMeta()],
    build: {
      outDir: resolve('out/renderer'),
      minify: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
