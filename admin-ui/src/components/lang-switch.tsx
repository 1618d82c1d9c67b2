import { useId } from 'preact/hooks';
import { LANGS, useI18n, type Lang } from '../i18n/index.js';

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  const id = useId();
  return (
    <div class="lang-switch">
      <label for={id} class="visually-hidden">
        {t('common.language')}
      </label>
      <select
        id={id}
        data-testid="lang-select"
        value={lang}
        onChange={(e) => setLang(e.currentTarget.value as Lang)}
      >
        {LANGS.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </div>
  );
}
