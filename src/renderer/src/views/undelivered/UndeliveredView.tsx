import { Fragment, useState } from 'react';
import type { SessionInfo, UndeliveredGroup } from '../../../../shared/views.ts';
import { useApi } from '../../lib/use-api.ts';
import { useTick } from '../../state/live.ts';
import { selectMessage, useApp } from '../../state/app.ts';
import { formatCount } from '../../lib/format.ts';
import { visible } from '../../components/Visible.tsx';
import { useAnalysisStatus } from '../../state/analysis.ts';
import { AnalysisPending } from '../../components/AnalysisProgress.tsx';
import { DeadLetterChains, narrowReason, type SendBackSelection } from './DeadLetterChains.tsx';
import { SendBackDialog } from './SendBackDialog.tsx';

/** Reasons whose words are not their id's (an acronym, a quoted broker phrase). */
const WORDS: Record<string, string> = { 'qos-incomplete': 'QoS handshake not completed', 'no-subscribers': 'No matching subscribers' };

function humanize(reason: string): string {
  if (WORDS[reason]) return WORDS[reason];
  const s = reason.replace(/[-_]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Fire-and-forget messages nobody received, grouped by why and where. */
export function UndeliveredView({ session }: { session: SessionInfo }) {
  const tick = useTick(session.id);
  const { data, error } = useApi('renderer:analysis:undelivered', { sessionId: session.id }, tick);
  const dests = useApp((s) => s.filter.destinations);
  const [sendBack, setSendBack] = useState<SendBackSelection | null>(null);
  const analysis = useAnalysisStatus(session.id, data?.analysis);
  if (analysis.state !== 'ready') {
    return (
      <section className="view undelivered-view" aria-label="Undelivered">
        <AnalysisPending status={analysis} />
      </section>
    );
  }
  // Groups are a small aggregate, not messages: narrowing them to the shared filter here is fine.
  // AMQP groups name the exchange and the routing key (“orders → order.lost”): the exchange matches.
  const groups = (data?.groups ?? []).filter((g) => !dests?.length || dests.some((d) => g.destination === d || g.destination.startsWith(`${d} → `)));
  const byReason = new Map<string, UndeliveredGroup[]>();
  for (const g of groups) byReason.set(g.reason, [...(byReason.get(g.reason) ?? []), g]);
  const total = groups.reduce((n, g) => n + g.count, 0);
  return (
    <section className="view undelivered-view" aria-label="Undelivered">
      <div className="toolbar">
        <span className="count" data-testid="undelivered-total" data-total={total}>
          {formatCount(total)} undelivered message{total === 1 ? '' : 's'} in {byReason.size} reason{byReason.size === 1 ? '' : 's'}
        </span>
      </div>
      {error && <p className="inline-error">{error}</p>}
      {data && groups.length === 0 && (
        <div className="empty">
          <p>Nothing undelivered{dests?.length ? ' on the filtered destinations' : ''}.</p>
          <p className="muted small">
            Flowscope flags AMQP publishes routed to no queue (enable the firehose: <code>rabbitmqctl trace_on</code>), returned messages, messages RabbitMQ
            dead-lettered (expired, rejected, over a length or delivery limit; seen through the dead-letter exchanges the management API names), Kafka records no
            consumer group read in time, and WebSocket frames sent to a closing peer or never answered.
          </p>
        </div>
      )}
      <div className="undelivered-list">
        {[...byReason].map(([reason, gs]) => {
          const deathReason = gs.flatMap((g) => g.chains ?? [])[0]?.deadLetter.reason;
          const count = gs.reduce((n, g) => n + g.count, 0);
          return (
            <section key={reason} className="reason" data-testid="undelivered-reason" data-reason={reason} aria-label={humanize(reason)}>
              <header>
                <h3>
                  {humanize(reason)} <span className="reason-count">{formatCount(count)}</span>
                  {deathReason && narrowReason(deathReason) && (
                    <button
                      type="button"
                      className="btn small-btn push-right"
                      onClick={() => setSendBack({ title: `Send the ${humanize(reason).toLowerCase()} messages back to origin`, reason: narrowReason(deathReason) })}
                    >
                      Send all back to origin…
                    </button>
                  )}
                </h3>
                <p className="explanation">{gs[0]!.explanation}</p>
              </header>
              <table className="undelivered-table">
                <thead>
                  <tr>
                    <th scope="col">Destination</th>
                    <th scope="col">Count</th>
                    <th scope="col">Examples</th>
                  </tr>
                </thead>
                <tbody>
                  {gs.map((g) => (
                    <Fragment key={g.destination}>
                      <tr data-testid="undelivered-group" data-reason={g.reason} data-destination={g.destination} data-count={g.count}>
                        <td>
                          {visible(g.destination)}
                          {g.explanation !== gs[0]!.explanation && <div className="muted small">{g.explanation}</div>}
                        </td>
                        <td>{formatCount(g.count)}</td>
                        <td className="examples">
                          {g.examples.slice(0, 8).map((seq) => (
                            <button key={seq} type="button" className="chip link" onClick={() => selectMessage(seq, true)} aria-label={`Open message ${seq}`}>
                              #{seq}
                            </button>
                          ))}
                        </td>
                      </tr>
                      {g.chains && g.chains.length > 0 && (
                        <tr className="dl-row">
                          <td colSpan={3}>
                            <DeadLetterChains chains={g.chains} onSendBack={setSendBack} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </section>
          );
        })}
      </div>
      {sendBack && <SendBackDialog session={session} selection={sendBack} onClose={() => setSendBack(null)} />}
    </section>
  );
}
