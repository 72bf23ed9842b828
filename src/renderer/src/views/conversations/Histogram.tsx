import type { LatencyHistogram } from '../../../../shared/views.ts';
import { formatCount, formatCountShort, formatMs } from '../../lib/format.ts';

const W = 360;
const H = 130;
const PAD = { l: 34, r: 8, t: 8, b: 30 };

function shortMs(ms: number): string {
  if (ms < 1) return `${ms}ms`;
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${ms / 1000}s`;
  return `${Math.round(ms / 60_000)}m`;
}

/**
 * Latency distribution: one bar per bucket. The engine's bucket edges grow geometrically,
 * so equal-width bars give a log-scale x axis.
 */
export function Histogram({ h }: { h: LatencyHistogram }) {
  const n = h.counts.length;
  if (n === 0 || h.stats.count === 0) return <p className="muted small">No latencies measured yet.</p>;
  const max = Math.max(...h.counts);
  const bw = (W - PAD.l - PAD.r) / n;
  const y = (c: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - c / max);
  const step = Math.max(1, Math.ceil(n / 7));
  // A few buckets should not become slabs: bars stay slim and centred in their slot.
  const barW = Math.max(1, Math.min(bw - 2, 36));
  return (
    <svg className="histogram" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Latency histogram${h.destination ? ` for ${h.destination}` : ''}`} data-testid="latency-histogram">
      <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} className="axis" />
      <text x={PAD.l - 4} y={PAD.t + 8} className="tick" textAnchor="end" data-testid="histogram-max">
        <title>{formatCount(max)}</title>
        {formatCountShort(max)}
      </text>
      <text x={PAD.l - 4} y={H - PAD.b} className="tick" textAnchor="end">
        0
      </text>
      {h.counts.map((c, i) => {
        const lo = i === 0 ? 0 : h.edges[i - 1]!;
        const hi = h.edges[i]!;
        return (
          <g key={i}>
            <rect x={PAD.l + i * bw + (bw - barW) / 2} y={y(c)} width={barW} height={H - PAD.b - y(c)} className="bar" rx={1}>
              <title>{`${formatMs(lo)} – ${formatMs(hi)}: ${formatCount(c)}`}</title>
            </rect>
            {i % step === 0 && (
              <text x={PAD.l + i * bw + bw / 2} y={H - PAD.b + 12} className="tick" textAnchor="middle">
                {Number.isFinite(hi) ? `≤${shortMs(hi)}` : `>${shortMs(lo)}`}
              </text>
            )}
          </g>
        );
      })}
      <text x={(W + PAD.l) / 2} y={H - 4} className="tick" textAnchor="middle">
        latency (log scale)
      </text>
    </svg>
  );
}
