import assert from 'node:assert/strict';
import type { SessionStore } from '../../src/core/store/session-store.ts';
import { SessionAnalysis, type AnalysisConfigInput, type AnalysisState } from '../../src/core/engine/session-analysis.ts';

/** A saved session analysed the way the engine analyses one it opens: read to the end, decided at the recording's end. */
export async function analyzeSaved(store: SessionStore, config: AnalysisConfigInput = {}): Promise<AnalysisState> {
  const analysis = new SessionAnalysis(store, config);
  assert.deepEqual(await analysis.whenRead(), { state: 'ready' });
  return analysis.current;
}
