import { useEffect, useId, useState } from 'preact/hooks';
import { LangSwitch } from '../components/lang-switch.js';
import { useI18n } from '../i18n/index.js';
import { ApiError, checkSession } from '../lib/api.js';
import { errorText } from '../lib/errors.js';

interface SignInProps {
  onSignedIn: (token: string) => void;
  /** Why the user is back here, e.g. the server stopped accepting the token. */
  notice: string | null;
}

export function SignIn({ onSignedIn, notice }: SignInProps) {
  const { t } = useI18n();
  const inputId = useId();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());

  const waitSeconds = Math.max(0, Math.ceil((waitUntil - now) / 1000));
  useEffect(() => {
    if (waitSeconds <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [waitSeconds > 0]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(t('signin.empty'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await checkSession(value);
      onSignedIn(value);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('signin.wrong'));
      else if (err instanceof ApiError && err.status === 429) {
        setWaitUntil(Date.now() + (err.retryAfter ?? 1) * 1000);
        setNow(Date.now());
        setError(null);
      } else setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <div class="signin-lang">
        <LangSwitch />
      </div>
      <form class="card signin-card" onSubmit={submit} data-testid="signin-form" noValidate>
        <h1>{t('app.title')}</h1>
        <p class="muted">{t('signin.intro')}</p>
        {notice && <p class="notice">{notice}</p>}
        <label for={inputId}>{t('signin.token')}</label>
        <input
          id={inputId}
          type="password"
          autoComplete="current-password"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          data-testid="signin-token"
          aria-invalid={error ? true : undefined}
          aria-describedby={error || waitSeconds > 0 ? `${inputId}-error` : undefined}
          autoFocus
        />
        {(error || waitSeconds > 0) && (
          <p id={`${inputId}-error`} class="field-error" role="alert" data-testid="signin-error">
            {waitSeconds > 0 ? t('signin.too_many', { s: waitSeconds }) : error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || waitSeconds > 0} data-testid="signin-submit">
          {busy ? t('signin.checking') : t('signin.submit')}
        </button>
      </form>
    </main>
  );
}
