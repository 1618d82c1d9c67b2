import { useId, useState } from 'preact/hooks';
import { Dialog } from '../../components/dialog.js';
import { useI18n } from '../../i18n/index.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { formatNumber } from '../../lib/format.js';
import type { AddKeysResult } from '../../lib/types.js';

// Large pastes go up in chunks so no single request grows past body limits.
const CHUNK_LINES = 1000;
const FORMATS = ['add.form_key', 'add.form_email', 'add.form_project'] as const;

interface AddKeysDialogProps {
  onClose: () => void;
  onAdded: () => void;
}

export function AddKeysDialog({ onClose, onAdded }: AddKeysDialogProps) {
  const api = useApi();
  const { t, lang } = useI18n();
  const textId = useId();
  const fileId = useId();
  const [text, setText] = useState('');
  const [fileNote, setFileNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<AddKeysResult | null>(null);

  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    const content = await file.text();
    setText(content);
    const n = content.split(/\r?\n/).filter((l) => l.trim() !== '').length;
    setFileNote(t('add.file_loaded', { name: file.name, n: formatNumber(lang, n) }));
    setResult(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (lines.length === 0) {
      setError(t('add.empty'));
      return;
    }
    setError(null);
    const total: AddKeysResult = { added: 0, duplicates: 0, invalid: 0 };
    try {
      for (let i = 0; i < lines.length; i += CHUNK_LINES) {
        setBusy(t('add.progress', { done: formatNumber(lang, i), total: formatNumber(lang, lines.length) }));
        const r = await api.addKeys(lines.slice(i, i + CHUNK_LINES).join('\n'));
        total.added += r.added;
        total.duplicates += r.duplicates;
        total.invalid += r.invalid;
      }
      setResult(total);
      setText('');
      setFileNote(null);
    } catch (err) {
      setError(errorText(err, t));
      if (total.added + total.duplicates + total.invalid > 0) setResult(total);
    } finally {
      setBusy(null);
      if (total.added > 0) onAdded();
    }
  };

  return (
    <Dialog title={t('add.title')} onClose={onClose} testId="add-keys-dialog">
      <form class="dialog-body stack" onSubmit={submit}>
        <label for={textId}>{t('add.paste')}</label>
        <div class="muted small stack-tight" id={`${textId}-hint`} data-testid="add-keys-format">
          <p>
            {t('add.format_intro')}{' '}
            {FORMATS.map((f) => (
              <code key={f} class="format">
                {t(f)}
              </code>
            ))}
          </p>
          <p>{t('add.project_hint')}</p>
        </div>
        <textarea
          id={textId}
          rows={8}
          spellcheck={false}
          class="mono"
          value={text}
          placeholder="AIza…,someone@gmail.com,my-project"
          aria-describedby={`${textId}-hint`}
          onInput={(e) => setText(e.currentTarget.value)}
          data-testid="add-keys-text"
          autoFocus
        />
        <label for={fileId}>{t('add.file')}</label>
        <input
          id={fileId}
          type="file"
          accept=".txt,.csv,text/plain,text/csv"
          onChange={(e) => void readFile(e.currentTarget.files?.[0])}
          data-testid="add-keys-file"
        />
        {fileNote && <p class="muted small">{fileNote}</p>}
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        {result && (
          <p class="result-box" role="status" data-testid="add-keys-result">
            <span data-testid="add-result-added">
              {t('add.added', { n: formatNumber(lang, result.added) })}
            </span>
            <span data-testid="add-result-duplicates">
              {t('add.duplicates', { n: formatNumber(lang, result.duplicates) })}
            </span>
            <span data-testid="add-result-invalid">
              {t('add.invalid', { n: formatNumber(lang, result.invalid) })}
            </span>
          </p>
        )}
        <div class="dialog-actions">
          {busy && <span class="muted small">{busy}</span>}
          <button type="button" onClick={onClose}>
            {result ? t('common.done') : t('common.cancel')}
          </button>
          <button
            type="submit"
            class="primary"
            disabled={busy !== null || lines.length === 0}
            data-testid="add-keys-submit"
          >
            {lines.length > 0
              ? t(lines.length === 1 ? 'add.submit_one' : 'add.submit_n', {
                  n: formatNumber(lang, lines.length),
                })
              : t('add.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
