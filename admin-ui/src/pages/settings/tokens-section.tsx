import { useId, useRef, useState } from 'preact/hooks';
import { useConfirm } from '../../components/confirm.js';
import { Dialog } from '../../components/dialog.js';
import { useNotify } from '../../components/toasts.js';
import { useI18n } from '../../i18n/index.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { formatDateTime } from '../../lib/format.js';
import { useLoader } from '../../lib/hooks.js';
import type { AccessToken } from '../../lib/types.js';
import { LimitBars, TokenRulesDialog } from './token-rules-dialog.js';

function SecretDialog({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      // No clipboard API (plain http on a LAN address): select the text so Ctrl+C works.
      input.current?.select();
      setCopied(false);
    }
  };

  return (
    <Dialog title={t('tokens.created_title', { name })} onClose={onClose} testId="token-secret-dialog">
      <div class="dialog-body stack">
        <p>{t('tokens.once')}</p>
        <div class="config-input-row">
          <input
            ref={input}
            readOnly
            class="mono grow"
            value={secret}
            aria-label={t('tokens.secret')}
            onFocus={(e) => e.currentTarget.select()}
            data-testid="token-secret"
          />
          <button
            type="button"
            class="primary"
            onClick={() => void copy()}
            data-testid="token-copy"
            autoFocus
          >
            {t('tokens.copy')}
          </button>
        </div>
        {copied !== null && (
          <p class="small" role="status">
            {copied ? t('tokens.copied') : t('tokens.copy_manual')}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={onClose} data-testid="token-secret-close">
            {t('common.done')}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

export function TokensSection() {
  const api = useApi();
  const { t } = useI18n();
  const notify = useNotify();
  const [confirmElement, confirm] = useConfirm();
  const nameId = useId();
  const tokens = useLoader(() => api.listTokens(), []);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<AccessToken | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const value = name.trim();
    if (!value) return;
    setBusy(true);
    try {
      const res = await api.createToken(value);
      setCreated({ name: res.token.name, secret: res.secret });
      setName('');
      await tokens.reload();
    } catch (err) {
      notify('error', errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: number, tokenName: string) => {
    const ok = await confirm({
      title: t('tokens.revoke_title'),
      message: t('tokens.revoke_confirm', { name: tokenName }),
      confirmLabel: t('tokens.revoke'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.revokeToken(id);
      notify('ok', t('tokens.revoked_done', { name: tokenName }));
      await tokens.reload();
    } catch (err) {
      notify('error', errorText(err, t));
    }
  };

  const list = tokens.data?.tokens ?? [];
  return (
    <section class="card stack" data-testid="tokens-section">
      <h2>{t('tokens.title')}</h2>
      <p class="muted">{t('tokens.intro')}</p>
      <form class="toolbar" onSubmit={create}>
        <div class="field-inline grow">
          <label for={nameId}>{t('tokens.name')}</label>
          <input
            id={nameId}
            value={name}
            maxLength={100}
            placeholder={t('tokens.name_placeholder')}
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="token-name"
          />
        </div>
        <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="token-create">
          {t('tokens.create')}
        </button>
      </form>
      {tokens.error !== null && (
        <p class="error-box" role="alert">
          {errorText(tokens.error, t)}
        </p>
      )}
      {list.length === 0 ? (
        tokens.data && <p class="muted">{t('tokens.empty')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="tokens-table">
            <caption class="visually-hidden">{t('tokens.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('tokens.name')}</th>
                <th scope="col">{t('tokens.hint')}</th>
                <th scope="col">{t('tokens.source')}</th>
                <th scope="col">{t('edit.created')}</th>
                <th scope="col">{t('col.last_used')}</th>
                <th scope="col">{t('col.state')}</th>
                <th scope="col">{t('rules.limits')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((tok) => (
                <tr key={tok.id} data-testid={`token-row-${tok.id}`} data-name={tok.name}>
                  <td>{tok.name}</td>
                  <td class="mono nowrap">{tok.hint}</td>
                  <td>{t(tok.source === 'env' ? 'tokens.source_env' : 'tokens.source_api')}</td>
                  <td class="nowrap">{formatDateTime(tok.created_at)}</td>
                  <td class="nowrap">
                    {tok.last_used_at ? formatDateTime(tok.last_used_at) : t('keys.never')}
                  </td>
                  <td>
                    {tok.revoked_at ? (
                      <span class="badge badge-disabled" data-testid={`token-state-${tok.id}`}>
                        {t('tokens.revoked_at', { time: formatDateTime(tok.revoked_at) })}
                      </span>
                    ) : (
                      <span
                        class={`badge ${tok.enabled ? 'badge-active' : 'badge-cooling'}`}
                        data-testid={`token-state-${tok.id}`}
                      >
                        {tok.enabled ? t('tokens.valid') : t('rules.paused')}
                      </span>
                    )}
                    {tok.expires_at && (
                      <div class="muted small nowrap">
                        {t('rules.expires_at', { time: formatDateTime(tok.expires_at) })}
                      </div>
                    )}
                    {(tok.models.length > 0 || tok.key_group !== null) && (
                      <div class="muted small">
                        {[
                          tok.models.join(', '),
                          tok.key_group !== null ? t('rules.group_is', { group: tok.key_group }) : '',
                        ]
                          .filter(Boolean)
                          .join(' · ')}
                      </div>
                    )}
                  </td>
                  <td>{!tok.revoked_at && <LimitBars token={tok} />}</td>
                  <td class="nowrap">
                    {!tok.revoked_at && (
                      <button
                        type="button"
                        class="small"
                        onClick={() => setEditing(tok)}
                        data-testid={`token-edit-${tok.id}`}
                      >
                        {t('rules.edit')}
                      </button>
                    )}{' '}
                    {tok.source === 'api' && !tok.revoked_at && (
                      <button
                        type="button"
                        class="small danger"
                        onClick={() => void revoke(tok.id, tok.name)}
                        data-testid={`token-revoke-${tok.id}`}
                      >
                        {t('tokens.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {created && (
        <SecretDialog name={created.name} secret={created.secret} onClose={() => setCreated(null)} />
      )}
      {editing && (
        <TokenRulesDialog
          token={editing}
          onClose={() => setEditing(null)}
          onChanged={() => void tokens.reload()}
        />
      )}
      {confirmElement}
    </section>
  );
}
