import crypto from 'node:crypto';
import type { SessionStore } from '../store/session-store.ts';
import { AnalysisState } from '../analysis/analysis-state.ts';
import { resolveAnalysisConfig, type AnalysisConfigInput } from '../analysis/config.ts';
import { ANALYSIS_FORMAT, configDigest } from '../analysis/analysis-snapshot.ts';
import { getLogger } from '../common/logger.ts';

const log = getLogger('analysis');

/** Where an analysis stands in its file: messages up to `seq`, consumer-group poll rows up to `offsets`. */
export interface AnalysedUpTo {
  seq: number;
  offsets: number;
}

export interface Checkpoint extends AnalysedUpTo {
  state: AnalysisState;
  /** The kept results, decided at the recording's end: the state takes no more messages. */
  finished: boolean;
}

/**
 * The analysis kept in the session file, if it can be trusted: written in this analysis
 * format with these settings, and still about this file's messages (the message it ends on
 * is there with the same capture time, it counted exactly the messages up to it, the polls
 * it read are still there). Anything else (none kept, an older Flowscope's, other settings,
 * damaged bytes) is null: the caller analyses the file from its first message.
 *
 * With `decided`, the kept results are taken instead when they cover the whole file as it
 * ends now (nothing recorded or logged since they were decided): a fraction of the bytes.
 */
export function loadCheckpoint(store: SessionStore, config: AnalysisConfigInput, decided = false, salt = ''): Checkpoint | null {
  let row;
  try {
    row = store.snapshots.kept();
  } catch (err) {
    log.warn(`the analysis kept in ${store.path} could not be read; analysing the file again`, err);
    return null;
  }
  if (!row) return null;
  const why = (reason: string): null => {
    log.info(`the analysis kept in ${store.path} is ${reason}; analysing the file again`);
    return null;
  };
  if (row.format !== ANALYSIS_FORMAT) return why(`in analysis format ${row.format}, not ${ANALYSIS_FORMAT}`);
  if (row.seq > store.lastSeq || (row.seq > 0 && store.snapshots.timeAt(row.seq) !== row.seqTime)) return why('about other messages');
  if (row.offsets > store.snapshots.offsetRows()) return why('about other consumer-group polls');
  if (row.config !== saltedDigest(configDigest(resolveAnalysisConfig(config)), salt)) return why('computed with other analysis or decoder settings');
  if (decided && row.resultsEnd !== null && row.seq === store.lastSeq && row.offsets === store.snapshots.offsetRows() && row.resultsEnd === store.recordingEnd()) {
    try {
      const state = AnalysisState.restoreResults(store.snapshots.results()!, config);
      if (state.messages === row.seq) return { state, seq: row.seq, offsets: row.offsets, finished: true };
    } catch (err) {
      log.info(`the analysis results kept in ${store.path} are damaged (${(err as Error).message}); taking the kept state`);
    }
  }
  let state: AnalysisState;
  try {
    state = AnalysisState.restore(store.snapshots.state()!, config);
  } catch (err) {
    return why(`damaged (${(err as Error).message})`);
  }
  if (state.messages !== row.seq) return why(`about ${state.messages} messages, not ${row.seq}`);
  return { state, seq: row.seq, offsets: row.offsets, finished: false };
}

/**
 * The digest a kept analysis is filed under: its config's, mixed with what else it read by
 * (the decoder settings); unchanged for a session without them, so older files still match.
 */
function saltedDigest(digest: string, salt: string): string {
  return salt ? crypto.createHash('sha256').update(`${digest}\n${salt}`).digest('hex').slice(0, 32) : digest;
}

/** Keeps the results of the kept state, now decided at `end`, beside it. */
export function saveResults(store: SessionStore, state: AnalysisState, seq: number, end: number): void {
  if (store.readonly) return;
  try {
    store.snapshots.saveResults(seq, end, state.saveResults());
  } catch (err) {
    log.warn(`the analysis results of ${store.path} could not be kept in the file`, err);
  }
}

/** Keeps `state`, which covers `upTo`, in the session file (a read-only file keeps nothing). */
export function saveCheckpoint(store: SessionStore, state: AnalysisState, upTo: AnalysedUpTo, version: string, salt = ''): boolean {
  if (store.readonly) return false;
  try {
    store.snapshots.save({
      format: ANALYSIS_FORMAT,
      config: saltedDigest(configDigest(state.config), salt),
      seq: upTo.seq,
      seqTime: upTo.seq > 0 ? store.snapshots.timeAt(upTo.seq) : null,
      offsets: upTo.offsets,
      savedAt: Date.now(),
      version,
      state: state.save(),
    });
    return true;
  } catch (err) {
    // The recording itself is not at stake: the next open analyses the file again.
    log.warn(`the analysis of ${store.path} could not be kept in the file`, err);
    return false;
  }
}
