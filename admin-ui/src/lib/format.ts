import type { Lang } from '../i18n/index.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:03" in local time (24-hour in every language). */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-27 14:03:05" in local time. */
export function formatDateTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(iso)}:${pad(d.getSeconds())}`;
}

/** A clock time when `iso` falls on the same day as `now`, else "11-28 08:00", so tomorrow never reads as past. */
export function formatWhen(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() === now.toDateString()) return formatClock(iso);
  const sameYear = d.getFullYear() === now.getFullYear();
  const date = `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${sameYear ? date : `${d.getFullYear()}-${date}`} ${formatClock(iso)}`;
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang).format(n);
}

export function formatCompact(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

export function formatPercent(lang: Lang, part: number, whole: number): string {
  if (whole <= 0) return '–';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(part / whole);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** "3 minutes ago" / "3 分钟前". */
export function formatRelative(lang: Lang, iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return rtf.format(Math.trunc(seconds / size), unit);
  }
  return iso;
}
