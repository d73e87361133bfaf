import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { api } from '../app-api';
import { installCspSafeStyles } from './csp-styles';
import { setTerminalSink, type TerminalNote } from './k3s-store';
import { TerminalFeed } from './terminal-feed';

// The run's terminal: xterm.js (ANSI colours, cursor moves, progress bars drawn as the tools draw them), loaded on
// demand with the Deploy step of a K3s deployment. It replays the run's output from its log, then follows the live
// events; read-only (answers go through the dialog or the terminal input below it).

const THEME = {
  background: '#0f1b2d',
  foreground: '#e6edf3',
  cursor: '#e6edf3',
  selectionBackground: '#2f4a6d',
  black: '#1b2636',
  brightBlack: '#6e7b8b',
};

/** The view's own lines, translated; exhaustive over what it can say. */
export function noteText(note: TerminalNote, t: (key: string, params?: Record<string, unknown>) => string): string {
  switch (note.kind) {
    case 'connection':
      return note.state === 'lost' ? t('k3s.terminalNotes.lost', { attempt: note.attempt }) : t('k3s.terminalNotes.back');
    case 'finished':
      if (note.detached) return t('k3s.terminalNotes.detached');
      return t(`k3s.terminalNotes.${note.outcome}`);
    default: {
      const never: never = note;
      return String(never);
    }
  }
}

export default function RunTerminal({ profileId, runId }: { profileId: string; runId: string | null }) {
  const { t } = useTranslation();
  const host = useRef<HTMLDivElement>(null);
  const [written, setWritten] = useState(0);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    installCspSafeStyles();
    const term = new XTerm({ convertEol: false, disableStdin: true, scrollback: 20_000, fontSize: 13, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', theme: THEME, cursorBlink: false });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    const onResize = () => fit.fit();
    window.addEventListener('resize', onResize);
    let count = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const feed = new TerminalFeed(
      {
        write: (data, done) =>
          term.write(data, () => {
            done();
            count = feed.written;
            timer ??= setTimeout(() => {
              timer = null;
              setWritten(count);
            }, 200);
          }),
      },
      (offset) => api()['k3s.output']({ profileId, ...(runId ? { runId } : {}), offset, maxBytes: 1_000_000 }),
    );
    setTerminalSink(
      (offset, data) => feed.push(offset, data),
      (note) => feed.note(`\r\n\u001b[2;3m— ${noteText(note, t)} —\u001b[0m\r\n`),
    );
    void feed.replay();
    return () => {
      feed.stop();
      setTerminalSink(null);
      window.removeEventListener('resize', onResize);
      if (timer) clearTimeout(timer);
      term.dispose();
    };
  }, [profileId, runId, t]);

  return (
    <div className="terminal-wrap">
      <div className="terminal" ref={host} role="log" aria-label={t('k3s.deploy.terminal')} data-testid="k3s-terminal" data-written={written} />
    </div>
  );
}
