import type { StoredMessage } from '../../shared/model.ts';
import type { TimelineSeries } from '../../shared/views.ts';
import { niceBucket, timelineSeries } from './timeline-buckets.ts';

/** Counted cells (destination × bucket) at most; past this the buckets get wider. */
const MAX_CELLS = 65_536;

/**
 * Widths the tally counts in, each a multiple of the one before, so widening adds whole
 * buckets together and every count stays exact. Each is also a width the timeline asks for
 * (timeline-buckets.ts), past the last one any multiple of it.
 */
const WIDTHS = [1, 2, 10, 20, 100, 200, 1000, 2000, 10_000, 30_000, 60_000, 120_000, 600_000, 1_800_000, 3_600_000];

/**
 * Messages per destination and bucket of event time, as the store's timeline query counts
 * them, kept by the analysis so a reopened session draws its timeline without reading
 * every row (issue 12: a 1,000,000-message session took 0.6–1.3 s for that query, growing
 * with the session; this grows with the buckets shown). Buckets start 1 ms wide and widen
 * as the recording's span grows, so the cells stay under MAX_CELLS; the timeline is drawn
 * at the width it asks for when that is a multiple of the kept one, else at the next
 * multiple, never finer than kept.
 */
export class TimelineTally {
  private width = WIDTHS[0]!;
  /** destination → bucket index (event time / width, floored) → messages. */
  private cells = new Map<string, Map<number, number>>();
  private size = 0;
  private first: number | null = null;
  private last: number | null = null;
  /** The last message's destination and its row (absent from snapshots of an older build: read as none). */
  private lastDestination: string | null = null;
  private lastRow: Map<number, number> | null = null;

  add(m: StoredMessage): void {
    const t = m.eventTime ?? m.time;
    if (this.first === null || t < this.first) this.first = t;
    if (this.last === null || t > this.last) this.last = t;
    // Runs of one destination are the common case: its row without a lookup.
    let row = this.lastDestination === m.destination ? this.lastRow : undefined;
    if (row == null) {
      row = this.cells.get(m.destination);
      if (!row) this.cells.set(m.destination, (row = new Map()));
      this.lastDestination = m.destination;
      this.lastRow = row;
    }
    const i = Math.floor(t / this.width);
    const n = row.get(i);
    if (n !== undefined) {
      row.set(i, n + 1);
      return;
    }
    row.set(i, 1);
    if (++this.size > MAX_CELLS) this.widen();
  }

  /** The timeline in about `buckets` buckets, as `timelineOf` draws it from the store. */
  series(buckets: number): TimelineSeries {
    if (this.first === null || this.last === null) return { from: null, to: null, bucketMs: 1000, buckets: [], series: [] };
    const wanted = niceBucket(Math.max(1, this.last - this.first) / buckets);
    const bucketMs = multipleOf(this.width, Math.max(wanted, this.width));
    const rows: { bucket: number; destination: string; count: number }[] = [];
    const per = bucketMs / this.width;
    for (const [destination, row] of this.cells) {
      const sums = new Map<number, number>();
      for (const [i, n] of row) {
        const b = Math.floor(i / per);
        sums.set(b, (sums.get(b) ?? 0) + n);
      }
      for (const [b, count] of sums) rows.push({ bucket: b * bucketMs, destination, count });
    }
    // The store's query orders by bucket; series then come in the order destinations first appear.
    rows.sort((a, b) => a.bucket - b.bucket || (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
    return timelineSeries(this.first, this.last, bucketMs, rows);
  }

  private widen(): void {
    while (this.size > MAX_CELLS / 2) {
      const next = WIDTHS.find((w) => w > this.width) ?? this.width * 2;
      const per = next / this.width;
      const cells = new Map<string, Map<number, number>>();
      let size = 0;
      for (const [destination, row] of this.cells) {
        const wide = new Map<number, number>();
        for (const [i, n] of row) {
          const j = Math.floor(i / per);
          const had = wide.get(j);
          if (had === undefined) size += 1;
          wide.set(j, (had ?? 0) + n);
        }
        cells.set(destination, wide);
      }
      this.width = next;
      this.cells = cells;
      this.size = size;
      this.lastDestination = null;
      this.lastRow = null;
    }
  }
}

/** The smallest timeline width at least `min` that is a multiple of `width`. */
function multipleOf(width: number, min: number): number {
  for (let w = niceBucket(min); ; w = niceBucket(w + 1)) if (w % width === 0) return w;
}
