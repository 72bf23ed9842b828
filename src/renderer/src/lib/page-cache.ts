/**
 * A bounded cache of fixed-size pages of a long list that lives elsewhere (the session
 * store). The virtualised list asks for the rows it shows; missing pages are fetched by
 * offset, least recently used pages are dropped beyond `maxPages`, so the renderer never
 * holds more than pageSize × maxPages rows whatever the session's size.
 */
export interface PageFetcher<T> {
  (offset: number, limit: number): Promise<{ rows: T[]; total: number | null }>;
}

export class PageCache<T> {
  private pages = new Map<number, (T | undefined)[]>();
  private inflight = new Set<number>();
  /** Pages still shown but due for a refetch (the list changed underneath). */
  private stale = new Set<number>();
  private generation = 0;
  /** Pages of the latest range asked for: never evicted. */
  private wanted = new Set<number>();
  total = 0;

  constructor(
    private readonly fetch: PageFetcher<T>,
    private readonly onChange: () => void,
    readonly pageSize = 200,
    readonly maxPages = 25,
  ) {}

  row(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Index of the first cached row matching `pred`, or null (only cached rows are searched). */
  indexOf(pred: (row: T) => boolean): number | null {
    for (const [p, page] of this.pages) {
      for (let i = 0; i < page.length; i++) {
        const r = page[i];
        if (r !== undefined && pred(r)) return p * this.pageSize + i;
      }
    }
    return null;
  }

  /** Rows currently cached (for tests and the memory bound). */
  get cachedRows(): number {
    let n = 0;
    for (const p of this.pages.values()) n += p.length;
    return n;
  }

  /** Makes sure rows [start, end] are loaded or loading; touches them for the LRU. */
  ensure(start: number, end: number): void {
    if (this.total === 0) return;
    const last = Math.min(end, this.total - 1);
    const first = Math.max(0, start);
    const want: number[] = [];
    for (let p = Math.floor(first / this.pageSize); p <= Math.floor(last / this.pageSize); p++) want.push(p);
    for (const p of want) {
      const page = this.pages.get(p);
      if (page) {
        this.pages.delete(p);
        this.pages.set(p, page);
      }
      if (!this.complete(p) && !this.inflight.has(p)) void this.load(p);
    }
    this.wanted = new Set(want);
    this.evict(this.wanted);
  }

  private complete(p: number): boolean {
    const page = this.pages.get(p);
    if (!page || this.stale.has(p)) return false;
    const need = Math.min(this.pageSize, this.total - p * this.pageSize);
    if (page.length < need) return false;
    for (let i = 0; i < need; i++) if (page[i] === undefined) return false;
    return true;
  }

  private async load(p: number): Promise<void> {
    const gen = this.generation;
    this.inflight.add(p);
    try {
      const { rows, total } = await this.fetch(p * this.pageSize, this.pageSize);
      if (gen !== this.generation) return;
      this.pages.set(p, rows);
      this.stale.delete(p);
      this.evict(this.wanted.size ? this.wanted : new Set([p]));
      if (total !== null) this.total = total;
      this.onChange();
    } finally {
      if (gen === this.generation) this.inflight.delete(p);
    }
  }

  private evict(keep: Set<number>): void {
    for (const p of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (!keep.has(p)) {
        this.pages.delete(p);
        this.stale.delete(p);
      }
    }
  }

  /** The list grew: the rows at the end are known without asking (live tail, no filter). */
  appendTail(total: number, newest: readonly T[]): void {
    this.total = total;
    this.fill(total - newest.length, newest);
  }

  /** Rows known from elsewhere (the first page, a live batch), placed without a fetch. */
  fill(start: number, rows: readonly T[]): void {
    for (let i = 0; i < rows.length; i++) {
      const index = start + i;
      if (index < 0) continue;
      const p = Math.floor(index / this.pageSize);
      let page = this.pages.get(p);
      if (!page) {
        page = [];
        this.pages.set(p, page);
      }
      page[index % this.pageSize] = rows[i];
    }
    if (rows.length) this.evict(new Set([...this.wanted, Math.floor((start + rows.length - 1) / this.pageSize)]));
    this.onChange();
  }

  /** The list grew by rows we have not seen: reload the page that was the last one. */
  grow(total: number): void {
    const oldLast = Math.floor(Math.max(0, this.total - 1) / this.pageSize);
    this.total = total;
    this.pages.delete(oldLast);
    this.inflight.delete(oldLast);
    this.onChange();
  }

  setTotal(total: number): void {
    if (total < this.total) this.reset();
    this.total = total;
    this.onChange();
  }

  /** Everything changed (new filter, playback went back): forget every row. */
  reset(): void {
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    this.stale.clear();
  }

  /** Rows may have changed in place (a pair got its reply): refetch what is shown, showing the old rows meanwhile. */
  invalidate(): void {
    this.generation++;
    this.inflight.clear();
    for (const p of this.pages.keys()) this.stale.add(p);
  }
}
