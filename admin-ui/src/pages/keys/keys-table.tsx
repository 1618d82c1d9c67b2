import { useEffect, useRef } from 'preact/hooks';
import { StateBadge } from '../../components/state-badge.js';
import { useI18n, type MessageKey } from '../../i18n/index.js';
import { formatCompact, formatDateTime, formatNumber, formatRelative } from '../../lib/format.js';
import type { KeyEntry, KeySort, SortOrder } from '../../lib/types.js';

interface KeysTableProps {
  keys: KeyEntry[];
  sort: KeySort;
  order: SortOrder;
  onSort: (sort: KeySort) => void;
  selected: ReadonlySet<number>;
  onSelect: (ids: number[], on: boolean) => void;
  onEdit: (key: KeyEntry) => void;
  onToggle: (key: KeyEntry) => void;
}

function SortHeader(props: {
  column: KeySort;
  label: MessageKey;
  sort: KeySort;
  order: SortOrder;
  onSort: (s: KeySort) => void;
  numeric?: boolean;
  /** Extra classes, e.g. `wide-only`. */
  extra?: string;
}) {
  const { t } = useI18n();
  const active = props.sort === props.column;
  const arrow = active ? (props.order === 'asc' ? '▲' : '▼') : '';
  return (
    <th
      scope="col"
      class={[props.numeric ? 'num' : '', props.extra ?? ''].join(' ').trim() || undefined}
      aria-sort={active ? (props.order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        class="sort-button"
        onClick={() => props.onSort(props.column)}
        data-testid={`sort-${props.column}`}
      >
        {t(props.label)}
        <span class="sort-arrow" aria-hidden="true">
          {arrow}
        </span>
      </button>
    </th>
  );
}

function PageCheckbox({
  ids,
  selected,
  onSelect,
}: Pick<KeysTableProps, 'selected' | 'onSelect'> & { ids: number[] }) {
  const { t } = useI18n();
  const ref = useRef<HTMLInputElement>(null);
  const count = ids.filter((id) => selected.has(id)).length;
  const all = ids.length > 0 && count === ids.length;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && !all;
  }, [count, all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      checked={all}
      disabled={ids.length === 0}
      aria-label={t('keys.select_page')}
      data-testid="keys-select-page"
      onChange={() => onSelect(ids, !all)}
    />
  );
}

export function KeysTable(props: KeysTableProps) {
  const { t, lang } = useI18n();
  const { keys, selected, onSelect } = props;
  const sortProps = { sort: props.sort, order: props.order, onSort: props.onSort };
  const now = Date.now();

  return (
    <div class="table-wrap">
      <table class="table keys-table" data-testid="keys-table">
        <caption class="visually-hidden">{t('keys.caption')}</caption>
        <thead>
          <tr>
            <th scope="col" class="check">
              <PageCheckbox ids={keys.map((k) => k.id)} selected={selected} onSelect={onSelect} />
            </th>
            <SortHeader column="id" label="col.id" {...sortProps} numeric />
            <th scope="col">{t('col.key')}</th>
            <th scope="col" class="wide-only">
              {t('col.email_project')}
            </th>
            <th scope="col">{t('col.state')}</th>
            <SortHeader column="total_requests" label="col.requests" {...sortProps} numeric />
            <SortHeader column="total_tokens" label="col.tokens" {...sortProps} numeric extra="wide-only" />
            <SortHeader column="error_count" label="col.errors" {...sortProps} numeric />
            <SortHeader column="last_used_at" label="col.last_used" {...sortProps} extra="wide-only" />
            <th scope="col" class="wide-only">
              {t('col.last_error')}
            </th>
            <th scope="col" class="actions">
              <span class="visually-hidden">{t('col.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr
              key={k.id}
              data-testid={`key-row-${k.id}`}
              class={selected.has(k.id) ? 'selected' : undefined}
            >
              <td class="check">
                <input
                  type="checkbox"
                  checked={selected.has(k.id)}
                  aria-label={t('keys.select_one', { key: k.key })}
                  data-testid={`key-check-${k.id}`}
                  onChange={(e) => onSelect([k.id], e.currentTarget.checked)}
                />
              </td>
              <td class="num">{k.id}</td>
              <td class="mono nowrap" data-testid={`key-masked-${k.id}`}>
                {k.key}
              </td>
              <td class="ellipsis wide-only">
                <span data-testid={`key-email-${k.id}`} title={k.gmail_email ?? undefined}>
                  {k.gmail_email ?? '—'}
                </span>
                {k.project && (
                  <div class="muted small" title={`${t('col.project')}: ${k.project}`}>
                    <span class="visually-hidden">{t('col.project')}: </span>
                    <span data-testid={`key-project-${k.id}`}>{k.project}</span>
                  </div>
                )}
              </td>
              <td class="state">
                <StateBadge entry={k} />
              </td>
              <td class="num">{formatNumber(lang, k.total_requests)}</td>
              <td
                class="num wide-only"
                title={t('keys.tokens_split', { p: k.prompt_tokens, c: k.completion_tokens })}
              >
                {formatCompact(lang, k.total_tokens)}
              </td>
              <td class="num" title={t('keys.consecutive', { n: k.consecutive_errors })}>
                {formatNumber(lang, k.error_count)}
              </td>
              <td class="nowrap wide-only" title={formatDateTime(k.last_used_at) || undefined}>
                {k.last_used_at ? formatRelative(lang, k.last_used_at, now) : t('keys.never')}
              </td>
              <td class="ellipsis last-error error-text wide-only" title={k.last_error ?? undefined}>
                {k.last_error ?? ''}
              </td>
              <td class="actions">
                <div class="row-actions">
                  <button
                    type="button"
                    class="small"
                    onClick={() => props.onEdit(k)}
                    data-testid={`key-edit-${k.id}`}
                  >
                    {t('common.edit')}
                  </button>
                  <button
                    type="button"
                    class="small"
                    onClick={() => props.onToggle(k)}
                    data-testid={`key-toggle-${k.id}`}
                  >
                    {k.is_active ? t('keys.disable') : t('keys.enable')}
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
