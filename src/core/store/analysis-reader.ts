import type { Database as Db } from 'better-sqlite3';
import type { StoredMessage } from '../../shared/model.ts';
import type { EventColumns } from './rows.ts';
import { AnalysisPageQuery } from './analysis-page-query.ts';
import { AnalysisPageDecoder } from './analysis-page-decode.ts';
import type { PackedPage } from './analysis-page-format.ts';
import { lastSeqOf } from './analysis-page-format.ts';
import type { AnalysisReadAhead } from './analysis-read-ahead.ts';

/**
 * Pages of full messages in seq order for the analysis reading a whole session, read on
 * the caller's thread: what `pageForAnalysis` and the first pages of `AnalysisPages` use.
 * Reading and making messages are two halves (analysis-page-query.ts, analysis-page-decode.ts)
 * so that the reading can run on a thread of its own and give exactly these messages.
 */
export class AnalysisPageReader {
  private readonly query: AnalysisPageQuery;
  private readonly decoder: AnalysisPageDecoder;

  constructor(
    db: Db,
    /** Where this file keeps event time (rows.ts). */
    readonly eventCols: EventColumns,
  ) {
    this.query = new AnalysisPageQuery(db, eventCols);
    this.decoder = new AnalysisPageDecoder(db);
  }

  page(afterSeq: number, limit: number): StoredMessage[] {
    return this.decoder.decode(this.query.read(afterSeq, limit));
  }
}

export interface AnalysisPagesSource {
  /** A page read on this thread (the store's pageForAnalysis). */
  inline(afterSeq: number, limit: number): StoredMessage[];
  /** Where the file keeps event time now (a recording into a version-1 file moves it). */
  eventCols(): EventColumns;
  /** Makes messages of pages read by the thread, with the analysis thread's connection. */
  decoder(): AnalysisPageDecoder;
}

/**
 * The pages `feedSession` reads, in seq order: the first after `afterSeq` holding up to
 * `first` messages, then `page` each. They are read on this thread until the reading
 * threads (`lanes`, when given) are up, then by them, a few pages ahead, while this thread
 * analyses. With one thread every page it sends must start where the last one ended; with
 * more, each reads every n-th page of a grid (nextLaneStart) and they are taken in turn, so
 * reading, the larger part of a recompute, is shared between cores (issue 12: one thread
 * reading left the analysis thread waiting half the time). A row handed out already (a
 * page that reached over a gap in the seqs) is dropped. The first short page is the last:
 * what a recording added after it is not read, as with one thread. Should a thread fail,
 * or the file's event-time columns move, reading goes on here from the last page handed
 * out (damage a thread met is met again, and named as any read names it).
 */
export class AnalysisPages {
  private seq: number;
  private pages = 0;
  private threadPages = 0;
  private decoders: AnalysisPageDecoder[] = [];
  /** Each lane's next page, taken from its thread and not yet handed out (null: not yet asked for). */
  private heads: (PackedPage | null)[];
  /** Where the lanes' grid starts (the last seq read on this thread), and the last grid page handed out. */
  private gridFrom = 0;
  private lastCell = -Infinity;
  private done = false;

  constructor(
    private readonly source: AnalysisPagesSource,
    afterSeq: number,
    private readonly first: number,
    private readonly page: number,
    private lanes: AnalysisReadAhead[],
  ) {
    this.seq = afterSeq;
    this.heads = lanes.map(() => null);
  }

  /** The last page has been handed out: it came short, so the file held no more when it was read. */
  get ended(): boolean {
    return this.done;
  }

  /** The next page; a promise when it is still being read on another thread. */
  next(): StoredMessage[] | Promise<StoredMessage[]> {
    if (!this.usable()) {
      const limit = this.pages === 0 ? this.first : this.page;
      const out = this.source.inline(this.seq, limit);
      this.done = out.length < limit;
      this.advance(out);
      return out;
    }
    if (!this.lanes[0]!.started) {
      this.gridFrom = this.seq;
      this.lanes.forEach((a, i) => a.start(this.seq, this.page, this.lanes.length, i));
    }
    // The lowest page of the grid is due next: every lane's next page is needed to know it.
    for (let i = 0; i < this.lanes.length; i++) {
      if (this.heads[i] !== null) continue;
      const p = this.lanes[i]!.next();
      if (p instanceof Promise) {
        return p.then((q) => {
          if (q === null) return this.next();
          this.heads[i] = q;
          return this.next();
        });
      }
      if (p === null) return this.next();
      this.heads[i] = p;
    }
    let lane = 0;
    for (let i = 1; i < this.heads.length; i++) if (this.heads[i]!.afterSeq < this.heads[lane]!.afterSeq) lane = i;
    const p = this.heads[lane]!;
    this.heads[lane] = null;
    return this.take(p, lane);
  }

  /** Resolves once every reading thread is up (true), or when there is none or one failed (false). */
  async threadUp(): Promise<boolean> {
    if (this.lanes.length === 0) return false;
    const up = await Promise.all(this.lanes.map((a) => a.whenUp()));
    return up.every(Boolean);
  }

  /** Pages taken from the reading threads so far. */
  get fromThread(): number {
    return this.threadPages;
  }

  close(): void {
    for (const a of this.lanes) a.close();
    this.lanes = [];
    this.heads = [];
  }

  /** The reading threads, once all are up, and while they read this file as this thread would. */
  private usable(): boolean {
    const lanes = this.lanes;
    if (lanes.length === 0 || this.pages === 0) return false;
    if (lanes.some((a) => a.failed) || lanes[0]!.eventCols !== this.source.eventCols()) {
      this.close();
      return false;
    }
    return lanes.every((a) => a.started || a.ready);
  }

  private take(p: PackedPage, lane: number): StoredMessage[] {
    const one = this.lanes.length === 1;
    if (one ? p.afterSeq !== this.seq : p.afterSeq <= this.lastCell || (p.afterSeq - this.gridFrom) % this.page !== 0) {
      throw new Error(`analysis reader: the page after message ${p.afterSeq} came where the one after ${one ? this.seq : this.lastCell} was due`);
    }
    if (p.count > this.page) throw new Error(`analysis reader: a page of ${p.count} messages came where at most ${this.page} were asked for`);
    this.lastCell = p.afterSeq;
    // Each thread defines its own name sets: its pages are made by a decoder of its own.
    const decoder = (this.decoders[lane] ??= this.source.decoder());
    let out = decoder.decode(p);
    this.threadPages++;
    if (out.length > 0 && out[out.length - 1]!.seq !== lastSeqOf(p)) throw new Error('analysis reader: a page decoded to other messages than it holds');
    this.done = p.count < this.page;
    if (this.done) this.close();
    if (out.length > 0 && out[0]!.seq <= this.seq) out = out.filter((m) => m.seq > this.seq);
    this.advance(out);
    return out;
  }

  private advance(out: StoredMessage[]): void {
    this.pages++;
    if (out.length > 0) this.seq = out[out.length - 1]!.seq;
  }
}
