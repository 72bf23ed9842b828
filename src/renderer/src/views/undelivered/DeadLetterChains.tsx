import type { ReplayRequest } from '../../../../shared/specs.ts';
import type { DeadLetterLink } from '../../../../shared/views.ts';
import { selectMessage } from '../../state/app.ts';

type Narrowing = NonNullable<ReplayRequest['deadLettersToOrigin']>;

/** What a send-back covers: chosen copies, or every copy of one queue and reason. */
export interface SendBackSelection extends Narrowing {
  title: string;
  seqs?: number[];
}

/** RabbitMQ's x-death reason, when it is one the replay can narrow by. */
export function narrowReason(reason: string): Narrowing['reason'] {
  return reason === 'expired' || reason === 'rejected' || reason === 'maxlen' || reason === 'delivery_limit' ? reason : undefined;
}

const REASON_WORDS: Record<string, string> = {
  expired: 'expired in',
  rejected: 'rejected from',
  maxlen: 'pushed out of (max length)',
  delivery_limit: 'past the delivery limit of',
};

function SeqChip({ seq, label }: { seq: number; label: string }) {
  return (
    <button type="button" className="chip link" onClick={() => selectMessage(seq, true)} aria-label={`Open ${label} ${seq}`}>
      #{seq}
    </button>
  );
}

/**
 * Each dead-lettered example as its chain: the original publish → the queue it died in and
 * why → the dead-letter exchange and queue(s) its copy went to, with "send back to origin".
 */
export function DeadLetterChains({ chains, onSendBack }: { chains: { seq: number; deadLetter: DeadLetterLink }[]; onSendBack(s: SendBackSelection): void }) {
  return (
    <ol className="dl-chains">
      {chains.map(({ seq, deadLetter: d }) => (
        <li key={seq} className="dl-chain" data-testid="dead-letter-chain" data-seq={seq} data-copy={d.seq} data-queue={d.queue} data-reason={d.reason}>
          <span className="dl-step">
            <SeqChip seq={seq} label="original message" />
            <span className="dl-name">
              {d.exchange} → {d.routingKeys[0] ?? ''}
            </span>
          </span>
          <span className="dl-arrow" aria-hidden="true">
            ⟶
          </span>
          <span className="dl-step dl-death">
            {REASON_WORDS[d.reason] ?? `${d.reason} in`} queue <span className="dl-name">{d.queue}</span>
            {d.count > 1 ? ` ×${d.count}` : ''}
          </span>
          <span className="dl-arrow" aria-hidden="true">
            ⟶
          </span>
          <span className="dl-step">
            <span className="dl-name">{d.deadLetterExchange}</span>
            {d.deadLetterQueues.length > 0 && <> → {d.deadLetterQueues.map((q) => <span key={q} className="dl-name">{q}</span>)}</>}
            <SeqChip seq={d.seq} label="dead-lettered copy" />
          </span>
          <button type="button" className="btn small-btn" onClick={() => onSendBack({ title: `Send #${d.seq} back to ${d.exchange}`, seqs: [d.seq] })}>
            Send back to origin…
          </button>
        </li>
      ))}
    </ol>
  );
}
