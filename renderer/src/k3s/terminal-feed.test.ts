import { describe, expect, it } from 'vitest';
import { TerminalFeed, type ReplayPage } from './terminal-feed';

// The terminal view's feed: replay, then live events, each byte shown exactly once.

const log = 'line one\r\n\u001b[32mgreen é\u001b[0m\r\nline three\r\n';
const b = (s: string) => new TextEncoder().encode(s).length;

function feed(sent: string, pageSize = 7) {
  const shown: string[] = [];
  const f = new TerminalFeed({ write: (d, done) => (shown.push(d), done()) }, async (offset): Promise<ReplayPage> => {
    const all = new TextEncoder().encode(sent);
    let end = Math.min(all.length, offset + pageSize);
    while (end < all.length && (all[end]! & 0xc0) === 0x80) end--;
    return { offset, data: new TextDecoder().decode(all.subarray(offset, end)), total: all.length };
  });
  return { f, shown: () => shown.join('') };
}

describe('TerminalFeed', () => {
  it('replays what was sent before the view opened, then follows; repeats are skipped, overlaps trimmed', async () => {
    const first = 'line one\r\n';
    const { f, shown } = feed(first);
    await f.replay();
    expect(shown()).toBe(first);
    f.push(0, first); // the event of what the replay already showed
    const second = '\u001b[32mgreen é\u001b[0m\r\n';
    f.push(b('line'), `${first.slice(4)}${second}`); // overlapping
    expect(shown()).toBe(first + second);
    expect(f.written).toBe(b(first + second));
    expect(f.repeated).toBe(b(first) + b(first.slice(4)));
  });

  it('a gap (events missed while away) is filled from the log, then the held events follow in order', async () => {
    const { f, shown } = feed(log, 5);
    const at = (s: string) => b(log.slice(0, log.indexOf(s)));
    f.push(at('line three'), 'line three\r\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(shown()).toBe(log);
    expect(f.written).toBe(b(log));
    expect(f.offset).toBe(b(log));
  });

  it('the view\'s own lines (a note) show after what is written, a note during a replay after the replay, and never shift the offsets', async () => {
    const { f, shown } = feed(log, 5);
    const replay = f.replay();
    f.note('[lost]');
    await replay;
    expect(shown()).toBe(`${log}[lost]`);
    expect(f.offset).toBe(b(log));
    f.push(b(log), 'more\r\n');
    f.note('[finished]');
    expect(shown()).toBe(`${log}[lost]more\r\n[finished]`);
    expect(f.written).toBe(b(log) + b('more\r\n'));
    f.push(0, log); // a repeat is still recognised as one
    expect(f.repeated).toBe(b(log));
  });
});
