import { useId, useState } from 'preact/hooks';
import { Dialog } from '../../components/dialog.js';
import { useNotify } from '../../components/toasts.js';
import { parseTokenRules, type TokenRuleField } from '../../../../src/core/tokens/token-rules.js';
import { TOKEN_NAME_MAX_LENGTH } from '../../../../src/core/access-tokens.js';
import { useI18n, type MessageKey } from '../../i18n/index.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import type { AccessToken } from '../../lib/types.js';

const LIMITS = ['rpm', 'rpd', 'tpm', 'tpd'] as const;

/** The message for a refused field, in the reader's language. */
const BAD_FIELD: Record<TokenRuleField, MessageKey> = {
  models: 'rules.bad_models',
  rpm: 'rules.bad_limit',
  rpd: 'rules.bad_limit',
  tpm: 'rules.bad_limit',
  tpd: 'rules.bad_limit',
  expires_at: 'rules.bad_expires',
  key_group: 'rules.bad_group',
  enabled: 'rules.bad_expires',
};

/** `2027-01-01T08:00:00.000Z` → the `datetime-local` value of that instant in the reader's zone. */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

interface Props {
  token: AccessToken;
  onClose: () => void;
  onChanged: () => void;
}

/** Edits every rule of a token: name, models, limits, expiry, key group, paused. */
export function TokenRulesDialog({ token, onClose, onChanged }: Props) {
  const api = useApi();
  const { t } = useI18n();
  const notify = useNotify();
  const ids = { name: useId(), models: useId(), expires: useId(), group: useId(), enabled: useId() };
  const limitIds = { rpm: useId(), rpd: useId(), tpm: useId(), tpd: useId() };
  const [name, setName] = useState(token.name);
  const [models, setModels] = useState(token.models.join(', '));
  const [limits, setLimits] = useState<Record<(typeof LIMITS)[number], string>>({
    rpm: token.rpm === null ? '' : String(token.rpm),
    rpd: token.rpd === null ? '' : String(token.rpd),
    tpm: token.tpm === null ? '' : String(token.tpm),
    tpd: token.tpd === null ? '' : String(token.tpd),
  });
  const [expires, setExpires] = useState(localInput(token.expires_at));
  const [group, setGroup] = useState(token.key_group ?? '');
  const [enabled, setEnabled] = useState(token.enabled);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > TOKEN_NAME_MAX_LENGTH) return setError(t('rules.bad_name'));
    const limitValues: Record<string, number | null> = {};
    for (const l of LIMITS) {
      const v = limits[l].trim();
      if (v !== '' && !/^\d+$/.test(v)) return setError(t('rules.bad_limit', { field: l }));
      limitValues[l] = v === '' ? null : Number(v);
    }
    const expiresAt = expires === '' ? null : new Date(expires);
    if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) return setError(t('rules.bad_expires'));
    const input = {
      models: models
        .split(/[,\s]+/)
        .map((m) => m.trim())
        .filter((m) => m !== ''),
      ...limitValues,
      expires_at: expiresAt === null ? null : expiresAt.toISOString(),
      key_group: group.trim() === '' ? null : group.trim(),
      enabled,
    };
    // The server's own rules, checked here so the message is in the reader's language.
    const checked = parseTokenRules(input);
    if (!checked.ok) return setError(t(BAD_FIELD[checked.param], { field: checked.param }));
    setBusy(true);
    setError(null);
    try {
      await api.updateToken(token.id, { name: trimmed, ...input });
      notify('ok', t('rules.saved', { name: trimmed }));
      onChanged();
      onClose();
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={t('rules.title', { name: token.name })} onClose={onClose} testId="token-rules-dialog">
      <form class="dialog-body stack" onSubmit={(e) => void save(e)}>
        <label for={ids.name}>{t('tokens.name')}</label>
        <input
          id={ids.name}
          value={name}
          maxLength={TOKEN_NAME_MAX_LENGTH}
          onInput={(e) => setName(e.currentTarget.value)}
          data-testid="rules-name"
        />
        <label for={ids.models}>{t('rules.models')}</label>
        <input
          id={ids.models}
          class="mono"
          value={models}
          placeholder="gemini-2.5-flash*, gemini-embedding-001"
          onInput={(e) => setModels(e.currentTarget.value)}
          data-testid="rules-models"
        />
        <p class="muted small">{t('rules.models_hint')}</p>
        <div class="rules-limits">
          {LIMITS.map((l) => (
            <div key={l} class="stack">
              <label for={limitIds[l]}>{t(`rules.${l}`)}</label>
              <input
                id={limitIds[l]}
                inputMode="numeric"
                value={limits[l]}
                placeholder={t('rules.no_limit')}
                onInput={(e) => setLimits({ ...limits, [l]: e.currentTarget.value })}
                data-testid={`rules-${l}`}
              />
            </div>
          ))}
        </div>
        <p class="muted small">{t('rules.day_hint')}</p>
        <label for={ids.expires}>{t('rules.expires')}</label>
        <input
          id={ids.expires}
          type="datetime-local"
          step={1}
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
          data-testid="rules-expires"
        />
        <label for={ids.group}>{t('rules.group')}</label>
        <input
          id={ids.group}
          value={group}
          placeholder={t('rules.group_placeholder')}
          onInput={(e) => setGroup(e.currentTarget.value)}
          data-testid="rules-group"
        />
        <label class="checkbox" for={ids.enabled}>
          <input
            id={ids.enabled}
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
            data-testid="rules-enabled"
          />{' '}
          {t('rules.enabled')}
        </label>
        {error && (
          <p class="field-error" role="alert" data-testid="rules-error">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy} data-testid="rules-save">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A token's use in the current minute and day against each limit it has, as bars. */
export function LimitBars({ token }: { token: AccessToken }) {
  const { t } = useI18n();
  const rows = [
    { name: 'rpm', limit: token.rpm, use: token.usage.minute.requests },
    { name: 'rpd', limit: token.rpd, use: token.usage.day.requests },
    { name: 'tpm', limit: token.tpm, use: token.usage.minute.tokens },
    { name: 'tpd', limit: token.tpd, use: token.usage.day.tokens },
  ].filter((r): r is { name: string; limit: number; use: number } => r.limit !== null);
  if (rows.length === 0) return <span class="muted small">{t('rules.unlimited')}</span>;
  return (
    <div class="limit-bars" data-testid={`token-limits-${token.id}`}>
      {rows.map((r) => {
        const share = Math.min(1, r.use / r.limit);
        return (
          <div key={r.name} class="limit-bar" title={t('rules.use_of', { use: r.use, limit: r.limit })}>
            <span class="small mono">{r.name}</span>
            <span
              class="limit-track"
              role="meter"
              aria-valuemin={0}
              aria-valuemax={r.limit}
              aria-valuenow={r.use}
            >
              <span class={`limit-fill ${share >= 1 ? 'full' : ''}`} style={{ width: `${share * 100}%` }} />
            </span>
            <span class="small nowrap">
              {r.use}/{r.limit}
            </span>
          </div>
        );
      })}
    </div>
  );
}
