import type { GroupOffset, StoredMessage } from '../../shared/model.ts';
import type { SessionStore } from '../store/session-store.ts';
import { AnalysisState } from '../analysis/analysis-state.ts';
import type { AnalysisResult } from '../analysis/analysis-state.ts';
import type { AnalysisConfig, AnalysisConfigInput } from '../analysis/config.ts';

/**
 * Analysis of a saved session, streamed from its file through the same `AnalysisState` that
 * runs live beside a Recorder (`onBatch` → `ingest`, `onOffsets` → `addOffsets`).
 */
export { AnalysisState, LIVE_GRACE_MS } from '../analysis/analysis-state.ts';
export type { AnalysisResult } from '../analysis/analysis-state.ts';

/**
 * When a saved recording ended: its last message, offset poll or endpoint status change
 * (the Recorder logs "stopped" when it stops). Windows that had passed by then are judged
 * as passed, as they were live; the rest is decided "by the end of the recording".
 */
export function recordingEnd(store: SessionStore): number | undefined {
  const [row] = store.select<{ t: number | null }>(
    `SELECT MAX(t) AS t FROM (SELECT MAX(time) AS t FROM messages UNION ALL SELECT MAX(time) FROM group_offsets
     UNION ALL SELECT MAX(time) FROM endpoint_log)`,
  );
  return row?.t ?? undefined;
}

/** Streams a saved session through a fresh state and finishes it; the state keeps the pages for the UI. */
export function analyzeStoreState(store: SessionStore, config: AnalysisConfigInput | AnalysisConfig = {}, end = recordingEnd(store)): AnalysisState {
  const state = new AnalysisState(config);
  // Offset polls stream beside the messages (two read statements at once), each batch
  // preceded by the polls up to its latest message: nothing grows with the session.
  const polls = store.selectIterate<OffsetRow>(`${OFFSETS_SQL} ORDER BY time, rowid`);
  let next = polls.next();
  const pollsUpTo = (time: number): GroupOffset[] => {
    const rows: GroupOffset[] = [];
    while (!next.done && next.value.time <= time) {
      rows.push(toGroupOffset(next.value));
      next = polls.next();
    }
    return rows;
  };
  try {
    let batch: StoredMessage[] = [];
    let batchMax = -Infinity;
    const flush = (): void => {
      state.addOffsets(pollsUpTo(batchMax));
      state.ingest(batch);
      batch = [];
    };
    for (const m of store.iterate()) {
      batch.push(m);
      if (m.time > batchMax) batchMax = m.time;
      if (batch.length >= 1000) flush();
    }
    flush();
    state.addOffsets(pollsUpTo(Infinity));
  } finally {
    polls.return?.();
  }
  state.finish(end);
  return state;
}

/** The analysis of a saved session: the same result the live analysis reached while recording it. */
export function analyzeStore(store: SessionStore, config: AnalysisConfigInput | AnalysisConfig = {}, end = recordingEnd(store)): AnalysisResult {
  return analyzeStoreState(store, config, end).finish();
}

/**
 * Like `analyzeStoreState`, yielding to the event loop between chunks so the main process
 * stays responsive over a million-message session. `onProgress` gets messages done so far.
 */
export async function analyzeStoreAsync(
  store: SessionStore,
  config: AnalysisConfigInput | AnalysisConfig = {},
  opts: { end?: number; signal?: AbortSignal; onProgress?: (done: number) => void; chunk?: number } = {},
): Promise<AnalysisState> {
  const end = opts.end ?? recordingEnd(store);
  const state = new AnalysisState(config);
  const chunk = opts.chunk ?? 20_000;
  let afterSeq = 0;
  let done = 0;
  let pollsDone = -Infinity;
  for (;;) {
    opts.signal?.throwIfAborted();
    const batch: StoredMessage[] = [];
    let batchMax = pollsDone;
    // Fresh statements per chunk: an open iterator must not span an await (a writer on
    // the same connection would find it busy).
    for (const m of store.iterate({}, { afterSeq })) {
      batch.push(m);
      if (m.time > batchMax) batchMax = m.time;
      if (batch.length >= chunk) break;
    }
    const last = batch.length < chunk;
    const upTo = last ? Infinity : batchMax;
    if (upTo > pollsDone) {
      state.addOffsets(store.select<OffsetRow>(`${OFFSETS_SQL} WHERE time > ? AND time <= ? ORDER BY time, rowid`, [pollsDone, upTo]).map(toGroupOffset));
      pollsDone = upTo;
    }
    state.ingest(batch);
    done += batch.length;
    opts.onProgress?.(done);
    if (last) break;
    afterSeq = batch[batch.length - 1]!.seq;
    await new Promise((r) => setImmediate(r));
  }
  state.finish(end);
  return state;
}

interface OffsetRow {
  time: number;
  endpoint: string;
  group_id: string;
  topic: string;
  partition: number;
  offset: number;
}

const OFFSETS_SQL = 'SELECT time, endpoint, group_id, topic, partition, offset FROM group_offsets';

function toGroupOffset(r: OffsetRow): GroupOffset {
  return { time: r.time, endpoint: r.endpoint, groupId: r.group_id, topic: r.topic, partition: r.partition, offset: String(r.offset) };
}
