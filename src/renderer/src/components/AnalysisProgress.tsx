import type { AnalysisStatus } from '../../../shared/views.ts';
import { formatCount } from '../lib/format.ts';

type Running = Extract<AnalysisStatus, { state: 'running' }>;

/** "Analysing… 412,000 of 1,000,000" and a bar: what a view shows instead of a result that is not complete yet. */
export function AnalysisProgress({ status, compact = false }: { status: Running; compact?: boolean }) {
  const text = `Analysing… ${formatCount(status.done)} of ${formatCount(status.total)}`;
  return (
    <div
      className={`analysis-progress${compact ? ' compact' : ''}`}
      role="status"
      data-testid={compact ? 'header-analysis-progress' : 'analysis-progress'}
      data-done={status.done}
      data-total={status.total}
    >
      <span className="analysis-progress-text">{compact ? text : `${text} messages`}</span>
      <progress max={Math.max(1, status.total)} value={status.done} aria-label="Analysis progress" />
      {!compact && <p className="muted small">Pairs, undelivered messages and the flow appear when every message has been read.</p>}
    </div>
  );
}

/** A view's body while its analysis is not complete: the progress, or why it failed; null once it is ready. */
export function AnalysisPending({ status }: { status: AnalysisStatus }) {
  if (status.state === 'ready') return null;
  if (status.state === 'failed') return <p className="inline-error">The analysis of this session failed: {status.message}</p>;
  return <AnalysisProgress status={status} />;
}
