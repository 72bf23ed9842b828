import type { SessionInfo } from '../../../shared/views.ts';
import { chooseAndSaveAs } from '../lib/desktop.ts';
import { openDialog, useApp } from '../state/app.ts';
import { basename, formatClock, formatCount, formatDateTime } from '../lib/format.ts';
import { closeSession } from '../lib/actions.ts';
import { EndpointChips } from './EndpointChips.tsx';
import { useAnalysisStatus } from '../state/analysis.ts';
import { AnalysisProgress } from '../components/AnalysisProgress.tsx';
import { PlayIcon } from '../components/icons.tsx';

/** The active session: what it is, whether it is recording, its endpoints and the session actions. */
export function SessionHeader({ session }: { session: SessionInfo }) {
  const count = useApp((s) => s.counts[session.id] ?? session.messageCount);
  const playback = useApp((s) => s.playback[session.id]);
  const inPlayback = playback !== undefined && playback.playhead !== null;
  const analysis = useAnalysisStatus(session.id);
  return (
    <header className="session-header">
      <div className="session-title">
        <h1 title={session.path}>{basename(session.path)}</h1>
        <span className="session-path" title={session.path}>
          {session.path}
        </span>
      </div>
      <div className="session-state">
        {session.live ? (
          <span className="state-pill live" data-testid="session-state">
            <span className="rec-dot" aria-hidden="true" /> Recording
          </span>
        ) : inPlayback ? (
          <span className="state-pill playback" data-testid="session-state">
            <PlayIcon size={12} /> Playback {formatClock(playback.playhead!)}
          </span>
        ) : (
          <span className="state-pill" data-testid="session-state">
            {session.readonly ? 'Read-only' : 'Saved'}
          </span>
        )}
        <span className="session-count" data-testid="session-count">
          {formatCount(count)} messages
        </span>
        {/* The progress takes the time range's place while it runs, so the header keeps its height. */}
        {analysis.state === 'running' && <AnalysisProgress status={analysis} compact />}
        {analysis.state !== 'running' && session.firstTime !== null && !session.live && (
          <span className="muted small">
            {formatDateTime(session.firstTime)} – {session.lastTime !== null ? formatClock(session.lastTime) : ''}
          </span>
        )}
      </div>
      <div className="session-actions">
        <button type="button" className="btn primary" onClick={() => openDialog('connect')} disabled={session.readonly}>
          Connect…
        </button>
        <button type="button" className="btn" onClick={() => openDialog('replay')}>
          Replay…
        </button>
        <button type="button" className="btn" onClick={() => void chooseAndSaveAs(session)}>
          Save As…
        </button>
        <button type="button" className="btn" onClick={() => openDialog('export')}>
          Export…
        </button>
        <button type="button" className="btn" onClick={() => openDialog('decoders')}>
          Decoders…
        </button>
        <button type="button" className="btn" onClick={() => openDialog('notes')} aria-label={session.notes ? 'Notes (has notes)' : 'Notes'}>
          Notes{session.notes ? ' •' : ''}
        </button>
        <button type="button" className="btn" onClick={() => void closeSession(session.id)}>
          Close
        </button>
      </div>
      <EndpointChips session={session} />
    </header>
  );
}
