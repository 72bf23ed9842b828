import type { LatencySummary } from '../../shared/views.ts';

/**
 * Latency figures in bounded memory. The first EXACT_LIMIT values are kept as they are, so
 * small samples get exact percentiles; beyond that only a log-scale histogram is kept
 * (≈1.6 % relative error), whatever the count: a million pairs cost the same 6.5 KB.
 */

export interface HistogramBuckets {
  /** Bucket edges in ms, ascending; `edges.length === counts.length + 1`. */
  edges: number[];
  counts: number[];
}

const EXACT_LIMIT = 2048;
/** Smallest distinguished value: 1 µs. Anything below lands in the first bucket. */
const MIN_MS = 0.001;
const GROWTH = 1 + 1 / 64;
const LOG_GROWTH = Math.log(GROWTH);
/** Covers 1 µs … ~31 hours. */
const BUCKETS = Math.ceil(Math.log(1e8 / MIN_MS) / LOG_GROWTH) + 1;

function bucketOf(v: number): number {
  if (v <= MIN_MS) return 0;
  const i = Math.floor(Math.log(v / MIN_MS) / LOG_GROWTH) + 1;
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

/** Lower edge of bucket i (bucket 0 holds everything up to MIN_MS). */
function lowerEdge(i: number): number {
  return i === 0 ? 0 : MIN_MS * Math.pow(GROWTH, i - 1);
}

export class LatencyHistogram {
  count = 0;
  private sum = 0;
  private minV = Infinity;
  private maxV = -Infinity;
  private exact: number[] | null = [];
  private readonly buckets = new Uint32Array(BUCKETS);

  record(ms: number): void {
    const v = ms > 0 && Number.isFinite(ms) ? ms : 0;
    this.count += 1;
    this.sum += v;
    if (v < this.minV) this.minV = v;
    if (v > this.maxV) this.maxV = v;
    this.buckets[bucketOf(v)]! += 1;
    if (this.exact) {
      if (this.exact.length < EXACT_LIMIT) this.exact.push(v);
      else this.exact = null;
    }
  }

  /** Nearest-rank quantile, exact while the sample is small. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (this.exact) {
      const sorted = [...this.exact].sort((a, b) => a - b);
      return sorted[rank - 1]!;
    }
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) {
        // The bucket's geometric middle, clamped to what was really observed.
        const mid = i === 0 ? MIN_MS / 2 : Math.sqrt(lowerEdge(i) * lowerEdge(i + 1));
        return Math.min(this.maxV, Math.max(this.minV, mid));
      }
    }
    return this.maxV;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, min: null, mean: null };
    return {
      count: this.count,
      p50: round(this.quantile(0.5)!),
      p95: round(this.quantile(0.95)!),
      p99: round(this.quantile(0.99)!),
      max: round(this.maxV),
      min: round(this.minV),
      mean: round(this.sum / this.count),
    };
  }

  merge(other: LatencyHistogram): void {
    if (other.count === 0) return;
    for (let i = 0; i < BUCKETS; i++) this.buckets[i]! += other.buckets[i]!;
    if (this.exact && other.exact && this.exact.length + other.exact.length <= EXACT_LIMIT) {
      this.exact.push(...other.exact);
    } else {
      this.exact = null;
    }
    this.count += other.count;
    this.sum += other.sum;
    this.minV = Math.min(this.minV, other.minV);
    this.maxV = Math.max(this.maxV, other.maxV);
  }

  /**
   * Display buckets on a 1-2-5 ladder (0.01, 0.02, 0.05, 0.1 … ms), trimmed to the range
   * that holds values: what a latency chart draws.
   */
  display(): HistogramBuckets {
    if (this.count === 0) return { edges: [], counts: [] };
    const ladder: number[] = [0];
    for (let decade = 0.01; decade < 1e9; decade *= 10) {
      for (const m of [1, 2, 5]) ladder.push(Number((decade * m).toPrecision(3)));
    }
    const counts = new Array<number>(ladder.length).fill(0);
    let j = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.buckets[i]!;
      if (n === 0) continue;
      const lo = lowerEdge(i);
      while (j + 1 < ladder.length && ladder[j + 1]! <= lo) j++;
      counts[j]! += n;
    }
    let first = counts.findIndex((c) => c > 0);
    let last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
    if (first < 0) first = last = 0;
    return { edges: ladder.slice(first, last + 2), counts: counts.slice(first, last + 1) };
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
