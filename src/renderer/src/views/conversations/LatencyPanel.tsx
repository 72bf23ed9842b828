import { useState } from 'react';
import type { AnalysisSummary } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { formatCount, formatCountShort, formatMsShort } from '../../lib/format.ts';
import { Histogram } from './Histogram.tsx';

type Row = AnalysisSummary['pairs']['byDestination'][number];

/**
 * Latency percentiles per destination, and the histogram of the one chosen. `rows` is
 * undefined until the summary has come: a kept analysis is ready at once, and "no pairs"
 * must not flash before its figures arrive.
 */
export function LatencyPanel({ sessionId, rows, tick }: { sessionId: string; rows: Row[] | undefined; tick: number }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const destination = chosen ?? rows?.[0]?.destination ?? null;
  const hist = useApi('renderer:analysis:latency', destination ? { sessionId, destination } : null, Math.floor(tick / 4));
  return (
    <aside className="latency-panel" aria-label="Latency by destination">
      <h3>Latency by destination</h3>
      {rows === undefined ? null : rows.length === 0 ? (
        <p className="muted small">No request→reply pairs found yet. Pairs are matched by correlation ID (AMQP correlationId, a Kafka header, or a JSON-RPC id).</p>
      ) : (
        <table className="latency-table">
          <thead>
            <tr>
              <th scope="col">Destination</th>
              <th scope="col">n</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
              <th scope="col">p99</th>
              <th scope="col">max</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.destination}
                className={r.destination === destination ? 'selected' : undefined}
                onClick={() => setChosen(r.destination)}
                aria-selected={r.destination === destination}
              >
                <td title={`${r.destination}${r.unanswered ? ` · ${r.unanswered} unanswered` : ''}`} className={r.unanswered ? 'warn' : undefined}>
                  {r.destination}
                </td>
                <td title={formatCount(r.count)}>{formatCountShort(r.count)}</td>
                <td>{formatMsShort(r.p50)}</td>
                <td>{formatMsShort(r.p95)}</td>
                <td>{formatMsShort(r.p99)}</td>
                <td>{formatMsShort(r.max)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {destination && hist.data && (
        <>
          <h3>Distribution · {destination}</h3>
          <Histogram h={hist.data} />
        </>
      )}
    </aside>
  );
}
