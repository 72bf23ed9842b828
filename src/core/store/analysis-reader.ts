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
 * thread (`ahead`, when given) is up, then by it, a few pages ahead, while this thread
 * analyses; every page it sends must start where the last one ended. Should the thread
 * fail, or the file's event-time columns move, reading goes on here from the last page
 * handed out (damage the thread met is met again, and named as any read names it).
 */
export class AnalysisPages {
  private seq: number;
  private pages = 0;
  private threadPages = 0;
  private decoder: AnalysisPageDecoder | null = null;

  constructor(
    private readonly source: AnalysisPagesSource,
    afterSeq: number,
    private readonly first: number,
    private readonly page: number,
    private ahead: AnalysisReadAhead | null,
  ) {
    this.seq = afterSeq;
  }

  /** The next page; a promise when it is still being read on the other thread. */
  next(): StoredMessage[] | Promise<StoredMessage[]> {
    const ahead = this.usable();
    if (ahead === null) {
      const out = this.source.inline(this.seq, this.pages === 0 ? this.first : this.page);
      this.advance(out);
      return out;
    }
    if (!ahead.started) ahead.start(this.seq, this.page);
    const p = ahead.next();
    return p instanceof Promise ? p.then((q) => (q === null ? this.next() : this.take(q))) : p === null ? this.next() : this.take(p);
  }

  /** Resolves once the reading thread is up (true), or when there is none or it failed (false). */
  threadUp(): Promise<boolean> {
    return this.ahead?.whenUp() ?? Promise.resolve(false);
  }

  /** Pages taken from the reading thread so far. */
  get fromThread(): number {
    return this.threadPages;
  }

  close(): void {
    this.ahead?.close();
    this.ahead = null;
  }

  /** The reading thread, once it is up and while it reads this file as this thread would. */
  private usable(): AnalysisReadAhead | null {
    const a = this.ahead;
    if (a === null || this.pages === 0) return null;
    if (a.failed || a.eventCols !== this.source.eventCols()) {
      this.close();
      return null;
    }
    return a.started || a.ready ? a : null;
  }

  private take(p: PackedPage): StoredMessage[] {
    if (p.afterSeq !== this.seq) throw new Error(`analysis reader: the page after message ${p.afterSeq} came where the one after ${this.seq} was due`);
    if (p.count > this.page) throw new Error(`analysis reader: a page of ${p.count} messages came where at most ${this.page} were asked for`);
    this.decoder ??= this.source.decoder();
    const out = this.decoder.decode(p);
    this.threadPages++;
    if (out.length > 0 && out[out.length - 1]!.seq !== lastSeqOf(p)) throw new Error('analysis reader: a page decoded to other messages than it holds');
    this.advance(out);
    return out;
  }

  private advance(out: StoredMessage[]): void {
    this.pages++;
    if (out.length > 0) this.seq = out[out.length - 1]!.seq;
  }
}
