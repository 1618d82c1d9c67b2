import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { TimeChart } from '../components/time-chart.js';
import { useI18n, type Lang, type MessageKey, type Translate } from '../i18n/index.js';
import { useApi } from '../lib/api-context.js';
import { errorText } from '../lib/errors.js';
import { formatClock, formatCompact, formatNumber, formatPercent } from '../lib/format.js';
import { useLoader } from '../lib/hooks.js';
import { fillSeries } from '../lib/series.js';
import type { KeyState, Stats, StatsRange } from '../lib/types.js';

const RANGES: Array<{ range: StatsRange; label: MessageKey }> = [
  { range: 'hour', label: 'dash.range_hour' },
  { range: 'day', label: 'dash.range_day' },
  { range: 'week', label: 'dash.range_week' },
];
const STATES: KeyState[] = ['active', 'cooling', 'disabled'];

function Stat(props: { label: string; value: string; sub?: string; testId: string; tone?: string }) {
  return (
    <div class={`card stat ${props.tone ?? ''}`} data-testid={props.testId}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.sub && <div class="stat-sub muted">{props.sub}</div>}
    </div>
  );
}

interface TopRow {
  name: string;
  requests: number;
  errors: number;
  total_tokens: number;
}

function TopTable(props: { title: string; nameLabel: string; rows: TopRow[]; testId: string }) {
  const { t, lang } = useI18n();
  const top = props.rows.slice(0, 8);
  return (
    <section class="card">
      <h2>{props.title}</h2>
      {top.length === 0 ? (
        <p class="muted">{t('dash.no_data')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table compact" data-testid={props.testId}>
            <thead>
              <tr>
                <th scope="col">{props.nameLabel}</th>
                <th scope="col" class="num">
                  {t('col.requests')}
                </th>
                <th scope="col" class="num">
                  {t('col.errors')}
                </th>
                <th scope="col" class="num">
                  {t('col.tokens')}
                </th>
              </tr>
            </thead>
            <tbody>
              {top.map((row, i) => (
                <tr key={i}>
                  <td class="mono ellipsis" title={row.name || undefined}>
                    {row.name || '—'}
                  </td>
                  <td class="num">{formatNumber(lang, row.requests)}</td>
                  <td class="num">{formatNumber(lang, row.errors)}</td>
                  <td class="num">{formatCompact(lang, row.total_tokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Grid({ children }: { children: ComponentChildren }) {
  return <div class="grid-2">{children}</div>;
}

function Overview({ stats }: { stats: Stats }) {
  const { t, lang } = useI18n();
  const { totals, keys } = stats;
  const series = useMemo(() => fillSeries(stats), [stats]);
  const traffic = useMemo(() => [series.requests, series.errors], [series]);
  const tokens = useMemo(() => [series.tokens], [series]);

  return (
    <>
      <div class="stat-grid">
        <Stat
          testId="stat-requests"
          label={t('dash.requests')}
          value={formatNumber(lang, totals.requests)}
          sub={t('dash.requests_hint')}
        />
        <Stat
          testId="stat-success"
          tone="tone-ok"
          label={t('dash.success_rate')}
          value={formatPercent(lang, totals.requests - totals.errors, totals.requests)}
        />
        <Stat
          testId="stat-errors"
          tone={totals.errors > 0 ? 'tone-bad' : ''}
          label={t('dash.error_rate')}
          value={formatPercent(lang, totals.errors, totals.requests)}
          sub={t(totals.errors === 1 ? 'dash.errors_one' : 'dash.errors_n', {
            n: formatNumber(lang, totals.errors),
          })}
        />
        <Stat
          testId="stat-tokens"
          label={t('dash.tokens')}
          value={formatCompact(lang, totals.total_tokens)}
          sub={tokenSplit(t, lang, totals)}
        />
      </div>
      <section class="card" aria-labelledby="keys-by-state">
        <h2 id="keys-by-state">{t('dash.keys_by_state', { n: formatNumber(lang, keys.total) })}</h2>
        <div class="state-bar" aria-hidden="true">
          {STATES.map((s) =>
            keys[s] > 0 ? <span key={s} class={`seg seg-${s}`} style={{ flexGrow: keys[s] }} /> : null,
          )}
        </div>
        <ul class="state-legend" data-testid="keys-by-state">
          {STATES.map((s) => (
            <li key={s} data-testid={`keys-${s}`}>
              <span class={`dot dot-${s}`} aria-hidden="true" />
              {t(`filter.${s}`)} <strong>{formatNumber(lang, keys[s])}</strong>
            </li>
          ))}
        </ul>
      </section>
      <Grid>
        <section class="card">
          <TimeChart
            testId="chart-requests"
            title={t('dash.chart_requests')}
            xs={series.xs}
            ys={traffic}
            series={[
              { label: t('dash.requests'), colorVar: '--chart-1' },
              { label: t('col.errors'), colorVar: '--chart-bad' },
            ]}
          />
        </section>
        <section class="card">
          <TimeChart
            testId="chart-tokens"
            title={t('dash.chart_tokens')}
            xs={series.xs}
            ys={tokens}
            series={[{ label: t('dash.tokens'), colorVar: '--chart-2' }]}
          />
        </section>
      </Grid>
      <Grid>
        <TopTable
          testId="top-models"
          title={t('dash.top_models')}
          nameLabel={t('col.model')}
          rows={stats.by_model.map((r) => ({ ...r, name: r.model ?? '' }))}
        />
        <TopTable
          testId="top-endpoints"
          title={t('dash.top_endpoints')}
          nameLabel={t('col.endpoint')}
          rows={stats.by_endpoint.map((r) => ({ ...r, name: r.endpoint }))}
        />
        <TopTable
          testId="top-keys"
          title={t('dash.top_keys')}
          nameLabel={t('col.key')}
          rows={stats.by_key.map((r) => ({ ...r, name: r.key ?? `#${r.key_id ?? '?'}` }))}
        />
        <section class="card">
          <h2>{t('dash.status_codes')}</h2>
          {stats.by_status.length === 0 ? (
            <p class="muted">{t('dash.no_data')}</p>
          ) : (
            <ul class="chips" data-testid="status-codes">
              {stats.by_status.map((s) => (
                <li key={s.status} class={`chip ${s.status >= 400 ? 'chip-bad' : 'chip-ok'}`}>
                  <span class="mono">{s.status}</span> {formatNumber(lang, s.count)}
                </li>
              ))}
            </ul>
          )}
        </section>
      </Grid>
    </>
  );
}

/**
 * Prompt and completion tokens, and the thinking tokens Gemini counts only in the total on its
 * OpenAI-compatible endpoint, so the parts add up to the figure shown.
 */
function tokenSplit(
  t: Translate,
  lang: Lang,
  totals: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
): string {
  const parts = {
    prompt: formatCompact(lang, totals.prompt_tokens),
    completion: formatCompact(lang, totals.completion_tokens),
  };
  const thinking = totals.total_tokens - totals.prompt_tokens - totals.completion_tokens;
  return thinking > 0
    ? t('dash.tokens_split_thinking', { ...parts, thinking: formatCompact(lang, thinking) })
    : t('dash.tokens_split', parts);
}

export function Dashboard() {
  const api = useApi();
  const { t } = useI18n();
  const [range, setRange] = useState<StatsRange>('day');
  const stats = useLoader(() => api.stats(range), [range], 10_000);

  return (
    <>
      <div class="toolbar">
        <div class="segmented" role="group" aria-label={t('dash.range')}>
          {RANGES.map((r) => (
            <button
              key={r.range}
              type="button"
              aria-pressed={range === r.range}
              onClick={() => setRange(r.range)}
              data-testid={`range-${r.range}`}
            >
              {t(r.label)}
            </button>
          ))}
        </div>
        {stats.updatedAt && (
          <span class="muted small">
            {t('common.updated', { time: formatClock(stats.updatedAt.toISOString()) })}
          </span>
        )}
      </div>
      {stats.error !== null && (
        <p class="error-box" role="alert">
          {errorText(stats.error, t)}
        </p>
      )}
      {stats.data ? (
        <Overview stats={stats.data} />
      ) : (
        !stats.error && <p class="muted">{t('common.loading')}</p>
      )}
    </>
  );
}
