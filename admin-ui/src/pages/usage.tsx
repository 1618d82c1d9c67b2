import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { useApi } from '../lib/api-context.js';
import { errorText } from '../lib/errors.js';
import { formatDateTime, formatNumber } from '../lib/format.js';
import { OUTCOME_KINDS, type OutcomeKind } from '../../../src/core/types.js';
import type { UsageFilters, UsageRow } from '../lib/types.js';

const PAGE = 100;
const EMPTY: UsageFilters = { key_id: '', token_id: '', model: '', endpoint: '', status: '' };
const FIELDS: Array<{ name: keyof UsageFilters; label: MessageKey; numeric?: boolean }> = [
  { name: 'key_id', label: 'usage.key_id', numeric: true },
  { name: 'token_id', label: 'usage.token_id', numeric: true },
  { name: 'model', label: 'col.model' },
  { name: 'endpoint', label: 'col.endpoint' },
  { name: 'status', label: 'col.status', numeric: true },
];

const OUTCOMES: ReadonlySet<string> = new Set(OUTCOME_KINDS);

/** An outcome in the reader's language; an outcome this panel does not know is shown as it came. */
function outcomeLabel(t: Translate, outcome: string): string {
  return OUTCOMES.has(outcome) ? t(`outcome.${outcome as OutcomeKind}`) : outcome;
}

function FilterField(props: {
  label: string;
  value: string;
  numeric?: boolean;
  name: string;
  onInput: (v: string) => void;
}) {
  const id = useId();
  return (
    <div class="field-inline">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        value={props.value}
        inputMode={props.numeric ? 'numeric' : undefined}
        size={props.numeric ? 6 : 16}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        data-testid={`usage-filter-${props.name}`}
      />
    </div>
  );
}

export function UsagePage() {
  const api = useApi();
  const { t, lang } = useI18n();
  const [draft, setDraft] = useState<UsageFilters>(EMPTY);
  const [filters, setFilters] = useState<UsageFilters>(EMPTY);
  const [rows, setRows] = useState<UsageRow[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);

  /** After a refusal: rows of the previous filter would read as matches of this one. */
  const clearRows = () => {
    setRows([]);
    setNext(null);
  };

  const load = async (before: number | null) => {
    const mine = ++seq.current;
    setBusy(true);
    setError(null);
    try {
      const page = await api.usage(filters, before, PAGE);
      if (mine !== seq.current) return;
      setRows((old) => (before === null ? page.usage : [...old, ...page.usage]));
      setNext(page.next_before);
      setLoaded(true);
    } catch (err) {
      if (mine !== seq.current) return;
      setError(err);
      if (before === null) clearRows();
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load(null);
  }, [filters]);

  const apply = (e: Event) => {
    e.preventDefault();
    const notNumber = FIELDS.find((f) => f.numeric && !/^\s*\d*\s*$/.test(draft[f.name]));
    if (notNumber) {
      // A load still running for the previous filter must not fill rows in under this refusal.
      seq.current += 1;
      setError(new Error(t('usage.not_a_number', { field: t(notNumber.label) })));
      clearRows();
      return;
    }
    setFilters({ ...draft });
  };

  return (
    <>
      <form class="toolbar" onSubmit={apply} data-testid="usage-filters">
        {FIELDS.map((f) => (
          <FilterField
            key={f.name}
            name={f.name}
            label={t(f.label)}
            numeric={f.numeric}
            value={draft[f.name]}
            onInput={(v) => setDraft({ ...draft, [f.name]: v })}
          />
        ))}
        <button type="submit" class="primary" data-testid="usage-apply">
          {t('usage.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            setFilters({ ...EMPTY });
          }}
        >
          {t('usage.reset')}
        </button>
      </form>
      {error !== null && (
        <p class="error-box" role="alert">
          {errorText(error, t)}
        </p>
      )}
      <div class="table-wrap">
        <table class="table" data-testid="usage-table">
          <caption class="visually-hidden">{t('usage.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('col.time')}</th>
              <th scope="col">{t('col.key')}</th>
              <th scope="col">{t('col.model')}</th>
              <th scope="col">{t('col.endpoint')}</th>
              <th scope="col">{t('col.status')}</th>
              <th scope="col" class="num">
                {t('col.tokens')}
              </th>
              <th scope="col" class="num">
                {t('col.latency')}
              </th>
              <th scope="col">{t('col.error')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="usage-row">
                <td class="nowrap">{formatDateTime(r.time)}</td>
                <td class="mono nowrap">
                  {r.key_id !== null && <span class="muted">#{r.key_id} </span>}
                  {r.key ?? '—'}
                  {r.token_id !== null && (
                    <span class="muted small" title={t('usage.token_id')}>
                      {' '}
                      · {t('usage.token', { id: r.token_id })}
                    </span>
                  )}
                </td>
                <td class="mono nowrap">{r.model ?? '—'}</td>
                <td class="mono">{r.endpoint}</td>
                <td class="nowrap">
                  <span class={`chip ${r.status >= 400 || r.status === 0 ? 'chip-bad' : 'chip-ok'}`}>
                    {r.status}
                  </span>{' '}
                  <span class="muted small">{outcomeLabel(t, r.outcome)}</span>
                  {r.attempt > 1 && (
                    <span class="muted small"> · {t('usage.attempt', { n: r.attempt })}</span>
                  )}
                </td>
                <td
                  class="num"
                  title={t('keys.tokens_split', { p: r.prompt_tokens, c: r.completion_tokens })}
                >
                  {formatNumber(lang, r.total_tokens)}
                </td>
                <td class="num">{t('usage.ms', { n: formatNumber(lang, r.latency_ms) })}</td>
                <td class="ellipsis error-text" title={r.error ?? undefined}>
                  {r.error ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {loaded && rows.length === 0 && <p class="muted">{t('usage.empty')}</p>}
      <div class="table-foot">
        <span class="muted small">
          {t(rows.length === 1 ? 'usage.count_one' : 'usage.count', { n: formatNumber(lang, rows.length) })}
        </span>
        <button type="button" onClick={() => void load(null)} disabled={busy}>
          {t('common.refresh')}
        </button>
        {next !== null && (
          <button type="button" onClick={() => void load(next)} disabled={busy} data-testid="usage-load-more">
            {busy ? t('common.loading') : t('usage.more')}
          </button>
        )}
      </div>
    </>
  );
}
