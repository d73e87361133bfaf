import { describe, expect, it } from 'vitest';
import { envPayload, envScript, followScript, inputScript, interruptScript, launchScript, stopScript, WRAPPER } from './tmux-scripts';
import { utf8Boundary } from './pty-remote';

const P = { workspace: '/home/u/.koprogo-deploy/k3s/p', socket: '/home/u/.koprogo-deploy/tmux' };

describe('the tmux scripts of a control host', () => {
  it('start the step once, in tmux, its terminal copied to a log; the variables through a named pipe', () => {
    const s = launchScript(P, 'run-1-deploy-script-1', 'exec bash ./scripts/deploy.sh dev\n');
    expect(s).toContain("tmux -S \"$sock\" new-session -d -s run-1-deploy-script-1 -x 160 -y 40 'exec bash /home/u/.koprogo-deploy/k3s/p/runs/run-1-deploy-script-1/wrapper.sh /home/u/.koprogo-deploy/k3s/p/runs/run-1-deploy-script-1'\n");
    expect(s).toContain("tmux -S \"$sock\" pipe-pane -t run-1-deploy-script-1 'cat >> /home/u/.koprogo-deploy/k3s/p/runs/run-1-deploy-script-1/log; touch /home/u/.koprogo-deploy/k3s/p/runs/run-1-deploy-script-1/log.done'\n");
    expect(s).toContain('if mkdir "$d" 2>/dev/null; then\n');
    expect(s).toContain('  mkfifo "$d/env.fifo"\n');
    expect(WRAPPER).toContain('done < "$d/env.fifo"\nrm -f "$d/env.fifo"\n');
    expect(envScript(P, 'j')).toBe('d=/home/u/.koprogo-deploy/k3s/p/runs/j\n[ -p "$d/env.fifo" ] || exit 0\ncat > "$d/env.fifo"\n');
    expect(envPayload({ OVH_APPLICATION_SECRET: 'a b=c', X: '' })).toBe('OVH_APPLICATION_SECRET YSBiPWM=\nX \n\n');
    expect(() => envPayload({ 'A;B': 'x' })).toThrow();
    expect(() => launchScript(P, 'Bad Id', '')).toThrow();
  });

  it('follow the log by exact byte ranges, type on stdin, interrupt with Ctrl-C, stop the process group', () => {
    const f = followScript(P, 'j', 1234);
    expect(f).toContain('pos=1234\n');
    expect(f).toContain('  if [ "$size" -gt "$pos" ]; then tail -c +$((pos + 1)) "$d/log" | head -c $((size - pos)); pos=$size; fi\n');
    expect(f.endsWith('cat "$d/exit" >&2 2>/dev/null || echo lost >&2\n')).toBe(true);
    expect(inputScript(P, 'j')).toBe('sock=/home/u/.koprogo-deploy/tmux\ntmux -S "$sock" load-buffer -b in-j - && tmux -S "$sock" paste-buffer -d -b in-j -t j\n');
    expect(interruptScript(P, 'j')).toBe('tmux -S /home/u/.koprogo-deploy/tmux send-keys -t j C-c\n');
    expect(stopScript(P, 'j')).toContain('kill -TERM -"$(cat "$d/pid")"');
    expect(() => followScript(P, 'j', -1)).toThrow();
  });

  it('a multi-byte character cut by a read waits for its end', () => {
    const e = Buffer.from('é€😀', 'utf8');
    expect(utf8Boundary(e)).toBe(e.length);
    expect(utf8Boundary(e.subarray(0, e.length - 1))).toBe(2 + 3);
    expect(utf8Boundary(e.subarray(0, 3))).toBe(2);
    expect(utf8Boundary(Buffer.from('abc'))).toBe(3);
  });
});
