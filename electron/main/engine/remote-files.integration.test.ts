import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../ssh/connection';
import { startSshd, type SshdHandle } from '../testing';
import { Remote } from './remote';
import { DEFAULT_LAYOUT } from './types';

// Temporary copies of files the engine installs (the .env among them) on a real server: never left behind,
// whether the install succeeds, fails, or an earlier run crashed between upload and install.

let sshd: SshdHandle;
let conn: SshConnection;
let root: string;
let cache: string;

const remote = () => new Remote(conn, 'sudo', { ...DEFAULT_LAYOUT, stateDir: join(root, 'state') });
const leftovers = async () => (await conn.exec(`ls -A ${cache} 2>/dev/null || true`)).stdout.split('\n').filter(Boolean);

beforeAll(async () => {
  sshd = await startSshd();
  conn = await SshConnection.connect({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.userPrivateKey }, { hostKeySha256: sshd.hostKeySha256 });
  root = mkdtempSync(join(tmpdir(), 'kgt-files-'));
  chmodSync(root, 0o755);
  cache = `${(await conn.exec('printf %s "$HOME"')).stdout}/.cache/koprogo-deploy`;
}, 60_000);
afterAll(async () => {
  conn?.close();
  await sshd?.stop();
});

describe('installing a file', () => {
  it('leaves no temporary copy when it succeeds', async () => {
    const path = join(root, 'ok', '.env');
    await remote().installFile({ path, content: 'A=secret-value-123\n', mode: 0o600, owner: 'root', group: 'root', secret: true });
    expect(readFileSync(path, 'utf8')).toBe('A=secret-value-123\n');
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(await leftovers()).toEqual([]);
    expect((statSync(cache).mode & 0o777).toString(8)).toBe('700');
  });

  it('leaves no temporary or staged copy when the install fails', async () => {
    const path = join(root, 'fail', '.env');
    // An owner that does not exist: `install` fails after the upload, under `set -e`.
    await expect(remote().installFile({ path, content: 'A=secret-value-456\n', mode: 0o600, owner: 'no-such-user-kg', group: 'root', secret: true })).rejects.toMatchObject({ code: 'ssh.upload_failed' });
    expect(await leftovers()).toEqual([]);
    expect(existsSync(`${path}.koprogo-new`)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('removes copies left by a run that crashed between upload and install, and leaves a fresh upload alone', async () => {
    await conn.exec(`mkdir -p ${cache}; printf x > ${cache}/crashed; touch -d '20 minutes ago' ${cache}/crashed; printf y > ${cache}/in-flight`);
    await remote().installFile({ path: join(root, 'after', 'f'), content: 'z', mode: 0o644, owner: 'root', group: 'root', secret: false });
    expect(await leftovers()).toEqual(['in-flight']);
    await conn.exec(`rm -f ${cache}/in-flight`);
  });
});
