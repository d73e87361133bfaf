import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language } from '../../../electron/shared/contract-languages';
import { useSettings } from '../stores/settings-store';

export function LanguageSwitcher() {
  const { t } = useTranslation();
  const chosen = useSettings((s) => s.chosen);
  const choose = useSettings((s) => s.choose);
  return (
    <label className="language">
      <span>{t('language.label')}</span>
      <select
        data-testid="language-select"
        value={chosen ?? 'system'}
        onChange={(e) => void choose(e.target.value === 'system' ? null : (e.target.value as Language))}
      >
        <option value="system">{t('language.system')}</option>
        {LANGUAGES.map((l) => (
          <option key={l} value={l}>
            {t(`language.names.${l}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
