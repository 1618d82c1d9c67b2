import { useId, useState } from 'preact/hooks';
import { useConfirm } from '../../components/confirm.js';
import { Dialog } from '../../components/dialog.js';
import { StateBadge } from '../../components/state-badge.js';
import { useNotify } from '../../components/toasts.js';
import { GROUP_PATTERN, MAX_EMAIL_LENGTH, PROJECT_PATTERN } from '../../../../src/core/keys/import.js';
import { useI18n } from '../../i18n/index.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { formatDateTime, formatNumber } from '../../lib/format.js';
import type { KeyEntry } from '../../lib/types.js';
import { ownedWarning } from './owned-warning.js';

interface EditKeyDialogProps {
  entry: KeyEntry;
  onClose: () => void;
  onChanged: () => void;
}

/** Edit a key's email and project; also reset its errors or delete it. */
export function EditKeyDialog({ entry, onClose, onChanged }: EditKeyDialogProps) {
  const api = useApi();
  const { t, lang } = useI18n();
  const notify = useNotify();
  const [confirmElement, confirm] = useConfirm();
  const emailId = useId();
  const projectId = useId();
  const groupId = useId();
  const [email, setEmail] = useState(entry.gmail_email ?? '');
  const [project, setProject] = useState(entry.project ?? '');
  const [group, setGroup] = useState(entry.group ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      notify('ok', done);
      onChanged();
      onClose();
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  const save = (e: Event) => {
    e.preventDefault();
    // The server's own rules, checked here so the message is in the reader's language.
    if (project.trim() !== '' && !PROJECT_PATTERN.test(project.trim()))
      return setError(t('edit.bad_project'));
    if (email.trim().length > MAX_EMAIL_LENGTH) return setError(t('edit.bad_email'));
    if (group.trim() !== '' && !GROUP_PATTERN.test(group.trim())) return setError(t('edit.bad_group'));
    void run(
      () =>
        api.patchKey(entry.id, {
          gmail_email: email.trim() || null,
          project: project.trim() || null,
          group: group.trim() || null,
        }),
      t('edit.saved'),
    );
  };

  const remove = async () => {
    const ok = await confirm({
      title: t('edit.delete'),
      message: t('edit.delete_confirm', { key: entry.key }),
      warning: ownedWarning(t, lang, 1, entry.resources),
      confirmLabel: t('common.delete'),
      danger: true,
    });
    if (ok) void run(() => api.deleteKey(entry.id), t('edit.deleted'));
  };

  return (
    <Dialog title={t('edit.title', { key: entry.key })} onClose={onClose} testId="edit-key-dialog">
      <form class="dialog-body stack" onSubmit={save}>
        <dl class="facts">
          <dt>{t('col.state')}</dt>
          <dd>
            <StateBadge entry={entry} />
          </dd>
          <dt>{t('col.requests')}</dt>
          <dd>{formatNumber(lang, entry.total_requests)}</dd>
          <dt>{t('col.errors')}</dt>
          <dd>{t('edit.errors', { n: entry.error_count, c: entry.consecutive_errors })}</dd>
          <dt>{t('col.tokens')}</dt>
          <dd>
            {formatNumber(lang, entry.total_tokens)}{' '}
            <span class="muted small">
              ({t('keys.tokens_split', { p: entry.prompt_tokens, c: entry.completion_tokens })})
            </span>
          </dd>
          <dt>{t('col.last_used')}</dt>
          <dd>{entry.last_used_at ? formatDateTime(entry.last_used_at) : t('keys.never')}</dd>
          <dt>{t('edit.created')}</dt>
          <dd>{formatDateTime(entry.created_at)}</dd>
          <dt>{t('edit.resources')}</dt>
          <dd>
            <span data-testid="edit-resources">{formatNumber(lang, entry.resources)}</span>{' '}
            <span class="muted small">({t('edit.resources_hint')})</span>
          </dd>
          {entry.last_error && (
            <>
              <dt>{t('col.last_error')}</dt>
              <dd class="error-text wrap">{entry.last_error}</dd>
            </>
          )}
        </dl>
        <label for={emailId}>{t('col.email')}</label>
        <input
          id={emailId}
          inputMode="email"
          autoComplete="off"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          data-testid="edit-email"
          autoFocus
        />
        <label for={projectId}>{t('col.project')}</label>
        <input
          id={projectId}
          value={project}
          onInput={(e) => setProject(e.currentTarget.value)}
          data-testid="edit-project"
        />
        <label for={groupId}>{t('col.group')}</label>
        <input
          id={groupId}
          value={group}
          placeholder={t('edit.group_placeholder')}
          onInput={(e) => setGroup(e.currentTarget.value)}
          data-testid="edit-group"
        />
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions spread">
          <div class="button-row">
            <button
              type="button"
              disabled={busy}
              onClick={() => void run(() => api.resetErrors(entry.id), t('edit.reset_done'))}
              data-testid="edit-reset-errors"
            >
              {t('keys.reset_errors')}
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => void remove()}
              data-testid="edit-delete"
            >
              {t('common.delete')}
            </button>
          </div>
          <div class="button-row">
            <button type="button" onClick={onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="primary" disabled={busy} data-testid="edit-save">
              {t('common.save')}
            </button>
          </div>
        </div>
      </form>
      {confirmElement}
    </Dialog>
  );
}
