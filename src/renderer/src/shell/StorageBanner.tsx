import type { SessionInfo } from '../../../shared/views.ts';
import { useApp } from '../state/app.ts';
import { formatBytes, formatClock, formatCount } from '../lib/format.ts';

/**
 * Said at once when a recording cannot write its file (issue 14: a full disk): what is held
 * in memory, what was dropped, and that it resumes by itself. Gone when writes resume; the
 * pause then shows as a gap (Messages banner, timeline).
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
      <span className="muted">
        Free space on the disk holding {session.path}: recording resumes by itself and the pause is recorded as a gap.
      </span>
    </div>
  );
}
