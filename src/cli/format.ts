/** Plain-text output for people: aligned tables and short times. */
import { UsageError } from './io.js';

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `2026-11-27 14:03:00Z`, or `-` for none. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Pretty JSON for `--json`. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Positive integer ids from positionals, or a usage error naming the bad one. */
export function parseIds(args: string[], what = 'key id'): number[] {
  return args.map((a) => {
    const n = Number(a);
    if (!/^\d+$/.test(a) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`not a ${what}: ${a}`);
    return n;
  });
}
