import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useI18n, type Lang } from '../i18n/index.js';
import { formatCompact } from '../lib/format.js';

export interface ChartSeries {
  label: string;
  /** A CSS custom property holding the line colour (and `<name>-fill` the area), so both themes apply. */
  colorVar: string;
}

interface TimeChartProps {
  title: string;
  xs: number[];
  ys: number[][];
  series: ChartSeries[];
  testId: string;
  height?: number;
}

const ZH_NAMES: uPlot.DateNames = {
  MMMM: Array.from({ length: 12 }, (_, i) => `${i + 1}月`),
  MMM: Array.from({ length: 12 }, (_, i) => `${i + 1}月`),
  WWWW: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
  WWW: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
};

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

const darkQuery = matchMedia('(prefers-color-scheme: dark)');

function useColorScheme(): string {
  const query = darkQuery;
  const [scheme, setScheme] = useState(query.matches ? 'dark' : 'light');
  useEffect(() => {
    const onChange = (e: MediaQueryListEvent) => setScheme(e.matches ? 'dark' : 'light');
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, [query]);
  return scheme;
}

// uPlot's tick-format table (span, default, year/month/day/hour/minute/second changes, mode), in 24-hour time.
function timeTicks(lang: Lang): uPlot.Axis.Values {
  const zh = lang === 'zh-CN';
  const day = zh ? '{M}月{D}日' : '{M}/{D}';
  const nl = `\n${day}`;
  const full = zh ? '\n{YYYY}年{M}月{D}日' : '\n{M}/{D}/{YYYY}';
  return [
    [86400 * 365, '{YYYY}', null, null, null, null, null, null, 1],
    [86400 * 28, zh ? '{M}月' : '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
    [86400, day, '\n{YYYY}', null, null, null, null, null, 1],
    [3600, '{HH}:{mm}', full, null, nl, null, null, null, 1],
    [60, '{HH}:{mm}', full, null, nl, null, null, null, 1],
    [1, ':{ss}', `${full} {HH}:{mm}`, null, `${nl} {HH}:{mm}`, null, '\n{HH}:{mm}', null, 1],
  ];
}

function options(
  lang: Lang,
  timeLabel: string,
  series: ChartSeries[],
  width: number,
  height: number,
): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: cssVar('--muted'),
    grid: { stroke: cssVar('--grid'), width: 1 },
    ticks: { stroke: cssVar('--grid'), width: 1 },
  };
  return {
    width,
    height,
    fmtDate: lang === 'zh-CN' ? (tpl) => uPlot.fmtDate(tpl, ZH_NAMES) : (tpl) => uPlot.fmtDate(tpl),
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { ...axis, values: timeTicks(lang) },
      { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => formatCompact(lang, v)) },
    ],
    series: [
      { label: timeLabel, value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
      ...series.map((s) => {
        return {
          label: s.label,
          stroke: cssVar(s.colorVar),
          width: 2,
          fill: cssVar(`${s.colorVar}-fill`),
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatCompact(lang, v)),
        };
      }),
    ],
  };
}

/** A uPlot time-series chart that follows the container width, the language and the colour scheme. */
export function TimeChart({ title, xs, ys, series, testId, height = 220 }: TimeChartProps) {
  const { lang, t } = useI18n();
  const scheme = useColorScheme();
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [xs, ...ys];
  const dataRef = useRef(data);
  dataRef.current = data;
  const labels = series.map((s) => `${s.label}:${s.colorVar}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      options(lang, t('col.time'), series, el.clientWidth || 600, height),
      dataRef.current,
      el,
    );
    plot.current = u;
    const observer = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when what the options depend on changes; data updates go through setData.
  }, [lang, scheme, labels, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [xs, ys]);

  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={title} />
    </figure>
  );
}
