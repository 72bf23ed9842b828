import { useRef, useState, type PointerEvent } from 'react';
import type { TimelineSeries } from '../../../../shared/views.ts';
import type { Gap } from '../../../../shared/model.ts';
import { GAP_REASON_TEXT, gapLostText, gapSeconds } from '../../../../shared/gaps.ts';
import { formatClock, formatCount, formatCountShort } from '../../lib/format.ts';
import { niceTicks, stack } from './series.ts';

const PAD = { l: 48, r: 12, t: 10, b: 24 };
const CLICK_PX = 4;

interface Props {
  data: TimelineSeries;
  width: number;
  height: number;
  range: { from?: number | undefined; to?: number | undefined };
  playhead: number | null;
  /** Spans the recording could not (all) store, drawn over the bars. */
  gaps?: readonly Gap[];
  /** The x axis span when it should not follow the data (playback shows the whole session). */
  domain?: { from: number; to: number } | null;
  onBrush(from: number, to: number): void;
  /** A click without a drag; null when clicking should do nothing (a live session). */
  onSeek: ((time: number) => void) | null;
}

/** Stacked throughput per destination; drag to select a time range, click to move the playhead. */
export function TimelineChart({ data, width, height, range, playhead, gaps = [], domain, onBrush, onSeek }: Props) {
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const st = stack(data);
  const n = data.buckets.length;
  const from = data.from ?? 0;
  const end = domain ? Math.max(domain.to, domain.from + 1) : (data.buckets[n - 1] ?? from) + data.bucketMs;
  const start = domain ? domain.from : (data.buckets[0] ?? from);
  const plotW = Math.max(10, width - PAD.l - PAD.r);
  const plotH = Math.max(10, height - PAD.t - PAD.b);
  const x = (t: number) => PAD.l + ((t - start) / Math.max(1, end - start)) * plotW;
  const tAt = (px: number) => start + ((Math.min(Math.max(px, PAD.l), PAD.l + plotW) - PAD.l) / plotW) * (end - start);
  const yTicks = niceTicks(st.max);
  const yMax = yTicks[yTicks.length - 1]!;
  const y = (c: number) => PAD.t + plotH * (1 - c / yMax);
  const bw = Math.max(0.5, (plotW * data.bucketMs) / Math.max(1, end - start));

  const localX = (e: PointerEvent) => e.clientX - (svgRef.current?.getBoundingClientRect().left ?? 0);
  const down = (e: PointerEvent<SVGRectElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    const px = localX(e);
    setDrag({ x0: px, x1: px });
  };
  const move = (e: PointerEvent) => drag && setDrag({ ...drag, x1: localX(e) });
  const up = () => {
    if (!drag) return;
    const a = Math.min(drag.x0, drag.x1);
    const b = Math.max(drag.x0, drag.x1);
    setDrag(null);
    if (b - a < CLICK_PX) onSeek?.(tAt(drag.x0));
    // A drag from (or to) the plot's edge means from the first (or to the last) message: one
    // pixel in from the edge is already some milliseconds past a burst that starts the chart.
    else onBrush(a <= PAD.l + CLICK_PX ? start : Math.floor(tAt(a)), b >= PAD.l + plotW - CLICK_PX ? end : Math.ceil(tAt(b)));
  };

  const ticks = Math.max(2, Math.floor(plotW / 150));
  const sel = drag
    ? { a: Math.min(drag.x0, drag.x1), b: Math.max(drag.x0, drag.x1) }
    : range.from !== undefined || range.to !== undefined
      ? { a: x(Math.max(start, range.from ?? start)), b: x(Math.min(end, range.to ?? end)) }
      : null;
  return (
    <svg ref={svgRef} width={width} height={height} className="timeline-chart" role="img" aria-label="Messages over time per destination" data-testid="timeline-chart">
      {yTicks.map((v) => (
        <g key={v}>
          <line x1={PAD.l} x2={PAD.l + plotW} y1={y(v)} y2={y(v)} className="grid" />
          <text x={PAD.l - 6} y={y(v) + 4} textAnchor="end" className="tick">
            <title>{formatCount(v)}</title>
            {formatCountShort(v)}
          </text>
        </g>
      ))}
      {data.buckets.map((t, i) => {
        let acc = 0;
        return (
          <g key={t}>
            {st.counts.map((c, s) => {
              const v = c[i] ?? 0;
              if (!v) return null;
              const y0 = y(acc);
              acc += v;
              return <rect key={s} x={Math.max(PAD.l, x(t)) + (bw > 4 ? 0.5 : 0)} width={Math.max(0.8, bw - (bw > 4 ? 1 : 0))} y={y(acc)} height={y0 - y(acc)} fill={st.colors[s]} />;
            })}
            <title>{`${formatClock(t)} · ${formatCount(st.totals[i] ?? 0)} messages`}</title>
          </g>
        );
      })}
      <line x1={PAD.l} x2={PAD.l + plotW} y1={PAD.t + plotH} y2={PAD.t + plotH} className="axis" />
      {Array.from({ length: ticks + 1 }, (_, i) => start + ((end - start) * i) / ticks).map((t, i) => (
        <text key={i} x={x(t)} y={height - 6} textAnchor={i === 0 ? 'start' : i === ticks ? 'end' : 'middle'} className="tick">
          {formatClock(t).slice(0, end - start > 60_000 ? 8 : 12)}
        </text>
      ))}
      {gaps
        .filter((g) => g.end >= start && g.start <= end)
        .map((g, i) => {
          const a = x(Math.max(start, g.start));
          const w = Math.max(3, x(Math.min(end, g.end)) - a);
          return (
            <g key={`gap-${i}`} data-testid="timeline-gap" data-reason={g.reason}>
              <rect x={a} width={w} y={PAD.t} height={plotH} className="gap" />
              <text x={a + 3} y={PAD.t + 11} className="gap-label">
                gap
              </text>
              <title>{`gap ${formatClock(g.start)} – ${formatClock(g.end)} (${gapSeconds(g)}), ${g.endpoint ?? 'session'}: ${GAP_REASON_TEXT[g.reason]}, ${gapLostText(g)}`}</title>
            </g>
          );
        })}
      {sel && <rect x={sel.a} width={Math.max(1, sel.b - sel.a)} y={PAD.t} height={plotH} className="brush" data-testid="timeline-brush" />}
      {playhead !== null && playhead >= start && (
        <g className="playhead" data-testid="playhead">
          <line x1={x(Math.min(playhead, end))} x2={x(Math.min(playhead, end))} y1={PAD.t - 4} y2={PAD.t + plotH} />
          <circle cx={x(Math.min(playhead, end))} cy={PAD.t - 4} r={4} />
        </g>
      )}
      <rect
        x={PAD.l}
        y={PAD.t}
        width={plotW}
        height={plotH}
        className="brush-surface"
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={() => setDrag(null)}
        data-testid="timeline-surface"
        data-start={start}
        data-end={end}
      />
    </svg>
  );
}
