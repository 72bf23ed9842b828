import { useCallback, useState } from 'react';
import type { PairStatusFilter } from './pair-status.ts';
import type { PairView, SessionInfo } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { useTick } from '../../state/live.ts';
import { useApp } from '../../state/app.ts';
import { useAnalysisStatus } from '../../state/analysis.ts';
import { AnalysisPending } from '../../components/AnalysisProgress.tsx';
import { formatCount, formatMs } from '../../lib/format.ts';
import { PairsTable } from './PairsTable.tsx';
import { PairDetail } from './PairDetail.tsx';
import { LatencyPanel } from './LatencyPanel.tsx';

type Status = PairStatusFilter | undefined;

/** Request→reply pairs matched by correlation ID, their latency, and what went unanswered. */
export function ConversationsView({ session }: { session: SessionInfo }) {
  const tick = useTick(session.id);
  const shared = useApp((s) => s.filter.destinations);
  const [status, setStatus] = useState<Status>(undefined);
  const [pair, setPair] = useState<PairView | null>(null);
  const [shown, setShown] = useState(0);
  const onTotal = useCallback((n: number) => setShown(n), []);
  const summary = useApi('renderer:analysis:summary', { sessionId: session.id }, tick);
  const analysis = useAnalysisStatus(session.id, summary.data?.analysis);
  // The shared filter narrows the pairs when it names one destination (a node click in Flow).
  const destination = shared?.length === 1 ? shared[0] : undefined;
  const p = summary.data?.pairs;
  const statuses: { id: Status; label: string; n: number | undefined }[] = [
    { id: undefined, label: 'All', n: p ? p.matched + p.unanswered + p.orphans : undefined },
    { id: 'matched', label: 'Matched', n: p?.matched },
    { id: 'unanswered', label: 'Unanswered', n: p?.unanswered },
    { id: 'orphan', label: 'Orphan replies', n: p?.orphans },
    { id: 'duplicate', label: 'Duplicates', n: p?.duplicates },
  ];
  if (analysis.state !== 'ready') {
    return (
      <section className="view conversations-view" aria-label="Conversations">
        <AnalysisPending status={analysis} />
      </section>
    );
  }
  return (
    <section className="view conversations-view" aria-label="Conversations">
      <div className="stats" role="group" aria-label="Pair statistics">
        <Stat label="Matched" value={p?.matched} testid="pairs-matched" />
        <Stat label="Unanswered" value={p?.unanswered} testid="pairs-unanswered" tone={p?.unanswered ? 'warn' : undefined} />
        <Stat label="Orphan replies" value={p?.orphans} testid="pairs-orphans" />
        <Stat label="Duplicates" value={p?.duplicates} testid="pairs-duplicates" />
        <Stat label="p50" text={formatMs(p?.latencyMs.p50)} />
        <Stat label="p95" text={formatMs(p?.latencyMs.p95)} />
        <Stat label="p99" text={formatMs(p?.latencyMs.p99)} />
        <Stat label="max" text={formatMs(p?.latencyMs.max)} />
      </div>
      {summary.error && <p className="inline-error">{summary.error}</p>}
      <div className="conv-body">
        <div className="conv-main">
          <div className="toolbar">
            <div className="seg" role="group" aria-label="Pair status">
              {statuses.map((s) => (
                <button key={s.label} type="button" aria-pressed={status === s.id} onClick={() => setStatus(s.id)}>
                  {s.label}
                  {s.n !== undefined && <span className="seg-count">{formatCount(s.n)}</span>}
                </button>
              ))}
            </div>
            <span className="count" data-testid="pairs-count">
              {formatCount(shown)} pairs{destination ? ` on ${destination}` : ''}
            </span>
          </div>
          <PairsTable
            sessionId={session.id}
            status={status}
            destination={destination}
            tick={tick}
            selected={pair}
            onSelect={setPair}
            onTotal={onTotal}
          />
        </div>
        <LatencyPanel sessionId={session.id} rows={p?.byDestination} tick={tick} />
      </div>
      {pair ? <PairDetail sessionId={session.id} pair={pair} /> : <p className="hint">Select a pair to see its sequence diagram and both messages.</p>}
    </section>
  );
}

function Stat({ label, value, text, testid, tone }: { label: string; value?: number | undefined; text?: string; testid?: string; tone?: 'warn' | undefined }) {
  return (
    <div className={`stat${tone ? ` ${tone}` : ''}`}>
      <span className="stat-value" data-testid={testid} data-value={value}>
        {text ?? (value === undefined ? '–' : formatCount(value))}
      </span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
