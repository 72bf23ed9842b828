import type { StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { AnalysisState } from '../analysis/analysis-state.ts';
import { ANALYSIS_FIRST_PAGE, ANALYSIS_PAGE, ANALYSIS_SLICE_MS } from '../common/constants.ts';
import type { AnalysedUpTo } from './analysis-checkpoint.ts';

export interface FeedProgress {
  /** The last seq fed. */
  seq: number;
  /** Messages fed so far, and how many there are in all (it grows while a recording continues). */
  done: number;
  total: number;
  /** Nothing is left in the file: this was the last page. */
  last: boolean;
}

/**
 * Feeds a stored session into `state` from its first message (or, with `from`, after what a
 * kept analysis covers): messages in seq order, page by page, each page preceded by the
 * consumer-group offset polls up to its latest message time. The first page is read at once; then it yields to the event loop every few tens of
 * milliseconds, with no statement open across the wait (a writer on the same connection
 * would find it busy). `onProgress` hears about every page, synchronously, so the last one
 * can be acted on before anything else runs.
 */
export async function feedSession(
  store: SessionStore,
  state: AnalysisState,
  opts: {
    page?: number;
    signal?: AbortSignal;
    onProgress?: (p: FeedProgress) => void;
    from?: AnalysedUpTo;
    /** Read pages on a thread of their own (default: when the session is large, see SessionStore.analysisPages). */
    thread?: boolean;
  } = {},
): Promise<void> {
  const page = opts.page ?? ANALYSIS_PAGE;
  const first = Math.max(page, ANALYSIS_FIRST_PAGE);
  let seq = opts.from?.seq ?? 0;
  let done = 0;
  let pollsDone = -Infinity;
  if (opts.from) {
    // Polls stored after the kept ones but stamped no later (another endpoint's clock) go first.
    pollsDone = store.snapshots.offsetTimeUpTo(opts.from.offsets);
    state.addOffsets(store.snapshots.offsetsAfterRow(opts.from.offsets, pollsDone));
  }
  const pages = store.analysisPages(seq, first, page, opts.thread, state.bodyTextKeys);
  // Closing mid-read ends the reading thread at once (a page it is awaited for never comes).
  const stop = (): void => pages.close();
  opts.signal?.addEventListener('abort', stop);
  try {
    let slice = performance.now();
    for (;;) {
      opts.signal?.throwIfAborted();
      const next = pages.next();
      const batch: StoredMessage[] = Array.isArray(next) ? next : await next;
      opts.signal?.throwIfAborted();
      // A page that came short (a page may hold fewer rows without being the last: see AnalysisPages).
      const last = pages.ended;
      let batchMax = pollsDone;
      for (const m of batch) if (m.time > batchMax) batchMax = m.time;
      const upTo = last ? Infinity : batchMax;
      if (upTo > pollsDone) {
        state.addOffsets(store.offsetsBetween(pollsDone, upTo));
        pollsDone = upTo;
      }
      state.ingest(batch);
      done += batch.length;
      if (batch.length > 0) seq = batch[batch.length - 1]!.seq;
      opts.onProgress?.({ seq, done, total: done + Math.max(0, store.lastSeq - seq), last });
      if (last) return;
      if (performance.now() - slice >= ANALYSIS_SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    pages.close();
  }
}
