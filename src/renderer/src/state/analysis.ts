import type { AnalysisStatus } from '../../../shared/views.ts';
import { app, useApp } from './app.ts';

const READY: AnalysisStatus = { state: 'ready' };

export function setAnalysis(sessionId: string, status: AnalysisStatus): void {
  app.set((s) => ({ analysis: { ...s.analysis, [sessionId]: status } }));
}

/**
 * How far a session's analysis has got, as a view should show it: still running when the
 * latest progress event says so, or when the view's own result was computed while it ran
 * (its refetch after the "ready" event is under way).
 */
export function useAnalysisStatus(sessionId: string, fromResult?: AnalysisStatus): AnalysisStatus {
  const latest = useApp((s) => s.analysis[sessionId]) ?? READY;
  if (latest.state !== 'ready') return latest;
  return fromResult ?? READY;
}
