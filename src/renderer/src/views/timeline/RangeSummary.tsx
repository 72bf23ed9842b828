import type { MessageFilter } from '../../../../shared/filter.ts';
import { useApi } from '../../lib/use-api.ts';
import { setFilter } from '../../state/app.ts';
import { formatBytes, formatClock, formatCount, formatRate } from '../../lib/format.ts';
import { TransportBadge } from '../../components/badges.tsx';
import type { Transport } from '../../../../shared/model.ts';

/** Per destination: how much traffic falls in the shown range (the whole session, or the brushed part). */
export function RangeSummary({ sessionId, filter, tick }: { sessionId: string; filter: MessageFilter; tick: number }) {
  const { data } = useApi('renderer:messages:destinations', { sessionId, filter }, Math.floor(tick / 2));
  if (!data || data.length === 0) return null;
  const rows = [...data].sort((a, b) => b.count - a.count);
  return (
    <div className="range-summary">
      <table className="summary-table" aria-label="Destinations in range" data-testid="range-summary">
        <thead>
          <tr>
            <th scope="col">Destination</th>
            <th scope="col">Via</th>
            <th scope="col">Messages</th>
            <th scope="col">Bytes</th>
            <th scope="col">Rate</th>
            <th scope="col">First</th>
            <th scope="col">Last</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const span = Math.max(1, r.lastTime - r.firstTime) / 1000;
            return (
              <tr key={`${r.transport}:${r.destination}`}>
                <td>
                  <button type="button" className="link" onClick={() => setFilter({ destinations: [r.destination] })} title="Filter every view to this destination">
                    {r.destination}
                  </button>
                </td>
                <td>
                  <TransportBadge transport={r.transport as Transport} />
                </td>
                <td>{formatCount(r.count)}</td>
                <td>{formatBytes(r.bytes)}</td>
                <td>{r.count > 1 ? formatRate(r.count / span) : '–'}</td>
                <td>{formatClock(r.firstTime)}</td>
                <td>{formatClock(r.lastTime)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
