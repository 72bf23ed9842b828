/**
 * Recomputing the analysis of a saved session from scratch, its own process: first the
 * reference, reading every message page by page as the feeder does (the store's floor), then
 * `feedSession` into a fresh AnalysisState (reading + pairing, undelivered, topology).
 *
 *   node --import tsx bench/analysis/recompute.ts FILE
 *
 * Prints one JSON line: { messages, scanMs, feedMs }.
 */
import { SessionStore } from '../../src/core/store/session-store.ts';
import { AnalysisState } from '../../src/core/analysis/analysis-state.ts';
import { feedSession } from '../../src/core/engine/session-analysis.ts';
import { ANALYSIS_PAGE } from '../../src/core/common/constants.ts';

const store = SessionStore.open(process.argv[2]!, { readonly: true });
const messages = store.lastSeq;
let t = performance.now();
let seq = 0;
for (;;) {
  const page = store.page(seq, ANALYSIS_PAGE);
  if (page.length === 0) break;
  seq = page[page.length - 1]!.seq;
}
const scanMs = performance.now() - t;
t = performance.now();
await feedSession(store, new AnalysisState({}));
const feedMs = performance.now() - t;
store.close();
process.stdout.write(`${JSON.stringify({ messages, scanMs, feedMs })}\n`);
