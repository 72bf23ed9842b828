import { useApp, activateSession, openDialog } from '../state/app.ts';
import { chooseAndOpen } from '../lib/desktop.ts';
import { basename } from '../lib/format.ts';
import { closeSession, startDemo } from '../lib/actions.ts';
import { CloseIcon, PlusIcon } from '../components/icons.tsx';

/** One tab per open session; several can be open at once. */
export function SessionTabs() {
  const sessions = useApp((s) => s.sessions);
  const active = useApp((s) => s.sessionId);
  return (
    <nav className="session-bar">
      <span className="brand" aria-hidden="true">
        <span className="brand-mark">◆</span> Flowscope
      </span>
      <div className="session-tabs" role="tablist" aria-label="Sessions">
        {sessions.map((s) => (
          <div key={s.id} className={`session-tab${s.id === active ? ' active' : ''}`}>
            <button
              type="button"
              role="tab"
              aria-selected={s.id === active}
              className="session-tab-main"
              title={s.path}
              onClick={() => activateSession(s.id)}
              data-testid="session-tab"
            >
              {s.live && <span className="rec-dot" aria-label="recording" />}
              {basename(s.path)}
            </button>
            <button type="button" className="tab-close" aria-label={`Close session ${basename(s.path)}`} onClick={() => void closeSession(s.id)}>
              <CloseIcon size={12} />
            </button>
          </div>
        ))}
      </div>
      <div className="session-bar-actions">
        <button type="button" className="btn ghost" onClick={() => openDialog('connect-new')} title="Record from Kafka, RabbitMQ or WebSocket into a new session">
          <PlusIcon /> Record
        </button>
        <button type="button" className="btn ghost" onClick={() => void chooseAndOpen()}>
          Open…
        </button>
        <button type="button" className="btn ghost" onClick={() => void startDemo()}>
          Demo
        </button>
      </div>
    </nav>
  );
}
