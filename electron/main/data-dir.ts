import { homedir } from 'node:os';
import { join } from 'node:path';

export const PRODUCT_NAME = 'KoproGo Deploy';

/**
 * The same folder Electron's `app.getPath('userData')` gives for our product name, so the desktop
 * app, web mode and the CLI share profiles. KOPROGO_DATA_DIR overrides it (tests, portable use).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.KOPROGO_DATA_DIR) return env.KOPROGO_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}

/** Languages the OS prefers, from the environment (CLI and web mode; Electron asks the OS itself). */
export function envLanguages(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = [env.LC_ALL, env.LC_MESSAGES, env.LANGUAGE, env.LANG].filter((v): v is string => !!v && v !== 'C' && v !== 'POSIX');
  return raw.flatMap((v) => v.split(':')).map((v) => v.split('.')[0]!.replace('_', '-')).filter(Boolean);
}
