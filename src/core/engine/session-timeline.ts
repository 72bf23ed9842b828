import type { MessageFilter } from '../../shared/filter.ts';
import type { TimelineSeries } from '../../shared/views.ts';
import type { SessionStore } from '../store/session-store.ts';
import { niceBucket, timelineSeries } from '../analysis/timeline-buckets.ts';

/**
 * Message counts per destination in about `buckets` buckets of event time, of a round
 * width. Event time, not capture time: a history read with `--from-beginning` shows when its
 * traffic happened, not the seconds in which it was read. This reads the store; the whole
 * session's timeline comes from the analysis's tally instead (analysis/timeline-tally.ts).
 */
export function timelineOf(store: SessionStore, filter: MessageFilter, buckets: number): TimelineSeries {
  const range = store.eventTimeRange(filter);
  if (range.first === null || range.last === null) return { from: null, to: null, bucketMs: 1000, buckets: [], series: [] };
  const bucketMs = niceBucket(Math.max(1, range.last - range.first) / buckets);
  return timelineSeries(range.first, range.last, bucketMs, store.timeline(filter, bucketMs));
}
