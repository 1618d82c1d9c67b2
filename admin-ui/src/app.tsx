import { useCallback, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { Shell } from './components/shell.js';
import { ToastProvider } from './components/toasts.js';
import { I18nContext, initialLang, rememberLang, translator, type I18n, type Lang } from './i18n/index.js';
import { createAdminApi } from './lib/api.js';
import { ApiContext } from './lib/api-context.js';
import { clearToken, readToken, saveToken } from './lib/session.js';
import { SignIn } from './pages/sign-in.js';

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [token, setToken] = useState<string | null>(readToken);
  const [expired, setExpired] = useState(false);

  const i18n = useMemo<I18n>(() => {
    const setLang = (next: Lang) => {
      rememberLang(next);
      setLangState(next);
    };
    return { lang, setLang, t: translator(lang) };
  }, [lang]);

  // A layout effect, so the document's language changes in the same commit as its text.
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
    document.title = i18n.t('app.title');
  }, [lang]);

  const signOut = useCallback((becauseExpired: boolean) => {
    clearToken();
    setExpired(becauseExpired);
    setToken(null);
  }, []);

  const api = useMemo(() => (token ? createAdminApi(token, () => signOut(true)) : null), [token]);

  const signIn = (value: string) => {
    saveToken(value);
    setExpired(false);
    setToken(value);
  };

  return (
    <I18nContext.Provider value={i18n}>
      <ToastProvider>
        {api ? (
          <ApiContext.Provider value={api}>
            <Shell onSignOut={() => signOut(false)} />
          </ApiContext.Provider>
        ) : (
          <SignIn onSignedIn={signIn} notice={expired ? i18n.t('signin.expired') : null} />
        )}
      </ToastProvider>
    </I18nContext.Provider>
  );
}
