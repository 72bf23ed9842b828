import type { EndpointView, SessionInfo } from '../../../shared/views.ts';
import { StatusDot } from '../components/badges.tsx';
import { tryCall } from '../lib/actions.ts';
import { CloseIcon } from '../components/icons.tsx';

/** The consumer lag as the chip shows it: `lag 12,345` while catching up, `lag 0` when caught up. */
function lagText(lag: number): string {
  return `lag ${lag.toLocaleString('en-US')}`;
}

const STATUS_TEXT: Record<EndpointView['status'], string> = {
  connecting: 'connecting',
  recording: 'recording',
  reconnecting: 'reconnecting',
  stopped: 'stopped',
  failed: 'failed',
};

/** Each endpoint with its status; a failure's reason is written out, not hidden in a tooltip. */
export function EndpointChips({ session }: { session: SessionInfo }) {
  if (session.endpoints.length === 0) return null;
  const troubled = session.endpoints.filter((e) => (e.status === 'failed' || e.status === 'reconnecting') && e.detail);
  return (
    <div className="endpoints">
      <ul className="endpoint-chips" aria-label="Endpoints">
        {session.endpoints.map((e) => (
          <li key={e.id} className={`endpoint-chip status-${e.status}`} data-testid="endpoint-chip" data-status={e.status} title={e.detail ?? e.label}>
            <StatusDot status={e.status} />
            <span className="endpoint-label">{e.label}</span>
            <span className="endpoint-status">{STATUS_TEXT[e.status]}</span>
            {e.lag !== undefined && e.status === 'recording' && (
              <span className={`endpoint-lag${e.lag > 0 ? ' behind' : ''}`} data-testid="endpoint-lag" title="Records on the broker not captured yet">
                {lagText(e.lag)}
              </span>
            )}
            {session.live && e.status !== 'stopped' && e.status !== 'failed' && (
              <button
                type="button"
                className="chip-x"
                aria-label={`Stop recording ${e.label}`}
                onClick={() => void tryCall('renderer:endpoint:disconnect', { sessionId: session.id, endpointId: e.id })}
              >
                <CloseIcon />
              </button>
            )}
          </li>
        ))}
      </ul>
      {troubled.map((e) => (
        <p key={e.id} className={`endpoint-detail status-${e.status}`} role="alert" data-testid="endpoint-error">
          <strong>{e.label}</strong> {e.status}: {e.detail}
        </p>
      ))}
    </div>
  );
}
