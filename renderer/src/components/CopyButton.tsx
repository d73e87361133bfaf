import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Copies a text to the clipboard and says so; when the clipboard is refused, says how to copy by hand. */
export function CopyButton({ text, testId }: { text: string; testId: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span className="copy">
      <button type="button" className="btn btn-small" onClick={() => void copy()} data-testid={testId}>
        {state === 'copied' ? t('common.copied') : t('common.copy')}
      </button>
      <span className="small muted" role="status" aria-live="polite">
        {state === 'failed' ? t('common.copyFailed') : ''}
      </span>
    </span>
  );
}
