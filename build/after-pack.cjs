// electron-builder afterPack hook: flips the Electron fuses of the packed binary.
// It runs after the app.asar is written and before code signing, so the signature covers the flipped
// bits and the OS (Gatekeeper, Authenticode) refuses a binary whose fuses were flipped back.
// CommonJS on purpose: electron-builder require()s hooks, and package.json says "type": "module".
'use strict';

const path = require('node:path');
const { flipFuses, getCurrentFuseWire, FuseVersion, FuseV1Options } = require('@electron/fuses');

const FUSE_ENABLED = 0x31; // '1' in the binary's fuse wire
const FUSE_DISABLED = 0x30; // '0'
const FUSE_REMOVED = 0x72; // 'r': Electron dropped the feature, nothing to flip

// Order of builder-util's `Arch` enum; electron-builder passes the number.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/** @param {number | string} arch */
function archName(arch) {
  return typeof arch === 'number' ? ARCH_NAMES[arch] : arch;
}

/**
 * The fuse wire we ship. A function of the target so a unit test can check every value without
 * an Electron binary.
 * @param {{ platform: string, arch: number | string }} target electron platform name and arch
 */
function fuseConfig({ platform, arch }) {
  const isMac = platform === 'darwin' || platform === 'mas';
  const a = archName(arch);
  return {
    version: FuseVersion.V1,
    // Flipping a fuse breaks the ad-hoc signature that Apple silicon needs to launch an unsigned
    // build; re-sign ad hoc there (a universal app carries an arm64 slice). Real signing follows.
    resetAdHocDarwinSignature: isMac && (a === 'arm64' || a === 'universal'),
    // ELECTRON_RUN_AS_NODE would turn the signed app into a plain Node interpreter for anyone.
    [FuseV1Options.RunAsNode]: false,
    // Cookies (e.g. GitHub sign-in) encrypted with the OS key, as Chrome does.
    [FuseV1Options.EnableCookieEncryption]: true,
    // NODE_OPTIONS / NODE_EXTRA_CA_CERTS and --inspect would let another process inject code.
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    // app.asar checked against the hash electron-builder embeds (Info.plist on macOS, a resource
    // on Windows), and no fallback to an unpacked app/ folder that would escape that check.
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
    // file:// pages get no more than a browser gives them. The renderer must therefore be served
    // through a custom protocol (protocol.handle), not loadFile(): Vite's module scripts are
    // blocked on a plain file:// origin.
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

/**
 * Path @electron/fuses expects: the .app bundle on macOS (it finds the Electron Framework inside),
 * the .exe on Windows, the executable on Linux.
 * @param {{ appOutDir: string, electronPlatformName: string, packager: any }} context
 */
function electronBinaryPath({ appOutDir, electronPlatformName, packager }) {
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`after-pack: no Electron binary path known for platform ${electronPlatformName}`);
  }
}

/** @param {import('app-builder-lib').AfterPackContext} context */
async function afterPack(context) {
  const binary = electronBinaryPath(context);
  const fuses = fuseConfig({ platform: context.electronPlatformName, arch: context.arch });
  const wires = await flipFuses(binary, fuses);
  // Read the wire back: a build must never ship with a fuse silently left at its default.
  const current = await getCurrentFuseWire(binary);
  for (const [key, value] of Object.entries(fuses)) {
    if (!/^\d+$/.test(key)) continue;
    const state = current[key];
    if (state !== (value ? FUSE_ENABLED : FUSE_DISABLED) && state !== FUSE_REMOVED) {
      throw new Error(`after-pack: fuse ${FuseV1Options[Number(key)]} is ${state} in ${binary}, expected ${value}`);
    }
  }
  console.log(`  • electron fuses flipped  binary=${path.basename(binary)} wires=${wires}`);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.fuseConfig = fuseConfig;
module.exports.electronBinaryPath = electronBinaryPath;
