import type { SessionStore } from '../store/session-store.ts';
import type { BodyReader } from '../analysis/correlation.ts';
import { Playback } from './playback.ts';
import { AnalysisState, readAnalysis, type AnalysisConfigInput, type AnalysisReader } from './session-analysis.ts';

/**
 * The analysis of a session as it stood at `time`: a fresh analysis fed every message up
 * to `time` through a playback seeked there, so it shows what the views show when playback
 * seeks to `time`, and read at `time`, as a playback reads at its playhead.
 */
export function analysisAt(store: SessionStore, config: AnalysisConfigInput, time: number, body?: BodyReader): AnalysisReader {
  const state = new AnalysisState(config).readBodiesWith(body);
  state.addOffsets(store.offsets());
  const playback = new Playback('', store, {
    onReset: () => undefined,
    onMessages: (msgs) => state.ingest(msgs),
    onState: () => undefined,
  });
  playback.seek(time);
  playback.dispose();
  return readAnalysis(state, { state: 'ready' }, time);
}
