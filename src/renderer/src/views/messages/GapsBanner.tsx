import type { SessionInfo } from '../../../../shared/views.ts';
import { GAP_REASON_TEXT, gapLostText, gapSeconds } from '../../../../shared/gaps.ts';
import { useApi } from '../../lib/use-api.ts';
import { formatClock } from '../../lib/format.ts';
import { setFilter } from '../../state/app.ts';
import { Visible } from '../../components/Visible.tsx';

/** The session's gaps above the list: traffic the recording could not (all) store, and why. */
export function GapsBanner({ session }: { session: SessionInfo }) {
  const { data } = useApi('renderer:session:gaps', session.gapCount > 0 ? { sessionId: session.id } : null, session.gapCount);
  if (!data || data.length === 0) return null;
  const shown = data.slice(0, 3);
  return (
    <div className="gaps-banner" role="status" data-testid="gaps-banner" data-count={data.length}>
      <strong>
        {data.length} gap{data.length === 1 ? '' : 's'} in this recording
      </strong>
      <ul>
        {shown.map((g, i) => (
          <li key={i} data-testid="gap-row">
            <button type="button" className="link-btn" title="Show the messages around this gap" onClick={() => setFilter({ fromTime: Math.floor(g.start - 2000), toTime: Math.ceil(g.end + 2000) })}>
              {formatClock(g.start)} – {formatClock(g.end)}
            </button>{' '}
            ({gapSeconds(g)}) <Visible text={g.endpoint ?? 'session'} /> · {GAP_REASON_TEXT[g.reason]}: {gapLostText(g)}
            {g.detail ? <span className="muted"> — <Visible text={g.detail} /></span> : null}
          </li>
        ))}
        {data.length > shown.length && <li className="muted">and {data.length - shown.length} more (flowscope inspect lists them all)</li>}
      </ul>
    </div>
  );
}
