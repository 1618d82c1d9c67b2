import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type MessageKey, type Messages } from './en.js';
import { zhCN } from './zh-CN.js';

export type Lang = 'en' | 'zh-CN';
export type { MessageKey };
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** Languages offered by the switch, each named in its own language. */
export const LANGS: ReadonlyArray<{ code: Lang; label: string }> = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en', label: 'English' },
];

const DICTIONARIES: Record<Lang, Messages> = { en, 'zh-CN': zhCN };
const STORAGE_KEY = 'gkp.lang';

function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'zh-CN';
}

/** The remembered language, else the browser's (any `zh*` → zh-CN), else English. */
export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // Storage can be blocked; fall back to the browser language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; the switch still works for this visit.
  }
}

export function translator(lang: Lang): Translate {
  const dict = DICTIONARIES[lang];
  return (key, vars) => {
    const text = dict[key];
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      Object.hasOwn(vars, name) ? String(vars[name]) : whole,
    );
  };
}

/** A message by a key that comes from the server (a config key, say), if the dictionary has one. */
export function lookup(lang: Lang, key: string): string | undefined {
  const dict: Record<string, string> = DICTIONARIES[lang];
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

export const I18nContext = createContext<I18n>({ lang: 'en', setLang: () => {}, t: translator('en') });

export function useI18n(): I18n {
  return useContext(I18nContext);
}
