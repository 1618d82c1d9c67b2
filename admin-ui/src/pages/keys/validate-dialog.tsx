import { useEffect, useState } from 'preact/hooks';
import { Dialog } from '../../components/dialog.js';
import { useI18n } from '../../i18n/index.js';
import type { AdminApi } from '../../lib/api.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { formatNumber } from '../../lib/format.js';
import type { CheckSummary, KeyCheck } from '../../lib/types.js';

// On Workers every check is a subrequest, and the free plan allows 50 per request: ask in slices.
const SLICE = 40;
const LIST_PAGE = 500;
const MAX_ROWS = 100;

const TILES: Array<{ field: keyof CheckSummary; tone?: 'ok' | 'bad' }> = [
  { field: 'checked' },
  { field: 'valid', tone: 'ok' },
  { field: 'rate_limited' },
  { field: 'invalid', tone: 'bad' },
  { field: 'error', tone: 'bad' },
  { field: 'unreachable' },
  { field: 'skipped' },
  { field: 'enabled', tone: 'ok' },
  { field: 'disabled', tone: 'bad' },
];

function emptySummary(): CheckSummary {
  return Object.fromEntries(TILES.map((tile) => [tile.field, 0])) as CheckSummary;
}

/** Every key id, page by page (the list is capped at 500 per page). */
async function allKeyIds(api: AdminApi): Promise<number[]> {
  const ids = new Set<number>();
  for (let page = 1; ; page++) {
    const list = await api.listKeys({
      q: '',
      state: '',
      group: '',
      sort: 'id',
      order: 'asc',
      page,
      page_size: LIST_PAGE,
    });
    for (const k of list.keys) ids.add(k.id);
    if (list.keys.length < LIST_PAGE) return [...ids];
  }
}

/** Worth listing: the key changed state, or Google (or the network) said no. */
const noteworthy = (c: KeyCheck) =>
  c.action !== 'none' || c.result === 'invalid' || c.result === 'error' || c.result === 'unreachable';

type Phase = { kind: 'listing' } | { kind: 'checking'; done: number; total: number } | { kind: 'done' };

interface ValidateDialogProps {
  /** Key ids to check, or every key. */
  target: number[] | 'all';
  onClose: () => void;
  /** Runs once checks have changed something upstream-facing: the table should reload. */
  onFinished: () => void;
}

/** Checks keys with Google (`POST /admin/api/keys/validate`) and shows what came back. Closing stops further slices. */
export function ValidateDialog({ target, onClose, onFinished }: ValidateDialogProps) {
  const api = useApi();
  const { t, lang } = useI18n();
  const [phase, setPhase] = useState<Phase>({ kind: 'listing' });
  const [summary, setSummary] = useState<CheckSummary>(emptySummary);
  const [rows, setRows] = useState<KeyCheck[]>([]);
  const [notFound, setNotFound] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const n = (value: number) => formatNumber(lang, value);

  useEffect(() => {
    let stopped = false;
    let sent = false;
    void (async () => {
      try {
        const ids = target === 'all' ? await allKeyIds(api) : target;
        for (let i = 0; i < ids.length && !stopped; i += SLICE) {
          setPhase({ kind: 'checking', done: i, total: ids.length });
          sent = true;
          const r = await api.validateKeys(ids.slice(i, i + SLICE));
          setSummary((s) => {
            const next = { ...s };
            for (const tile of TILES) next[tile.field] += r.summary[tile.field];
            return next;
          });
          setRows((list) => [...list, ...r.results.filter(noteworthy)]);
          setNotFound((count) => count + r.not_found.length);
        }
      } catch (err) {
        setError(errorText(err, t));
      } finally {
        setPhase({ kind: 'done' });
        if (sent) onFinished();
      }
    })();
    return () => {
      stopped = true;
    };
  }, []);

  const running = phase.kind !== 'done';
  return (
    <Dialog title={t('validate.title')} onClose={onClose} testId="validate-dialog">
      <div class="dialog-body stack">
        <p class="muted small">{t('validate.intro')}</p>
        {phase.kind === 'listing' && <p role="status">{t('validate.listing')}</p>}
        {phase.kind === 'checking' && (
          <div class="stack" role="status" data-testid="validate-progress">
            <span>{t('validate.progress', { done: n(phase.done), total: n(phase.total) })}</span>
            <progress max={phase.total} value={phase.done} />
          </div>
        )}
        {!running && error === null && summary.checked + summary.skipped === 0 && (
          <p data-testid="validate-none">{t('validate.none')}</p>
        )}
        <ul class="tiles" aria-busy={running} data-testid="validate-summary">
          {TILES.map(({ field, tone }) => (
            <li
              key={field}
              class={`tile ${tone && summary[field] > 0 ? `tile-${tone}` : ''}`}
              data-testid={`validate-sum-${field}`}
              data-value={summary[field]}
            >
              <span class="tile-value">{n(summary[field])}</span>
              <span class="tile-label">{t(`validate.sum_${field}`)}</span>
            </li>
          ))}
        </ul>
        {notFound > 0 && <p class="muted small">{t('validate.not_found', { n: n(notFound) })}</p>}
        {rows.length > 0 && (
          <div class="table-wrap validate-rows">
            <table class="table compact" data-testid="validate-rows">
              <caption class="visually-hidden">{t('validate.details')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('col.key')}</th>
                  <th scope="col">{t('validate.col_result')}</th>
                  <th scope="col">{t('validate.col_reason')}</th>
                  <th scope="col">{t('validate.col_action')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.slice(0, MAX_ROWS).map((c) => (
                  <tr key={c.id} data-testid={`validate-row-${c.id}`}>
                    <td class="mono nowrap">{c.key}</td>
                    <td class={c.result === 'invalid' || c.result === 'error' ? 'error-text' : undefined}>
                      {t(`validate.result_${c.result}`)}
                      {c.status !== null && <span class="muted"> ({c.status})</span>}
                    </td>
                    <td class="mono ellipsis" title={c.reason ?? undefined}>
                      {c.reason ?? ''}
                    </td>
                    <td>{t(`validate.action_${c.action}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {rows.length > MAX_ROWS && (
          <p class="muted small">{t('validate.more', { n: n(rows.length - MAX_ROWS) })}</p>
        )}
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="primary" onClick={onClose} data-testid="validate-close">
            {running ? t('validate.stop') : t('common.done')}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
