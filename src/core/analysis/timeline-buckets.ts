import type { TimelineSeries } from '../../shared/views.ts';

/** Bucket widths the timeline uses: round numbers of milliseconds, seconds, minutes, hours. */
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];

/** The round width at least `ms`. */
export function niceBucket(ms: number): number {
  for (const s of STEPS) if (s >= ms) return s;
  return Math.ceil(ms / 3_600_000) * 3_600_000;
}

/**
 * The timeline from counts per bucket start and destination (in bucket order) over the
 * event times `first`..`last`: every bucket between them, empty ones as 0.
 */
export function timelineSeries(
  first: number,
  last: number,
  bucketMs: number,
  rows: readonly { bucket: number; destination: string; count: number }[],
): TimelineSeries {
  const start = Math.floor(first / bucketMs) * bucketMs;
  const n = Math.floor((last - start) / bucketMs) + 1;
  const times = Array.from({ length: n }, (_, i) => start + i * bucketMs);
  const byDest = new Map<string, number[]>();
  for (const r of rows) {
    let arr = byDest.get(r.destination);
    if (!arr) byDest.set(r.destination, (arr = new Array<number>(n).fill(0)));
    const i = Math.round((r.bucket - start) / bucketMs);
    if (i >= 0 && i < n) arr[i]! += r.count;
  }
  return { from: first, to: last, bucketMs, buckets: times, series: [...byDest].map(([destination, counts]) => ({ destination, counts })) };
}
