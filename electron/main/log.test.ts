import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger } from './log';

describe('Logger', () => {
  let dir = '';
  afterEach(() => {
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('masks a registered secret in the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'koprogo-log-'));
    const log = new Logger(join(dir, 'logs', 'app.log'));
    log.registerSecret('hunter2-but-longer');
    log.info('token hunter2-but-longer sent', { token: 'hunter2-but-longer' });
    const text = readFileSync(join(dir, 'logs', 'app.log'), 'utf8');
    expect(text).toContain('token');
    expect(text).not.toContain('hunter2-but-longer');
  });

  it('a logs folder removed while the app runs is made again; the caller never sees an error', () => {
    dir = mkdtempSync(join(tmpdir(), 'koprogo-log-'));
    const file = join(dir, 'logs', 'app.log');
    const log = new Logger(file);
    log.info('first');
    rmSync(join(dir, 'logs'), { recursive: true });
    expect(() => log.error('after removal')).not.toThrow();
    expect(readFileSync(file, 'utf8')).toContain('ERROR after removal');
  });

  it('a log file that cannot be written sends the line to stderr instead of throwing', () => {
    dir = mkdtempSync(join(tmpdir(), 'koprogo-log-'));
    const file = join(dir, 'logs', 'app.log');
    const log = new Logger(file);
    // The log file's path is a folder: appending fails with EISDIR (for root too), not ENOENT.
    mkdirSync(file);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(() => log.warn('disk trouble')).not.toThrow();
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain('WARN disk trouble');
  });
});
