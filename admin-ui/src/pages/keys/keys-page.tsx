import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useConfirm } from '../../components/confirm.js';
import { Pager } from '../../components/pager.js';
import { useNotify } from '../../components/toasts.js';
import { useI18n, type MessageKey } from '../../i18n/index.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { formatClock, formatNumber } from '../../lib/format.js';
import { useDebounced, useLoader } from '../../lib/hooks.js';
import type { BulkAction, KeyEntry, KeySort, KeyState, SortOrder } from '../../lib/types.js';
import { AddKeysDialog } from './add-keys-dialog.js';
import { EditKeyDialog } from './edit-key-dialog.js';
import { KeysTable } from './keys-table.js';
import { ownedWarning } from './owned-warning.js';
import { ValidateDialog } from './validate-dialog.js';

const PAGE_SIZES = [25, 50, 100, 200];
const STATES: KeyState[] = ['active', 'cooling', 'disabled'];
const BULK: Array<{ action: BulkAction; label: MessageKey; danger?: boolean }> = [
  { action: 'enable', label: 'keys.enable' },
  { action: 'disable', label: 'keys.disable' },
  { action: 'reset-errors', label: 'keys.reset_errors' },
  { action: 'delete', label: 'common.delete', danger: true },
];

export function KeysPage() {
  const api = useApi();
  const { t, lang } = useI18n();
  const notify = useNotify();
  const [confirmElement, confirm] = useConfirm();
  const searchId = useId();
  const stateId = useId();
  const groupId = useId();
  const sizeId = useId();

  const [q, setQ] = useState('');
  const [state, setState] = useState<KeyState | ''>('');
  const [groupText, setGroupText] = useState('');
  const [sort, setSort] = useState<KeySort>('id');
  const [order, setOrder] = useState<SortOrder>('asc');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<KeyEntry | null>(null);
  const [validating, setValidating] = useState<number[] | 'all' | null>(null);
  const [busy, setBusy] = useState(false);
  const search = useDebounced(q.trim(), 300);
  const group = useDebounced(groupText.trim(), 300);

  const list = useLoader(
    () => api.listKeys({ q: search, state, group, sort, order, page, page_size: pageSize }),
    [search, state, group, sort, order, page, pageSize],
    10_000,
  );
  const data = list.data;
  const counts = data?.counts;
  const keyCount = counts ? counts.active + counts.cooling + counts.disabled : 0;
  // What each key seen owns, so a selection made across pages is warned about in full.
  const owned = useRef(new Map<number, number>());
  useEffect(() => {
    for (const k of data?.keys ?? []) owned.current.set(k.id, k.resources);
  }, [data]);

  // A new search or filter starts on page 1 with nothing selected.
  useEffect(() => {
    setPage(1);
    setSelected(new Set());
  }, [search, state, group, pageSize]);

  // After deletions the current page can fall past the end.
  useEffect(() => {
    if (data && data.keys.length === 0 && data.total > 0 && page > 1) {
      setPage(Math.ceil(data.total / pageSize));
    }
  }, [data]);

  const onSort = (column: KeySort) => {
    if (column === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(column);
      setOrder(column === 'id' ? 'asc' : 'desc');
    }
    setPage(1);
  };

  const onSelect = (ids: number[], on: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  };

  const runBulk = async (action: BulkAction) => {
    const ids = [...selected];
    if (ids.length === 0) return;
    const resources = ids.reduce((sum, id) => sum + (owned.current.get(id) ?? 0), 0);
    const warning = ownedWarning(t, lang, ids.length, resources);
    // Deleting always asks; disabling is undone in a click, so it asks only when resources would be stranded.
    const ask =
      action === 'delete'
        ? ({ title: 'bulk.delete_title', message: 'bulk.delete_confirm', label: 'common.delete' } as const)
        : action === 'disable' && warning
          ? ({ title: 'bulk.disable_title', message: 'bulk.disable_confirm', label: 'keys.disable' } as const)
          : null;
    if (ask) {
      const ok = await confirm({
        title: t(ask.title),
        message: t(ids.length === 1 ? `${ask.message}_one` : ask.message, {
          n: formatNumber(lang, ids.length),
        }),
        warning,
        confirmLabel: t(ask.label),
        danger: true,
      });
      if (!ok) return;
    }
    setBusy(true);
    try {
      const r = await api.bulk(action, ids);
      const done = action === 'delete' ? 'bulk.deleted' : 'bulk.done';
      notify('ok', t(r.affected === 1 ? `${done}_one` : done, { n: formatNumber(lang, r.affected) }));
      setSelected(new Set());
      await list.reload();
    } catch (err) {
      notify('error', errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  const validateAll = async () => {
    const ok = await confirm({
      title: t('validate.confirm_title'),
      message: t(keyCount === 1 ? 'validate.confirm_one' : 'validate.confirm', {
        n: formatNumber(lang, keyCount),
      }),
      confirmLabel: t('validate.all'),
    });
    if (ok) setValidating('all');
  };

  const onToggle = async (entry: KeyEntry) => {
    const warning = entry.is_active ? ownedWarning(t, lang, 1, entry.resources) : undefined;
    if (warning) {
      const ok = await confirm({
        title: t('keys.disable_title'),
        message: t('keys.disable_confirm', { key: entry.key }),
        warning,
        confirmLabel: t('keys.disable'),
        danger: true,
      });
      if (!ok) return;
    }
    try {
      await api.patchKey(entry.id, { is_active: !entry.is_active });
      notify('ok', t(entry.is_active ? 'keys.disabled_one' : 'keys.enabled_one', { key: entry.key }));
      await list.reload();
    } catch (err) {
      notify('error', errorText(err, t));
    }
  };

  return (
    <>
      <div class="toolbar">
        <div class="field-inline grow">
          <label for={searchId}>{t('keys.search')}</label>
          <input
            id={searchId}
            type="search"
            value={q}
            placeholder={t('keys.search_placeholder')}
            onInput={(e) => setQ(e.currentTarget.value)}
            data-testid="keys-search"
          />
        </div>
        <div class="field-inline">
          <label for={stateId}>{t('col.state')}</label>
          <select
            id={stateId}
            value={state}
            onChange={(e) => setState(e.currentTarget.value as KeyState | '')}
            data-testid="keys-state-filter"
          >
            <option value="">{t('filter.all')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`filter.${s}`)}
                {counts ? ` (${formatNumber(lang, counts[s])})` : ''}
              </option>
            ))}
          </select>
        </div>
        <div class="field-inline">
          <label for={groupId}>{t('col.group')}</label>
          <input
            id={groupId}
            type="search"
            size={10}
            value={groupText}
            placeholder={t('keys.group_placeholder')}
            title={t('keys.group_hint')}
            onInput={(e) => setGroupText(e.currentTarget.value)}
            data-testid="keys-group-filter"
          />
        </div>
        <button
          type="button"
          disabled={keyCount === 0 || validating !== null}
          onClick={() => void validateAll()}
          data-testid="keys-validate-all"
        >
          {t('validate.all')}
        </button>
        <button type="button" class="primary" onClick={() => setAdding(true)} data-testid="keys-add-open">
          {t('keys.add')}
        </button>
      </div>

      <div class="bulk-bar" role="group" aria-label={t('bulk.label')} data-testid="bulk-bar">
        <span data-testid="bulk-count">{t('bulk.selected', { n: formatNumber(lang, selected.size) })}</span>
        <button
          type="button"
          class="small"
          disabled={busy || selected.size === 0 || validating !== null}
          onClick={() => setValidating([...selected].sort((a, b) => a - b))}
          data-testid="bulk-validate"
        >
          {t('validate.run')}
        </button>
        {BULK.map((b) => (
          <button
            key={b.action}
            type="button"
            class={`small ${b.danger ? 'danger' : ''}`}
            disabled={busy || selected.size === 0}
            onClick={() => void runBulk(b.action)}
            data-testid={`bulk-${b.action}`}
          >
            {t(b.label)}
          </button>
        ))}
        {selected.size > 0 && (
          <button type="button" class="small link" onClick={() => setSelected(new Set())}>
            {t('bulk.clear')}
          </button>
        )}
        <button
          type="button"
          class="small push-end"
          onClick={() => void list.reload()}
          data-testid="keys-refresh"
        >
          {t('common.refresh')}
        </button>
        {list.updatedAt && (
          <span class="muted small">
            {t('common.updated', { time: formatClock(list.updatedAt.toISOString()) })}
          </span>
        )}
      </div>

      {list.error !== null && (
        <p class="error-box" role="alert">
          {errorText(list.error, t)}
        </p>
      )}
      {data ? (
        data.total === 0 && !search && !state && !group ? (
          <p class="empty card" data-testid="keys-empty">
            {t('keys.empty')}
          </p>
        ) : (
          <>
            <KeysTable
              keys={data.keys}
              sort={sort}
              order={order}
              onSort={onSort}
              selected={selected}
              onSelect={onSelect}
              onEdit={setEditing}
              onToggle={(k) => void onToggle(k)}
            />
            {data.keys.length === 0 && <p class="muted">{t('keys.no_match')}</p>}
            <div class="table-foot">
              <div class="field-inline">
                <label for={sizeId}>{t('pager.size')}</label>
                <select
                  id={sizeId}
                  value={pageSize}
                  onChange={(e) => setPageSize(Number(e.currentTarget.value))}
                >
                  {PAGE_SIZES.map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
              <Pager page={page} pageSize={pageSize} total={data.total} onPage={setPage} />
            </div>
          </>
        )
      ) : (
        list.error === null && <p class="muted">{t('common.loading')}</p>
      )}

      {adding && <AddKeysDialog onClose={() => setAdding(false)} onAdded={() => void list.reload()} />}
      {editing && (
        <EditKeyDialog
          entry={editing}
          onClose={() => setEditing(null)}
          onChanged={() => void list.reload()}
        />
      )}
      {validating && (
        <ValidateDialog
          target={validating}
          onClose={() => setValidating(null)}
          onFinished={() => {
            setSelected(new Set());
            void list.reload();
          }}
        />
      )}
      {confirmElement}
    </>
  );
}
