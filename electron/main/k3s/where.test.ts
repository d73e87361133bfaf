import { describe, expect, it } from 'vitest';
import { localCommand, parseWslList, wslEnv } from './where';

describe('this computer: bash natively, or through WSL on Windows', () => {
  it('reads `wsl --list --quiet` (UTF-16LE with a BOM, CRLF), without docker-desktop’s distributions', () => {
    const out = Buffer.from('\uFEFFUbuntu-24.04\r\ndocker-desktop\r\nDebian\r\n\r\n', 'utf16le');
    expect(parseWslList(out)).toEqual(['Ubuntu-24.04', 'Debian']);
    expect(parseWslList(Buffer.from('Ubuntu\n', 'utf8'))).toEqual(['Ubuntu']);
    expect(parseWslList(Buffer.alloc(0))).toEqual([]);
  });

  it('starts bash itself on macOS and Linux, bash inside the distribution on Windows', () => {
    expect(localCommand('linux', null, ['/x/run.sh'])).toEqual({ file: 'bash', args: ['/x/run.sh'] });
    expect(localCommand('darwin', null, ['-s'])).toEqual({ file: 'bash', args: ['-s'] });
    expect(localCommand('win32', 'Ubuntu', ['/home/a/run.sh'])).toEqual({ file: 'wsl.exe', args: ['--distribution', 'Ubuntu', '--exec', 'bash', '/home/a/run.sh'] });
    expect(() => localCommand('win32', null, [])).toThrow();
  });

  it('hands the variables to WSL by name (WSLENV), their values in the environment only', () => {
    const env = wslEnv({ PATH: 'C:\\Windows', WSLENV: 'USERPROFILE/p:OVH_ENDPOINT' }, { OVH_ENDPOINT: 'ovh-eu', OVH_APPLICATION_SECRET: 's3cr3t' });
    expect(env).toEqual({ PATH: 'C:\\Windows', OVH_ENDPOINT: 'ovh-eu', OVH_APPLICATION_SECRET: 's3cr3t', WSLENV: 'USERPROFILE/p:OVH_ENDPOINT/u:OVH_APPLICATION_SECRET/u' });
  });
});
