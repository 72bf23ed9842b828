import { useRef } from 'react';
import type { SessionInfo } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { useSize } from '../../lib/use-size.ts';
import { useTick } from '../../state/live.ts';
import { setFilter, useApp } from '../../state/app.ts';
import { formatClock, formatMs } from '../../lib/format.ts';
import { TimelineChart } from './TimelineChart.tsx';
import { PlaybackControls, playbackControl } from './PlaybackControls.tsx';
import { stack } from './series.ts';
import { RangeSummary } from './RangeSummary.tsx';

/** Throughput over time per destination; brushing a range filters every view. */
export function TimelineView({ session }: { session: SessionInfo }) {
  const tick = useTick(session.id);
  const filter = useApp((s) => s.filter);
  const playback = useApp((s) => s.playback[session.id]);
  const boxRef = useRef<HTMLDivElement>(null);
  const { width, height } = useSize(boxRef);
  // The chart shows the whole time span (the brushed range is drawn over it, not zoomed into).
  const { fromTime, toTime, ...rest } = filter;
  const buckets = Math.max(20, Math.min(400, Math.floor(width / 7)));
  const { data, error } = useApi('renderer:analysis:timeline', width > 0 ? { sessionId: session.id, filter: rest, buckets } : null, tick);
  const gaps = useApi('renderer:session:gaps', session.gapCount > 0 ? { sessionId: session.id } : null, session.gapCount).data ?? [];
  const hasRange = fromTime !== undefined || toTime !== undefined;
  const st = data ? stack(data) : null;
  return (
    <section className="view timeline-view" aria-label="Timeline">
      <div className="toolbar">
        <PlaybackControls session={session} state={playback} />
        <div className="toolbar-end">
          {hasRange ? (
            <>
              <span className="range-label" data-testid="range-label">
                {fromTime !== undefined ? formatClock(fromTime) : 'start'} – {toTime !== undefined ? formatClock(toTime) : 'end'}
                {fromTime !== undefined && toTime !== undefined ? ` (${formatMs(toTime - fromTime)})` : ''}
              </span>
              <button type="button" className="btn" onClick={() => setFilter({ fromTime: undefined, toTime: undefined })}>
                Clear range
              </button>
            </>
          ) : (
            <span className="muted small">Drag across the chart to filter every view to a time range.</span>
          )}
        </div>
      </div>
      {error && <p className="inline-error">{error}</p>}
      <div className="timeline-box" ref={boxRef}>
        {data && data.buckets.length === 0 && <div className="empty">No messages in this session yet.</div>}
        {data && data.buckets.length > 0 && width > 0 && (
          <TimelineChart
            data={data}
            width={width}
            height={Math.max(160, height)}
            range={{ from: fromTime, to: toTime }}
            playhead={playback?.playhead ?? null}
            gaps={gaps}
            domain={playback && playback.playhead !== null && playback.from !== null && playback.to !== null ? { from: playback.from, to: playback.to } : null}
            onBrush={(from, to) => setFilter({ fromTime: from, toTime: to })}
            onSeek={session.live ? null : (time) => playbackControl(session.id, 'seek', { time })}
          />
        )}
      </div>
      {st && st.names.length > 0 && (
        <ul className="legend" aria-label="Destinations">
          {st.names.map((n, i) => (
            <li key={n}>
              <span className="swatch" style={{ background: st.colors[i] }} aria-hidden="true" />
              {n}
            </li>
          ))}
          <li className="muted">· {data ? formatMs(data.bucketMs) : ''} per bar</li>
        </ul>
      )}
      <RangeSummary sessionId={session.id} filter={filter} tick={tick} />
    </section>
  );
}
