import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, envLanguages, PRODUCT_NAME } from './data-dir';
import { Logger } from './log';
import { createHandlers } from './services/handlers';
import { endpointsFromEnv } from './services/endpoints';
import { startWebServer } from './web-server';
import { providerEndpointsFromEnv } from './services/provider-service';
import { upgradeTestOverridesFromEnv } from './services/upgrade-test-env';

// `npm run web`: the app in a browser on this machine, same services, same contract.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const dataDir = defaultDataDir();
  const staticDir = process.env.KOPROGO_WEB_STATIC ?? join(root, 'out/renderer');
  const log = new Logger(join(dataDir, 'logs', 'web.log'));
  // Web mode has no auto-update; the end-to-end tests drive the banner with a stand-in release.
  const fake = process.env.KOPROGO_FAKE_UPDATE;
  const updater = fake && /^\d+\.\d+\.\d+/.test(fake) ? (await import('./testing/fake-updater')).fakeUpdater(fake) : null;
  const server = await startWebServer({
    staticDir,
    log,
    port: process.env.KOPROGO_WEB_PORT ? Number(process.env.KOPROGO_WEB_PORT) : 0,
    handlers: (emit) =>
      createHandlers({
        dataDir,
        appName: PRODUCT_NAME,
        appVersion: pkg.version,
        frontDoor: 'web',
        // One logger for the server and the services: the secrets the services register are masked in
        // everything the server writes or answers too.
        log,
        ...endpointsFromEnv(process.env),
        systemLanguages: () => envLanguages(),
        openExternal: null,
        updater,
        emit,
        providers: providerEndpointsFromEnv(process.env),
        // End-to-end tests only: local resolvers and a short wait for the phase 2 → 3 DNS propagation.
        ...upgradeTestOverridesFromEnv(process.env),
      }),
  });
  // The token is printed once, here, and nowhere else (not in the log file).
  process.stdout.write(`KoproGo Deploy is running for this computer only.\nOpen: ${server.loginUrl}\nPress Ctrl+C to stop.\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Could not start web mode: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
