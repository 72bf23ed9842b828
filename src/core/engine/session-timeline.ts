import type { MessageFilter } from '../../shared/filter.ts';
import type { TimelineSeries } from '../../shared/views.ts';
import type { SessionStore } from '../store/session-store.ts';

/**
 * Message counts per destination in about `buckets` buckets of event time, of a round
 * width. Event time, not capture time: a history read with `--from-beginning` shows when its
 * traffic happened, not the seconds in which it was read.
 */
export function timelineOf(store: SessionStore, filter: MessageFilter, buckets: number): TimelineSeries {
  const range = store.eventTimeRange(filter);
  if (range.first === null || range.last === null) return { from: null, to: null, bucketMs: 1000, buckets: [], series: [] };
  const span = Math.max(1, range.last - range.first);
  const bucketMs = niceBucket(span / buckets);
  const rows = store.timeline(filter, bucketMs);
  const start = Math.floor(range.first / bucketMs) * bucketMs;
  const n = Math.floor((range.last - start) / bucketMs) + 1;
  const times = Array.from({ length: n }, (_, i) => start + i * bucketMs);
  const byDest = new Map<string, number[]>();
  for (const r of rows) {
    let arr = byDest.get(r.destination);
    if (!arr) byDest.set(r.destination, (arr = new Array<number>(n).fill(0)));
    const i = Math.round((r.bucket - start) / bucketMs);
    if (i >= 0 && i < n) arr[i]! += r.count;
  }
  return { from: range.first, to: range.last, bucketMs, buckets: times, series: [...byDest].map(([destination, counts]) => ({ destination, counts })) };
}

function niceBucket(ms: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  for (const s of steps) if (s >= ms) return s;
  return Math.ceil(ms / 3_600_000) * 3_600_000;
}
