import { useApi } from '../lib/use-api.ts';
import { chooseAndOpen } from '../lib/desktop.ts';
import { openDialog, upsertSession } from '../state/app.ts';
import { startDemo, tryCall } from '../lib/actions.ts';
import { basename, formatDateTime } from '../lib/format.ts';
import { PlayIcon, PlusIcon } from '../components/icons.tsx';

/** No session open: say what Flowscope does and offer the three ways in. */
export function EmptyState() {
  const recent = useApi('renderer:session:recent', {});
  const open = async (path: string) => {
    const info = await tryCall('renderer:session:open', { path });
    if (info) upsertSession(info, true);
  };
  return (
    <main className="welcome" data-testid="empty-state">
      <div className="welcome-card">
        <h1>Inspect asynchronous message flows</h1>
        <p className="lead">
          Flowscope records what flows through Kafka, RabbitMQ and WebSocket endpoints, then shows the topology, request→reply pairs with their latency, and
          messages nobody received.
        </p>
        <div className="welcome-actions">
          <button type="button" className="btn primary big" onClick={() => void startDemo()} data-testid="start-demo">
            <PlayIcon /> Start demo
            <span>WebSocket traffic with JSON-RPC, pub-sub and notifications — no broker needed</span>
          </button>
          <button type="button" className="btn big" onClick={() => openDialog('connect-new')}>
            <PlusIcon /> Record from an endpoint
            <span>Kafka brokers, a RabbitMQ URL, or a WebSocket proxy/tap</span>
          </button>
          <button type="button" className="btn big" onClick={() => void chooseAndOpen()}>
            Open a session file
            <span>A .flowscope recording, JSON Lines or kcat -J output</span>
          </button>
        </div>
        {recent.data && recent.data.length > 0 && (
          <section className="recent">
            <h2>Recent sessions</h2>
            <ul>
              {recent.data.slice(0, 8).map((r) => (
                <li key={r.path}>
                  <button type="button" className="link" onClick={() => void open(r.path)} title={r.path}>
                    {basename(r.path)}
                  </button>{' '}
                  <span className="muted small">{formatDateTime(new Date(r.openedAt).getTime())}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </main>
  );
}
