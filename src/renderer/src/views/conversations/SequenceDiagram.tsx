import type { MessageDetail } from '../../../../shared/model.ts';
import type { PairView } from '../../../../shared/views.ts';
import { formatClock, formatMs } from '../../lib/format.ts';

const W = 600;
// Drawn in a fixed coordinate space and scaled to the panel.
const H = 190;
const LANES = [140, 330, 515];

type Actor = [role: string, who: string];

/** “127.0.0.1:48092 -> 127.0.0.1:5672” → the client's own end. */
function shortConn(c: string | null | undefined): string {
  return c ? (c.split(' -> ')[0] ?? c) : '';
}

function clip(s: string, n = 26): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function actors(req: MessageDetail | null, rep: MessageDetail | null, pair: PairView): [Actor, Actor, Actor] {
  const t = req?.transport ?? rep?.transport;
  // An orphan reply has no request, so no request destination: show where the reply went.
  const via = pair.destination ?? pair.replyDestination ?? '';
  if (t === 'ws') return [['Client', shortConn(req?.connection)], ['Proxy', via], ['Server', '']];
  return [
    ['Requester', shortConn(req?.connection) || (req?.endpoint ?? '')],
    [t === 'kafka' || t === 'mqtt' ? 'Topic' : t === 'nats' ? 'Subject' : 'Broker', via],
    ['Responder', shortConn(rep?.connection) || (rep?.endpoint ?? '')],
  ];
}

/** Requester → destination → responder and back, with the times and the latency between them. */
export function SequenceDiagram({ pair, request, reply }: { pair: PairView; request: MessageDetail | null; reply: MessageDetail | null }) {
  const [a, b, c] = actors(request, reply, pair);
  const y1 = 58;
  const y2 = 84;
  const y3 = 122;
  const y4 = 148;
  const answered = pair.status === 'matched';
  const replyDest = pair.replyDestination ?? pair.destination;
  return (
    <svg className="sequence" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Sequence of ${pair.correlationId}`} data-testid="sequence-diagram">
      <defs>
        <marker id="seq-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="seq-head" />
        </marker>
      </defs>
      {[a, b, c].map(([role, who], i) => (
        <g key={i}>
          <title>{`${role} ${who}`}</title>
          <rect x={LANES[i]! - 84} y={4} width={168} height={who ? 32 : 24} rx={4} className="seq-actor" />
          <text x={LANES[i]} y={17} textAnchor="middle" className="seq-actor-label">
            {role}
          </text>
          {who && (
            <text x={LANES[i]} y={30} textAnchor="middle" className="seq-actor-who">
              {clip(who)}
            </text>
          )}
          <line x1={LANES[i]} x2={LANES[i]} y1={who ? 36 : 28} y2={H - 8} className="seq-lifeline" />
        </g>
      ))}
      {pair.requestSeq !== null && (
        <>
          <Arrow x1={LANES[0]!} x2={LANES[1]!} y={y1} label={`request #${pair.requestSeq} → ${pair.destination}`} />
          <Arrow x1={LANES[1]!} x2={LANES[2]!} y={y2} label="delivered" dashed />
          <text x={8} y={y1 + 4} className="seq-time">
            {pair.requestTime !== null ? formatClock(pair.requestTime) : ''}
          </text>
        </>
      )}
      {pair.replySeq !== null ? (
        <>
          <Arrow x1={LANES[2]!} x2={LANES[1]!} y={y3} label={`reply #${pair.replySeq} → ${replyDest}`} />
          <Arrow x1={LANES[1]!} x2={LANES[0]!} y={y4} label="delivered" dashed />
          <text x={8} y={y4 + 4} className="seq-time">
            {pair.replyTime !== null ? formatClock(pair.replyTime) : ''}
          </text>
        </>
      ) : (
        <text x={LANES[2]! - 10} y={y3 + 4} textAnchor="end" className="seq-missing">
          no reply — unanswered
        </text>
      )}
      {answered && (
        <g className="seq-latency">
          <line x1={LANES[0]! - 14} x2={LANES[0]! - 14} y1={y1} y2={y4} />
          <text x={LANES[0]! - 18} y={(y1 + y4) / 2 + 4} textAnchor="end">
            {formatMs(pair.latencyMs)}
          </text>
        </g>
      )}
    </svg>
  );
}

function Arrow({ x1, x2, y, label, dashed }: { x1: number; x2: number; y: number; label: string; dashed?: boolean }) {
  return (
    <g className={dashed ? 'seq-msg dashed' : 'seq-msg'}>
      <line x1={x1} x2={x2 + (x2 > x1 ? -2 : 2)} y1={y} y2={y} markerEnd="url(#seq-arrow)" />
      <text x={(x1 + x2) / 2} y={y - 5} textAnchor="middle">
        {label.length > 42 ? `${label.slice(0, 41)}…` : label}
      </text>
    </g>
  );
}
