/** Number formats and tables of the markdown report. */

export const f = (n: number, digits = 2): string => n.toFixed(digits);
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A markdown table; the first `left` columns are left-aligned, the rest (numbers) right-aligned. */
export function table(head: string[], rows: string[][], left = 1): string {
  const align = head.map((_, i) => (i < left ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
