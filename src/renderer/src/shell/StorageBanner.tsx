import type { SessionInfo } from '../../../shared/views.ts';
import { useApp } from '../state/app.ts';
import { formatBytes, formatClock, formatCount } from '../lib/format.ts';
import { pauseAdvice } from '../../../shared/gaps.ts';

/**
 * Said at once when a recording cannot write its file (issue 14: a full disk): what is held
 * in memory, what was dropped, what to do about it (shared/gaps.ts), and that it resumes by
 * itself. Gone when writes resume; the pause then shows as a gap (Messages banner, timeline).
 */
export function StorageBanner({ session }: { session: SessionInfo }) {
  const s = useApp((st) => st.storage[session.id] ?? null);
  if (!s || s.state !== 'paused') return null;
  const title = s.reason === 'disk-full' ? 'Recording paused: the disk is full' : 'Recording paused: writing to the session file failed';
  return (
    <div className="storage-banner" role="alert" data-testid="storage-banner" data-held={s.held} data-dropped={s.dropped}>
      <strong>{title}</strong>
      <span>
        {s.since !== null ? `Since ${formatClock(s.since)}: ` : ''}
        {formatCount(s.captured)} captured, {formatCount(s.stored)} stored, {formatCount(s.held)} held in memory ({formatBytes(s.heldBytes)} of{' '}
        {formatBytes(s.budgetBytes)}), {formatCount(s.dropped)} dropped.
      </span>
      <span className="muted">{pauseAdvice(s.reason, session.path)}</span>
    </div>
  );
}
