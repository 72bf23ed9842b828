import type { MessageDetail } from '../../../../shared/model.ts';
import type { PairView } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { selectMessage } from '../../state/app.ts';
import { formatClock } from '../../lib/format.ts';
import { SequenceDiagram } from './SequenceDiagram.tsx';

/** The selected pair: a sequence diagram and both messages side by side. */
export function PairDetail({ sessionId, pair }: { sessionId: string; pair: PairView }) {
  const req = useApi('renderer:messages:get', pair.requestSeq !== null ? { sessionId, seq: pair.requestSeq } : null);
  const rep = useApi('renderer:messages:get', pair.replySeq !== null ? { sessionId, seq: pair.replySeq } : null);
  return (
    <section className="pair-detail" aria-label={`Conversation ${pair.correlationId}`} data-testid="pair-detail">
      <SequenceDiagram pair={pair} request={req.data ?? null} reply={rep.data ?? null} />
      <div className="pair-cards">
        <MessageCard title="Request" seq={pair.requestSeq} d={req.data ?? null} />
        <MessageCard title="Reply" seq={pair.replySeq} d={rep.data ?? null} />
      </div>
    </section>
  );
}

function MessageCard({ title, seq, d }: { title: string; seq: number | null; d: MessageDetail | null }) {
  if (seq === null) {
    return (
      <div className="msg-card missing">
        <h4>{title}</h4>
        <p className="muted">{title === 'Reply' ? 'No reply was seen for this request.' : 'The request was not recorded (a reply without a request).'}</p>
      </div>
    );
  }
  return (
    <div className="msg-card">
      <h4>
        {title}{' '}
        <button type="button" className="link" onClick={() => selectMessage(seq, true)}>
          #{seq}
        </button>
        {d && <span className="muted"> · {d.destination} · {formatClock(d.time)}</span>}
      </h4>
      <pre>{d ? (d.text ?? d.hex).slice(0, 2000) : '…'}</pre>
    </div>
  );
}
