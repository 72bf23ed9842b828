import type { PlaybackState, SessionInfo } from '../../../../shared/views.ts';
import { getClient } from '../../api/client.ts';
import { toast } from '../../state/app.ts';
import { errorMessage, formatClock } from '../../lib/format.ts';
import { PauseIcon, PlayIcon } from '../../components/icons.tsx';

const SPEEDS: PlaybackState['speed'][] = [1, 10, 100, 'max'];

export function playbackControl(sessionId: string, action: 'play' | 'pause' | 'seek' | 'speed' | 'stop', extra: { time?: number; speed?: PlaybackState['speed'] } = {}): void {
  getClient()
    .call('renderer:playback:control', { sessionId, action, ...extra })
    .catch((err: unknown) => toast(errorMessage(err)));
}

/** Play a saved session back into every view: play/pause, speed, and leaving playback. */
export function PlaybackControls({ session, state }: { session: SessionInfo; state: PlaybackState | undefined }) {
  if (session.live) {
    return <span className="muted small">Playback is available for saved sessions (this one is still recording).</span>;
  }
  const active = state !== undefined && state.playhead !== null;
  const playing = state?.playing ?? false;
  return (
    <div className="playback" role="group" aria-label="Playback">
      <button
        type="button"
        className="btn primary"
        aria-label={playing ? 'Pause playback' : 'Play back'}
        onClick={() => playbackControl(session.id, playing ? 'pause' : 'play')}
        data-testid="playback-toggle"
      >
        {playing ? (
          <>
            <PauseIcon /> Pause
          </>
        ) : (
          <>
            <PlayIcon /> Play
          </>
        )}
      </button>
      <div className="seg" role="group" aria-label="Playback speed">
        {SPEEDS.map((s) => (
          <button key={String(s)} type="button" aria-pressed={(state?.speed ?? 1) === s} onClick={() => playbackControl(session.id, 'speed', { speed: s })}>
            {s === 'max' ? 'max' : `${s}×`}
          </button>
        ))}
      </div>
      {active && (
        <>
          <span className="playhead-time" data-testid="playhead-time">
            {formatClock(state.playhead!)}
          </span>
          <button type="button" className="btn" onClick={() => playbackControl(session.id, 'stop')} aria-label="Leave playback and show everything">
            ■ Show all
          </button>
        </>
      )}
      {!active && <span className="muted small">Click the chart to seek.</span>}
    </div>
  );
}
