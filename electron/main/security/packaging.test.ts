// Packaging guarantees that cannot be checked on a machine without the Electron binary: the fuse
// wire the afterPack hook writes, the electron-builder settings the release depends on, and the icons.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

interface PackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { executableName: string; appInfo: { productFilename: string } };
}
type FuseSettings = { version: string; resetAdHocDarwinSignature: boolean } & Record<number, boolean>;
interface AfterPackHook {
  (context: PackContext): Promise<void>;
  fuseConfig(target: { platform: string; arch: number | string }): FuseSettings;
  electronBinaryPath(context: PackContext): string;
}
const hook = require(join(root, 'build/after-pack.cjs')) as AfterPackHook;

// js-yaml comes with electron-builder; it ships no types, so it is typed here for the one call used.
const yaml = require('js-yaml') as { load(text: string): unknown };

type TargetEntry = string | { target: string; arch?: string[] };
interface BuilderConfig {
  appId?: string;
  productName?: string;
  asar?: boolean;
  asarUnpack?: string[];
  afterPack?: string;
  npmRebuild?: boolean;
  files?: string[];
  directories?: { output?: string; buildResources?: string };
  mac?: { target?: TargetEntry[]; hardenedRuntime?: boolean; entitlements?: string; entitlementsInherit?: string; icon?: string };
  win?: { target?: TargetEntry[]; icon?: string };
  linux?: { target?: TargetEntry[]; icon?: string; category?: string };
  nsis?: { oneClick?: boolean; perMachine?: boolean; allowToChangeInstallationDirectory?: boolean; differentialPackage?: boolean };
  publish?: { provider?: string; owner?: string; repo?: string };
}
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const targetNames = (targets: TargetEntry[] | undefined): string[] =>
  (targets ?? []).map((t) => (typeof t === 'string' ? t : t.target));

const ARCH_X64 = 1; // builder-util's Arch enum
const ARCH_ARM64 = 3;
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

describe('Electron fuses written by build/after-pack.cjs', () => {
  const fuses = hook.fuseConfig({ platform: 'linux', arch: ARCH_X64 });

  it('uses fuse wire V1', () => {
    expect(fuses.version).toBe(FuseVersion.V1);
  });

  it('turns off every way to run the binary as something else', () => {
    expect(fuses[FuseV1Options.RunAsNode]).toBe(false);
    expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
  });

  it('encrypts cookies and only loads a verified app.asar', () => {
    expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
  });

  it('grants file:// no extra privileges and keeps the shared V8 snapshot', () => {
    expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
    expect(fuses[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(false);
  });

  it('decides every fuse @electron/fuses knows about', () => {
    const known = Object.values(FuseV1Options).filter((v): v is number => typeof v === 'number');
    expect(known.length).toBeGreaterThanOrEqual(8);
    for (const fuse of known) expect(typeof fuses[fuse], FuseV1Options[fuse]).toBe('boolean');
  });

  it('re-signs ad hoc only for Apple silicon (and universal) macOS builds', () => {
    expect(hook.fuseConfig({ platform: 'darwin', arch: ARCH_ARM64 }).resetAdHocDarwinSignature).toBe(true);
    expect(hook.fuseConfig({ platform: 'darwin', arch: 'universal' }).resetAdHocDarwinSignature).toBe(true);
    expect(hook.fuseConfig({ platform: 'darwin', arch: ARCH_X64 }).resetAdHocDarwinSignature).toBe(false);
    expect(hook.fuseConfig({ platform: 'win32', arch: ARCH_ARM64 }).resetAdHocDarwinSignature).toBe(false);
    expect(fuses.resetAdHocDarwinSignature).toBe(false);
  });

  it('points @electron/fuses at the packed binary of each platform', () => {
    const packager = { executableName: 'koprogo-deploy', appInfo: { productFilename: 'KoproGo Deploy' } };
    const at = (electronPlatformName: string) =>
      hook.electronBinaryPath({ appOutDir: join('dist', 'out'), electronPlatformName, arch: ARCH_X64, packager });
    expect(at('darwin')).toBe(join('dist', 'out', 'KoproGo Deploy.app'));
    expect(at('win32')).toBe(join('dist', 'out', 'KoproGo Deploy.exe'));
    expect(at('linux')).toBe(join('dist', 'out', 'koprogo-deploy'));
    expect(() => at('freebsd')).toThrow();
  });

  it('flips the wire of a packed binary and leaves unknown newer fuses alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'after-pack-'));
    try {
      // A stand-in for the Electron executable: the sentinel, wire version 1, 9 fuses at Electron's
      // defaults (the 9th is one this @electron/fuses may not know yet).
      const defaults = '101100011';
      const binary = Buffer.concat([
        Buffer.alloc(64, 0x90),
        Buffer.from(SENTINEL, 'latin1'),
        Buffer.from([1, defaults.length]),
        Buffer.from(defaults, 'latin1'),
        Buffer.alloc(64, 0x90),
      ]);
      writeFileSync(join(dir, 'koprogo-deploy'), binary);
      await hook({
        appOutDir: dir,
        electronPlatformName: 'linux',
        arch: ARCH_X64,
        packager: { executableName: 'koprogo-deploy', appInfo: { productFilename: 'KoproGo Deploy' } },
      });
      const after = readFileSync(join(dir, 'koprogo-deploy'));
      const wire = after.indexOf(SENTINEL) + SENTINEL.length + 2;
      expect(after.toString('latin1', wire, wire + defaults.length)).toBe('010011001');
      expect(after.length).toBe(binary.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('electron-builder.yml', () => {
  it('identifies the app', () => {
    expect(config.appId).toBe('be.koprogo.deploy');
    expect(config.productName).toBe('KoproGo Deploy');
    expect(config.directories).toEqual({ output: 'dist', buildResources: 'build' });
  });

  it('packs into an asar and runs the fuse hook', () => {
    expect(config.asar).toBe(true);
    expect(config.afterPack).toBeDefined();
    expect(resolve(root, config.afterPack ?? '')).toBe(join(root, 'build', 'after-pack.cjs'));
  });

  it('ships ssh2 without its native binding and rebuilds nothing', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.files).toContain('!node_modules/ssh2/lib/protocol/crypto/build/**');
    expect(config.files).toContain('!node_modules/cpu-features/**');
    expect(config.files).toContain('out/**');
    expect(config.files).toContain('!**/*.map');
  });

  it('ships node-pty (K3s runs) outside the asar, N-API so that no per-Electron rebuild is needed', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['node_modules/@lydell/node-pty/**', 'node_modules/@lydell/node-pty-*/**']));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    // A runtime dependency (electron-builder packs it), the terminal view a bundled one.
    expect(pkg.dependencies['@lydell/node-pty']).toBeDefined();
    expect(pkg.devDependencies['@xterm/xterm']).toBeDefined();
    const lydell = JSON.parse(readFileSync(join(root, 'node_modules/@lydell/node-pty/package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    expect(Object.keys(lydell.optionalDependencies)).toEqual(expect.arrayContaining(['@lydell/node-pty-darwin-x64', '@lydell/node-pty-darwin-arm64', '@lydell/node-pty-win32-x64', '@lydell/node-pty-linux-x64']));
    // The binary here links against N-API only (no V8 symbol): the same file loads in Node and in Electron.
    const binary = join(root, `node_modules/@lydell/node-pty-${process.platform}-${process.arch}/pty.node`);
    if (existsSync(binary)) {
      const bytes = readFileSync(binary);
      expect(bytes.includes('napi_create_function')).toBe(true);
      expect(bytes.includes('_ZN2v8')).toBe(false);
    }
    // The macOS release builds both CPUs: both binaries are installed before packing.
    const release = readFileSync(join(root, '.github/workflows/release.yml'), 'utf8');
    expect(release).toContain('@lydell/node-pty-darwin-x64@1.1.0 @lydell/node-pty-darwin-arm64@1.1.0');
    expect(release.indexOf('node-pty-darwin-x64')).toBeLessThan(release.indexOf('electron-builder ${{ matrix.target }}'));
  });

  it('builds dmg + zip (for the updater) on macOS with the hardened runtime', () => {
    expect(targetNames(config.mac?.target)).toEqual(expect.arrayContaining(['dmg', 'zip']));
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.mac?.entitlements).toBe('build/entitlements.mac.plist');
    expect(config.mac?.entitlementsInherit).toBe('build/entitlements.mac.plist');
    const entitlements = readFileSync(join(root, 'build/entitlements.mac.plist'), 'utf8');
    expect(entitlements).toContain('com.apple.security.cs.allow-jit');
    expect(entitlements).not.toContain('allow-unsigned-executable-memory');
  });

  it('builds an assisted per-user NSIS installer on Windows', () => {
    expect(targetNames(config.win?.target)).toContain('nsis');
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true });
  });

  it('builds AppImage and deb on Linux', () => {
    expect(targetNames(config.linux?.target)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.linux?.category).toBe('Development');
  });

  it('publishes to GitHub releases, what electron-updater reads: mac zip, NSIS with its blockmap, AppImage', () => {
    expect(config.publish).toMatchObject({ provider: 'github', owner: expect.any(String), repo: expect.any(String) });
    expect(targetNames(config.mac?.target)).toContain('zip');
    expect(config.nsis?.differentialPackage).toBe(true);
    expect(targetNames(config.linux?.target)).toContain('AppImage');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['electron-updater']).toBeDefined();
  });

  it('refers only to files that exist', () => {
    for (const file of [config.mac?.icon, config.win?.icon, config.linux?.icon, config.mac?.entitlements]) {
      expect(file).toBeDefined();
      expect(existsSync(join(root, file ?? '')), file).toBe(true);
    }
  });
});

describe('icons', () => {
  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pngSize = (file: string): { width: number; height: number } => {
    const png = readFileSync(join(root, file));
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE), `${file} is a PNG`).toBe(true);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
  };

  it('has the source SVG', () => {
    expect(readFileSync(join(root, 'assets/icon.svg'), 'utf8')).toContain('<svg');
  });

  it('has a 1024x1024 build/icon.png', () => {
    expect(pngSize('build/icon.png')).toEqual({ width: 1024, height: 1024 });
  });

  it('has the Linux PNG set', () => {
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(`build/icons/${size}x${size}.png`)).toEqual({ width: size, height: size });
    }
  });

  it('has a multi-size build/icon.ico', () => {
    const ico = readFileSync(join(root, 'build/icon.ico'));
    expect([...ico.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico[6 + 16 * i] || 256);
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (let i = 0; i < count; i++) {
      const end = ico.readUInt32LE(6 + 16 * i + 12) + ico.readUInt32LE(6 + 16 * i + 8);
      expect(end).toBeLessThanOrEqual(ico.length);
    }
  });

  it('has a build/icon.icns whose entries add up and include the 1024 px image', () => {
    const icns = readFileSync(join(root, 'build/icon.icns'));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let pos = 8; pos < icns.length; pos += icns.readUInt32BE(pos + 4)) {
      types.push(icns.toString('latin1', pos, pos + 4));
      expect(icns.readUInt32BE(pos + 4)).toBeGreaterThan(8);
    }
    expect(types).toEqual(expect.arrayContaining(['ic07', 'ic08', 'ic09', 'ic10']));
  });
});
