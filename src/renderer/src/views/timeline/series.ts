import type { TimelineSeries } from '../../../../shared/views.ts';

export const SERIES_COLORS = ['#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#06b6d4', '#84cc16', '#f97316'];
export const OTHER_COLOR = '#94a3b8';

export interface Stacked {
  names: string[];
  colors: string[];
  /** counts[s][i]: series s at bucket i */
  counts: number[][];
  totals: number[];
  max: number;
}

/** Keeps the busiest destinations as their own series and folds the rest into “other”. */
export function stack(t: TimelineSeries, keep = SERIES_COLORS.length): Stacked {
  const withSum = t.series.map((s) => ({ ...s, sum: s.counts.reduce((a, b) => a + b, 0) })).sort((a, b) => b.sum - a.sum);
  const top = withSum.slice(0, keep);
  const rest = withSum.slice(keep);
  const names = top.map((s) => s.destination);
  const colors = top.map((_, i) => SERIES_COLORS[i]!);
  const counts = top.map((s) => s.counts);
  if (rest.length) {
    names.push(`${rest.length} other${rest.length === 1 ? '' : 's'}`);
    colors.push(OTHER_COLOR);
    counts.push(t.buckets.map((_, i) => rest.reduce((a, s) => a + (s.counts[i] ?? 0), 0)));
  }
  const totals = t.buckets.map((_, i) => counts.reduce((a, c) => a + (c[i] ?? 0), 0));
  return { names, colors, counts, totals, max: Math.max(1, ...totals) };
}

/** Round tick steps (1, 2, 5 × 10^k) so axis labels are whole, readable counts. */
export function niceTicks(max: number, count = 4): number[] {
  const raw = Math.max(1, max / count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(t);
  return ticks;
}
