import type { JSX } from 'preact';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { useHashRoute } from '../lib/hooks.js';
import { Dashboard } from '../pages/dashboard.js';
import { KeysPage } from '../pages/keys/keys-page.js';
import { SettingsPage } from '../pages/settings/settings-page.js';
import { UsagePage } from '../pages/usage.js';
import { LangSwitch } from './lang-switch.js';

const ROUTES: Array<{ path: string; label: MessageKey; view: () => JSX.Element }> = [
  { path: '', label: 'nav.dashboard', view: () => <Dashboard /> },
  { path: 'keys', label: 'nav.keys', view: () => <KeysPage /> },
  { path: 'usage', label: 'nav.usage', view: () => <UsagePage /> },
  { path: 'settings', label: 'nav.settings', view: () => <SettingsPage /> },
];

export function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useI18n();
  const route = useHashRoute();
  const current = ROUTES.find((r) => r.path === route) ?? ROUTES[0]!;

  return (
    <>
      <button type="button" class="skip-link" onClick={() => document.getElementById('main')?.focus()}>
        {t('nav.skip')}
      </button>
      <header class="topbar">
        <span class="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.label')}>
          <ul>
            {ROUTES.map((r) => (
              <li key={r.path}>
                <a
                  href={`#/${r.path}`}
                  aria-current={r === current ? 'page' : undefined}
                  data-testid={`nav-${r.path || 'dashboard'}`}
                >
                  {t(r.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-end">
          <LangSwitch />
          <button type="button" onClick={onSignOut} data-testid="signout">
            {t('nav.signout')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} data-testid={`page-${current.path || 'dashboard'}`}>
        <h1>{t(current.label)}</h1>
        {current.view()}
      </main>
    </>
  );
}
