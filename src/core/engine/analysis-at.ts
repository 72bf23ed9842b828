import type { SessionStore } from '../store/session-store.ts';
import type { SessionAnalysis } from './analysis-port.ts';
import { Playback } from './playback.ts';

/**
 * The analysis of a session as it stood at `time`: a fresh analysis fed every message up
 * to `time` through a playback seeked there, so it shows what the views show when playback
 * seeks to `time`. Read it at `time` (`summary(time)`), as a playback reads at its playhead.
 */
export function analysisAt(store: SessionStore, fresh: SessionAnalysis, time: number): SessionAnalysis {
  fresh.addOffsets(store.offsets());
  const playback = new Playback('', store, {
    onReset: () => undefined,
    onMessages: (msgs) => fresh.ingest(msgs),
    onState: () => undefined,
  });
  playback.seek(time);
  playback.dispose();
  return fresh;
}
