import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorEnvelope } from '../../../electron/shared/errors';
import { api } from '../app-api';
import { ErrorNotice } from '../components/ErrorNotice';
import { Busy } from '../components/Spinner';
import { TextField } from '../components/TextField';
import { downloadFile, fromBase64 } from '../download';
import { toEnvelope } from '../stores/profile-store';

// Moving a deployment to another computer, and the diagnostics zip. An export holds no secret unless the
// user chooses a passphrase; then the secrets are inside an encrypted envelope only (scrypt + AES-GCM).

const PASSPHRASE_MIN = 10;

export function ExportProfile({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [withSecrets, setWithSecrets] = useState(false);
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [done, setDone] = useState<string[] | null>(null);
  const problem = !withSecrets ? null : pass.length < PASSPHRASE_MIN ? t('transfer.passShort', { min: PASSPHRASE_MIN }) : pass !== again ? t('transfer.passDiffer') : null;
  const run = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const r = await api()['profiles.export']({ id, passphrase: withSecrets ? pass : null });
      downloadFile(r.filename, r.content, 'application/json');
      setDone(r.secrets);
      setPass('');
      setAgain('');
    } catch (error) {
      setFailure(toEnvelope(error, 'profiles.export'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card transfer" role="dialog" aria-labelledby="export-title" data-testid="export-dialog">
      <h2 id="export-title">{t('transfer.exportTitle')}</h2>
      <p className="muted">{t('transfer.exportIntro')}</p>
      <div className="segmented" role="radiogroup" aria-label={t('transfer.exportTitle')}>
        {([false, true] as const).map((w) => (
          <label key={String(w)} className={`segment${withSecrets === w ? ' is-selected' : ''}`}>
            <input type="radio" name="export-secrets" checked={withSecrets === w} onChange={() => setWithSecrets(w)} data-testid={`export-${w ? 'sealed' : 'plain'}`} />
            {t(w ? 'transfer.withSecrets' : 'transfer.withoutSecrets')}
          </label>
        ))}
      </div>
      <p className="small">{t(withSecrets ? 'transfer.withSecretsHelp' : 'transfer.withoutSecretsHelp')}</p>
      {withSecrets && (
        <div className="fields">
          <TextField id="exportPass" type="password" label={t('transfer.passphrase')} value={pass} onChange={setPass} issue={pass && pass.length < PASSPHRASE_MIN ? t('transfer.passShort', { min: PASSPHRASE_MIN }) : undefined} maxLength={1000} />
          <TextField id="exportPassAgain" type="password" label={t('transfer.passphraseAgain')} value={again} onChange={setAgain} issue={again && again !== pass ? t('transfer.passDiffer') : undefined} maxLength={1000} />
        </div>
      )}
      <div className="actions">
        <button type="button" className="btn btn-primary" disabled={busy || !!problem} onClick={() => void run()} data-testid="export-run">
          {t('transfer.exportButton')}
        </button>
        <button type="button" className="btn" onClick={onClose} data-testid="export-close">
          {t('common.close')}
        </button>
        {busy && <Busy text={t('transfer.exporting')} />}
        {problem && <span className="nav-reason">{problem}</span>}
      </div>
      {done && (
        <p className="notice notice-ok" data-testid="export-done">
          {done.length > 0 ? t('transfer.exportedSealed', { count: done.length }) : t('transfer.exportedPlain')}
        </p>
      )}
      {failure && <ErrorNotice error={failure} />}
    </div>
  );
}

export function ImportProfile({ onClose, onImported }: { onClose: () => void; onImported: (id: string) => void }) {
  const { t } = useTranslation();
  const file = useRef<HTMLInputElement>(null);
  const [content, setContent] = useState<string | null>(null);
  const [sealed, setSealed] = useState(false);
  const [pass, setPass] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorEnvelope | null>(null);
  const [done, setDone] = useState<{ id: string; restored: number; sealed: boolean } | null>(null);
  const pick = async (input: HTMLInputElement) => {
    const f = input.files?.[0];
    input.value = '';
    if (!f) return;
    setFailure(null);
    setDone(null);
    const text = await f.text();
    setContent(text);
    try {
      setSealed((JSON.parse(text) as { secrets?: unknown }).secrets != null);
    } catch {
      setSealed(false);
    }
  };
  const run = async (withPass: boolean) => {
    if (content === null) return;
    setBusy(true);
    setFailure(null);
    try {
      const r = await api()['profiles.import']({ content, passphrase: withPass ? pass : null });
      setDone({ id: r.profile.id, restored: r.restored.length, sealed: r.sealed });
      setPass('');
      onImported(r.profile.id);
    } catch (error) {
      setFailure(toEnvelope(error, 'profiles.import'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card transfer" role="dialog" aria-labelledby="import-title" data-testid="import-dialog">
      <h2 id="import-title">{t('transfer.importTitle')}</h2>
      <p className="muted">{t('transfer.importIntro')}</p>
      <div className="actions">
        <button type="button" className="btn" onClick={() => file.current?.click()} data-testid="import-pick">
          {content ? t('transfer.importOther') : t('transfer.importPick')}
        </button>
        <input ref={file} type="file" accept="application/json,.json" hidden onChange={(e) => void pick(e.currentTarget)} data-testid="import-file" />
      </div>
      {content !== null && sealed && (
        <div className="fields">
          <TextField id="importPass" type="password" label={t('transfer.passphrase')} help={t('transfer.importPassHelp')} value={pass} onChange={(v) => { setPass(v); setFailure(null); }} maxLength={1000} />
        </div>
      )}
      {content !== null && (
        <div className="actions">
          <button type="button" className="btn btn-primary" disabled={busy || (sealed && pass === '')} onClick={() => void run(sealed)} data-testid="import-run">
            {t('transfer.importButton')}
          </button>
          {sealed && (
            <button type="button" className="link" disabled={busy} onClick={() => void run(false)} data-testid="import-without">
              {t('transfer.importWithout')}
            </button>
          )}
          {busy && <Busy text={t('transfer.importing')} />}
        </div>
      )}
      {done && (
        <p className="notice notice-ok" data-testid="import-done">
          {done.restored > 0 ? t('transfer.importedWith', { id: done.id, count: done.restored }) : t('transfer.importedWithout', { id: done.id })}
        </p>
      )}
      {failure && <ErrorNotice error={failure} />}
      <div className="actions">
        <button type="button" className="btn" onClick={onClose} data-testid="import-close">
          {t('common.close')}
        </button>
      </div>
    </div>
  );
}

/** "Export diagnostics": the zip saved where downloads go; it says what it holds, and that secrets are masked. */
export function DiagnosticsButton() {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'busy' | { files: number } | ErrorEnvelope>('idle');
  const run = async () => {
    setState('busy');
    try {
      const r = await api()['diagnostics.export']({});
      downloadFile(r.filename, fromBase64(r.zip), 'application/zip');
      setState({ files: r.files.length });
    } catch (error) {
      setState(toEnvelope(error, 'diagnostics.export'));
    }
  };
  return (
    <span className="diagnostics">
      <button type="button" className="link" disabled={state === 'busy'} onClick={() => void run()} data-testid="diagnostics-export" title={t('diagnostics.help')}>
        {t('diagnostics.button')}
      </button>
      {typeof state === 'object' && 'files' in state && (
        <span className="small muted" role="status" data-testid="diagnostics-done">
          {t('diagnostics.done', { count: state.files })}
        </span>
      )}
      {typeof state === 'object' && 'code' in state && <ErrorNotice error={state} onDismiss={() => setState('idle')} />}
    </span>
  );
}
