import { resolve } from 'node:path';
import { resolveConfig } from 'electron-vite';
import { build, type Plugin, type ResolvedConfig, type Rolldown } from 'vite';
import { repoRoot } from './bench';

export type Target = 'main' | 'preload' | 'renderer';

export interface TargetBuild {
  /** Where the files went: `<outDir>/<target>`, as `electron-vite build --outDir` lays them out. */
  outDir: string;
  outputs: Rolldown.RolldownOutput[];
  /** The config Vite actually used, presets applied (e.g. the Chromium target electron-vite picked). */
  config: ResolvedConfig;
}

/**
 * Builds one part of the app exactly as `electron-vite build` would (same config file, same presets),
 * but under `outDir` so the developer's `out/` is left alone.
 */
export async function buildTarget(target: Target, outDir: string): Promise<TargetBuild> {
  const saved = { nodeEnv: process.env.NODE_ENV, evEnv: process.env.NODE_ENV_ELECTRON_VITE, cwd: process.cwd() };
  // The config file resolves its paths against the working directory, as under `npm run build`.
  process.chdir(repoRoot);
  process.env.NODE_ENV_ELECTRON_VITE = 'production';
  let resolvedConfig: ResolvedConfig | undefined;
  const capture: Plugin = {
    name: 'bench:capture-config',
    configResolved(config) {
      resolvedConfig = config;
    },
  };
  try {
    const resolved = await resolveConfig(
      { root: repoRoot, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } },
      'build',
      'production',
    );
    const config = resolved.config?.[target];
    if (!config) throw new Error(`electron.vite.config.ts has no ${target} section`);
    config.plugins = [...(config.plugins ?? []), capture];
    const output = await build(config);
    if (!Array.isArray(output) && !('output' in output)) throw new Error('vite build returned a watcher');
    if (!resolvedConfig) throw new Error('vite build did not resolve a config');
    return { outDir: resolve(resolvedConfig.root, resolvedConfig.build.outDir), outputs: Array.isArray(output) ? output : [output], config: resolvedConfig };
  } finally {
    process.chdir(saved.cwd);
    restoreEnv('NODE_ENV', saved.nodeEnv);
    restoreEnv('NODE_ENV_ELECTRON_VITE', saved.evEnv);
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
