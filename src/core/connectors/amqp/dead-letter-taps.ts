import type { ConsumeMessage } from 'amqplib';
import type { CapturedMessage } from '../../../shared/model.ts';
import { deadLetterToCaptured, isDeadLettered } from './capture.ts';
import { planDeadLetterTaps } from './dead-letter-plan.ts';
import { isOwnQueue } from './firehose.ts';
import type { ManagementWatch } from './management-watch.ts';
import type { AmqpSession } from './session.ts';

/**
 * The connector's side of dead letters: it keeps the session's dead-letter tap in line
 * with what the management API names, records the dead-lettered copies, and says in the
 * status what is tapped and what stays out of sight.
 */
export class DeadLetterTaps {
  private notes: string[] = [];

  constructor(
    private readonly management: ManagementWatch,
    private readonly endpoint: string,
    private readonly record: (m: CapturedMessage) => void,
  ) {}

  /** Taps the dead-letter exchanges of the current snapshot; true when the status should change. */
  async apply(s: AmqpSession): Promise<boolean> {
    const snap = this.management.snapshot;
    if (!snap) return false;
    const before = this.notes.join('\n');
    const plan = planDeadLetterTaps(snap);
    this.notes = plan.notes;
    const refused = s.deadLetterRefusals.size;
    await s.tapDeadLetters(plan.taps);
    return this.notes.join('\n') !== before || s.deadLetterRefusals.size !== refused;
  }

  /** A copy from the dead-letter tap: only dead-lettered ones are new facts (the exchange may carry other traffic). */
  copy(msg: ConsumeMessage): void {
    if (!isDeadLettered(msg)) return;
    const queues = this.management.routed(msg.fields.exchange, msg.fields.routingKey);
    this.record(deadLetterToCaptured(msg, this.endpoint, Date.now(), queues?.filter((q) => !isOwnQueue(q)) ?? null));
  }

  /** Status lines: what is tapped, what cannot be seen, which taps the broker refused. */
  status(s: AmqpSession): string[] {
    return [...this.notes, ...[...s.deadLetterRefusals].map(([ex, why]) => `cannot tap dead-letter exchange '${ex}' (${why})`)];
  }
}
